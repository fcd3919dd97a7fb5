/*
 * Names feeding a running scan.  Host names are resolved asynchronously
 * (dns.h) in the reactor of one of the scan's engines, its sockets in the
 * same epoll set and its deadlines in the same heap; every few milliseconds
 * the addresses found so far join the scan as a new part of the space and
 * of the plan (space_extend(), iter_plan_extend()) and are dealt to the
 * engines like the rest (hub_grow()).  So the scan runs on the names that
 * have resolved while thousands of others are still in flight.
 *
 * An address reached by several names is scanned once and reported under
 * every name: output is held until the last name has resolved (see
 * hub.h: growing), then names are sealed into the space and hosts stream
 * out as usual.
 */
#ifndef TRAWL_NAMEFEED_H
#define TRAWL_NAMEFEED_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/dns.h"

struct collect;
struct hub;
struct iter_plan;
struct space;
struct namefeed;

struct namefeed_config {
	struct space *space;
	struct iter_plan *plan;
	struct hub *hub;		/* created with growing set */
	struct collect *col;		/* unresolved names go there */
	const struct dns_config *dns;
	/* Called under the hub's lock when probes join the scan. */
	void (*grew)(void *ctx, uint64_t probes);
	void *ctx;
};

struct namefeed_stats {
	size_t names;		/* submitted */
	size_t resolved;	/* with at least one address */
	size_t unresolved;
	uint64_t hosts;		/* new addresses they brought */
};

/* NULL with a message in err. */
struct namefeed *namefeed_new(const struct namefeed_config *cfg, char *err,
    size_t errlen);
/* Submit a name before or during hub_run().  0, or -1 with errno. */
int namefeed_add(struct namefeed *f, const char *name);
/* No more names will be submitted: the feed closes after the last answer. */
void namefeed_input_done(struct namefeed *f);
/*
 * After hub_run(): make sure every name found is sealed into the space
 * (an interrupted scan stops before the last answer).  0 or -1 (ENOMEM).
 */
int namefeed_finish(struct namefeed *f);
/* Whether the feed had to stop early (out of memory, too many parts). */
int namefeed_error(const struct namefeed *f);
void namefeed_get_stats(const struct namefeed *f, struct namefeed_stats *st);
void namefeed_free(struct namefeed *f);

#endif
