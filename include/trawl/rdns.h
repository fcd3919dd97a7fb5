/*
 * PTR names of the hosts a scan finds open (--rdns), asked while it runs,
 * through the scan's resolver (dns.h) in the reactor it lives in.
 *
 * The asks come from the collector (collect.h: collect_set_ptr()), in
 * whichever engine thread delivers a host's first open port; the resolver
 * may be entered from its reactor's thread only.  rdns_ask() therefore
 * only queues the host and wakes that reactor; the queries go out from
 * there, and every answer comes back there, to the sink, in that thread.
 *
 * A failed look-up -- NXDOMAIN, no PTR record, SERVFAIL, silence, an
 * answer that is not a host name (dns_ptr_name_clean()) -- is a host
 * without a PTR name, never an error.
 */
#ifndef TRAWL_RDNS_H
#define TRAWL_RDNS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/target.h"

struct dns;
struct reactor;
struct rdns;

struct rdns_sink {
	/*
	 * host's answer: its PTR name (valid during the call), or NULL.
	 * Once per rdns_ask() that returned 0, in the reactor's thread.
	 */
	void (*answer)(void *ctx, uint64_t host, const char *name);
	void *ctx;
};

/*
 * Ask through d, which works in r (both outlive the rdns), from r's
 * thread.  NULL with errno (no memory, no eventfd).
 */
struct rdns *rdns_new(struct reactor *r, struct dns *d,
    const struct rdns_sink *sink);
/*
 * The PTR name of host, at addr: from any thread, without blocking on
 * DNS.  0 (the answer will come to the sink), or -1 with errno ENOMEM.
 */
int rdns_ask(struct rdns *rd, uint64_t host, int family, target_u128 addr);
/* Hosts asked for whose answer has not come yet.  r's thread. */
size_t rdns_pending(struct rdns *rd);
/*
 * Once nothing else turns r (the engines are done): turn it until every
 * answer has come -- bounded by the resolver's timeouts and tries -- or
 * *stop becomes non-zero.  0, or -1 when stopped or epoll failed.
 */
int rdns_wait(struct rdns *rd, const volatile sig_atomic_t *stop);
/* Answers still out are dropped: free the dns after, not before. */
void rdns_free(struct rdns *rd);

#endif
