/*
 * Growable arrays.  An array is three variables of its owner's, the
 * pointer, its length and its capacity, so that it keeps its element type
 * and lives in any struct; vec_reserve() grows it by doubling, which makes
 * appending amortised O(1).
 *
 *	struct item *items = NULL;
 *	size_t n = 0, cap = 0;
 *	struct item *it = VEC_PUSH(items, n, cap);
 *	if (it == NULL)
 *		... out of memory, items unchanged ...
 */
#ifndef TRAWL_VEC_H
#define TRAWL_VEC_H

#include <stddef.h>

/* The first capacity an array gets. */
#define VEC_FIRST 16

/*
 * Room for need elements of size bytes in the array whose pointer is at
 * vp (a T **) and whose capacity is *cap.  0, or -1 with errno ENOMEM and
 * the array as it was.
 */
int vec_reserve(void *vp, size_t *cap, size_t need, size_t size);

/* Append one element: a pointer to it (uninitialised), or NULL. */
#define VEC_PUSH(v, n, cap)						\
	(vec_reserve(&(v), &(cap), (n) + 1, sizeof(*(v))) == 0 ?	\
	    &(v)[(n)++] : NULL)

#endif
