/*
 * Positions to probes.  The random order is two layers of perm.c: one
 * permutation of all hosts, cut into windows of `window` hosts, and inside
 * each window one permutation of its hosts x ports.  Both are pure
 * functions of the seed and the space, so any process computes the same
 * probe for the same position.
 */
#include "trawl/iter.h"
#include "trawl/space.h"

void
iter_plan_init(struct iter_plan *pl, const struct space *space,
    enum iter_order order, uint64_t seed)
{
	pl->space = space;
	pl->order = order;
	pl->seed = seed;
	pl->hosts = space_hosts(space);
	pl->nports = space_nports(space);
	pl->probes = space_probes(space);
	/*
	 * Windows are sized from the space alone, never from the machine
	 * (concurrency, threads), so that every shard computes the same order.
	 */
	pl->window = pl->nports > 0 ?
	    (ITER_WINDOW_PROBES + pl->nports - 1) / pl->nports : 1;
	if (pl->window < ITER_WINDOW_MIN_HOSTS)
		pl->window = ITER_WINDOW_MIN_HOSTS;
	if (pl->window > pl->hosts)
		pl->window = pl->hosts > 0 ? pl->hosts : 1;
	perm_init(&pl->hostperm, pl->hosts, seed);
}

uint64_t
iter_plan_group(const struct iter_plan *pl, uint64_t pos)
{
	if (pl->order == ITER_SEQUENTIAL)
		return pos / pl->nports;
	return pos / (pl->window * pl->nports);
}

static void
walk_settle(struct iter *it)
{
	while (it->cur < it->nranges && it->next >= it->ranges[it->cur].hi) {
		it->cur++;
		if (it->cur < it->nranges)
			it->next = it->ranges[it->cur].lo;
	}
}

void
iter_init(struct iter *it, const struct iter_plan *plan,
    const struct iter_range *ranges, size_t nranges)
{
	it->plan = plan;
	it->win_index = UINT64_MAX;
	if (ranges == NULL) {
		it->full.lo = 0;
		it->full.hi = plan->probes;
		ranges = &it->full;
		nranges = 1;
	}
	it->ranges = ranges;
	it->nranges = nranges;
	it->cur = 0;
	it->next = nranges > 0 ? ranges[0].lo : 0;
	it->remaining = 0;
	for (size_t i = 0; i < nranges; i++)
		it->remaining += ranges[i].hi - ranges[i].lo;
	walk_settle(it);
}

static void
probe_at(struct iter *it, uint64_t pos, struct iter_probe *out)
{
	const struct iter_plan *pl = it->plan;
	uint64_t host, pidx;

	out->pos = pos;
	if (pl->order == ITER_SEQUENTIAL) {
		host = pos / pl->nports;
		pidx = pos % pl->nports;
		out->group = host;
	} else {
		uint64_t wprobes = pl->window * pl->nports;
		uint64_t w = pos / wprobes, off = pos % wprobes, first, j;

		first = w * pl->window;
		if (w != it->win_index) {
			uint64_t whosts = pl->hosts - first < pl->window ?
			    pl->hosts - first : pl->window;

			/* Each window gets its own key from the seed. */
			perm_init(&it->win_perm, whosts * pl->nports,
			    pl->seed ^ (w * 0x9e3779b97f4a7c15ULL + 1));
			it->win_index = w;
		}
		j = perm_apply(&it->win_perm, off);
		host = perm_apply(&pl->hostperm, first + j / pl->nports);
		pidx = j % pl->nports;
		out->group = w;
	}
	out->host = host;
	out->port = space_port(pl->space, (size_t)pidx);
}

bool
iter_next(struct iter *it, struct iter_probe *out)
{
	if (it->cur >= it->nranges)
		return false;
	probe_at(it, it->next, out);
	it->next++;
	it->remaining--;
	walk_settle(it);
	return true;
}

uint64_t
iter_next_group(const struct iter *it)
{
	if (it->cur >= it->nranges)
		return ITER_NO_GROUP;
	return iter_plan_group(it->plan, it->next);
}

uint64_t
iter_remaining(const struct iter *it)
{
	return it->remaining;
}

size_t
iter_rest(const struct iter *it, struct iter_range *out)
{
	size_t n = 0;

	for (size_t i = it->cur; i < it->nranges; i++) {
		out[n].lo = i == it->cur ? it->next : it->ranges[i].lo;
		out[n].hi = it->ranges[i].hi;
		n++;
	}
	return n;
}
