/*
 * Names resolved while a scan runs, joining it: the engine side of
 * namefeed.h.  Each batch of new addresses becomes a part of the space and
 * of the plan (space_extend(), iter_plan_extend()) and positions the hub
 * deals to the engines like the rest (hub_append()), all under the hub's
 * lock; a name with no address goes to the collector there too.
 *
 * An address reached by several names is scanned once and reported under
 * every name: output waits until the last name has resolved (hub.h:
 * growing), then the names are sealed into the space and hosts stream out
 * as usual.
 */
#ifndef TRAWL_GROW_H
#define TRAWL_GROW_H

#include <stdint.h>

#include "trawl/namefeed.h"

struct collect;
struct hub;
struct iter_plan;
struct space;
struct grow;

struct grow_config {
	struct space *space;
	struct iter_plan *plan;
	struct hub *hub;		/* created with growing set */
	struct collect *col;		/* unresolved names go there */
	/* Called under the hub's lock when probes join the scan. */
	void (*grew)(void *ctx, uint64_t probes);
	void *ctx;
};

/* NULL with errno ENOMEM. */
struct grow *grow_new(const struct grow_config *cfg);
/* The sink to give namefeed_new(): valid while g is. */
const struct namefeed_sink *grow_sink(struct grow *g);
/* New addresses the names brought to the scan. */
uint64_t grow_hosts(const struct grow *g);
void grow_free(struct grow *g);

#endif
