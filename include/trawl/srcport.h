/*
 * Source ports that trawl picks itself, so that a socket keeps its port
 * from one connect() to the next.  See srcport.c for why.
 */
#ifndef TRAWL_SRCPORT_H
#define TRAWL_SRCPORT_H

#include <stdbool.h>
#include <stdint.h>

struct srcport;

/*
 * The ports the kernel would pick from in this network namespace
 * (ip_local_port_range less ip_local_reserved_ports), walked from a place
 * chosen by seed.  Never NULL unless out of memory; when the range cannot be
 * read it hands out no port, and connect() chooses as it always does.
 */
struct srcport *srcport_new(uint32_t seed);
/*
 * The same from the text of those two files (reserved may be NULL: none).
 * NULL with errno EINVAL when range is not "LOW HIGH" with
 * 1 <= LOW <= HIGH <= 65535, or reserved is not a list of ports and ranges.
 */
struct srcport *srcport_from_text(const char *range, const char *reserved,
    uint32_t seed);
void srcport_free(struct srcport *sp);

/* How many ports it may hand out (0: none, connect() chooses). */
unsigned srcport_count(const struct srcport *sp);
/* The next port of the walk; 0 when it has none.  Every port in turn. */
uint16_t srcport_next(struct srcport *sp);

/*
 * Bind fd (a TCP socket of family AF_INET or AF_INET6) to a port of the
 * walk on the wildcard address.  true: bound, the socket keeps that port
 * until it is closed.  false: unbound, connect() will choose (every port
 * tried was busy, or binding is not possible here).
 */
bool srcport_bind(struct srcport *sp, int fd, int family);

#endif
