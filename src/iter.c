/*
 * Positions to probes.  The random order is two layers of perm.c: one
 * permutation of all hosts, cut into windows of `window` hosts, and inside
 * each window one permutation of its hosts x ports.  Both are pure
 * functions of the seed and the space, so any process computes the same
 * probe for the same position.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/iter.h"
#include "trawl/space.h"

static const char *const order_names[] = {
	[ITER_RANDOM] = "random",
	[ITER_SEQUENTIAL] = "sequential",
};

const char *
iter_order_name(enum iter_order order)
{
	return order_names[order];
}

int
iter_order_parse(const char *s, enum iter_order *order)
{
	for (size_t i = 0; i < sizeof(order_names) / sizeof(order_names[0]);
	    i++) {
		if (strcmp(s, order_names[i]) == 0) {
			*order = (enum iter_order)i;
			return 0;
		}
	}
	return -1;
}

/* Hosts per random-order window, from the space alone (see below). */
static uint64_t
window_of(uint64_t hosts, uint64_t nports)
{
	uint64_t w = nports > 0 ?
	    (ITER_WINDOW_PROBES + nports - 1) / nports : 1;

	if (w < ITER_WINDOW_MIN_HOSTS)
		w = ITER_WINDOW_MIN_HOSTS;
	if (w > hosts)
		w = hosts > 0 ? hosts : 1;
	return w;
}

static uint64_t
groups_of(const struct iter_plan *pl, uint64_t hosts, uint64_t window)
{
	if (pl->order == ITER_SEQUENTIAL)
		return hosts;
	return (hosts + window - 1) / window;
}

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
	pl->window = window_of(pl->hosts, pl->nports);
	perm_init(&pl->hostperm, pl->hosts, seed);
	pl->parts = NULL;
	atomic_init(&pl->nparts, 0);
	pl->end_pos = pl->probes;
	pl->end_group = groups_of(pl, pl->hosts, pl->window);
}

void
iter_plan_free(struct iter_plan *pl)
{
	free(pl->parts);
	pl->parts = NULL;
	atomic_store(&pl->nparts, 0);
}

int
iter_plan_extend(struct iter_plan *pl, uint64_t first_host, uint64_t hosts,
    uint64_t *lo, uint64_t *hi)
{
	size_t n = atomic_load_explicit(&pl->nparts, memory_order_relaxed);
	struct iter_part *p;

	if (n == ITER_MAX_PARTS) {
		errno = ENOSPC;
		return -1;
	}
	if (pl->parts == NULL) {
		pl->parts = calloc(ITER_MAX_PARTS, sizeof(*pl->parts));
		if (pl->parts == NULL)
			return -1;
	}
	p = &pl->parts[n];
	p->pos = pl->end_pos;
	p->group = pl->end_group;
	p->host = first_host;
	p->hosts = hosts;
	p->probes = hosts * pl->nports;
	p->window = window_of(hosts, pl->nports);
	p->seed = pl->seed ^ ((uint64_t)(n + 1) * 0xbf58476d1ce4e5b9ULL);
	perm_init(&p->hostperm, hosts, p->seed);
	pl->end_pos += p->probes;
	pl->end_group += groups_of(pl, hosts, p->window);
	*lo = p->pos;
	*hi = pl->end_pos;
	atomic_store_explicit(&pl->nparts, n + 1, memory_order_release);
	return 0;
}

/*
 * The part holding pos, as a view: index 0 is the first part (the plan's
 * own fields), i > 0 is parts[i - 1].
 */
struct view {
	size_t index;
	uint64_t pos, group, host, hosts, window, seed;
	const struct perm *hostperm;
};

static void
view_of(const struct iter_plan *pl, uint64_t pos, struct view *v)
{
	size_t lo = 0, hi;
	const struct iter_part *p;

	if (pos < pl->probes) {
		v->index = 0;
		v->pos = v->group = v->host = 0;
		v->hosts = pl->hosts;
		v->window = pl->window;
		v->seed = pl->seed;
		v->hostperm = &pl->hostperm;
		return;
	}
	hi = atomic_load_explicit(&pl->nparts, memory_order_acquire);
	/* The last part that starts at or before pos. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (pl->parts[mid].pos <= pos)
			lo = mid;
		else
			hi = mid;
	}
	p = &pl->parts[lo];
	v->index = lo + 1;
	v->pos = p->pos;
	v->group = p->group;
	v->host = p->host;
	v->hosts = p->hosts;
	v->window = p->window;
	v->seed = p->seed;
	v->hostperm = &p->hostperm;
}

uint64_t
iter_plan_group(const struct iter_plan *pl, uint64_t pos)
{
	struct view v;

	view_of(pl, pos, &v);
	if (pl->order == ITER_SEQUENTIAL)
		return v.group + (pos - v.pos) / pl->nports;
	return v.group + (pos - v.pos) / (v.window * pl->nports);
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
	it->win_part = 0;
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
	uint64_t host, pidx, local;
	struct view v;

	view_of(pl, pos, &v);
	local = pos - v.pos;
	out->pos = pos;
	if (pl->order == ITER_SEQUENTIAL) {
		host = local / pl->nports;
		pidx = local % pl->nports;
		out->group = v.group + host;
	} else {
		uint64_t wprobes = v.window * pl->nports;
		uint64_t w = local / wprobes, off = local % wprobes, first, j;

		first = w * v.window;
		if (w != it->win_index || v.index != it->win_part) {
			uint64_t whosts = v.hosts - first < v.window ?
			    v.hosts - first : v.window;

			/* Each window gets its own key from the seed. */
			perm_init(&it->win_perm, whosts * pl->nports,
			    v.seed ^ (w * 0x9e3779b97f4a7c15ULL + 1));
			it->win_index = w;
			it->win_part = v.index;
		}
		j = perm_apply(&it->win_perm, off);
		host = perm_apply(v.hostperm, first + j / pl->nports);
		pidx = j % pl->nports;
		out->group = v.group + w;
	}
	out->host = v.host + host;
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
