/*
 * The reactor: one epoll set and one deadline heap, driven by one thread.
 *
 * It knows nothing of scanning.  Owners embed a struct reactor_io (a file
 * descriptor) or a struct reactor_timer (a deadline) and get a callback;
 * epoll's data.ptr points straight at the embedded struct, so there is no
 * table indexed by fd and no lookup on dispatch.
 *
 * Removing an io during dispatch is safe: events already collected for it in
 * the same round are dropped, and an io registered during a round gets no
 * event that was collected before it existed.  The owner's memory must stay
 * valid until reactor_run_once() returns.
 */
#ifndef TRAWL_REACTOR_H
#define TRAWL_REACTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "trawl/heap.h"

struct reactor;
struct reactor_io;
struct reactor_timer;

typedef void reactor_io_fn(struct reactor_io *io, uint32_t revents);
typedef void reactor_timer_fn(struct reactor_timer *t);

struct reactor_io {
	reactor_io_fn *fn;
	int fd;
	uint32_t events;	/* registered epoll mask, 0 when not registered */
	uint64_t round;		/* dispatch round it was registered in */
};

struct reactor_timer {
	struct heap_node node;
	reactor_timer_fn *fn;
};

#define REACTOR_NS_PER_MS 1000000ULL
#define REACTOR_NS_PER_S 1000000000ULL

/* NULL with errno set on failure. */
struct reactor *reactor_new(unsigned max_events);
void reactor_free(struct reactor *r);

/* 0, or -1 with errno from epoll_ctl(). */
int reactor_io_add(struct reactor *r, struct reactor_io *io, int fd,
    uint32_t events, reactor_io_fn *fn);
/*
 * reactor_io_add() for a descriptor that another io may have left in the
 * epoll set (reactor_io_forget()): it is taken over, whoever had it.
 */
int reactor_io_adopt(struct reactor *r, struct reactor_io *io, int fd,
    uint32_t events, reactor_io_fn *fn);
int reactor_io_mod(struct reactor *r, struct reactor_io *io, uint32_t events);
int reactor_io_del(struct reactor *r, struct reactor_io *io);
/*
 * Stop dispatching to io without a system call, for an owner that closes
 * the descriptor next: close() takes it out of the epoll set.
 */
void reactor_io_forget(struct reactor_io *io);
/*
 * Take io up again after reactor_io_forget() when its descriptor was not
 * closed and is still registered with events: a new life for the same
 * owner, without a system call.  Events gathered before are not delivered.
 */
void reactor_io_renew(struct reactor *r, struct reactor_io *io,
    uint32_t events);

void reactor_timer_init(struct reactor_timer *t, reactor_timer_fn *fn);
/* Arm (or re-arm) t to fire at deadline, in reactor_clock() nanoseconds. */
int reactor_timer_start(struct reactor *r, struct reactor_timer *t,
    uint64_t deadline);
void reactor_timer_stop(struct reactor *r, struct reactor_timer *t);
static inline bool
reactor_timer_pending(const struct reactor_timer *t)
{
	return heap_node_queued(&t->node);
}
/* Reserve room so that this many armed timers need no allocation. */
int reactor_timer_reserve(struct reactor *r, unsigned n);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t reactor_clock(void);
/* The time the current (or last) dispatch round started. */
uint64_t reactor_now(const struct reactor *r);

/*
 * Wait for events or the earliest deadline, but no longer than max_wait_ns,
 * then dispatch ready descriptors and expired timers.  Returns the number of
 * callbacks run, or -1 with errno when epoll_wait() fails (EINTR included,
 * so that a signal handler's flag can be looked at).
 */
int reactor_run_once(struct reactor *r, uint64_t max_wait_ns);

#endif
