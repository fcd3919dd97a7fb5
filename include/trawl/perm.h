/*
 * A keyed pseudo-random permutation of [0, n) with random access: see the
 * essay at the top of src/perm.c.
 */
#ifndef TRAWL_PERM_H
#define TRAWL_PERM_H

#include <stdint.h>

#define PERM_ROUNDS 4

struct perm {
	uint64_t n;		/* the permutation is of [0, n) */
	uint64_t a, b;		/* the rectangle: a * b >= n */
	uint64_t key[PERM_ROUNDS];
};

void perm_init(struct perm *p, uint64_t n, uint64_t seed);
/* The i-th element of the order (i < n). */
uint64_t perm_apply(const struct perm *p, uint64_t i);
/* The position of v in the order: perm_invert(perm_apply(i)) == i. */
uint64_t perm_invert(const struct perm *p, uint64_t v);

#endif
