/*
 * Host names to addresses, answer by answer, for a scan: the one path every
 * name takes, whether it is resolved before the scan (namefeed_resolve_all())
 * or while it runs (namefeed_new(), in the reactor of one of the scan's
 * engines, its sockets in the same epoll set and its deadlines in the same
 * heap).
 *
 * The feed knows nothing of the scan.  It asks dns.h, says on stderr which
 * names did not resolve and why, counts, and hands each answer to a sink;
 * what an answer does to the scan is the sink's business (nameprep.c before
 * the scan, grow.c during it).  While names resolve during a scan, the sink
 * is also told to flush every few milliseconds, so that it can let the
 * addresses found so far join in batches rather than one name at a time.
 */
#ifndef TRAWL_NAMEFEED_H
#define TRAWL_NAMEFEED_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/dns.h"

struct reactor;
struct namefeed;

struct namefeed_sink {
	/*
	 * A name and its addresses (IPv4 first, no repeats), valid during
	 * the call.  0, or -1 with errno: the feed stops taking answers.
	 */
	int (*resolved)(void *ctx, const char *name,
	    const struct dns_addr *addrs, size_t naddrs);
	/* A name with no address, and the outputs' word for why. */
	void (*unresolved)(void *ctx, const char *name, const char *why);
	/*
	 * Every few milliseconds while answers come, and once before done.
	 * NULL: nothing to flush.  0, or -1 with errno.
	 */
	int (*flush)(void *ctx);
	/* Every name has its answer, or the feed stopped.  Once; may be NULL. */
	int (*done)(void *ctx);
	void *ctx;
};

struct namefeed_stats {
	size_t names;		/* submitted */
	size_t resolved;	/* with at least one address */
	size_t unresolved;
};

/*
 * Resolve with dns, working in reactor r, answers to sink.  dns is the
 * scan's resolver, shared (PTR queries, rdns.h): the feed neither frees it
 * nor waits for what others asked.  NULL with errno ENOMEM.
 */
struct namefeed *namefeed_new(struct reactor *r, struct dns *dns,
    const struct namefeed_sink *sink);
/* Submit a name, before or while the reactor runs.  0, or -1 with errno. */
int namefeed_add(struct namefeed *f, const char *name);
/*
 * Names submitted whose answers have not all reached the sink yet: not
 * answered, or answered and waiting for the next flush.  0: nothing more
 * will come unless names are added.
 */
size_t namefeed_pending(const struct namefeed *f);
/* No more names will be submitted: done comes after the last answer. */
void namefeed_input_done(struct namefeed *f);
/*
 * After the reactor stopped (an interrupted scan stops before the last
 * answer): flush, then done, if they have not run.  0, or -1 with errno.
 */
int namefeed_finish(struct namefeed *f);
/* errno of what stopped the feed early (a sink that failed), or 0. */
int namefeed_error(const struct namefeed *f);
void namefeed_get_stats(const struct namefeed *f, struct namefeed_stats *st);
void namefeed_free(struct namefeed *f);

/*
 * Resolve names before a scan, in a reactor of its own, answers to sink
 * as they come (flush and done run once, at the end); stats added to *st.
 * Returns when every name has its answer: 0, or -1 with a message in err
 * (the resolver could not start, a sink failed, dns->stop was raised).
 */
int namefeed_resolve_all(const struct dns_config *dns,
    const char *const *names, size_t n, const struct namefeed_sink *sink,
    struct namefeed_stats *st, char *err, size_t errlen);

#endif
