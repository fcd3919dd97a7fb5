/*
 * The walk over the target space: which (host, port) pair comes next.
 *
 * A plan fixes the order of all probes of a space: position k (0 <= k <
 * space_probes()) is one (host, port) pair, each pair at exactly one
 * position.  Shards, threads and resumed runs each walk a set of position
 * ranges of the same plan, so they agree on the order without talking.
 *
 * Positions are grouped: every probe of a host lies in one group, groups are
 * contiguous runs of positions, and group numbers grow with the position.
 * Once a walk has moved past a group and that group's probes have finished,
 * every host in it is finished, and grouped output can be written.
 *
 *  - sequential order: host after host, each host's ports in port-table
 *    order; a group is one host.
 *  - random order: hosts are cut into windows of consecutive positions of a
 *    random permutation of the hosts; inside a window, the window's probes
 *    (hosts x ports) are visited in a random permutation too.  A group is a
 *    window.  No host sees a burst, and a window's hosts finish together.
 */
#ifndef TRAWL_ITER_H
#define TRAWL_ITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/perm.h"

struct space;

enum iter_order {
	ITER_RANDOM,
	ITER_SEQUENTIAL,
};

/* The order's word, "random" or "sequential", and back: 0, or -1. */
const char *iter_order_name(enum iter_order order);
int iter_order_parse(const char *s, enum iter_order *order);

/* Fewest probes in a random-order window: spreads a host's load thin. */
#define ITER_WINDOW_PROBES 65536
#define ITER_WINDOW_MIN_HOSTS 64

/*
 * A part of the plan added while scanning (iter_plan_extend()): the hosts
 * a space gained (space_extend()), with positions and groups after all
 * earlier ones, and an order of its own.
 */
struct iter_part {
	uint64_t pos, group, host;	/* its first position, group, host */
	uint64_t hosts, probes;
	uint64_t window;
	uint64_t seed;
	struct perm hostperm;
};

#define ITER_MAX_PARTS 16384

struct iter_plan {
	const struct space *space;
	enum iter_order order;
	uint64_t seed;
	/* The space as it was when the plan was made: the first part. */
	uint64_t hosts, nports, probes;
	uint64_t window;	/* hosts per window (random order) */
	struct perm hostperm;
	/* Later parts, in an array that never moves, the count published
	 * atomically so walks in other threads may read it. */
	struct iter_part *parts;
	_Atomic size_t nparts;
	uint64_t end_pos, end_group;	/* past the last part */
};

struct iter_range {
	uint64_t lo, hi;	/* positions [lo, hi) */
};

struct iter_probe {
	uint64_t pos;
	uint64_t host;
	uint64_t group;
	uint16_t port;
};

struct iter {
	const struct iter_plan *plan;
	const struct iter_range *ranges;
	size_t nranges, cur;
	uint64_t next;		/* next position, inside ranges[cur] */
	uint64_t remaining;
	struct iter_range full;	/* the range of a walk over everything */
	/* The permutation of the current window, rebuilt when it changes. */
	size_t win_part;
	uint64_t win_index;
	struct perm win_perm;
};

#define ITER_NO_GROUP UINT64_MAX

void iter_plan_init(struct iter_plan *pl, const struct space *space,
    enum iter_order order, uint64_t seed);
/* Group of a position. */
uint64_t iter_plan_group(const struct iter_plan *pl, uint64_t pos);
/*
 * Add a part: hosts [first_host, first_host + hosts) of the space, at
 * positions from the plan's end on.  *lo and *hi get those positions.
 * 0, or -1 with errno (ENOMEM, ENOSPC).
 */
int iter_plan_extend(struct iter_plan *pl, uint64_t first_host,
    uint64_t hosts, uint64_t *lo, uint64_t *hi);
void iter_plan_free(struct iter_plan *pl);

/*
 * A walk over ranges (ascending, disjoint; they must outlive it).  With
 * ranges NULL, the walk covers every position of the plan.
 */
void iter_init(struct iter *it, const struct iter_plan *plan,
    const struct iter_range *ranges, size_t nranges);
bool iter_next(struct iter *it, struct iter_probe *out);
/* Group of the next position, ITER_NO_GROUP once the walk is over. */
uint64_t iter_next_group(const struct iter *it);
uint64_t iter_remaining(const struct iter *it);
/* The ranges not walked yet, into out (room for nranges); returns n. */
size_t iter_rest(const struct iter *it, struct iter_range *out);

#endif
