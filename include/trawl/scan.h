/*
 * The scan engine: one reactor driving many non-blocking connect() probes
 * over one walk of the target space.  An engine owns everything it touches
 * (reactor, sockets, probe slots); it shares only read-only data (the space)
 * so that several can run side by side, one per thread.
 *
 * It reports outcomes in batches of compact events through a sink; turning
 * them into text or JSON is someone else's work.
 */
#ifndef TRAWL_SCAN_H
#define TRAWL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/state.h"

struct iter;
struct pace_shared;
struct pace_stats;
struct svc;

struct scan_config {
	unsigned concurrency;	/* sockets in flight, at most */
	unsigned timeout_ms;	/* per connect attempt, at most */
	unsigned retries;	/* extra attempts after a silent timeout */
	bool retries_fixed;	/* given: never more when the path loses */
	uint64_t rate;		/* connect() attempts per second, 0: no cap */
	unsigned host_concurrency; /* sockets in flight per host, 0: no cap */
	/* Slowed hosts' pace, shared with the other engines (pace.h). */
	struct pace_shared *shared;
	/*
	 * --banners: what answers on each open port (grab.h), found on the
	 * probe's connection within banner_timeout_ms, the probe's slot
	 * held meanwhile.
	 */
	bool banners;
	unsigned banner_timeout_ms;
};

/* The final outcome of one probe. */
struct scan_event {
	uint64_t pos;		/* position in the walk (iter.h) */
	uint64_t host;
	uint64_t group;
	uint64_t rtt_ns;	/* of the deciding attempt; 0 for filtered */
	int err;		/* errno that decided it, 0 for open */
	uint16_t port;
	uint8_t state;		/* enum state */
	uint8_t attempts;	/* connect() attempts that counted */
	/*
	 * What answers (--banners), or NULL.  Whoever deliver() hands it
	 * to owns it, whatever deliver() returns: svc_free().
	 */
	struct svc *svc;
};

/* What a refill found. */
enum scan_refill {
	SCAN_REFILL_DONE,	/* no more work, ever */
	SCAN_REFILL_MORE,	/* the walk has more */
	SCAN_REFILL_WAIT,	/* none now; ask again soon (names resolving) */
};

/* The engine's link to the rest of the program. */
struct scan_sink {
	/*
	 * A batch of events, and the group below which everything this
	 * engine was given is done (see iter.h).  Returns 0, or -1 to stop
	 * the scan (output failed).
	 */
	int (*deliver)(void *ctx, const struct scan_event *ev, size_t n,
	    uint64_t done_below);
	/*
	 * The walk ran out: point it at more work (iter_init() on the next
	 * ranges, in ascending order) and say so.  NULL: the first walk is
	 * all there is.  This is how several engines share one walk, a
	 * slice at a time.  want: how many probes the engine could start
	 * now; a slice much larger would sit idle in this engine while
	 * another has sockets free.
	 */
	enum scan_refill (*refill)(void *ctx, struct iter *it, uint64_t want);
	/*
	 * The name host was reached by, into buf (size bytes), for HTTP's
	 * Host: and TLS's SNI (--banners); false for none.  NULL: never.
	 */
	bool (*name)(void *ctx, uint64_t host, char *buf, size_t size);
	void *ctx;
};

struct scan_counters {
	uint64_t attempts;	/* connect() calls */
	uint64_t local_waits;	/* local shortages waited out */
	uint64_t self_connects;	/* loopback self-connections retried */
	unsigned ceiling_min;	/* lowest in-flight ceiling reached */
};

struct engine;

/* NULL with errno on failure. */
struct engine *engine_new(const struct scan_config *cfg, struct iter *it,
    const struct scan_sink *sink);
void engine_free(struct engine *e);
/*
 * Run the walk to its end, or until engine_stop().  Returns 0; -1 when the
 * sink failed; -2 when the machine could not open a connection for a long
 * time (the errno is in engine_fatal_errno()).
 */
int engine_run(struct engine *e);
/*
 * Start no new probe; those in flight finish.  Async-signal-safe, and safe
 * from any thread.
 */
void engine_stop(struct engine *e);
/*
 * Waiting for work (SCAN_REFILL_WAIT) with nothing out: no probe, no grab,
 * no event undelivered.  From any thread; true only as of its last round.
 */
bool engine_idle(const struct engine *e);
/* Not idle any more: work was dealt to it (by its refill, hub.c). */
void engine_busy(struct engine *e);
const struct scan_counters *engine_counters(const struct engine *e);
/*
 * What the path did (pace.h): from the engine's own thread (in its sink's
 * calls) or once it has stopped.
 */
void engine_pace(const struct engine *e, struct pace_stats *st);
/* The engine's reactor, for other work in the same thread (DNS). */
struct reactor *engine_reactor(struct engine *e);
int engine_fatal_errno(const struct engine *e);
/*
 * Positions of probes started but not finished (waiting to retry, or still
 * in flight after a failed run), at most max of them.  With the walk's own
 * rest (iter_rest()) they are exactly the work left.
 */
size_t engine_pending(const struct engine *e, uint64_t *pos, size_t max);
/* At most this many: one per probe slot. */
unsigned engine_slots(const struct engine *e);

#endif
