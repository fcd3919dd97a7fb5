/*
 * The target space: the set of addresses to scan (ranges merged, duplicates
 * and exclusions removed) times the port table.  Host i is the i-th address
 * of the set in (family, address) order; probe k of a sequential walk is
 * host k / nports, port k % nports.  Nothing is expanded: a /8 costs one
 * block, not sixteen million entries.
 */
#ifndef TRAWL_SPACE_H
#define TRAWL_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "trawl/target.h"

struct ports;
struct space;

struct space *space_new(void);
void space_free(struct space *s);

/*
 * Building.  0, or -1 with errno ENOMEM.  IPv4-mapped IPv6 addresses go in
 * as the IPv4 addresses they map (target.h), here and in every query.
 */
int space_add_range(struct space *s, int family, target_u128 lo,
    target_u128 hi);
/* One address and the name it was reached by (the name is copied). */
int space_add_name(struct space *s, int family, target_u128 addr,
    const char *name);
int space_exclude(struct space *s, int family, target_u128 lo,
    target_u128 hi);
/*
 * Merge, subtract the exclusions and index.  Takes the port table, which
 * must outlive s.  Returns 0, or -1 with a message in err (out of memory, or
 * more probes than 2^64 - 1).
 */
int space_finish(struct space *s, const struct ports *ports, char *err,
    size_t errlen);

/* Queries, valid after space_finish(). */
uint64_t space_hosts(const struct space *s);
uint64_t space_probes(const struct space *s);
size_t space_nports(const struct space *s);
uint16_t space_port(const struct space *s, size_t i);
/* Family and integer form of host i (i < space_hosts()). */
int space_host(const struct space *s, uint64_t host, target_u128 *addr);
/* Socket address of host i, port. Returns its length. */
socklen_t space_sockaddr(const struct space *s, uint64_t host, uint16_t port,
    struct sockaddr_storage *ss);
/*
 * The names host i was reached by, in the order they were added: *names is
 * set to an array of n strings.  Returns n (0 for an address given as such).
 */
size_t space_names(const struct space *s, uint64_t host,
    const char *const **names);

/*
 * The first name host i was reached by, sealed or still aside (see
 * space_seal_names()), copied into buf; false for none (or too long).
 * For a thread that holds the lock the space grows under.
 */
bool space_first_name(const struct space *s, uint64_t host, char *buf,
    size_t size);

/* Whether an address is in the space, and as which host. */
bool space_find(const struct space *s, int family, target_u128 addr,
    uint64_t *host);

/*
 * Growing a finished space.  space_extend() appends the addresses not in it
 * yet (and not excluded) as new hosts numbered after all others, and says
 * how many in *added.  Threads may query hosts they already know while one
 * thread extends; new hosts must reach them through a lock (the hub's).
 * 0, or -1 with errno (ENOMEM; ENOSPC: too many parts; EOVERFLOW).
 *
 * space_add_name() after space_finish() keeps the name aside;
 * space_seal_names() makes those names visible to space_names().  Nobody
 * may call space_names() meanwhile.  0, or -1 with errno ENOMEM.
 */
struct space_addr {
	int family;
	target_u128 addr;
};
int space_extend(struct space *s, const struct space_addr *addrs, size_t n,
    uint64_t *added);
int space_seal_names(struct space *s);

/*
 * A hash of the addresses and the ports, in order: two spaces with the same
 * fingerprint (almost surely) hold the same probes in the same positions.
 */
uint64_t space_fingerprint(const struct space *s);

#endif
