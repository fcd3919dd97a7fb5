/*
 * The hub: one walk shared by several engines, one per thread, and their
 * events brought to one sink.
 *
 * The walk's ranges are handed out in slices, in ascending order, to
 * whichever engine runs dry first: threads share nothing on the hot path but
 * a lock taken once per slice and once per batch of events.  Because slices
 * leave in order, the hub knows exactly which groups are finished (the
 * smallest group any engine or the undealt rest still holds), so grouped
 * output, counts and resume files are the same with any number of threads.
 */
#ifndef TRAWL_HUB_H
#define TRAWL_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/iter.h"
#include "trawl/scan.h"

struct hub;
struct pace_stats;

struct hub_config {
	unsigned threads;		/* engines, at least 1 */
	struct scan_config scan;	/* totals, split between engines */
	const struct iter_plan *plan;
	const struct iter_range *ranges;	/* ascending, disjoint */
	size_t nranges;
	/*
	 * Where events go.  deliver() is called with the hub's lock held,
	 * from any of its threads, one call at a time; so is name() (the
	 * names of hosts grow under that lock); refill is unused.
	 */
	struct scan_sink sink;
	/*
	 * More work may come (hub_append()) until hub_close(): engines that
	 * run dry wait instead of ending, and no group is reported done, so
	 * output waits too (names found late must reach their hosts first).
	 */
	bool growing;
};

/* NULL with errno on failure. */
struct hub *hub_new(const struct hub_config *cfg);
void hub_free(struct hub *h);
/* Engines actually run: fewer than asked when there is little work. */
unsigned hub_threads(const struct hub *h);
/*
 * Run every engine to its end, or until hub_stop().  Returns 0; -1 when
 * the sink failed; -2 when the machine could not open connections for a
 * long time (errno in hub_fatal_errno()); -3 when a thread could not be
 * started (errno in hub_fatal_errno()).
 */
int hub_run(struct hub *h);
/* Start no new probe anywhere.  Async-signal-safe. */
void hub_stop(struct hub *h);
int hub_fatal_errno(const struct hub *h);
/*
 * What the path did, all engines together (pace.h), as of each engine's
 * last batch of events: in the sink's deliver() or after hub_run().
 */
void hub_pace(const struct hub *h, struct pace_stats *sum);
/* The reactor of the engine that runs in hub_run()'s calling thread. */
struct reactor *hub_reactor(struct hub *h);
/*
 * Work that joins while the engines run (names resolving, see grow.h):
 * between hub_lock() and hub_unlock(), the caller may extend what the
 * engines read (space, plan) and give the new positions to hub_append();
 * they must come after all others, and are dealt like the rest.  The
 * sink's deliver() runs under the same lock, so the collector may be
 * written to there too.  hub_append(): 0, or -1 with errno ENOMEM.
 * hub_close(): no more work will come (growing ends).
 */
void hub_lock(struct hub *h);
void hub_unlock(struct hub *h);
int hub_append(struct hub *h, uint64_t lo, uint64_t hi);
void hub_close(struct hub *h);
/*
 * Growing, and nothing to do: every position dealt, every engine idle
 * (engine_idle()).  Only hub_append() makes more work then.  Takes the
 * lock: not from within it.
 */
bool hub_quiescent(struct hub *h);

/*
 * After hub_run(): the work not done, as ascending disjoint ranges in
 * *out (free() it).  Returns the count, or (size_t)-1 with errno.
 */
size_t hub_rest(const struct hub *h, struct iter_range **out);

#endif
