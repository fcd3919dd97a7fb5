/*
 * A keyed pseudo-random permutation of [0, n), computed one element at a
 * time: perm_apply(i) is the i-th element of the order, for any i, with no
 * table.  This is what lets trawl visit 10^12 probes in a random order, each
 * exactly once, in constant memory, and lets shards and resumed runs agree
 * on the order without talking to each other.
 *
 * The construction.  Write n's domain as a rectangle: pick a = floor(sqrt n)
 * and b = ceil(n / a), so that a*b >= n but a*b < n + a.  A number x < a*b is
 * the pair (l, r) = (x mod a, x div a), l in Z_a, r in Z_b.  A round mixes one
 * half with a keyed hash of the other:
 *
 *	odd rounds:   l <- (l + F_k(r)) mod a
 *	even rounds:  r <- (r + F_k(l)) mod b
 *
 * Each round is a bijection of Z_a x Z_b, because it can be undone: subtract
 * the same F_k of the half it did not change.  So any number of rounds is a
 * bijection of [0, a*b).  This is a Feistel network generalised to unequal
 * halves and to arithmetic modulo a and b (the idea behind masscan's
 * BlackRock, and the classic Black-Rogaway construction); four rounds with a
 * strong mixing function F (splitmix64's finaliser, keyed per round from the
 * seed) scatter neighbouring inputs all over the range.
 *
 * The permutation is of [0, a*b), slightly larger than [0, n).  Cycle
 * walking brings it back: apply it again while the result is >= n.  Because
 * the values >= n are fewer than a, at most a tiny fraction of inputs walk,
 * and every walk ends: following the cycle through i we must come back to i,
 * which is below n.  A bijection restricted this way stays a bijection.
 *
 * zmap reaches the same goal differently, by iterating a generator of the
 * multiplicative group modulo a prime just above n; that gives a sequence,
 * not random access, and random access is what sharding, windows and resume
 * need here.
 */
#include "trawl/perm.h"

typedef unsigned __int128 u128;

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
isqrt(uint64_t n)
{
	uint64_t r = 0;

	for (int bit = 31; bit >= 0; bit--) {
		uint64_t t = r | (1ULL << bit);

		if (t * t <= n)
			r = t;
	}
	return r;
}

void
perm_init(struct perm *p, uint64_t n, uint64_t seed)
{
	uint64_t k = mix(seed ^ 0x7472617766ULL) ^ mix(n);

	p->n = n;
	p->a = n > 1 ? isqrt(n) : 1;
	p->b = n > 1 ? n / p->a + (n % p->a != 0) : 1;
	for (int i = 0; i < PERM_ROUNDS; i++) {
		k = mix(k + 0x9e3779b97f4a7c15ULL);
		p->key[i] = k;
	}
}

static uint64_t
round_f(const struct perm *p, int i, uint64_t v)
{
	return mix(v ^ p->key[i]);
}

static u128
forward(const struct perm *p, u128 x)
{
	uint64_t l = (uint64_t)(x % p->a), r = (uint64_t)(x / p->a);

	for (int i = 0; i < PERM_ROUNDS; i++) {
		if (i % 2 == 0)
			l = (uint64_t)(((u128)l + round_f(p, i, r) % p->a) %
			    p->a);
		else
			r = (uint64_t)(((u128)r + round_f(p, i, l) % p->b) %
			    p->b);
	}
	return (u128)r * p->a + l;
}

static u128
backward(const struct perm *p, u128 x)
{
	uint64_t l = (uint64_t)(x % p->a), r = (uint64_t)(x / p->a);

	for (int i = PERM_ROUNDS - 1; i >= 0; i--) {
		if (i % 2 == 0)
			l = (uint64_t)(((u128)l + p->a - round_f(p, i, r) %
			    p->a) % p->a);
		else
			r = (uint64_t)(((u128)r + p->b - round_f(p, i, l) %
			    p->b) % p->b);
	}
	return (u128)r * p->a + l;
}

uint64_t
perm_apply(const struct perm *p, uint64_t i)
{
	u128 x = i;

	if (p->n <= 1)
		return i;
	do
		x = forward(p, x);
	while (x >= p->n);
	return (uint64_t)x;
}

uint64_t
perm_invert(const struct perm *p, uint64_t v)
{
	u128 x = v;

	if (p->n <= 1)
		return v;
	do
		x = backward(p, x);
	while (x >= p->n);
	return (uint64_t)x;
}
