/*
 * PTR names while a scan runs; see rdns.h.
 *
 * Between the threads: a queue under a mutex of its own, and an eventfd in
 * the resolver's reactor.  An ask appends to the queue and, when the
 * queue was empty, writes the eventfd; the reactor's thread swaps the
 * queue for an empty one and submits what it took.  The mutex is never
 * held while c-ares runs, nor while the sink does (the sink takes the
 * hub's lock, under which asks come): no lock is ever taken inside the
 * other.
 *
 * Every query in flight has a small record of its own (the host it is
 * for) on a list, so that rdns_free() frees those whose answer never
 * came: dns_free() drops them without a callback.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "trawl/dns.h"
#include "trawl/rdns.h"
#include "trawl/reactor.h"
#include "trawl/vec.h"

/* How long rdns_wait() sleeps at most before it looks at *stop again. */
#define WAIT_SLICE_NS (200 * REACTOR_NS_PER_MS)

struct ask {
	uint64_t host;
	int family;
	target_u128 addr;
};

struct query {
	struct query *prev, *next;
	struct rdns *rd;
	uint64_t host;
};

struct rdns {
	struct reactor *r;
	struct dns *dns;
	struct rdns_sink sink;
	struct reactor_io io;
	int efd;

	pthread_mutex_t lock;		/* over the queue and asked */
	struct ask *queue;
	size_t nqueue, qcap;
	uint64_t asked;

	/* The reactor's thread only. */
	struct ask *taken;
	size_t ntaken, tcap;
	uint64_t answered;
	struct query *inflight;
};

static void
on_answer(void *ctx, const struct dns_answer *a)
{
	struct query *q = ctx;
	struct rdns *rd = q->rd;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		rd->inflight = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	rd->answered++;
	rd->sink.answer(rd->sink.ctx, q->host, a->status == DNS_RESOLVED ?
	    a->ptr : NULL);
	free(q);
}

static void
submit(struct rdns *rd, const struct ask *a)
{
	struct query *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		/* No memory for the query: no name, as for any failure. */
		rd->answered++;
		rd->sink.answer(rd->sink.ctx, a->host, NULL);
		return;
	}
	q->rd = rd;
	q->host = a->host;
	/* On the list first: the answer may come from inside the call. */
	q->next = rd->inflight;
	if (rd->inflight != NULL)
		rd->inflight->prev = q;
	rd->inflight = q;
	if (dns_submit_ptr(rd->dns, a->family, a->addr, on_answer, q) != 0) {
		struct dns_answer none = { .status = DNS_FAILED };

		on_answer(q, &none);
	}
}

static void
on_wake(struct reactor_io *io, uint32_t revents)
{
	struct rdns *rd = (struct rdns *)((char *)io -
	    offsetof(struct rdns, io));
	uint64_t n;
	struct ask *t;
	size_t cap;

	(void)revents;
	/* Reset it before taking the queue: an ask after this wakes us. */
	if (read(rd->efd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&rd->lock);
	t = rd->taken;
	cap = rd->tcap;
	rd->taken = rd->queue;
	rd->tcap = rd->qcap;
	rd->ntaken = rd->nqueue;
	rd->queue = t;
	rd->qcap = cap;
	rd->nqueue = 0;
	pthread_mutex_unlock(&rd->lock);
	for (size_t i = 0; i < rd->ntaken; i++)
		submit(rd, &rd->taken[i]);
	rd->ntaken = 0;
}

struct rdns *
rdns_new(struct reactor *r, struct dns *d, const struct rdns_sink *sink)
{
	struct rdns *rd = calloc(1, sizeof(*rd));
	int saved;

	if (rd == NULL)
		return NULL;
	rd->r = r;
	rd->dns = d;
	rd->sink = *sink;
	if (pthread_mutex_init(&rd->lock, NULL) != 0) {
		free(rd);
		errno = ENOMEM;
		return NULL;
	}
	rd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rd->efd == -1 ||
	    reactor_io_add(r, &rd->io, rd->efd, EPOLLIN, on_wake) == -1) {
		saved = errno;
		if (rd->efd != -1)
			close(rd->efd);
		pthread_mutex_destroy(&rd->lock);
		free(rd);
		errno = saved;
		return NULL;
	}
	return rd;
}

int
rdns_ask(struct rdns *rd, uint64_t host, int family, target_u128 addr)
{
	static const uint64_t one = 1;
	struct ask *a;
	bool wake;

	pthread_mutex_lock(&rd->lock);
	if ((a = VEC_PUSH(rd->queue, rd->nqueue, rd->qcap)) == NULL) {
		pthread_mutex_unlock(&rd->lock);
		errno = ENOMEM;
		return -1;
	}
	a->host = host;
	a->family = family;
	a->addr = addr;
	rd->asked++;
	wake = rd->nqueue == 1;
	pthread_mutex_unlock(&rd->lock);
	if (wake && write(rd->efd, &one, sizeof(one)) == -1) {
		/*
		 * EAGAIN: the counter is full, so a wake is pending, and
		 * one is as good as many.
		 */
	}
	return 0;
}

size_t
rdns_pending(struct rdns *rd)
{
	uint64_t asked;

	pthread_mutex_lock(&rd->lock);
	asked = rd->asked;
	pthread_mutex_unlock(&rd->lock);
	return (size_t)(asked - rd->answered);
}

int
rdns_wait(struct rdns *rd, const volatile sig_atomic_t *stop)
{
	while (rdns_pending(rd) > 0) {
		if (stop != NULL && *stop != 0)
			return -1;
		if (reactor_run_once(rd->r, WAIT_SLICE_NS) == -1 &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}

void
rdns_free(struct rdns *rd)
{
	if (rd == NULL)
		return;
	reactor_io_del(rd->r, &rd->io);
	close(rd->efd);
	while (rd->inflight != NULL) {
		struct query *q = rd->inflight;

		rd->inflight = q->next;
		free(q);
	}
	free(rd->queue);
	free(rd->taken);
	pthread_mutex_destroy(&rd->lock);
	free(rd);
}
