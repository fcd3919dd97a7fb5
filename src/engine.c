/*
 * The probe engine: many non-blocking connect() calls in one reactor.
 *
 * A probe is one (host, port) pair of the walk.  Its life:
 *
 *   queued -> socket() + connect() -> in flight (fd in epoll, deadline in
 *   the heap) -> writable or error -> the error, read by connect() again
 *   -> a state -> an event.
 *
 * A socket whose connection was refused is left unconnected by that second
 * connect(): it is kept (a spare) and carries the next probe admitted
 * right after, with no socket() or close() -- for a sweep of mostly closed
 * ports that halves the kernel's work.  Spares not reused before the next
 * epoll_wait() are closed.  A new socket is bound to a source port of its
 * own (srcport.c), which it keeps from one connect() to the next.
 *
 * Probe slots come from a pool sized by the concurrency, allocated once: the
 * hot path never calls malloc.  A probe that timed out and has tries left,
 * or that met a local shortage (state.c: VERDICT_LOCAL), goes to the retry
 * queue and keeps its slot.
 *
 * Admission control.  New probes are started in batches after each dispatch
 * round, while fewer than `ceiling` are in flight.  The ceiling starts at the
 * configured concurrency.  A local shortage (no descriptor, no local port, no
 * buffer) lowers it to a little under what was in flight at that moment and
 * holds admission back for a short, growing pause; completions raise it again
 * one step at a time once shortages have stopped for a while.  That is AIMD,
 * the same shape as TCP's congestion control, applied to the local machine.
 * Below the ceiling, the window (window_adjust()) keeps no more in flight
 * than the network needs.
 *
 * Output is grouped by host, so the engine tells its sink which groups of the
 * walk (iter.h) have no probe left anywhere: queued, in flight or waiting to
 * retry.  It keeps, in walk order, one counter per group that still has
 * probes out; the oldest counter that is not zero is the answer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/grab.h"
#include "trawl/iter.h"
#include "trawl/reactor.h"
#include "trawl/scan.h"
#include "trawl/space.h"
#include "trawl/srcport.h"
#include "trawl/svc.h"
#include "trawl/vec.h"
#include "trawl/pace.h"

#define EVENT_BATCH 1024
#define EPOLL_BATCH 1024
/* Admission pause after a local shortage: doubles from MIN to MAX. */
#define HOLD_MIN_NS (1 * REACTOR_NS_PER_MS)
#define HOLD_MAX_NS (100 * REACTOR_NS_PER_MS)
/* No answer for this long, at least: silent ports (window_adjust()). */
#define SILENCE_NS (50 * REACTOR_NS_PER_MS)
/* The smallest window (see window_adjust()). */
#define WINDOW_MIN 64
/* Shortage-free time after which the ceiling may grow again. */
#define CALM_NS (200 * REACTOR_NS_PER_MS)
/* Deferred verdicts at most (struct deferred, 48 bytes each). */
#define DEFER_MAX (1024 * 1024)
/* Silent attempts a probe may be given back (pace_silent()). */
#define FREE_ATTEMPTS 10
/* Longest wait with nothing in flight, so a stop request is seen. */
#define IDLE_WAIT_NS (100 * REACTOR_NS_PER_MS)
/* The sink hears from us at least this often (progress needs a pulse). */
#define PULSE_NS (250 * REACTOR_NS_PER_MS)
/* How often an engine waiting for work (names resolving) asks again. */
#define WAIT_POLL_NS (5 * REACTOR_NS_PER_MS)

struct probe {
	struct reactor_io io;		/* first: io callbacks cast back */
	struct reactor_timer timer;
	struct engine *engine;
	struct probe *next;		/* free list or retry queue */
	struct group *group;		/* its group's counter */
	uint64_t pos;
	uint64_t host;
	uint64_t start;			/* current attempt's connect() */
	uint64_t prev_start;		/* the attempt before, if any */
	uint16_t port;
	uint8_t attempts;		/* attempts that timed out or answered */
	uint8_t free;			/* silent attempts given back (pace) */
	uint8_t family;			/* of the socket of the last attempt */
	bool spare;			/* io.fd is open, refused, reusable */
	bool grabbing;			/* open; its grab (grab.h) goes on */
	uint64_t rtt;			/* of its connection, while grabbing */
};

/*
 * A group of the walk with probes still out.  Each probe out holds one, so
 * a pool as large as the probe pool never runs dry: no allocation here.
 */
struct group {
	uint64_t group;
	uint64_t out;
	struct group *prev, *next;	/* live list, oldest first; free list */
};

/*
 * A probe out of attempts, its verdict (filtered) deferred while its host
 * may still earn it more (pace_retries()): a host that rate-limits drops
 * the first attempts of many probes before anything tells it apart from
 * a host with filtered ports; once its answered retries tell, the probes
 * try again.  No socket, no slot: the walk goes on meanwhile.
 */
struct deferred {
	struct group *group;		/* NULL: no longer deferred */
	uint64_t pos, host, prev_start;
	uint64_t until;			/* filtered, if nothing changed by then */
	uint16_t port;
	uint8_t attempts, free;
};

#define GROUP_BLOCK 1024

struct group_block {
	struct group_block *next;
	struct group g[GROUP_BLOCK];
};

struct engine {
	struct reactor *reactor;
	const struct space *space;
	struct iter *iter;
	struct scan_sink sink;
	struct scan_config cfg;

	struct srcport *srcport;		/* ports for new sockets */
	struct probe *pool;
	struct probe *free;
	/* Finished, their socket kept for admit(): [0] IPv4, [1] IPv6. */
	struct probe *spares[2];
	struct probe *retry_head, *retry_tail;
	struct probe *parked;		/* waiting for their host (--host-c.) */
	unsigned inflight;
	/* --banners: open ports' grabs, their slots held (NULL: none). */
	struct grabber *grabber;
	unsigned grabbing;

	/* The path's pace, timeouts and retries; --rate, --host-c. */
	struct pace pace;
	uint64_t parked_until;		/* the first parked host's turn */

	/* Admission control. */
	unsigned window;		/* what the network needs: <= concurrency */
	unsigned answers;		/* answers (not timeouts) this round */
	uint64_t last_answer, last_widen;
	unsigned ceiling;		/* what this machine allows */
	uint64_t hold_until;
	uint64_t hold_ns;
	uint64_t last_shortage;
	uint64_t last_start;		/* last connect() that was not short */
	int shortage_errno;

	/* Probes out of attempts, oldest first; [dhead, ndeferred) live. */
	struct deferred *deferred;
	size_t ndeferred, dhead, dcap, dlive;
	uint64_t pace_gen;		/* the pace's when they were looked at */

	/* Groups with probes out, in walk order. */
	struct group *groups;
	struct group *gfree, *ghead, *gtail;
	struct group_block *gblocks;	/* beyond the first concurrency */
	uint64_t done_sent;

	struct scan_event *events;
	size_t nevents;
	uint64_t last_flush;

	struct scan_counters counters;
	/* Set from signal handlers and other threads: lock-free atomic. */
	atomic_int stopping;
	int sink_failed;
	int fatal_errno;
	bool waiting;			/* the last refill said wait */
	/*
	 * Waiting, with nothing out and every event delivered: read by
	 * other threads (hub_quiescent()), written after each round.
	 */
	atomic_bool idle;
};

static void probe_on_io(struct reactor_io *io, uint32_t revents);
static void probe_on_timeout(struct reactor_timer *t);

/* --- groups: which parts of the walk are finished ------------------------ */

/*
 * More group counters: a probe slot holds one, and so does a deferred
 * verdict, which needs no slot.  Blocks are kept until engine_free(), so
 * that a counter never moves.  The free list's first, or NULL (no memory).
 */
static struct group *
group_block(struct engine *e)
{
	struct group_block *b = malloc(sizeof(*b));

	if (b == NULL)
		return NULL;
	b->next = e->gblocks;
	e->gblocks = b;
	for (size_t i = GROUP_BLOCK; i-- > 0;) {
		b->g[i].next = e->gfree;
		e->gfree = &b->g[i];
	}
	return e->gfree;
}

/*
 * The counter for a new probe of group g (groups arrive in order).  One is
 * free: next_probe() made sure.
 */
static struct group *
group_enter(struct engine *e, uint64_t g)
{
	struct group *gr = e->gtail;

	if (gr != NULL && gr->group == g) {
		gr->out++;
		return gr;
	}
	gr = e->gfree;
	e->gfree = gr->next;
	gr->group = g;
	gr->out = 1;
	gr->next = NULL;
	gr->prev = e->gtail;
	if (e->gtail != NULL)
		e->gtail->next = gr;
	else
		e->ghead = gr;
	e->gtail = gr;
	return gr;
}

static void
group_leave(struct engine *e, struct group *gr)
{
	if (--gr->out > 0)
		return;
	if (gr->prev != NULL)
		gr->prev->next = gr->next;
	else
		e->ghead = gr->next;
	if (gr->next != NULL)
		gr->next->prev = gr->prev;
	else
		e->gtail = gr->prev;
	gr->next = e->gfree;
	e->gfree = gr;
}

/* Every group below the answer has no probe left. */
static uint64_t
group_done_below(const struct engine *e)
{
	if (e->ghead != NULL)
		return e->ghead->group;
	return iter_next_group(e->iter);	/* ITER_NO_GROUP is the max */
}

/* --- events -------------------------------------------------------------- */

static void
events_flush(struct engine *e, bool force)
{
	uint64_t done = group_done_below(e);

	if (e->sink_failed || (e->nevents == 0 && done == e->done_sent &&
	    !force))
		return;
	e->last_flush = reactor_now(e->reactor);
	if (e->sink.deliver(e->sink.ctx, e->events, e->nevents, done) != 0) {
		e->sink_failed = 1;
		e->stopping = 1;
	}
	e->nevents = 0;
	e->done_sent = done;
}

/* --- admission control --------------------------------------------------- */

static void
shortage(struct engine *e, int err)
{
	uint64_t now = reactor_now(e->reactor);
	unsigned lowered = e->inflight - e->inflight / 8;

	e->counters.local_waits++;
	e->shortage_errno = err;
	e->last_shortage = now;
	e->ceiling = lowered > 0 ? lowered : 1;
	if (e->ceiling < e->counters.ceiling_min)
		e->counters.ceiling_min = e->ceiling;
	e->hold_until = now + e->hold_ns;
	e->hold_ns = e->hold_ns * 2 < HOLD_MAX_NS ? e->hold_ns * 2 : HOLD_MAX_NS;
}

/*
 * The window: how many probes the network needs in flight, as opposed to
 * the ceiling, which is what this machine can afford.  Called after each
 * dispatch round with the number that were in flight before it.
 *
 * When every probe in flight already had its answer by the time we looked
 * (loopback, a fast LAN: the kernel often answers inside connect()), the
 * network answers faster than we send, and a smaller window keeps us just
 * as busy.  More sockets would only cost: each is kernel memory, and
 * opening and closing hundreds at once leaves the kernel deferred work
 * (RCU callbacks, kworkers) that preempts our threads.  perf sched showed
 * a loopback sweep at -c 1024 losing 10% of its CPU time that way; with
 * the window it runs 10% faster.  So the window starts at WINDOW_MIN and
 * shrinks by an eighth per such round.  When fewer than half had their
 * answer -- a slower network, dropped ports -- the network needs more:
 * the window grows by the answers that came (TCP's slow start: a
 * thousand SYNs at once would overflow a queue on the way), and when none
 * came for a while (silent ports, which need no room kept for answers) it
 * quadruples, up to all of -c.  (engine_run() sleeps no longer than that
 * while, so that this happens before the timeouts, not after.)  This is
 * the bandwidth-delay product that TCP's BBR aims its window at, measured
 * crudely: we only need to know whether the window is too large.
 */
static unsigned
window_floor(const struct engine *e)
{
	return e->cfg.concurrency < WINDOW_MIN ? e->cfg.concurrency :
	    WINDOW_MIN;
}

/*
 * How long without an answer is silence, not a slow path: twice the
 * slowest answer of late (a queue's answers come that late).
 */
static uint64_t
silence(const struct engine *e)
{
	uint64_t slowest = pace_slowest(&e->pace);

	return 2 * slowest > SILENCE_NS ? 2 * slowest : SILENCE_NS;
}

static void
window_adjust(struct engine *e, unsigned before)
{
	unsigned floor = window_floor(e);
	uint64_t now = reactor_now(e->reactor);

	if (before == 0)
		return;
	if (e->answers >= before) {
		e->window -= e->window / 8;
		if (e->window < floor)
			e->window = floor;
	} else if (2 * e->answers < before && e->answers < EPOLL_BATCH) {
		/*
		 * Answers that come, but slowly: a slow path, or a queue
		 * filling on the way.  Grow as they come (TCP's slow start),
		 * not at once: a thousand SYNs at once would overflow the
		 * queue; and not while answers come later than the fastest
		 * did, a queue already standing, unless the pace is in
		 * charge of it (pace.c).  No answer at all for a
		 * while (longer before the first: a path's round trip is not
		 * known yet): silent ports, which need no room kept for their
		 * answers: four times the window, each such while, up to all
		 * of -c.
		 */
		if (e->answers > 0 && (!pace_queueing(&e->pace) ||
		    pace_paced(&e->pace)))
			e->window = e->window + e->answers <
			    e->cfg.concurrency ? e->window + e->answers :
			    e->cfg.concurrency;
		else if (now - e->last_answer >= silence(e) &&
		    now - e->last_widen >= silence(e)) {
			e->window = 4 * e->window < e->cfg.concurrency ?
			    4 * e->window : e->cfg.concurrency;
			e->last_widen = now;
		}
	}
}

/* How many may be in flight now: the smaller of the window and ceiling. */
static unsigned
limit(const struct engine *e)
{
	/* A grab holds a socket too: it counts against the ceiling. */
	unsigned room = e->ceiling > e->grabbing ? e->ceiling - e->grabbing : 0;

	return e->window < room ? e->window : room;
}

static void
calm(struct engine *e)
{
	uint64_t now = reactor_now(e->reactor);

	if (e->ceiling < e->cfg.concurrency &&
	    now - e->last_shortage >= CALM_NS)
		e->ceiling++;
}

/* --- one probe ----------------------------------------------------------- */

static void
probe_release(struct engine *e, struct probe *p)
{
	group_leave(e, p->group);
	if (p->spare) {
		p->next = e->spares[p->family == AF_INET6];
		e->spares[p->family == AF_INET6] = p;
	} else {
		p->next = e->free;
		e->free = p;
	}
}

/* A kept socket that will not be reused after all. */
static void
spare_drop(struct probe *p)
{
	if (p->spare) {
		close(p->io.fd);
		p->spare = false;
	}
}

/*
 * Close the sockets admit() did not reuse.  Before the next epoll_wait():
 * a refused socket still in the epoll set reports itself hung up, again
 * and again, to an io that no longer listens.
 */
static void
spares_close(struct engine *e)
{
	for (int i = 0; i < 2; i++) {
		while (e->spares[i] != NULL) {
			struct probe *p = e->spares[i];

			e->spares[i] = p->next;
			spare_drop(p);
			p->next = e->free;
			e->free = p;
		}
	}
}

/* Is there a probe slot for new work, with its socket kept or not? */
static bool
slot_left(const struct engine *e)
{
	return e->free != NULL || e->spares[0] != NULL || e->spares[1] != NULL;
}

static void
probe_finish_svc(struct engine *e, struct probe *p, enum state st, int err,
    struct svc *svc)
{
	struct scan_event *ev = &e->events[e->nevents++];

	ev->pos = p->pos;
	ev->host = p->host;
	ev->group = p->group->group;
	ev->port = p->port;
	ev->state = (uint8_t)st;
	ev->err = err;
	ev->attempts = p->attempts;
	/* A grab kept the connection: its round trip is the connect's. */
	ev->rtt_ns = st == STATE_FILTERED && err == 0 ? 0 :
	    p->rtt != 0 ? p->rtt : reactor_now(e->reactor) - p->start;
	ev->svc = svc;
	p->rtt = 0;
	probe_release(e, p);
	if (e->nevents == EVENT_BATCH)
		events_flush(e, false);
	calm(e);
}

static void
probe_finish(struct engine *e, struct probe *p, enum state st, int err)
{
	probe_finish_svc(e, p, st, err, NULL);
}

static void
retry_push(struct engine *e, struct probe *p, bool front)
{
	p->next = NULL;
	if (e->retry_head == NULL) {
		e->retry_head = e->retry_tail = p;
	} else if (front) {
		p->next = e->retry_head;
		e->retry_head = p;
	} else {
		e->retry_tail->next = p;
		e->retry_tail = p;
	}
}

/*
 * Close without TIME_WAIT: an abortive close (RST) for a connection we
 * opened only to learn that it could be opened.
 */
static void
close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int saved = errno;

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	errno = saved;
}

/*
 * On loopback a connect() to a port in the ephemeral range can pick that
 * very port as its source and connect to itself (TCP simultaneous open).
 * That is not a listener: try again with another source port.
 */
static bool
self_connected(int fd, const struct sockaddr_storage *to)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);

	if (getsockname(fd, (struct sockaddr *)&me, &len) != 0)
		return false;
	if (me.ss_family != to->ss_family)
		return false;
	if (me.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&me;
		const struct sockaddr_in *b = (const void *)to;

		return a->sin_port == b->sin_port &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *a = (const void *)&me;
		const struct sockaddr_in6 *b = (const void *)to;

		return a->sin6_port == b->sin6_port &&
		    memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
	}
}

/* A grab ended: the probe's verdict, open, goes out with what it found. */
static void
grab_done(void *arg, struct svc *svc)
{
	struct probe *p = arg;
	struct engine *e = p->engine;

	p->grabbing = false;
	e->grabbing--;
	if (e->sink_failed) {
		/* Nobody to tell: the slot is free, the rest forgotten. */
		svc_free(svc);
		probe_release(e, p);
		return;
	}
	probe_finish_svc(e, p, STATE_OPEN, 0, svc);
}

/*
 * --banners: the connection the probe opened, handed to a grab instead of
 * being closed.  The probe keeps its slot (and its group) until the grab
 * ends.  False when there is no grab to be had: close it as usual.
 */
static bool
grab(struct engine *e, struct probe *p, int fd,
    const struct sockaddr_storage *to, socklen_t len)
{
	char name[256];
	bool named;

	if (e->grabber == NULL || e->stopping)
		return false;
	named = e->sink.name != NULL &&
	    e->sink.name(e->sink.ctx, p->host, name, sizeof(name));
	p->rtt = reactor_now(e->reactor) - p->start;
	if (p->rtt == 0)
		p->rtt = 1;
	if (grab_start(e->grabber, fd, to, len, named ? name : NULL,
	    grab_done, p) != 0) {
		p->rtt = 0;
		return false;
	}
	p->grabbing = true;
	p->attempts++;
	e->grabbing++;
	return true;
}

/*
 * An attempt ended with err (0: connected).  fd is still open; unconnected:
 * the kernel has made it ready for another connect().  Decide: a state, a
 * retry, or a wait for a local shortage to pass.
 */
static void
probe_outcome(struct engine *e, struct probe *p, int fd, int err,
    bool unconnected)
{
	enum state st;
	enum state_verdict v = state_classify(err, &st);

	if (v == VERDICT_FINAL && st == STATE_OPEN) {
		struct sockaddr_storage to;
		socklen_t len = space_sockaddr(e->space, p->host, p->port,
		    &to);

		if (self_connected(fd, &to)) {
			/*
			 * The kernel never picks a port somebody listens on
			 * as a source port, so nobody listens here: closed.
			 * Retrying could meet itself forever when the
			 * ephemeral range is tiny.
			 */
			e->counters.self_connects++;
			close_abort(fd);
			st = STATE_CLOSED;
			err = ECONNREFUSED;
		} else if (grab(e, p, fd, &to, len)) {
			return;
		} else
			close_abort(fd);
	} else if (err == ECONNREFUSED && unconnected && !e->stopping) {
		/*
		 * Refused: the socket can carry the next attempt
		 * (probe_start()), which saves a socket's allocation, its
		 * release and three system calls -- most of a closed port's
		 * cost.
		 */
		p->spare = true;
	} else {
		/* Never connected: no TIME_WAIT to avoid, no linger needed. */
		close(fd);
	}
	if (v == VERDICT_LOCAL) {
		shortage(e, err);
		retry_push(e, p, true);
		return;
	}
	/* VERDICT_PENDING cannot reach here: the caller waits for those. */
	p->attempts++;
	probe_finish(e, p, st, err);
}

/*
 * connect() a refused socket again, to another target: its result, as
 * connect() gives it (0 or an errno).  -1 when the socket was not
 * unconnected after all (EALREADY, EISCONN; EINVAL when the kernel could
 * not reset it): close it, take a new one.
 */
static int
reconnect(int fd, const struct sockaddr_storage *to, socklen_t len)
{
	if (connect(fd, (const struct sockaddr *)to, len) == 0)
		return 0;
	if (errno == EALREADY || errno == EISCONN || errno == EINVAL)
		return -1;
	return errno;
}

/*
 * Start one attempt, to the address next_probe() gave.  Returns false when
 * a local shortage stopped it.
 */
static bool
probe_start(struct engine *e, struct probe *p,
    const struct sockaddr_storage *to, socklen_t len)
{
	struct pace_host *hs;
	enum state st;
	enum state_verdict v;
	bool fresh = false;
	int fd, err, added = 0;

	p->start = reactor_now(e->reactor);
	if (p->spare && p->family == to->ss_family &&
	    (err = reconnect(p->io.fd, to, len)) != -1) {
		p->spare = false;
		fd = p->io.fd;
		e->counters.attempts++;
		goto connected;
	}
	spare_drop(p);
	p->family = (uint8_t)to->ss_family;
	fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd < 0) {
		err = errno;
		if (state_classify(err, &st) == VERDICT_LOCAL) {
			shortage(e, err);
			retry_push(e, p, true);
			return false;
		}
		/* No such address family here, say. */
		p->attempts++;
		probe_finish(e, p, st, err);
		return true;
	}
	/*
	 * A port of its own, kept across the reuses of the socket; connect()
	 * picks one when this does not.
	 */
	(void)srcport_bind(e->srcport, fd, to->ss_family);
	e->counters.attempts++;
	err = connect(fd, (const struct sockaddr *)to, len) == 0 ? 0 : errno;
	fresh = true;
connected:
	v = state_classify(err, &st);
	hs = pace_host(&e->pace, p->host);
	if (v != VERDICT_PENDING) {
		/* Answered at once (loopback, a local route): an answer too. */
		if (v != VERDICT_LOCAL) {
			pace_sent(&e->pace, hs, p->attempts + 1, p->start);
			pace_answered(&e->pace, hs, p->attempts + 1,
			    p->start, p->prev_start, reactor_clock());
		}
		/* A connect() that failed at once left it unconnected. */
		probe_outcome(e, p, fd, err, true);
		if (v == VERDICT_LOCAL)
			return false;
		e->last_start = p->start;
		return true;
	}
	/* A reused socket is still in the epoll set, with the same mask. */
	if (fresh)
		added = reactor_io_add(e->reactor, &p->io, fd, EPOLLOUT,
		    probe_on_io);
	else
		reactor_io_renew(e->reactor, &p->io, EPOLLOUT);
	if (added != 0 || reactor_timer_start(e->reactor, &p->timer,
	    p->start + pace_timeout(&e->pace, hs, p->attempts + 1)) != 0) {
		/* epoll or the heap ran out of memory: a shortage too. */
		err = errno;
		reactor_io_forget(&p->io);
		close(fd);
		shortage(e, err);
		retry_push(e, p, true);
		return false;
	}
	e->inflight++;
	pace_sent(&e->pace, hs, p->attempts + 1, p->start);
	e->last_start = p->start;
	e->hold_ns = HOLD_MIN_NS;
	return true;
}

/*
 * Why did the connect() on fd fail?  Asking connect() again answers like
 * SO_ERROR does, from a socket the kernel still counts as connecting, and
 * also makes it unconnected, ready for the next attempt (probe_start())
 * without a socket of its own: one system call for two.  Should it not
 * answer with an error after all (EALREADY: still connecting, say), ask
 * SO_ERROR and keep the socket out of reuse.
 */
static int
failure(struct engine *e, struct probe *p, int fd, bool *unconnected)
{
	struct sockaddr_storage to;
	socklen_t len = space_sockaddr(e->space, p->host, p->port, &to);
	int err;

	if (connect(fd, (struct sockaddr *)&to, len) != 0 &&
	    errno != EALREADY && errno != EISCONN && errno != EINPROGRESS) {
		*unconnected = true;
		/* No error was pending: the connection just went away. */
		return errno == ECONNABORTED ? ECONNRESET : errno;
	}
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	return err;
}

static void
probe_on_io(struct reactor_io *io, uint32_t revents)
{
	struct probe *p = (struct probe *)io;
	struct engine *e = p->engine;
	struct pace_host *hs;
	enum state st;
	int fd = io->fd;
	int err = 0;
	bool unconnected = false;

	/*
	 * Writable with no error flag means the handshake completed: no need
	 * to ask SO_ERROR, which would say 0.
	 */
	if (revents & (EPOLLERR | EPOLLHUP)) {
		err = failure(e, p, fd, &unconnected);
		if (err == 0)
			err = ECONNRESET;
	}
	reactor_io_forget(io);
	reactor_timer_stop(e->reactor, &p->timer);
	e->inflight--;
	e->answers++;
	e->last_answer = reactor_now(e->reactor);
	hs = pace_host(&e->pace, p->host);
	if (state_classify(err, &st) == VERDICT_LOCAL)
		(void)pace_silent(&e->pace, hs, p->start);
	else
		pace_answered(&e->pace, hs, p->attempts + 1, p->start,
		    p->prev_start, reactor_now(e->reactor));
	probe_outcome(e, p, fd, err, unconnected);
}

/* --- deferred verdicts ------------------------------------------------- */

/*
 * Hold the verdict of p, out of attempts, while its host may still earn
 * it more retries.  Its slot is freed; its group stays open.  false: not
 * deferred (fixed retries, the most retries already, or no room).
 */
static bool
defer(struct engine *e, struct probe *p, const struct pace_host *hs)
{
	struct deferred *d;
	uint64_t now = reactor_now(e->reactor), hold;

	if (e->cfg.retries_fixed || e->dlive >= DEFER_MAX ||
	    pace_retries(&e->pace, hs) >= PACE_MAX_RETRIES)
		return false;
	/* Compact the array when its dead front is half of it. */
	if (e->dhead > 0 && e->dhead >= e->ndeferred / 2) {
		memmove(e->deferred, e->deferred + e->dhead,
		    (e->ndeferred - e->dhead) * sizeof(*e->deferred));
		e->ndeferred -= e->dhead;
		e->dhead = 0;
	}
	if ((d = VEC_PUSH(e->deferred, e->ndeferred, e->dcap)) == NULL)
		return false;
	hold = pace_defer_for(&e->pace, hs);
	d->group = p->group;
	d->pos = p->pos;
	d->host = p->host;
	d->prev_start = p->prev_start;
	d->until = now + hold;
	d->port = p->port;
	d->attempts = p->attempts;
	d->free = p->free;
	e->dlive++;
	p->next = e->free;
	e->free = p;
	return true;
}

/* A deferred probe back in the retry queue, in a free slot. */
static void
undefer(struct engine *e, struct deferred *d)
{
	struct probe *p = e->free;

	e->free = p->next;
	p->group = d->group;
	p->pos = d->pos;
	p->host = d->host;
	p->port = d->port;
	p->attempts = d->attempts;
	p->free = d->free;
	p->prev_start = d->prev_start;
	p->spare = false;
	retry_push(e, p, false);
	d->group = NULL;
	e->dlive--;
}

/* The verdict of a deferred probe: filtered. */
static void
deferred_finish(struct engine *e, struct deferred *d)
{
	struct scan_event *ev = &e->events[e->nevents++];

	memset(ev, 0, sizeof(*ev));
	ev->pos = d->pos;
	ev->host = d->host;
	ev->group = d->group->group;
	ev->port = d->port;
	ev->state = STATE_FILTERED;
	ev->attempts = d->attempts;
	group_leave(e, d->group);
	d->group = NULL;
	e->dlive--;
	if (e->nevents == EVENT_BATCH)
		events_flush(e, false);
}

/*
 * Deferred probes: tried again once their host's retries grew (when a slot
 * is free), filtered once their time is up with no more retries earned.
 */
static void
deferred_tick(struct engine *e)
{
	uint64_t now = reactor_now(e->reactor), gen = pace_generation(&e->pace);

	if (e->dlive == 0)
		return;
	if (gen != e->pace_gen) {
		for (size_t i = e->dhead; i < e->ndeferred && e->free != NULL;
		    i++) {
			struct deferred *d = &e->deferred[i];

			if (d->group != NULL && d->attempts <= pace_retries(
			    &e->pace, pace_host(&e->pace, d->host)))
				undefer(e, d);
		}
		/* No slot for some: look again on the next round. */
		if (e->free != NULL)
			e->pace_gen = gen;
	}
	while (e->dhead < e->ndeferred) {
		struct deferred *d = &e->deferred[e->dhead];

		if (d->group != NULL) {
			if (d->until > now)
				break;
			/* Earned a retry, waits for a slot: not filtered. */
			if (d->attempts <= pace_retries(&e->pace,
			    pace_host(&e->pace, d->host))) {
				if (e->free == NULL)
					break;
				undefer(e, d);
			} else {
				deferred_finish(e, d);
			}
		}
		e->dhead++;
	}
}

static void
probe_on_timeout(struct reactor_timer *t)
{
	struct probe *p = (struct probe *)((char *)t -
	    offsetof(struct probe, timer));
	struct engine *e = p->engine;
	struct pace_host *hs;

	reactor_io_forget(&p->io);
	/* Still in SYN-SENT: closing sends nothing and leaves no TIME_WAIT. */
	close(p->io.fd);
	e->inflight--;
	hs = pace_host(&e->pace, p->host);
	/* At a pace since lowered, a few attempts are given back. */
	if (pace_silent(&e->pace, hs, p->start) || p->free == FREE_ATTEMPTS)
		p->attempts++;
	else
		p->free++;
	p->prev_start = p->start;
	if (p->attempts <= pace_retries(&e->pace, hs)) {
		/* Behind fresh work: the host may just be slow right now. */
		retry_push(e, p, false);
		return;
	}
	if (defer(e, p, hs))
		return;
	probe_finish(e, p, STATE_FILTERED, 0);
}

/* --- the loop ------------------------------------------------------------ */

/* Is there more of the walk?  Asks the sink for another slice if not. */
static bool
walk_more(struct engine *e)
{
	enum scan_refill r;

	e->waiting = false;
	if (iter_remaining(e->iter) > 0)
		return true;
	if (e->sink.refill == NULL || e->stopping)
		return false;
	r = e->sink.refill(e->sink.ctx, e->iter, limit(e) > e->inflight ?
	    limit(e) - e->inflight : 1);
	e->waiting = r == SCAN_REFILL_WAIT;
	return r == SCAN_REFILL_MORE && iter_remaining(e->iter) > 0;
}

/* The next probe to start, and in *to the address it goes to. */
static struct probe *
next_probe(struct engine *e, struct sockaddr_storage *to, socklen_t *len)
{
	struct probe *p = e->retry_head;
	struct iter_probe ip;
	int v6;

	if (p != NULL) {
		e->retry_head = p->next;
		if (e->retry_head == NULL)
			e->retry_tail = NULL;
		*len = space_sockaddr(e->space, p->host, p->port, to);
		return p;
	}
	/* Deferred verdicts hold counters too: a block more when they ran out. */
	if (e->gfree == NULL && group_block(e) == NULL)
		return NULL;
	if (!slot_left(e) || !walk_more(e) || !iter_next(e->iter, &ip))
		return NULL;
	/*
	 * A spare of the target's family, or a free slot; only then one of
	 * the other family, whose socket cannot carry this probe.
	 */
	*len = space_sockaddr(e->space, ip.host, ip.port, to);
	v6 = to->ss_family == AF_INET6;
	if (e->spares[v6] != NULL) {
		p = e->spares[v6];
		e->spares[v6] = p->next;
	} else if (e->free != NULL) {
		p = e->free;
		e->free = p->next;
	} else {
		p = e->spares[!v6];
		e->spares[!v6] = p->next;
	}
	p->group = group_enter(e, ip.group);
	p->pos = ip.pos;
	p->host = ip.host;
	p->port = ip.port;
	p->attempts = 0;
	p->free = 0;
	p->prev_start = 0;
	return p;
}

static void
admit(struct engine *e)
{
	uint64_t now = reactor_now(e->reactor), when;
	struct probe *parked = e->parked;

	/* Probes that waited for their host get the first chance again. */
	e->parked = NULL;
	e->parked_until = 0;
	while (parked != NULL) {
		struct probe *p = parked;

		parked = p->next;
		retry_push(e, p, true);
	}
	while (!e->stopping && e->inflight < limit(e) &&
	    now >= e->hold_until) {
		struct probe *p;
		struct sockaddr_storage to;
		socklen_t len;

		if (e->retry_head == NULL && (!slot_left(e) || !walk_more(e)))
			break;
		p = next_probe(e, &to, &len);
		if (p == NULL)
			break;
		switch (pace_may_send(&e->pace, pace_host(&e->pace, p->host),
		    now, &when)) {
		case PACE_GO:
			break;
		case PACE_PATH_WAITS:
			/* Nobody's turn yet: back in front, and wait. */
			spare_drop(p);
			retry_push(e, p, true);
			e->hold_until = when;
			goto out;
		case PACE_HOST_WAITS:
			/* Its host's turn comes later: others may go now. */
			spare_drop(p);
			p->next = e->parked;
			e->parked = p;
			if (when > 0 && (e->parked_until == 0 ||
			    when < e->parked_until))
				e->parked_until = when;
			continue;
		}
		if (!probe_start(e, p, &to, len))
			break;
	}
out:
	spares_close(e);
}

static bool
finished(struct engine *e)
{
	if (e->inflight > 0 || e->grabbing > 0)
		return false;
	if (e->stopping)
		return true;
	return e->retry_head == NULL && e->parked == NULL && e->dlive == 0 &&
	    !walk_more(e) && !e->waiting;
}

struct engine *
engine_new(const struct scan_config *cfg, struct iter *it,
    const struct scan_sink *sink)
{
	struct engine *e = calloc(1, sizeof(*e));
	struct pace_config pc;
	int paced;

	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.concurrency == 0)
		e->cfg.concurrency = 1;
	e->iter = it;
	e->space = it->plan->space;
	e->sink = *sink;
	e->ceiling = e->cfg.concurrency;
	e->window = window_floor(e);
	e->counters.ceiling_min = e->ceiling;
	e->hold_ns = HOLD_MIN_NS;
	e->reactor = reactor_new(EPOLL_BATCH);
	/* Engines start their walks of the ports far apart. */
	e->srcport = srcport_new((uint32_t)((reactor_clock() ^
	    (uintptr_t)e) * 0x9e3779b97f4a7c15ULL >> 32));
	e->pool = calloc(e->cfg.concurrency, sizeof(*e->pool));
	e->groups = calloc(e->cfg.concurrency, sizeof(*e->groups));
	e->events = calloc(EVENT_BATCH, sizeof(*e->events));
	memset(&pc, 0, sizeof(pc));
	pc.timeout_max_ns = (uint64_t)cfg->timeout_ms * REACTOR_NS_PER_MS;
	pc.retries = cfg->retries;
	pc.retries_fixed = cfg->retries_fixed;
	pc.rate_max = cfg->rate;
	pc.host_max = cfg->host_concurrency;
	/* Every host with a probe in flight, and a window's worth more. */
	pc.hosts_kept = 2 * e->cfg.concurrency + 1024;
	pc.shared = cfg->shared;
	paced = pace_init(&e->pace, &pc, reactor_clock());
	if (e->reactor == NULL || e->srcport == NULL || e->pool == NULL ||
	    e->groups == NULL || paced != 0 || e->events == NULL ||
	    reactor_timer_reserve(e->reactor, e->cfg.concurrency) != 0) {
		int saved = errno;

		engine_free(e);
		errno = saved;
		return NULL;
	}
	if (cfg->banners) {
		struct grab_config gc = {
			.timeout_ms = cfg->banner_timeout_ms,
		};

		/* A grab's timer besides each probe's. */
		if (reactor_timer_reserve(e->reactor,
		    2 * e->cfg.concurrency) != 0 ||
		    (e->grabber = grabber_new(e->reactor, &gc)) == NULL) {
			int saved = errno;

			engine_free(e);
			errno = saved;
			return NULL;
		}
	}
	for (unsigned i = e->cfg.concurrency; i-- > 0;) {
		struct probe *p = &e->pool[i];

		p->engine = e;
		p->io.fd = -1;
		reactor_timer_init(&p->timer, probe_on_timeout);
		p->next = e->free;
		e->free = p;
	}
	for (size_t i = e->cfg.concurrency; i-- > 0;) {
		e->groups[i].next = e->gfree;
		e->gfree = &e->groups[i];
	}
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	/* Grabs still going end unheard (grab_done() sees sink_failed). */
	e->sink_failed = 1;
	grabber_free(e->grabber);
	for (size_t i = 0; i < e->nevents; i++)
		svc_free(e->events[i].svc);
	if (e->pool != NULL && e->reactor != NULL) {
		/* A stopped or failed run may leave sockets open. */
		for (unsigned i = 0; i < e->cfg.concurrency; i++) {
			struct probe *p = &e->pool[i];

			if (reactor_timer_pending(&p->timer)) {
				reactor_timer_stop(e->reactor, &p->timer);
				close(p->io.fd);
			}
		}
	}
	reactor_free(e->reactor);
	srcport_free(e->srcport);
	free(e->pool);
	pace_free(&e->pace);
	free(e->groups);
	while (e->gblocks != NULL) {
		struct group_block *b = e->gblocks;

		e->gblocks = b->next;
		free(b);
	}
	free(e->deferred);
	free(e->events);
	free(e);
}

int
engine_run(struct engine *e)
{
	uint64_t stall_ns = 3 * (uint64_t)e->cfg.timeout_ms * REACTOR_NS_PER_MS;

	if (stall_ns < 10 * REACTOR_NS_PER_S)
		stall_ns = 10 * REACTOR_NS_PER_S;
	e->last_start = e->last_answer = e->last_widen = reactor_clock();
	(void)reactor_run_once(e->reactor, 0);	/* sets the clock */
	admit(e);
	events_flush(e, false);
	while (!finished(e)) {
		uint64_t now = reactor_now(e->reactor);
		uint64_t wait = IDLE_WAIT_NS;
		unsigned before = e->inflight;

		if (e->hold_until > now && e->hold_until - now < wait)
			wait = e->hold_until - now;
		if (e->parked_until > now && e->parked_until - now < wait)
			wait = e->parked_until - now;
		if (e->dlive > 0) {
			uint64_t until = e->deferred[e->dhead].until;

			wait = until <= now ? 0 : until - now < wait ?
			    until - now : wait;
		}
		if (e->waiting) {
			/* Idle by design, not stalled. */
			wait = WAIT_POLL_NS;
			e->last_start = now;
		}
		/*
		 * A narrowed window must not sleep past the moment a silence
		 * would widen it (window_adjust()): an answer wakes us
		 * anyway, and until then there is nothing to look at.
		 */
		if (e->window < e->cfg.concurrency && before > 0) {
			uint64_t at = (e->last_answer > e->last_widen ?
			    e->last_answer : e->last_widen) + silence(e);

			wait = at <= now ? 0 : at - now < wait ? at - now :
			    wait;
		}
		e->answers = 0;
		if (reactor_run_once(e->reactor, wait) < 0 && errno != EINTR) {
			e->fatal_errno = errno;
			return -2;
		}
		/* Stopped: the grabs end now with what they have. */
		if (e->stopping && e->grabbing > 0)
			grabber_stop(e->grabber);
		window_adjust(e, before);
		deferred_tick(e);
		admit(e);
		events_flush(e, reactor_now(e->reactor) - e->last_flush >=
		    PULSE_NS);
		if (e->sink_failed)
			return -1;
		atomic_store(&e->idle, e->waiting && e->inflight == 0 &&
		    e->grabbing == 0 && e->retry_head == NULL &&
		    e->parked == NULL && e->dlive == 0 && e->nevents == 0);
		if (e->inflight == 0 && e->grabbing == 0 && !e->stopping &&
		    reactor_now(e->reactor) - e->last_start > stall_ns) {
			e->fatal_errno = e->shortage_errno;
			return -2;
		}
	}
	events_flush(e, true);
	return e->sink_failed ? -1 : 0;
}

bool
engine_idle(const struct engine *e)
{
	return atomic_load(&((struct engine *)e)->idle);
}

void
engine_busy(struct engine *e)
{
	atomic_store(&e->idle, false);
}

void
engine_stop(struct engine *e)
{
	e->stopping = 1;
}

struct reactor *
engine_reactor(struct engine *e)
{
	return e->reactor;
}

const struct scan_counters *
engine_counters(const struct engine *e)
{
	return &e->counters;
}

void
engine_pace(const struct engine *e, struct pace_stats *st)
{
	pace_stats(&e->pace, st);
}

size_t
engine_pending(const struct engine *e, uint64_t *pos, size_t max)
{
	size_t n = 0;

	for (const struct probe *p = e->retry_head; p != NULL && n < max;
	    p = p->next)
		pos[n++] = p->pos;
	for (const struct probe *p = e->parked; p != NULL && n < max;
	    p = p->next)
		pos[n++] = p->pos;
	for (unsigned i = 0; i < e->cfg.concurrency && n < max; i++)
		if (reactor_timer_pending(&e->pool[i].timer) ||
		    e->pool[i].grabbing)
			pos[n++] = e->pool[i].pos;
	for (size_t i = e->dhead; i < e->ndeferred && n < max; i++)
		if (e->deferred[i].group != NULL)
			pos[n++] = e->deferred[i].pos;
	return n;
}

int
engine_fatal_errno(const struct engine *e)
{
	return e->fatal_errno;
}

unsigned
engine_slots(const struct engine *e)
{
	return e->cfg.concurrency + (unsigned)e->dlive;
}
