/*
 * Deadline heap.
 *
 * A binary min-heap in an array of node pointers, ordered by (key, seq).
 * The array holds pointers rather than nodes so that the owners (probes,
 * resolver timers) keep their storage; each node stores the slot it sits in,
 * which is what makes heap_remove() O(log n): no search, just sift the last
 * element into the hole, up or down as needed.  libevent's minheap and
 * libuv's timer heap use the same idea; libuv's sequence number tie-break is
 * kept so that deadlines set in the same nanosecond expire in FIFO order.
 */
#include <errno.h>
#include <stdlib.h>

#include "trawl/heap.h"

struct heap {
	struct heap_node **v;
	size_t n;
	size_t cap;
	uint64_t next_seq;
};

static bool
node_less(const struct heap_node *a, const struct heap_node *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->seq < b->seq;
}

static void
place(struct heap *h, size_t i, struct heap_node *n)
{
	h->v[i] = n;
	n->idx = i;
}

static void
sift_up(struct heap *h, size_t i, struct heap_node *n)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!node_less(n, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, n);
}

static void
sift_down(struct heap *h, size_t i, struct heap_node *n)
{
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && node_less(h->v[child + 1], h->v[child]))
			child++;
		if (!node_less(h->v[child], n))
			break;
		place(h, i, h->v[child]);
		i = child;
	}
	place(h, i, n);
}

struct heap *
heap_new(size_t capacity)
{
	struct heap *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if (capacity > 0 && heap_reserve(h, capacity) == -1) {
		free(h);
		return NULL;
	}
	return h;
}

void
heap_free(struct heap *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->idx = HEAP_DETACHED;
	free(h->v);
	free(h);
}

int
heap_reserve(struct heap *h, size_t n)
{
	struct heap_node **v;

	if (n <= h->cap)
		return 0;
	if (n > SIZE_MAX / sizeof(*v)) {
		errno = ENOMEM;
		return -1;
	}
	v = realloc(h->v, n * sizeof(*v));
	if (v == NULL)
		return -1;
	h->v = v;
	h->cap = n;
	return 0;
}

void
heap_node_init(struct heap_node *n)
{
	n->key = 0;
	n->seq = 0;
	n->idx = HEAP_DETACHED;
}

int
heap_push(struct heap *h, struct heap_node *n, uint64_t key)
{
	if (h->n == h->cap &&
	    heap_reserve(h, h->cap ? h->cap * 2 : 64) == -1)
		return -1;
	n->key = key;
	n->seq = h->next_seq++;
	h->n++;
	sift_up(h, h->n - 1, n);
	return 0;
}

void
heap_remove(struct heap *h, struct heap_node *n)
{
	size_t i = n->idx;
	struct heap_node *last;

	if (i == HEAP_DETACHED)
		return;
	n->idx = HEAP_DETACHED;
	last = h->v[--h->n];
	if (last == n)
		return;
	/* The hole may need the last element to move either way. */
	if (i > 0 && node_less(last, h->v[(i - 1) / 2]))
		sift_up(h, i, last);
	else
		sift_down(h, i, last);
}

struct heap_node *
heap_peek(const struct heap *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

struct heap_node *
heap_pop(struct heap *h)
{
	struct heap_node *top = heap_peek(h);

	if (top != NULL)
		heap_remove(h, top);
	return top;
}

size_t
heap_count(const struct heap *h)
{
	return h->n;
}
