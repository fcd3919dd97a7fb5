/*
 * Reactor tests: what reactor.h promises, on pipes and AF_UNIX socket
 * pairs only (no network, no packets).
 *
 * Timers: deadline order, FIFO among equal deadlines, stop, re-arm, arming
 * from a callback, past deadlines at the next round, the wait cut short by
 * the earliest deadline, and reactor_timer_reserve() keeping its word.
 * Descriptors: the revents delivered, EPOLLHUP and EPOLLERR, mod, del, and
 * the dispatch-round rules: an io removed, forgotten or renewed during a
 * round gets none of the events collected for it before, and neither does
 * an io registered during the round (its memory may be a reused slot).
 *
 * Time is asserted as order and as "fired / not fired", and elapsed time
 * only from below or against a bound of many seconds: a run under
 * valgrind is slow, never early.
 *
 * The program is linked with -Wl,--wrap=realloc (tests/unit/meson.build),
 * so that the heap's growth can be made to fail: after
 * reactor_timer_reserve(r, n), arming n timers must not need it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "trawl/reactor.h"

/* --- realloc, wrapped --------------------------------------------------- */

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static bool realloc_fails;
static unsigned realloc_calls;

void *
__wrap_realloc(void *p, size_t n)
{
	realloc_calls++;
	if (realloc_fails) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

/* --- timers ------------------------------------------------------------- */

#define HOUR (3600 * REACTOR_NS_PER_S)

struct ttimer {
	struct reactor_timer t;
	struct reactor *r;
	int id;
	/* What the callback does besides logging itself. */
	struct ttimer *stop;		/* stop this one */
	struct ttimer *start;		/* arm this one ... */
	uint64_t start_at;		/* ... at reactor_now() + this */
	uint64_t rearm_in;		/* if > 0, re-arm itself now + this */
};

static int fired[256];
static size_t nfired;

static struct ttimer *
ttimer_of(struct reactor_timer *t)
{
	return (struct ttimer *)((char *)t - offsetof(struct ttimer, t));
}

static void
on_timer(struct reactor_timer *t)
{
	struct ttimer *x = ttimer_of(t);

	ck_assert_uint_lt(nfired, sizeof(fired) / sizeof(fired[0]));
	fired[nfired++] = x->id;
	/* The round's time has reached the deadline: never early. */
	ck_assert_uint_ge(reactor_now(x->r), t->node.key);
	if (x->stop != NULL)
		reactor_timer_stop(x->r, &x->stop->t);
	if (x->start != NULL)
		ck_assert_int_eq(reactor_timer_start(x->r, &x->start->t,
		    reactor_now(x->r) + x->start_at), 0);
	if (x->rearm_in > 0)
		ck_assert_int_eq(reactor_timer_start(x->r, t,
		    reactor_now(x->r) + x->rearm_in), 0);
}

static void
ttimer_init(struct ttimer *x, struct reactor *r, int id)
{
	memset(x, 0, sizeof(*x));
	reactor_timer_init(&x->t, on_timer);
	x->r = r;
	x->id = id;
}

static struct reactor *
new_reactor(unsigned max_events)
{
	struct reactor *r = reactor_new(max_events);

	ck_assert_ptr_nonnull(r);
	nfired = 0;
	return r;
}

static void
assert_fired(const int *want, size_t n)
{
	ck_assert_uint_eq(nfired, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(fired[i] == want[i], "fired[%zu] is %d, want %d",
		    i, fired[i], want[i]);
}

START_TEST(timer_deadline_order)
{
	/* Deadlines in the past, armed in an order unlike theirs. */
	static const unsigned rank[10] = { 7, 2, 9, 0, 5, 3, 8, 1, 6, 4 };
	static const int want[10] = { 3, 7, 1, 5, 9, 4, 8, 0, 6, 2 };
	struct reactor *r = new_reactor(8);
	struct ttimer t[12];
	uint64_t base = reactor_clock() - REACTOR_NS_PER_S;

	for (int i = 0; i < 10; i++) {
		ttimer_init(&t[i], r, i);
		ck_assert(!reactor_timer_pending(&t[i].t));
		ck_assert_int_eq(reactor_timer_start(r, &t[i].t,
		    base + rank[i] * 1000), 0);
		ck_assert(reactor_timer_pending(&t[i].t));
	}
	/* Two in the future, one of them armed first: they wait. */
	ttimer_init(&t[10], r, 10);
	ttimer_init(&t[11], r, 11);
	ck_assert_int_eq(reactor_timer_start(r, &t[10].t, base + HOUR), 0);
	ck_assert_int_eq(reactor_timer_start(r, &t[11].t, base + 2 * HOUR), 0);

	ck_assert_int_eq(reactor_run_once(r, 0), 10);
	assert_fired(want, 10);
	for (int i = 0; i < 10; i++)
		ck_assert(!reactor_timer_pending(&t[i].t));
	ck_assert(reactor_timer_pending(&t[10].t));
	ck_assert(reactor_timer_pending(&t[11].t));
	/* Nothing due any more. */
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_uint_eq(nfired, 10);
	reactor_free(r);
}
END_TEST

START_TEST(timer_fifo_equal_deadlines)
{
	struct reactor *r = new_reactor(8);
	struct ttimer t[30];
	uint64_t d = reactor_clock() - REACTOR_NS_PER_S;
	int want[30];
	size_t n = 0;

	/* Ids 0..29 over three deadlines, interleaved: d+1, d, d-1, ... */
	for (int i = 0; i < 30; i++) {
		ttimer_init(&t[i], r, i);
		ck_assert_int_eq(reactor_timer_start(r, &t[i].t,
		    d + 1 - (uint64_t)(i % 3)), 0);
	}
	/* Re-armed at the same deadline: behind the others of it. */
	ck_assert_int_eq(reactor_timer_start(r, &t[4].t, d), 0);
	for (int k = 2; k >= 0; k--)
		for (int i = k; i < 30; i += 3)
			if (i != 4)
				want[n++] = i;
	/* 4 is of the middle deadline (4 % 3 == 1): last of it. */
	memmove(&want[20], &want[19], sizeof(int) * 10);
	want[19] = 4;
	ck_assert_int_eq(reactor_run_once(r, 0), 30);
	assert_fired(want, 30);
	reactor_free(r);
}
END_TEST

START_TEST(timer_stop)
{
	struct reactor *r = new_reactor(8);
	struct ttimer a, b, c, d;
	uint64_t past = reactor_clock() - REACTOR_NS_PER_S;
	static const int want[2] = { 0, 2 };

	ttimer_init(&a, r, 0);
	ttimer_init(&b, r, 1);
	ttimer_init(&c, r, 2);
	ttimer_init(&d, r, 3);
	/* Stopping a timer never armed does nothing. */
	reactor_timer_stop(r, &d.t);
	ck_assert(!reactor_timer_pending(&d.t));

	ck_assert_int_eq(reactor_timer_start(r, &a.t, past), 0);
	ck_assert_int_eq(reactor_timer_start(r, &b.t, past + 1), 0);
	ck_assert_int_eq(reactor_timer_start(r, &c.t, past + 2), 0);
	/* c stops d, which is due as well, from its callback. */
	ck_assert_int_eq(reactor_timer_start(r, &d.t, past + 3), 0);
	c.stop = &d;
	reactor_timer_stop(r, &b.t);
	ck_assert(!reactor_timer_pending(&b.t));
	reactor_timer_stop(r, &b.t);
	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	assert_fired(want, 2);
	ck_assert(!reactor_timer_pending(&d.t));
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_uint_eq(nfired, 2);
	reactor_free(r);
}
END_TEST

START_TEST(timer_rearm)
{
	struct reactor *r = new_reactor(8);
	struct ttimer a, b, c;
	uint64_t now = reactor_clock();
	static const int want1[2] = { 0, 2 };
	static const int want2[3] = { 0, 2, 2 };

	ttimer_init(&a, r, 0);
	ttimer_init(&b, r, 1);
	ttimer_init(&c, r, 2);
	/* Far off, then due: fires once. */
	ck_assert_int_eq(reactor_timer_start(r, &a.t, now + HOUR), 0);
	ck_assert_int_eq(reactor_timer_start(r, &a.t, now - 10), 0);
	/* Due, then far off: waits. */
	ck_assert_int_eq(reactor_timer_start(r, &b.t, now - 20), 0);
	ck_assert_int_eq(reactor_timer_start(r, &b.t, now + HOUR), 0);
	/* c re-arms itself from its callback, a little later. */
	ck_assert_int_eq(reactor_timer_start(r, &c.t, now - 5), 0);
	c.rearm_in = 20 * REACTOR_NS_PER_MS;

	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	assert_fired(want1, 2);
	ck_assert(!reactor_timer_pending(&a.t));
	ck_assert(reactor_timer_pending(&b.t));
	ck_assert(reactor_timer_pending(&c.t));
	/* The second life of c, and no other. */
	c.rearm_in = 0;
	while (nfired < 3)
		ck_assert_int_ge(reactor_run_once(r, 30 * REACTOR_NS_PER_S),
		    0);
	assert_fired(want2, 3);
	ck_assert(!reactor_timer_pending(&c.t));
	ck_assert(reactor_timer_pending(&b.t));
	reactor_free(r);
}
END_TEST

START_TEST(timer_from_callback)
{
	struct reactor *r = new_reactor(8);
	struct ttimer a, b, c, d;
	static const int want[2] = { 0, 1 };

	ttimer_init(&a, r, 0);
	ttimer_init(&b, r, 1);
	ttimer_init(&c, r, 2);
	ttimer_init(&d, r, 3);
	/* a arms b, due at once; d arms c an hour on. */
	a.start = &b;
	a.start_at = 0;
	d.start = &c;
	d.start_at = HOUR;
	ck_assert_int_eq(reactor_timer_start(r, &a.t,
	    reactor_clock() - REACTOR_NS_PER_S), 0);
	ck_assert_int_eq(reactor_timer_start(r, &d.t,
	    reactor_clock() + HOUR), 0);
	ck_assert_int_ge(reactor_run_once(r, 0), 1);
	/* b is due: in this round or, at the latest, the next. */
	if (nfired < 2)
		ck_assert_int_eq(reactor_run_once(r, 0), 1);
	assert_fired(want, 2);
	ck_assert(!reactor_timer_pending(&b.t));

	/* Armed from a callback for later: pending, not fired. */
	nfired = 0;
	ck_assert_int_eq(reactor_timer_start(r, &d.t, 0), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_uint_eq(nfired, 1);
	ck_assert_int_eq(fired[0], 3);
	ck_assert(reactor_timer_pending(&c.t));
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_uint_eq(nfired, 1);
	reactor_free(r);
}
END_TEST

START_TEST(timer_past_fires_next_round)
{
	struct reactor *r = new_reactor(8);
	struct ttimer a, b;
	uint64_t t0;
	static const int want[2] = { 0, 1 };

	ttimer_init(&a, r, 0);
	ttimer_init(&b, r, 1);
	/* Long gone, and just gone. */
	ck_assert_int_eq(reactor_timer_start(r, &a.t, 1), 0);
	ck_assert_int_eq(reactor_timer_start(r, &b.t, reactor_clock() - 1), 0);
	t0 = reactor_clock();
	/* A long idle wait allowed, none taken. */
	ck_assert_int_eq(reactor_run_once(r, 30 * REACTOR_NS_PER_S), 2);
	assert_fired(want, 2);
	ck_assert_uint_ge(reactor_now(r), t0);
	ck_assert_uint_lt(reactor_clock() - t0, 30 * REACTOR_NS_PER_S);
	reactor_free(r);
}
END_TEST

START_TEST(timer_cuts_wait_short)
{
	/* Deadlines a fraction of a millisecond past a whole one. */
	static const uint64_t frac_us[3] = { 900, 500, 990 };
	struct reactor *r = new_reactor(8);
	struct ttimer a, far;
	uint64_t t0, deadline;

	ttimer_init(&a, r, 0);
	ttimer_init(&far, r, 1);
	ck_assert_int_eq(reactor_timer_start(r, &far.t,
	    reactor_clock() + HOUR), 0);
	for (int i = 0; i < 3; i++) {
		nfired = 0;
		t0 = reactor_clock();
		deadline = t0 + 20 * REACTOR_NS_PER_MS + frac_us[i] * 1000;
		ck_assert_int_eq(reactor_timer_start(r, &a.t, deadline), 0);
		/*
		 * One round: the wait ends at the deadline, not after the
		 * 30 s allowed, and not before it either (milliseconds
		 * rounded up), so the timer is due when it ends.
		 */
		ck_assert_int_eq(reactor_run_once(r, 30 * REACTOR_NS_PER_S),
		    1);
		ck_assert_uint_eq(nfired, 1);
		ck_assert_int_eq(fired[0], 0);
		ck_assert_uint_ge(reactor_now(r), deadline);
		ck_assert_uint_lt(reactor_clock() - t0, 30 * REACTOR_NS_PER_S);
		ck_assert(reactor_timer_pending(&far.t));
	}

	/* A deadline beyond the wait allowed: the wait ends first. */
	nfired = 0;
	t0 = reactor_clock();
	ck_assert_int_eq(reactor_run_once(r, 20 * REACTOR_NS_PER_MS), 0);
	ck_assert_uint_ge(reactor_now(r), t0 + 20 * REACTOR_NS_PER_MS);
	ck_assert_uint_eq(nfired, 0);
	ck_assert(reactor_timer_pending(&far.t));
	reactor_free(r);
}
END_TEST

START_TEST(timer_reserve)
{
	enum { N = 1000 };
	static struct ttimer t[N + 1];
	struct reactor *r = new_reactor(8);
	uint64_t later = reactor_clock() + HOUR;
	unsigned failed = 0, calls;
	int rc_extra, err_extra = 0, rc_rearm;

	for (unsigned i = 0; i <= N; i++)
		ttimer_init(&t[i], r, (int)i);
	ck_assert_int_eq(reactor_timer_reserve(r, N), 0);
	/*
	 * No allocation may succeed from here on; no ck_assert() until it
	 * is allowed again (Check itself may allocate).
	 */
	realloc_calls = 0;
	realloc_fails = true;
	for (unsigned i = 0; i < N; i++)
		if (reactor_timer_start(r, &t[i].t, later + i) != 0)
			failed++;
	/* Re-arming an armed timer with the heap full needs nothing. */
	rc_rearm = reactor_timer_start(r, &t[0].t, later + N);
	/* One more than reserved: the heap must grow, and cannot. */
	errno = 0;
	rc_extra = reactor_timer_start(r, &t[N].t, later);
	if (rc_extra != 0)
		err_extra = errno;
	calls = realloc_calls;
	realloc_fails = false;

	ck_assert_uint_eq(failed, 0);
	ck_assert_int_eq(rc_rearm, 0);
	ck_assert_int_eq(rc_extra, -1);
	ck_assert_int_eq(err_extra, ENOMEM);
	ck_assert_uint_eq(calls, 1);
	ck_assert(!reactor_timer_pending(&t[N].t));
	/* Allowed again: it grows. */
	ck_assert_int_eq(reactor_timer_start(r, &t[N].t, later), 0);
	for (unsigned i = 0; i <= N; i++)
		ck_assert(reactor_timer_pending(&t[i].t));
	reactor_free(r);
}
END_TEST

/* --- descriptors -------------------------------------------------------- */

enum tio_action {
	ACT_NONE,
	ACT_DEL,		/* reactor_io_del() the other */
	ACT_FORGET_CLOSE,	/* forget the other, close its fd */
	ACT_RENEW,		/* forget the other and renew it at once */
	ACT_REPLACE,		/* del, close, add the other on a new fd */
	ACT_READ,		/* drain the descriptor */
};

struct tio {
	struct reactor_io io;
	struct reactor *r;
	int hits;
	uint32_t revents;		/* of the last call */
	enum tio_action act;
	struct tio *other;
	int new_fd;			/* for ACT_REPLACE */
};

static struct tio *
tio_of(struct reactor_io *io)
{
	return (struct tio *)((char *)io - offsetof(struct tio, io));
}

static void
on_io(struct reactor_io *io, uint32_t revents)
{
	struct tio *t = tio_of(io);
	struct tio *o = t->other;
	char buf[64];

	t->hits++;
	t->revents = revents;
	if (o == NULL)
		return;
	switch (t->act) {
	case ACT_NONE:
		break;
	case ACT_DEL:
		ck_assert_int_eq(reactor_io_del(t->r, &o->io), 0);
		break;
	case ACT_FORGET_CLOSE:
		reactor_io_forget(&o->io);
		ck_assert_int_eq(close(o->io.fd), 0);
		o->io.fd = -1;
		break;
	case ACT_RENEW:
		reactor_io_forget(&o->io);
		reactor_io_renew(t->r, &o->io, EPOLLIN);
		break;
	case ACT_REPLACE:
		ck_assert_int_eq(reactor_io_del(t->r, &o->io), 0);
		ck_assert_int_eq(close(o->io.fd), 0);
		ck_assert_int_eq(reactor_io_add(t->r, &o->io, t->new_fd,
		    EPOLLIN, on_io), 0);
		break;
	case ACT_READ:
		while (read(io->fd, buf, sizeof(buf)) > 0)
			;
		break;
	}
	/* Only the first of a pair acts: the other must not run at all. */
	o->other = NULL;
	t->other = NULL;
}

static void
tio_init(struct tio *t, struct reactor *r)
{
	memset(t, 0, sizeof(*t));
	t->r = r;
	t->new_fd = -1;
}

/* A non-blocking pipe; with a byte in it when full is set. */
static void
make_pipe(int p[2], bool full)
{
	ck_assert_int_eq(pipe(p), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(fcntl(p[i], F_SETFL, O_NONBLOCK), 0);
		ck_assert_int_eq(fcntl(p[i], F_SETFD, FD_CLOEXEC), 0);
	}
	if (full)
		ck_assert_int_eq(write(p[1], "x", 1), 1);
}

START_TEST(io_readable)
{
	struct reactor *r = new_reactor(8);
	struct tio a;
	int p[2];
	char c;

	make_pipe(p, false);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(a.io.events, EPOLLIN);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(a.hits, 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(a.hits, 1);
	ck_assert_uint_eq(a.revents, EPOLLIN);
	/* Level-triggered: still readable, delivered again. */
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(a.hits, 2);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(a.hits, 2);
	/* Data arriving during the wait ends it. */
	{
		struct ttimer w;
		uint64_t t0 = reactor_clock();

		ttimer_init(&w, r, 0);
		ck_assert_int_eq(write(p[1], "y", 1), 1);
		ck_assert_int_eq(reactor_timer_start(r, &w.t, t0 + HOUR), 0);
		ck_assert_int_eq(reactor_run_once(r, 30 * REACTOR_NS_PER_S), 1);
		ck_assert_int_eq(a.hits, 3);
		ck_assert_uint_lt(reactor_clock() - t0,
		    30 * REACTOR_NS_PER_S);
		reactor_timer_stop(r, &w.t);
	}
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	close(p[0]);
	close(p[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_writable)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b;
	int s[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, s), 0);
	tio_init(&a, r);
	tio_init(&b, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, s[0], EPOLLOUT, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_uint_eq(a.revents, EPOLLOUT);
	/* Both asked, both ready. */
	ck_assert_int_eq(reactor_io_add(r, &b.io, s[1], EPOLLIN | EPOLLOUT,
	    on_io), 0);
	ck_assert_int_eq(write(s[0], "x", 1), 1);
	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	ck_assert_int_eq(a.hits, 2);
	ck_assert_uint_eq(a.revents, EPOLLOUT);
	ck_assert_int_eq(b.hits, 1);
	ck_assert_uint_eq(b.revents, EPOLLIN | EPOLLOUT);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_int_eq(reactor_io_del(r, &b.io), 0);
	close(s[0]);
	close(s[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_hangup)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b;
	int p[2], s[2];

	/* The writer of a pipe goes: EPOLLHUP, never asked for. */
	make_pipe(p, false);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	close(p[1]);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert(a.revents & EPOLLHUP);
	ck_assert(!(a.revents & EPOLLERR));

	/* A socket's peer goes. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, s), 0);
	tio_init(&b, r);
	ck_assert_int_eq(reactor_io_add(r, &b.io, s[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	close(s[1]);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(b.hits, 1);
	ck_assert(b.revents & EPOLLHUP);
	ck_assert_int_eq(reactor_io_del(r, &b.io), 0);
	close(p[0]);
	close(s[0]);
	reactor_free(r);
}
END_TEST

START_TEST(io_error)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b;
	int p[2], q[2];

	/* The reader of a pipe goes: its writer gets EPOLLERR. */
	make_pipe(p, false);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[1], EPOLLOUT, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_uint_eq(a.revents, EPOLLOUT);
	close(p[0]);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert(a.revents & EPOLLERR);

	/* Even registered for what a writer never is (readable). */
	make_pipe(q, false);
	tio_init(&b, r);
	ck_assert_int_eq(reactor_io_add(r, &b.io, q[1], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	close(q[0]);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(b.hits, 1);
	ck_assert_uint_eq(b.revents, EPOLLERR);
	ck_assert_int_eq(reactor_io_del(r, &b.io), 0);
	close(p[1]);
	close(q[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_mod)
{
	struct reactor *r = new_reactor(8);
	struct tio a;
	int s[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, s), 0);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, s[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(reactor_io_mod(r, &a.io, EPOLLOUT), 0);
	ck_assert_uint_eq(a.io.events, EPOLLOUT);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_uint_eq(a.revents, EPOLLOUT);
	/* Back to readable: silent until the peer writes. */
	ck_assert_int_eq(reactor_io_mod(r, &a.io, EPOLLIN), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(write(s[1], "x", 1), 1);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(a.hits, 2);
	ck_assert_uint_eq(a.revents, EPOLLIN);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	/* Modifying what is not registered fails, and says why. */
	errno = 0;
	ck_assert_int_eq(reactor_io_mod(r, &a.io, EPOLLIN), -1);
	ck_assert_int_eq(errno, ENOENT);
	close(s[0]);
	close(s[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_del)
{
	struct reactor *r = new_reactor(8);
	struct tio a;
	int p[2];

	make_pipe(p, true);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_uint_eq(a.io.events, 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(a.hits, 0);
	/* Twice is harmless, and needs no registration. */
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	/* Out of the epoll set for real: it can be added again. */
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(a.hits, 1);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	close(p[0]);
	close(p[1]);
	reactor_free(r);
}
END_TEST

/*
 * Two descriptors ready in one round; whichever callback epoll orders
 * first acts on the other (act), whose collected event must be dropped.
 * Returns the one that ran.
 */
static struct tio *
pair_round(struct reactor *r, struct tio *a, struct tio *b, int pa[2],
    int pb[2], enum tio_action act)
{
	make_pipe(pa, true);
	make_pipe(pb, true);
	tio_init(a, r);
	tio_init(b, r);
	a->act = b->act = act;
	a->other = b;
	b->other = a;
	ck_assert_int_eq(reactor_io_add(r, &a->io, pa[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_io_add(r, &b->io, pb[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(a->hits + b->hits, 1);
	return a->hits == 1 ? a : b;
}

START_TEST(io_del_during_dispatch)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b, *first, *second;
	int pa[2], pb[2];

	first = pair_round(r, &a, &b, pa, pb, ACT_DEL);
	second = first == &a ? &b : &a;
	ck_assert_int_eq(second->hits, 0);
	ck_assert_uint_eq(second->io.events, 0);
	/* Gone for good, though still readable. */
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(first->hits, 2);
	ck_assert_int_eq(second->hits, 0);
	ck_assert_int_eq(reactor_io_del(r, &first->io), 0);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_forget_close_during_dispatch)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b, *first, *second;
	int pa[2], pb[2];

	first = pair_round(r, &a, &b, pa, pb, ACT_FORGET_CLOSE);
	second = first == &a ? &b : &a;
	ck_assert_int_eq(second->hits, 0);
	ck_assert_int_eq(second->io.fd, -1);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(second->hits, 0);
	ck_assert_int_eq(reactor_io_del(r, &first->io), 0);
	close(first->io.fd);
	close(pa[1]);
	close(pb[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_forget_then_close)
{
	struct reactor *r = new_reactor(8);
	struct tio a, c;
	int p[2], q[2];

	make_pipe(p, true);
	tio_init(&a, r);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	/* Forgotten but open and readable: still nothing dispatched. */
	reactor_io_forget(&a.io);
	ck_assert_uint_eq(a.io.events, 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(a.hits, 0);
	/* Closed: close() took it out of the epoll set. */
	close(p[0]);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	ck_assert_int_eq(a.hits, 0);
	/* The number comes back for a new descriptor, which works. */
	make_pipe(q, true);
	ck_assert_int_eq(q[0], p[0]);
	tio_init(&c, r);
	ck_assert_int_eq(reactor_io_add(r, &c.io, q[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(c.hits, 1);
	ck_assert_int_eq(a.hits, 0);
	ck_assert_int_eq(reactor_io_del(r, &c.io), 0);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_renew)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b, *first, *second;
	int pa[2], pb[2], p[2];
	struct tio c;

	/* Between rounds: the next round delivers to the new life. */
	make_pipe(p, true);
	tio_init(&c, r);
	ck_assert_int_eq(reactor_io_add(r, &c.io, p[0], EPOLLIN, on_io), 0);
	reactor_io_forget(&c.io);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	reactor_io_renew(r, &c.io, EPOLLIN);
	ck_assert_uint_eq(c.io.events, EPOLLIN);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	ck_assert_int_eq(c.hits, 1);
	ck_assert_int_eq(reactor_io_del(r, &c.io), 0);
	close(p[0]);
	close(p[1]);

	/* During a round: what was gathered before is not delivered. */
	first = pair_round(r, &a, &b, pa, pb, ACT_RENEW);
	second = first == &a ? &b : &a;
	ck_assert_int_eq(second->hits, 0);
	ck_assert_uint_eq(second->io.events, EPOLLIN);
	/* The next round is the new life's. */
	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	ck_assert_int_eq(second->hits, 1);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_int_eq(reactor_io_del(r, &b.io), 0);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	reactor_free(r);
}
END_TEST

START_TEST(io_added_during_round)
{
	struct reactor *r = new_reactor(8);
	struct tio a, b, *first, *second;
	int pa[2], pb[2], pn[2];

	/*
	 * The first callback closes the other's descriptor and registers the
	 * same struct on a new, readable one: the event collected for the
	 * old life is not the new one's.
	 */
	make_pipe(pn, true);
	make_pipe(pa, true);
	make_pipe(pb, true);
	tio_init(&a, r);
	tio_init(&b, r);
	a.act = b.act = ACT_REPLACE;
	a.other = &b;
	b.other = &a;
	a.new_fd = b.new_fd = pn[0];
	ck_assert_int_eq(reactor_io_add(r, &a.io, pa[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_io_add(r, &b.io, pb[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	first = a.hits == 1 ? &a : &b;
	second = first == &a ? &b : &a;
	ck_assert_int_eq(first->hits, 1);
	ck_assert_int_eq(second->hits, 0);
	ck_assert_int_eq(second->io.fd, pn[0]);
	/* Its first event is of the new descriptor, in the next round. */
	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	ck_assert_int_eq(second->hits, 1);
	ck_assert_uint_eq(second->revents, EPOLLIN);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	ck_assert_int_eq(reactor_io_del(r, &b.io), 0);
	/* The other's first descriptor was closed by the callback. */
	close(first->io.fd);
	close(pn[0]);
	close(pa[1]);
	close(pb[1]);
	close(pn[1]);
	reactor_free(r);
}
END_TEST

/* More ready than max_events: a round takes that many, none lost. */
START_TEST(io_max_events)
{
	struct reactor *r = new_reactor(0);
	struct tio t[3];
	int p[3][2];

	for (int i = 0; i < 3; i++) {
		make_pipe(p[i], true);
		tio_init(&t[i], r);
		t[i].act = ACT_READ;
		t[i].other = &t[i];
		ck_assert_int_eq(reactor_io_add(r, &t[i].io, p[i][0], EPOLLIN,
		    on_io), 0);
	}
	for (int round = 0; round < 3; round++)
		ck_assert_int_eq(reactor_run_once(r, 0), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(t[i].hits, 1);
	ck_assert_int_eq(reactor_run_once(r, 0), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(reactor_io_del(r, &t[i].io), 0);
		close(p[i][0]);
		close(p[i][1]);
	}
	reactor_free(r);
}
END_TEST

/* Descriptors and timers in one round: both run, and are counted. */
START_TEST(io_and_timers)
{
	struct reactor *r = new_reactor(8);
	struct tio a;
	struct ttimer x, y;
	int p[2];

	make_pipe(p, true);
	tio_init(&a, r);
	ttimer_init(&x, r, 0);
	ttimer_init(&y, r, 1);
	ck_assert_int_eq(reactor_io_add(r, &a.io, p[0], EPOLLIN, on_io), 0);
	ck_assert_int_eq(reactor_timer_start(r, &x.t, 0), 0);
	ck_assert_int_eq(reactor_timer_start(r, &y.t, reactor_clock() + HOUR),
	    0);
	ck_assert_int_eq(reactor_run_once(r, 0), 2);
	ck_assert_int_eq(a.hits, 1);
	ck_assert_uint_eq(nfired, 1);
	ck_assert_int_eq(reactor_io_del(r, &a.io), 0);
	close(p[0]);
	close(p[1]);
	reactor_free(r);
}
END_TEST

static void
on_signal(int sig)
{
	(void)sig;
}

/* A signal ends the wait: -1 with EINTR, and the reactor goes on. */
START_TEST(interrupted_wait)
{
	struct reactor *r = new_reactor(8);
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its;
	timer_t tid;
	struct ttimer x;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &sev, &tid), 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 50 * 1000 * 1000;
	ck_assert_int_eq(timer_settime(tid, 0, &its, NULL), 0);
	ttimer_init(&x, r, 0);
	ck_assert_int_eq(reactor_timer_start(r, &x.t, reactor_clock() + HOUR),
	    0);
	errno = 0;
	ck_assert_int_eq(reactor_run_once(r, 30 * REACTOR_NS_PER_S), -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_uint_eq(nfired, 0);
	timer_delete(tid);
	ck_assert_int_eq(reactor_timer_start(r, &x.t, 0), 0);
	ck_assert_int_eq(reactor_run_once(r, 0), 1);
	reactor_free(r);
}
END_TEST

static Suite *
reactor_suite(void)
{
	Suite *s = suite_create("reactor");
	TCase *timers = tcase_create("timers");
	TCase *io = tcase_create("io");

	tcase_add_test(timers, timer_deadline_order);
	tcase_add_test(timers, timer_fifo_equal_deadlines);
	tcase_add_test(timers, timer_stop);
	tcase_add_test(timers, timer_rearm);
	tcase_add_test(timers, timer_from_callback);
	tcase_add_test(timers, timer_past_fires_next_round);
	tcase_add_test(timers, timer_cuts_wait_short);
	tcase_add_test(timers, timer_reserve);
	tcase_add_test(timers, interrupted_wait);
	tcase_set_timeout(timers, 60);
	suite_add_tcase(s, timers);
	tcase_add_test(io, io_readable);
	tcase_add_test(io, io_writable);
	tcase_add_test(io, io_hangup);
	tcase_add_test(io, io_error);
	tcase_add_test(io, io_mod);
	tcase_add_test(io, io_del);
	tcase_add_test(io, io_del_during_dispatch);
	tcase_add_test(io, io_forget_close_during_dispatch);
	tcase_add_test(io, io_forget_then_close);
	tcase_add_test(io, io_renew);
	tcase_add_test(io, io_added_during_round);
	tcase_add_test(io, io_max_events);
	tcase_add_test(io, io_and_timers);
	tcase_set_timeout(io, 60);
	suite_add_tcase(s, io);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reactor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
