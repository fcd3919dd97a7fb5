/*
 * Deadline heap: an array min-heap of caller-owned nodes.
 *
 * Each node records its own position in the array, so removing a node that
 * is not at the top (a connect that completed before its deadline) costs
 * O(log n) and allocates nothing.  Equal keys leave in insertion order.
 */
#ifndef TRAWL_HEAP_H
#define TRAWL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in the owner; the heap never allocates or frees nodes. */
struct heap_node {
	uint64_t key;	/* deadline, CLOCK_MONOTONIC nanoseconds */
	uint64_t seq;	/* insertion order, breaks ties FIFO */
	size_t idx;	/* position in the heap, HEAP_DETACHED when out */
};

#define HEAP_DETACHED SIZE_MAX

struct heap;

struct heap *heap_new(size_t capacity);
void heap_free(struct heap *h);
/* Grow the array now so that later pushes up to n elements cannot fail. */
int heap_reserve(struct heap *h, size_t n);

void heap_node_init(struct heap_node *n);
static inline bool
heap_node_queued(const struct heap_node *n)
{
	return n->idx != HEAP_DETACHED;
}

/* 0, or -1 with errno ENOMEM.  The node must not be queued already. */
int heap_push(struct heap *h, struct heap_node *n, uint64_t key);
/* Remove a queued node from wherever it is; a detached node is ignored. */
void heap_remove(struct heap *h, struct heap_node *n);
struct heap_node *heap_peek(const struct heap *h);
struct heap_node *heap_pop(struct heap *h);
size_t heap_count(const struct heap *h);

#endif
