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

#include "trawl/iter.h"
#include "trawl/reactor.h"
#include "trawl/scan.h"
#include "trawl/space.h"
#include "trawl/srcport.h"
#include "trawl/u64map.h"

#define EVENT_BATCH 1024
#define EPOLL_BATCH 1024
/* Admission pause after a local shortage: doubles from MIN to MAX. */
#define HOLD_MIN_NS (1 * REACTOR_NS_PER_MS)
#define HOLD_MAX_NS (100 * REACTOR_NS_PER_MS)
/* The smallest window (see window_adjust()). */
#define WINDOW_MIN 64
/* Shortage-free time after which the ceiling may grow again. */
#define CALM_NS (200 * REACTOR_NS_PER_MS)
/* Longest wait with nothing in flight, so a stop request is seen. */
#define IDLE_WAIT_NS (100 * REACTOR_NS_PER_MS)
/* The sink hears from us at least this often (progress needs a pulse). */
#define PULSE_NS (250 * REACTOR_NS_PER_MS)
/* How often an engine waiting for work (names resolving) asks again. */
#define WAIT_POLL_NS (5 * REACTOR_NS_PER_MS)
/* --rate: how far ahead of the ideal schedule a burst may run. */
#define RATE_BURST_NS (1 * REACTOR_NS_PER_MS)

struct probe {
	struct reactor_io io;		/* first: io callbacks cast back */
	struct reactor_timer timer;
	struct engine *engine;
	struct probe *next;		/* free list or retry queue */
	struct group *group;		/* its group's counter */
	uint64_t pos;
	uint64_t host;
	uint64_t start;			/* current attempt's connect() */
	uint16_t port;
	uint8_t attempts;		/* attempts that timed out or answered */
	uint8_t family;			/* of the socket of the last attempt */
	bool spare;			/* io.fd is open, refused, reusable */
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

struct engine {
	struct reactor *reactor;
	const struct space *space;
	struct iter *iter;
	struct scan_sink sink;
	struct scan_config cfg;
	uint64_t timeout_ns;

	struct srcport *srcport;		/* ports for new sockets */
	struct probe *pool;
	struct probe *free;
	/* Finished, their socket kept for admit(): [0] IPv4, [1] IPv6. */
	struct probe *spares[2];
	struct probe *retry_head, *retry_tail;
	struct probe *parked;		/* waiting for their host (--host-c.) */
	unsigned inflight;

	/* --rate: the theoretical arrival time of the next attempt (GCRA). */
	double rate_tat;
	double rate_interval;

	/* --host-concurrency: sockets in flight per host. */
	struct u64map hosts;

	/* Admission control. */
	unsigned window;		/* what the network needs: <= concurrency */
	unsigned answers;		/* answers (not timeouts) this round */
	unsigned ceiling;		/* what this machine allows */
	uint64_t hold_until;
	uint64_t hold_ns;
	uint64_t last_shortage;
	uint64_t last_start;		/* last connect() that was not short */
	int shortage_errno;

	/* Groups with probes out, in walk order. */
	struct group *groups;
	struct group *gfree, *ghead, *gtail;
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
};

static void probe_on_io(struct reactor_io *io, uint32_t revents);
static void probe_on_timeout(struct reactor_timer *t);

/* --- groups: which parts of the walk are finished ------------------------ */

/* The counter for a new probe of group g (groups arrive in order). */
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
 * shrinks by an eighth per such round.  As soon as fewer than half had
 * their answer -- a slower network, dropped ports -- the network needs
 * more: take all of the concurrency at once.  (engine_run() looks without
 * sleeping while the window is narrowed, so that this happens before a
 * wait, not after a timeout.)  This is the bandwidth-delay product that
 * TCP's BBR aims its window at, measured crudely: we only need to know
 * whether the window is too large.
 */
static unsigned
window_floor(const struct engine *e)
{
	return e->cfg.concurrency < WINDOW_MIN ? e->cfg.concurrency :
	    WINDOW_MIN;
}

static void
window_adjust(struct engine *e, unsigned before)
{
	unsigned floor = window_floor(e);

	if (before == 0)
		return;
	if (e->answers >= before) {
		e->window -= e->window / 8;
		if (e->window < floor)
			e->window = floor;
	} else if (2 * e->answers < before && e->answers < EPOLL_BATCH)
		e->window = e->cfg.concurrency;
}

/* How many may be in flight now: the smaller of the window and ceiling. */
static unsigned
limit(const struct engine *e)
{
	return e->window < e->ceiling ? e->window : e->ceiling;
}

static void
calm(struct engine *e)
{
	uint64_t now = reactor_now(e->reactor);

	if (e->ceiling < e->cfg.concurrency &&
	    now - e->last_shortage >= CALM_NS)
		e->ceiling++;
}

/* --- sockets per host ---------------------------------------------------- */

static bool
host_full(const struct engine *e, uint64_t host)
{
	const uint64_t *n;

	if (e->cfg.host_concurrency == 0)
		return false;
	n = u64map_get(&e->hosts, host);
	return n != NULL && *n >= e->cfg.host_concurrency;
}

/* The map has room for every probe's host (engine_new()): no allocation. */
static void
host_inc(struct engine *e, uint64_t host)
{
	if (e->cfg.host_concurrency > 0)
		(*u64map_put(&e->hosts, host))++;
}

static void
host_dec(struct engine *e, uint64_t host)
{
	uint64_t *n;

	if (e->cfg.host_concurrency > 0 &&
	    (n = u64map_get(&e->hosts, host)) != NULL && --*n == 0)
		u64map_del(&e->hosts, host);
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
probe_finish(struct engine *e, struct probe *p, enum state st, int err)
{
	struct scan_event *ev = &e->events[e->nevents++];

	ev->pos = p->pos;
	ev->host = p->host;
	ev->group = p->group->group;
	ev->port = p->port;
	ev->state = (uint8_t)st;
	ev->err = err;
	ev->attempts = p->attempts;
	ev->rtt_ns = st == STATE_FILTERED && err == 0 ? 0 :
	    reactor_now(e->reactor) - p->start;
	probe_release(e, p);
	if (e->nevents == EVENT_BATCH)
		events_flush(e, false);
	calm(e);
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

		space_sockaddr(e->space, p->host, p->port, &to);
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
	if (v != VERDICT_PENDING) {
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
	    p->start + e->timeout_ns) != 0) {
		/* epoll or the heap ran out of memory: a shortage too. */
		err = errno;
		reactor_io_forget(&p->io);
		close(fd);
		shortage(e, err);
		retry_push(e, p, true);
		return false;
	}
	e->inflight++;
	host_inc(e, p->host);
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
	host_dec(e, p->host);
	probe_outcome(e, p, fd, err, unconnected);
}

static void
probe_on_timeout(struct reactor_timer *t)
{
	struct probe *p = (struct probe *)((char *)t -
	    offsetof(struct probe, timer));
	struct engine *e = p->engine;

	reactor_io_forget(&p->io);
	/* Still in SYN-SENT: closing sends nothing and leaves no TIME_WAIT. */
	close(p->io.fd);
	e->inflight--;
	host_dec(e, p->host);
	p->attempts++;
	if (p->attempts <= e->cfg.retries) {
		/* Behind fresh work: the host may just be slow right now. */
		retry_push(e, p, false);
		return;
	}
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
	return p;
}

/* --rate: may an attempt start now?  If not, when? */
static bool
rate_allows(struct engine *e, uint64_t now, uint64_t *when)
{
	double t = (double)now;

	if (e->rate_interval == 0)
		return true;
	if (e->rate_tat - RATE_BURST_NS > t) {
		*when = (uint64_t)(e->rate_tat - RATE_BURST_NS) + 1;
		return false;
	}
	e->rate_tat = (e->rate_tat > t ? e->rate_tat : t) + e->rate_interval;
	return true;
}

static void
admit(struct engine *e)
{
	uint64_t now = reactor_now(e->reactor), when;
	struct probe *parked = e->parked;

	/* Probes that waited for their host get the first chance again. */
	e->parked = NULL;
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
		if (!rate_allows(e, now, &when)) {
			e->hold_until = when;
			break;
		}
		p = next_probe(e, &to, &len);
		if (p == NULL)
			break;
		if (host_full(e, p->host)) {
			spare_drop(p);
			p->next = e->parked;
			e->parked = p;
			/* Give the token back: nothing was sent. */
			e->rate_tat -= e->rate_interval;
			continue;
		}
		if (!probe_start(e, p, &to, len))
			break;
	}
	spares_close(e);
}

static bool
finished(struct engine *e)
{
	if (e->inflight > 0)
		return false;
	if (e->stopping)
		return true;
	return e->retry_head == NULL && e->parked == NULL &&
	    !walk_more(e) && !e->waiting;
}

struct engine *
engine_new(const struct scan_config *cfg, struct iter *it,
    const struct scan_sink *sink)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.concurrency == 0)
		e->cfg.concurrency = 1;
	e->iter = it;
	e->space = it->plan->space;
	e->sink = *sink;
	e->timeout_ns = (uint64_t)cfg->timeout_ms * REACTOR_NS_PER_MS;
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
	if (cfg->rate > 0)
		e->rate_interval = (double)REACTOR_NS_PER_S / (double)cfg->rate;
	if (e->reactor == NULL || e->srcport == NULL || e->pool == NULL ||
	    e->groups == NULL || (cfg->host_concurrency > 0 &&
	    u64map_reserve(&e->hosts, e->cfg.concurrency) != 0) ||
	    e->events == NULL ||
	    reactor_timer_reserve(e->reactor, e->cfg.concurrency) != 0) {
		int saved = errno;

		engine_free(e);
		errno = saved;
		return NULL;
	}
	for (unsigned i = e->cfg.concurrency; i-- > 0;) {
		struct probe *p = &e->pool[i];

		p->engine = e;
		p->io.fd = -1;
		reactor_timer_init(&p->timer, probe_on_timeout);
		p->next = e->free;
		e->free = p;
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
	u64map_free(&e->hosts);
	free(e->groups);
	free(e->events);
	free(e);
}

int
engine_run(struct engine *e)
{
	uint64_t stall_ns = 3 * e->timeout_ns;

	if (stall_ns < 10 * REACTOR_NS_PER_S)
		stall_ns = 10 * REACTOR_NS_PER_S;
	e->last_start = reactor_clock();
	(void)reactor_run_once(e->reactor, 0);	/* sets the clock */
	admit(e);
	events_flush(e, false);
	while (!finished(e)) {
		uint64_t now = reactor_now(e->reactor);
		uint64_t wait = IDLE_WAIT_NS;
		unsigned before = e->inflight;

		if (e->hold_until > now && e->hold_until - now < wait)
			wait = e->hold_until - now;
		if (e->waiting) {
			/* Idle by design, not stalled. */
			wait = WAIT_POLL_NS;
			e->last_start = now;
		}
		/*
		 * A narrowed window must not sleep on probes that need a
		 * wider one: look without waiting, and if nothing has
		 * answered, window_adjust() widens it before we sleep.
		 */
		if (e->window < e->cfg.concurrency && before > 0)
			wait = 0;
		e->answers = 0;
		if (reactor_run_once(e->reactor, wait) < 0 && errno != EINTR) {
			e->fatal_errno = errno;
			return -2;
		}
		window_adjust(e, before);
		admit(e);
		events_flush(e, reactor_now(e->reactor) - e->last_flush >=
		    PULSE_NS);
		if (e->sink_failed)
			return -1;
		if (e->inflight == 0 && !e->stopping &&
		    reactor_now(e->reactor) - e->last_start > stall_ns) {
			e->fatal_errno = e->shortage_errno;
			return -2;
		}
	}
	events_flush(e, true);
	return e->sink_failed ? -1 : 0;
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
		if (reactor_timer_pending(&e->pool[i].timer))
			pos[n++] = e->pool[i].pos;
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
	return e->cfg.concurrency;
}
