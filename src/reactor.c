/*
 * The reactor, after redis's ae and foot's fdm: epoll for descriptors, the
 * deadline heap for time.  Level-triggered: a probe registers once, fires
 * once and is closed, so edge-triggering would buy nothing.
 *
 * Each dispatch round has a number.  An io registered during round k is
 * stamped k, and events gathered for round k are not delivered to it: they
 * were collected before it existed (its memory may be a reused probe slot).
 * An io removed during the round has events == 0 and is skipped.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "trawl/reactor.h"

struct reactor {
	int epfd;
	unsigned max_events;
	uint64_t round;
	uint64_t now;
	struct heap *timers;
	struct epoll_event *events;
};

uint64_t
reactor_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * REACTOR_NS_PER_S + (uint64_t)ts.tv_nsec;
}

struct reactor *
reactor_new(unsigned max_events)
{
	struct reactor *r;
	int saved;

	if (max_events == 0)
		max_events = 1;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->epfd = -1;
	r->max_events = max_events;
	r->events = calloc(max_events, sizeof(*r->events));
	r->timers = heap_new(64);
	if (r->events == NULL || r->timers == NULL)
		goto fail;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd == -1)
		goto fail;
	r->round = 1;
	r->now = reactor_clock();
	return r;
fail:
	saved = errno;
	reactor_free(r);
	errno = saved;
	return NULL;
}

void
reactor_free(struct reactor *r)
{
	if (r == NULL)
		return;
	if (r->epfd != -1)
		close(r->epfd);
	heap_free(r->timers);
	free(r->events);
	free(r);
}

static int
ctl(struct reactor *r, int op, struct reactor_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(r->epfd, op, io->fd, &ev);
}

int
reactor_io_add(struct reactor *r, struct reactor_io *io, int fd,
    uint32_t events, reactor_io_fn *fn)
{
	io->fn = fn;
	io->fd = fd;
	if (ctl(r, EPOLL_CTL_ADD, io, events) == -1) {
		io->events = 0;
		return -1;
	}
	io->events = events;
	io->round = r->round;
	return 0;
}

int
reactor_io_adopt(struct reactor *r, struct reactor_io *io, int fd,
    uint32_t events, reactor_io_fn *fn)
{
	io->fn = fn;
	io->fd = fd;
	if (ctl(r, EPOLL_CTL_ADD, io, events) == -1 &&
	    (errno != EEXIST || ctl(r, EPOLL_CTL_MOD, io, events) == -1)) {
		io->events = 0;
		return -1;
	}
	io->events = events;
	io->round = r->round;
	return 0;
}

int
reactor_io_mod(struct reactor *r, struct reactor_io *io, uint32_t events)
{
	if (ctl(r, EPOLL_CTL_MOD, io, events) == -1)
		return -1;
	io->events = events;
	return 0;
}

int
reactor_io_del(struct reactor *r, struct reactor_io *io)
{
	uint32_t was = io->events;

	io->events = 0;
	if (was == 0)
		return 0;
	return ctl(r, EPOLL_CTL_DEL, io, 0);
}

void
reactor_io_forget(struct reactor_io *io)
{
	io->events = 0;
}

void
reactor_io_renew(struct reactor *r, struct reactor_io *io, uint32_t events)
{
	io->events = events;
	io->round = r->round;
}

void
reactor_timer_init(struct reactor_timer *t, reactor_timer_fn *fn)
{
	heap_node_init(&t->node);
	t->fn = fn;
}

int
reactor_timer_start(struct reactor *r, struct reactor_timer *t,
    uint64_t deadline)
{
	heap_remove(r->timers, &t->node);
	return heap_push(r->timers, &t->node, deadline);
}

void
reactor_timer_stop(struct reactor *r, struct reactor_timer *t)
{
	heap_remove(r->timers, &t->node);
}

int
reactor_timer_reserve(struct reactor *r, unsigned n)
{
	return heap_reserve(r->timers, n);
}

uint64_t
reactor_now(const struct reactor *r)
{
	return r->now;
}

/* Milliseconds for epoll_wait(), rounded up so a deadline is never early. */
static int
wait_ms(struct reactor *r, uint64_t max_wait_ns)
{
	struct heap_node *top = heap_peek(r->timers);
	uint64_t wait = max_wait_ns, ms;

	if (top != NULL) {
		uint64_t now = reactor_clock();
		uint64_t until = top->key > now ? top->key - now : 0;
		if (until < wait)
			wait = until;
	}
	ms = (wait + REACTOR_NS_PER_MS - 1) / REACTOR_NS_PER_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int
reactor_run_once(struct reactor *r, uint64_t max_wait_ns)
{
	struct heap_node *top;
	int n, ran = 0;

	n = epoll_wait(r->epfd, r->events, (int)r->max_events,
	    wait_ms(r, max_wait_ns));
	r->now = reactor_clock();
	if (n == -1)
		return -1;
	r->round++;
	for (int i = 0; i < n; i++) {
		struct reactor_io *io = r->events[i].data.ptr;
		uint32_t revents = r->events[i].events;

		/* Removed, or registered anew, by an earlier callback. */
		if (io->events == 0 || io->round == r->round)
			continue;
		io->fn(io, revents);
		ran++;
	}
	while ((top = heap_peek(r->timers)) != NULL && top->key <= r->now) {
		struct reactor_timer *t = (struct reactor_timer *)((char *)top -
		    offsetof(struct reactor_timer, node));
		heap_remove(r->timers, top);
		t->fn(t);
		ran++;
	}
	return ran;
}
