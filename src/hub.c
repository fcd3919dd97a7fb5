/*
 * Several engines, one walk.  See hub.h for the contract.
 *
 * The dealer.  The walk is a list of ascending position ranges.  A slice is
 * the next `slice` positions of the current range (never crossing into the
 * next one, so a slice is one iter_range).  An engine asks for a slice only
 * when its own has run out, so a thread slowed by silent hosts simply takes
 * fewer slices: the load balances itself, and no thread waits for another.
 * A slice is never larger than what its engine can start at once, so no
 * engine sits on positions it cannot start while another has room.
 *
 * What is finished.  Each engine reports the smallest group it still holds
 * (scan.h: done_below).  Every position not yet finished is either undealt
 * (at or after the dealer's next position) or held by one engine, so the
 * smallest of those groups is the hub's done_below.  An engine's report is
 * lowered to its new slice's group in the same locked section that deals
 * the slice, so the hub never believes, even for a moment, that a dealt but
 * unstarted slice is finished.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/hub.h"
#include "trawl/pace.h"
#include "trawl/resume.h"
#include "trawl/vec.h"

/* Positions per slice: enough to make the lock rare, few enough to share. */
#define SLICE_MIN 256
#define SLICE_MAX 16384
/* Aim for this many slices per thread over the whole walk. */
#define SLICES_PER_THREAD 64

struct hub_worker {
	struct hub *hub;
	struct engine *engine;
	struct iter iter;
	struct iter_range slice;	/* what iter walks */
	uint64_t done_below;		/* last report; under the lock */
	struct pace_stats pace;		/* what its path did; the lock */
	pthread_t thread;
	bool started;
	int rc;
};

struct hub {
	pthread_mutex_t lock;
	const struct iter_plan *plan;
	struct iter_range *ranges;	/* a copy: hub_append() adds */
	size_t nranges, cap;
	bool growing;
	/* The dealer: the next undealt position is ranges[cur] at next. */
	size_t cur;
	uint64_t next;
	uint64_t slice;
	struct scan_sink sink;
	struct hub_worker *workers;
	unsigned nworkers;
	struct pace_shared *shared;	/* the engines' slowed hosts */
	int fatal_errno;
};

static void
dealer_settle(struct hub *h)
{
	while (h->cur < h->nranges && h->next >= h->ranges[h->cur].hi) {
		h->cur++;
		if (h->cur < h->nranges)
			h->next = h->ranges[h->cur].lo;
	}
}

/* The smallest group nobody has finished; the lock is held. */
static uint64_t
hub_done_below(const struct hub *h)
{
	uint64_t done = h->cur < h->nranges ?
	    iter_plan_group(h->plan, h->next) : ITER_NO_GROUP;

	if (h->growing)
		return 0;

	for (unsigned i = 0; i < h->nworkers; i++)
		if (h->workers[i].done_below < done)
			done = h->workers[i].done_below;
	return done;
}

static enum scan_refill
hub_refill(void *ctx, struct iter *it, uint64_t want)
{
	struct hub_worker *w = ctx;
	struct hub *h = w->hub;
	enum scan_refill dealt = SCAN_REFILL_DONE;

	pthread_mutex_lock(&h->lock);
	if (h->cur < h->nranges) {
		uint64_t left = h->ranges[h->cur].hi - h->next, n = h->slice;

		/*
		 * No more than the engine can start now: the rest of a big
		 * slice would wait a whole timeout for its sockets while
		 * another engine sits idle (a sweep of dropped ports).
		 */
		if (want < n)
			n = want > 0 ? want : 1;
		if (left < n)
			n = left;
		w->slice.lo = h->next;
		w->slice.hi = h->next + n;
		h->next = w->slice.hi;
		dealer_settle(h);
		iter_init(it, h->plan, &w->slice, 1);
		if (iter_plan_group(h->plan, w->slice.lo) < w->done_below)
			w->done_below = iter_plan_group(h->plan, w->slice.lo);
		dealt = SCAN_REFILL_MORE;
		/*
		 * Under the lock, so that hub_quiescent() never sees this
		 * work dealt and the engine still idle from before.
		 */
		engine_busy(w->engine);
	} else if (h->growing) {
		dealt = SCAN_REFILL_WAIT;
	}
	pthread_mutex_unlock(&h->lock);
	return dealt;
}

static int
hub_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below)
{
	struct hub_worker *w = ctx;
	struct hub *h = w->hub;
	int rc;

	pthread_mutex_lock(&h->lock);
	w->done_below = done_below;
	/* Its own thread: the engine's pace may be read. */
	engine_pace(w->engine, &w->pace);
	rc = h->sink.deliver(h->sink.ctx, ev, n, hub_done_below(h));
	pthread_mutex_unlock(&h->lock);
	if (rc != 0)
		hub_stop(h);
	return rc;
}

bool
hub_quiescent(struct hub *h)
{
	bool quiet;

	pthread_mutex_lock(&h->lock);
	quiet = h->cur >= h->nranges;
	for (unsigned i = 0; quiet && i < h->nworkers; i++)
		quiet = engine_idle(h->workers[i].engine);
	pthread_mutex_unlock(&h->lock);
	return quiet;
}

/* The name of a host, asked under the lock: names join while growing. */
static bool
hub_name(void *ctx, uint64_t host, char *buf, size_t size)
{
	struct hub_worker *w = ctx;
	struct hub *h = w->hub;
	bool found;

	if (h->sink.name == NULL)
		return false;
	pthread_mutex_lock(&h->lock);
	found = h->sink.name(h->sink.ctx, host, buf, size);
	pthread_mutex_unlock(&h->lock);
	return found;
}

static uint64_t
walk_size(const struct iter_range *r, size_t n)
{
	uint64_t size = 0;

	for (size_t i = 0; i < n; i++)
		size += r[i].hi - r[i].lo;
	return size;
}

static unsigned
share(uint64_t total, unsigned n, unsigned i)
{
	return (unsigned)(total / n + (i < total % n));
}

struct hub *
hub_new(const struct hub_config *cfg)
{
	struct hub *h = calloc(1, sizeof(*h));
	uint64_t work = walk_size(cfg->ranges, cfg->nranges);
	unsigned n = cfg->threads > 0 ? cfg->threads : 1;

	if (h == NULL)
		return NULL;
	/*
	 * Fewer threads when there is too little to share: every engine
	 * needs at least one socket, one slice, one attempt per second and,
	 * with a per-host cap, one socket per host (the cap is split too).
	 */
	if (n > cfg->scan.concurrency)
		n = cfg->scan.concurrency > 0 ? cfg->scan.concurrency : 1;
	if (n > work / SLICE_MIN && !cfg->growing)
		n = work / SLICE_MIN > 0 ? (unsigned)(work / SLICE_MIN) : 1;
	if (cfg->scan.rate > 0 && n > cfg->scan.rate)
		n = (unsigned)cfg->scan.rate;
	if (cfg->scan.host_concurrency > 0 && n > cfg->scan.host_concurrency)
		n = cfg->scan.host_concurrency;

	h->plan = cfg->plan;
	h->growing = cfg->growing;
	if (vec_reserve(&h->ranges, &h->cap, cfg->nranges,
	    sizeof(*h->ranges)) != 0) {
		free(h);
		return NULL;
	}
	if (cfg->nranges > 0)	/* a resumed scan may have nothing left */
		memcpy(h->ranges, cfg->ranges,
		    cfg->nranges * sizeof(*h->ranges));
	h->nranges = cfg->nranges;
	h->next = cfg->nranges > 0 ? cfg->ranges[0].lo : 0;
	dealer_settle(h);
	h->slice = work / ((uint64_t)n * SLICES_PER_THREAD);
	if (h->slice < SLICE_MIN)
		h->slice = SLICE_MIN;
	if (h->slice > SLICE_MAX)
		h->slice = SLICE_MAX;
	h->sink = cfg->sink;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h->ranges);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->workers = calloc(n, sizeof(*h->workers));
	h->shared = pace_shared_new();
	if (h->workers == NULL || h->shared == NULL) {
		hub_free(h);
		return NULL;
	}
	h->nworkers = n;
	for (unsigned i = 0; i < n; i++) {
		struct hub_worker *w = &h->workers[i];
		struct scan_config sc = cfg->scan;
		struct scan_sink sink = {
			.deliver = hub_deliver,
			.refill = hub_refill,
			.name = hub_name,
			.ctx = w,
		};

		sc.concurrency = share(cfg->scan.concurrency, n, i);
		sc.rate = cfg->scan.rate > 0 ? share(cfg->scan.rate, n, i) : 0;
		sc.host_concurrency = cfg->scan.host_concurrency / n;
		sc.shared = h->shared;
		w->hub = h;
		w->done_below = ITER_NO_GROUP;
		/* Empty until the first refill. */
		w->slice.lo = w->slice.hi = h->next;
		iter_init(&w->iter, h->plan, &w->slice, 1);
		w->engine = engine_new(&sc, &w->iter, &sink);
		if (w->engine == NULL) {
			int saved = errno;

			hub_free(h);
			errno = saved;
			return NULL;
		}
	}
	return h;
}

void
hub_free(struct hub *h)
{
	if (h == NULL)
		return;
	for (unsigned i = 0; i < h->nworkers; i++)
		engine_free(h->workers[i].engine);
	free(h->workers);
	pace_shared_free(h->shared);
	free(h->ranges);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

unsigned
hub_threads(const struct hub *h)
{
	return h->nworkers;
}

static void *
worker_main(void *arg)
{
	struct hub_worker *w = arg;

	w->rc = engine_run(w->engine);
	pthread_mutex_lock(&w->hub->lock);
	engine_pace(w->engine, &w->pace);
	pthread_mutex_unlock(&w->hub->lock);
	if (w->rc != 0)
		hub_stop(w->hub);
	return NULL;
}

int
hub_run(struct hub *h)
{
	int rc = 0, err;

	for (unsigned i = 0; i < h->nworkers; i++) {
		struct hub_worker *w = &h->workers[i];

		/* The last engine runs here: one thread fewer to start. */
		if (i == h->nworkers - 1)
			break;
		err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err != 0) {
			h->fatal_errno = err;
			rc = -3;
			hub_stop(h);
			break;
		}
		w->started = true;
	}
	if (rc == 0)
		worker_main(&h->workers[h->nworkers - 1]);
	for (unsigned i = 0; i < h->nworkers; i++) {
		struct hub_worker *w = &h->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
	}
	if (rc != 0)
		return rc;
	/* A failed sink first: it is the reason the others stopped. */
	for (unsigned i = 0; i < h->nworkers; i++)
		if (h->workers[i].rc == -1)
			return -1;
	for (unsigned i = 0; i < h->nworkers; i++) {
		if (h->workers[i].rc == -2) {
			h->fatal_errno = engine_fatal_errno(
			    h->workers[i].engine);
			return -2;
		}
	}
	return 0;
}

void
hub_stop(struct hub *h)
{
	/* Engines ask for no slice once stopped: their flag is enough. */
	for (unsigned i = 0; i < h->nworkers; i++)
		engine_stop(h->workers[i].engine);
}

struct reactor *
hub_reactor(struct hub *h)
{
	return engine_reactor(h->workers[h->nworkers - 1].engine);
}

void
hub_lock(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
}

void
hub_unlock(struct hub *h)
{
	pthread_mutex_unlock(&h->lock);
}

int
hub_append(struct hub *h, uint64_t lo, uint64_t hi)
{
	struct iter_range *r;

	if (hi <= lo)
		return 0;
	r = VEC_PUSH(h->ranges, h->nranges, h->cap);
	if (r == NULL)
		return -1;
	r->lo = lo;
	r->hi = hi;
	/* The dealer had run dry: it starts on the new range. */
	if (h->cur == h->nranges - 1)
		h->next = lo;
	return 0;
}

void
hub_close(struct hub *h)
{
	h->growing = false;
}

void
hub_pace(const struct hub *h, struct pace_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < h->nworkers; i++)
		pace_stats_add(sum, &h->workers[i].pace);
}

int
hub_fatal_errno(const struct hub *h)
{
	return h->fatal_errno;
}

size_t
hub_rest(const struct hub *h, struct iter_range **out)
{
	size_t cap = h->nranges - h->cur, n = 0;
	struct iter_range *rest;
	uint64_t *pos = NULL;
	unsigned slots = 0;

	for (unsigned i = 0; i < h->nworkers; i++) {
		cap += 1 + engine_slots(h->workers[i].engine);
		if (engine_slots(h->workers[i].engine) > slots)
			slots = engine_slots(h->workers[i].engine);
	}
	rest = calloc(cap > 0 ? cap : 1, sizeof(*rest));
	pos = calloc(slots > 0 ? slots : 1, sizeof(*pos));
	if (rest == NULL || pos == NULL) {
		free(rest);
		free(pos);
		errno = ENOMEM;
		return (size_t)-1;
	}
	for (size_t i = h->cur; i < h->nranges; i++) {
		rest[n].lo = i == h->cur ? h->next : h->ranges[i].lo;
		rest[n].hi = h->ranges[i].hi;
		n++;
	}
	for (unsigned i = 0; i < h->nworkers; i++) {
		const struct hub_worker *w = &h->workers[i];
		size_t npos = engine_pending(w->engine, pos,
		    engine_slots(w->engine));

		n += iter_rest(&w->iter, &rest[n]);
		for (size_t k = 0; k < npos; k++) {
			rest[n].lo = pos[k];
			rest[n].hi = pos[k] + 1;
			n++;
		}
	}
	free(pos);
	*out = rest;
	return resume_normalize(rest, n);
}
