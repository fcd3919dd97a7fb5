/*
 * Resolved names joining a running scan; see grow.h.
 *
 * The names go into the space at once (kept aside until they are sealed:
 * space.h), the addresses wait in a batch for the feed's next flush: a
 * part of the space per name would cost a part per name, and parts are
 * few.  A large batch flushes on its own.
 */
#include <errno.h>
#include <stdlib.h>

#include "trawl/collect.h"
#include "trawl/grow.h"
#include "trawl/hub.h"
#include "trawl/iter.h"
#include "trawl/space.h"
#include "trawl/vec.h"

#define FLUSH_ADDRS 4096

struct grow {
	struct grow_config cfg;
	struct namefeed_sink sink;
	struct space_addr *batch;
	size_t nbatch, cap;
	uint64_t hosts;
};

/* The batch into the space and the plan, its positions to the hub. */
static int
flush(void *ctx)
{
	struct grow *g = ctx;
	uint64_t added, lo, hi;
	int rc = -1;

	if (g->nbatch == 0)
		return 0;
	hub_lock(g->cfg.hub);
	if (space_extend(g->cfg.space, g->batch, g->nbatch, &added) != 0)
		goto out;
	g->nbatch = 0;
	if (added > 0) {
		if (iter_plan_extend(g->cfg.plan, space_hosts(g->cfg.space) -
		    added, added, &lo, &hi) != 0 ||
		    hub_append(g->cfg.hub, lo, hi) != 0)
			goto out;
		g->hosts += added;
		if (g->cfg.grew != NULL)
			g->cfg.grew(g->cfg.ctx, hi - lo);
	}
	rc = 0;
out:
	hub_unlock(g->cfg.hub);
	return rc;
}

static int
resolved(void *ctx, const char *name, const struct dns_addr *addrs,
    size_t naddrs)
{
	struct grow *g = ctx;

	for (size_t i = 0; i < naddrs; i++) {
		struct space_addr *sa;

		if (space_add_name(g->cfg.space, addrs[i].family,
		    addrs[i].addr, name) != 0)
			return -1;
		if ((sa = VEC_PUSH(g->batch, g->nbatch, g->cap)) == NULL)
			return -1;
		sa->family = addrs[i].family;
		sa->addr = addrs[i].addr;
	}
	return g->nbatch >= FLUSH_ADDRS ? flush(g) : 0;
}

static void
unresolved(void *ctx, const char *name, const char *why)
{
	struct grow *g = ctx;

	/* The collector is the engines' sink's: its lock is the hub's. */
	hub_lock(g->cfg.hub);
	collect_unresolved(g->cfg.col, name, why);
	hub_unlock(g->cfg.hub);
}

/* Every name is known: seal them into the space, and stop growing. */
static int
done(void *ctx)
{
	struct grow *g = ctx;
	int rc;

	hub_lock(g->cfg.hub);
	rc = space_seal_names(g->cfg.space);
	hub_close(g->cfg.hub);
	hub_unlock(g->cfg.hub);
	if (rc != 0)
		errno = ENOMEM;
	return rc;
}

struct grow *
grow_new(const struct grow_config *cfg)
{
	struct grow *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cfg = *cfg;
	g->sink.resolved = resolved;
	g->sink.unresolved = unresolved;
	g->sink.flush = flush;
	g->sink.done = done;
	g->sink.ctx = g;
	return g;
}

const struct namefeed_sink *
grow_sink(struct grow *g)
{
	return &g->sink;
}

uint64_t
grow_hosts(const struct grow *g)
{
	return g->hosts;
}

void
grow_free(struct grow *g)
{
	if (g == NULL)
		return;
	free(g->batch);
	free(g);
}
