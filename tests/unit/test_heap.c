/*
 * Deadline heap tests.
 *
 * The main test drives the heap with a long random mix of pushes, cancels
 * and pops and checks every step against a plain sorted array of
 * (key, insertion order) pairs.  Keys come from a small range so that ties
 * are the common case: FIFO among equal deadlines is what the engine relies
 * on for fairness, and it is the part a heap gets wrong most easily.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/heap.h"

/* Assertions in hot loops: ck_assert() records a mark point per call. */
#define CHECK(cond, ...) do {				\
	if (!(cond))					\
		ck_abort_msg(__VA_ARGS__);		\
} while (0)

struct owner {
	struct heap_node node;
	unsigned id;
};

/* The node's owner, the way the engine gets back from heap_pop(). */
static struct owner *
owner_of(struct heap_node *n)
{
	return (struct owner *)((char *)n - offsetof(struct owner, node));
}

static uint64_t
rng_next(uint64_t *s)
{
	/* splitmix64: any seed, including 0, gives a full-period stream. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The reference: queued ids sorted by (key, order of the push). */
struct ref_entry {
	uint64_t key, order;
	unsigned id;
};

struct ref {
	struct ref_entry *v;
	size_t n;
};

static bool
ref_less(const struct ref_entry *a, const struct ref_entry *b)
{
	return a->key != b->key ? a->key < b->key : a->order < b->order;
}

static void
ref_insert(struct ref *r, struct ref_entry e)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ref_less(&r->v[mid], &e))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&r->v[lo + 1], &r->v[lo], (r->n - lo) * sizeof(*r->v));
	r->v[lo] = e;
	r->n++;
}

static void
ref_erase_id(struct ref *r, unsigned id)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].id == id) {
			memmove(&r->v[i], &r->v[i + 1],
			    (r->n - i - 1) * sizeof(*r->v));
			r->n--;
			return;
		}
	}
	ck_abort_msg("id %u not in the reference", id);
}

#define POOL 600
#define OPS 20000

static void
random_run(uint64_t seed, uint64_t keyspace)
{
	static struct owner pool[POOL];
	static struct ref_entry refv[POOL];
	struct ref ref = { refv, 0 };
	struct heap *h = heap_new(0);
	uint64_t rng = seed, order = 0;
	unsigned pushes = 0, removes = 0, pops = 0;

	ck_assert_ptr_nonnull(h);
	for (unsigned i = 0; i < POOL; i++) {
		heap_node_init(&pool[i].node);
		pool[i].id = i;
	}
	for (unsigned op = 0; op < OPS; op++) {
		unsigned roll = (unsigned)(rng_next(&rng) % 100);
		struct owner *o = &pool[rng_next(&rng) % POOL];

		/*
		 * Pushes of a queued node turn into cancels, which keeps a
		 * couple of hundred nodes queued: a tree several levels deep.
		 */
		if (roll < 60 && !heap_node_queued(&o->node)) {
			uint64_t key = rng_next(&rng) % keyspace;

			CHECK(heap_push(h, &o->node, key) == 0, "push failed");
			CHECK(heap_node_queued(&o->node),
			    "node not queued after push");
			CHECK(o->node.key == key, "key not stored");
			ref_insert(&ref, (struct ref_entry){ key, order++, o->id });
			pushes++;
		} else if (roll < 80) {
			/* Cancel: a queued node anywhere, or a detached one. */
			bool was = heap_node_queued(&o->node);

			heap_remove(h, &o->node);
			CHECK(!heap_node_queued(&o->node),
			    "node queued after remove");
			if (was) {
				ref_erase_id(&ref, o->id);
				removes++;
			}
		} else {
			struct heap_node *n = heap_pop(h);

			if (ref.n == 0) {
				CHECK(n == NULL, "pop of an empty heap");
			} else {
				CHECK(n != NULL, "pop returned NULL with %zu "
				    "queued", ref.n);
				CHECK(owner_of(n)->id == ref.v[0].id,
				    "seed %ju op %u: popped id %u key %ju, "
				    "expected id %u key %ju", (uintmax_t)seed,
				    op, owner_of(n)->id, (uintmax_t)n->key,
				    ref.v[0].id, (uintmax_t)ref.v[0].key);
				CHECK(!heap_node_queued(n),
				    "node queued after pop");
				ref_erase_id(&ref, ref.v[0].id);
				pops++;
			}
		}
		CHECK(heap_count(h) == ref.n, "count %zu, expected %zu",
		    heap_count(h), ref.n);
		CHECK(ref.n == 0 ? heap_peek(h) == NULL :
		    owner_of(heap_peek(h))->id == ref.v[0].id, "wrong peek");
	}
	/* Every node agrees with the reference about being queued. */
	for (unsigned i = 0; i < POOL; i++) {
		bool in_ref = false;

		for (size_t k = 0; k < ref.n; k++)
			in_ref |= ref.v[k].id == i;
		CHECK(heap_node_queued(&pool[i].node) == in_ref,
		    "node %u: queued %d, reference %d", i,
		    heap_node_queued(&pool[i].node), in_ref);
	}
	/* Drain: the rest must come out in exactly the reference order. */
	for (size_t k = 0; k < ref.n; k++) {
		struct heap_node *n = heap_pop(h);

		CHECK(n != NULL && owner_of(n)->id == ref.v[k].id,
		    "drain %zu: wrong node", k);
	}
	ck_assert_ptr_null(heap_pop(h));
	ck_assert_uint_eq(heap_count(h), 0);
	/* The mix must really have exercised all three operations. */
	ck_assert_uint_gt(pushes, OPS / 4);
	ck_assert_uint_gt(removes, OPS / 20);
	ck_assert_uint_gt(pops, OPS / 20);
	heap_free(h);
}

static const uint64_t seeds[] = { 1, 2, 42, 0xdeadbeef, 20260801 };

START_TEST(random_ties)
{
	/* 16 distinct keys for up to 600 nodes: ties everywhere. */
	random_run(seeds[_i], 16);
}
END_TEST

START_TEST(random_wide)
{
	random_run(seeds[_i] ^ 0x5555, UINT64_MAX);
}
END_TEST

START_TEST(fifo_equal_keys)
{
	struct owner o[200];
	struct heap *h = heap_new(4);

	ck_assert_ptr_nonnull(h);
	/* Even ids get key 7, odd ids key 3, pushed interleaved. */
	for (unsigned i = 0; i < 200; i++) {
		heap_node_init(&o[i].node);
		o[i].id = i;
		ck_assert_int_eq(heap_push(h, &o[i].node, i % 2 ? 3 : 7), 0);
	}
	/* Cancel a few from the middle; the others keep their order. */
	heap_remove(h, &o[51].node);
	heap_remove(h, &o[100].node);
	heap_remove(h, &o[199].node);
	ck_assert_uint_eq(heap_count(h), 197);
	for (unsigned i = 1; i < 200; i += 2) {
		struct heap_node *n;

		if (i == 51 || i == 199)
			continue;
		n = heap_pop(h);
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(owner_of(n)->id, i);
		ck_assert_uint_eq(n->key, 3);
	}
	/* A node pushed again goes behind the equal keys already queued. */
	ck_assert_int_eq(heap_push(h, &o[51].node, 7), 0);
	for (unsigned i = 0; i < 200; i += 2) {
		if (i == 100)
			continue;
		ck_assert_uint_eq(owner_of(heap_pop(h))->id, i);
	}
	ck_assert_uint_eq(owner_of(heap_pop(h))->id, 51);
	ck_assert_ptr_null(heap_pop(h));
	heap_free(h);
}
END_TEST

START_TEST(queued_flag)
{
	struct heap *h = heap_new(0);
	struct heap_node a, b, c;

	ck_assert_ptr_nonnull(h);
	heap_node_init(&a);
	heap_node_init(&b);
	heap_node_init(&c);
	ck_assert(!heap_node_queued(&a));
	ck_assert_ptr_null(heap_peek(h));
	ck_assert_ptr_null(heap_pop(h));

	ck_assert_int_eq(heap_push(h, &a, 30), 0);
	ck_assert_int_eq(heap_push(h, &b, 10), 0);
	ck_assert_int_eq(heap_push(h, &c, 20), 0);
	ck_assert(heap_node_queued(&a));
	ck_assert(heap_node_queued(&b));
	ck_assert(heap_node_queued(&c));
	ck_assert_ptr_eq(heap_peek(h), &b);
	/* Peek does not take the node out. */
	ck_assert(heap_node_queued(&b));
	ck_assert_uint_eq(heap_count(h), 3);

	/* Cancel the top: the next deadline moves up. */
	heap_remove(h, &b);
	ck_assert(!heap_node_queued(&b));
	ck_assert_uint_eq(heap_count(h), 2);
	ck_assert_ptr_eq(heap_peek(h), &c);

	/* Removing a detached node, twice, changes nothing. */
	heap_remove(h, &b);
	heap_remove(h, &b);
	ck_assert_uint_eq(heap_count(h), 2);
	ck_assert_ptr_eq(heap_peek(h), &c);

	ck_assert_ptr_eq(heap_pop(h), &c);
	ck_assert(!heap_node_queued(&c));
	ck_assert(heap_node_queued(&a));
	/* A popped node can be pushed again. */
	ck_assert_int_eq(heap_push(h, &c, 40), 0);
	ck_assert(heap_node_queued(&c));
	ck_assert_ptr_eq(heap_pop(h), &a);
	ck_assert_ptr_eq(heap_pop(h), &c);
	ck_assert_ptr_null(heap_pop(h));
	ck_assert_uint_eq(heap_count(h), 0);
	heap_free(h);
}
END_TEST

START_TEST(remove_last_slot)
{
	struct heap *h = heap_new(0);
	struct heap_node n[8];

	ck_assert_ptr_nonnull(h);
	for (unsigned i = 0; i < 8; i++) {
		heap_node_init(&n[i]);
		ck_assert_int_eq(heap_push(h, &n[i], i), 0);
	}
	/* Keys in push order: node 7 sits in the last array slot. */
	ck_assert_uint_eq(n[7].idx, 7);
	heap_remove(h, &n[7]);
	ck_assert(!heap_node_queued(&n[7]));
	/* A hole in the middle, refilled from the end. */
	heap_remove(h, &n[3]);
	for (unsigned i = 0; i < 7; i++) {
		if (i == 3)
			continue;
		ck_assert_ptr_eq(heap_pop(h), &n[i]);
	}
	ck_assert_ptr_null(heap_pop(h));
	heap_free(h);
}
END_TEST

START_TEST(sift_up_after_remove)
{
	/*
	 * Layout where the last element is smaller than the removed node's
	 * parent: keys 0, 100, 1, 101, 102, 2, 3 ... removing 101 (index 3,
	 * parent 100) moves the last element (small) into index 3.
	 */
	struct heap *h = heap_new(0);
	struct heap_node n[7];
	const uint64_t keys[7] = { 0, 100, 1, 101, 102, 2, 3 };

	ck_assert_ptr_nonnull(h);
	for (unsigned i = 0; i < 7; i++) {
		heap_node_init(&n[i]);
		ck_assert_int_eq(heap_push(h, &n[i], keys[i]), 0);
	}
	ck_assert_uint_eq(n[3].idx, 3);
	ck_assert_uint_eq(n[6].idx, 6);
	heap_remove(h, &n[3]);
	ck_assert_uint_eq(heap_count(h), 6);
	{
		const unsigned want[6] = { 0, 2, 5, 6, 1, 4 };
		for (unsigned i = 0; i < 6; i++)
			ck_assert_ptr_eq(heap_pop(h), &n[want[i]]);
	}
	heap_free(h);
}
END_TEST

START_TEST(reserve)
{
	enum { N = 5000 };
	static struct heap_node n[N];
	struct heap *h = heap_new(0);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(heap_reserve(h, N), 0);
	/* Shrinking is not a thing: a smaller reserve is a no-op. */
	ck_assert_int_eq(heap_reserve(h, 10), 0);
	ck_assert_int_eq(heap_reserve(h, 0), 0);
	for (unsigned i = 0; i < N; i++) {
		heap_node_init(&n[i]);
		/* Descending keys: every push sifts to the root. */
		CHECK(heap_push(h, &n[i], N - i) == 0, "push %u", i);
	}
	ck_assert_uint_eq(heap_count(h), N);
	/* More than the reservation still works: the heap grows. */
	{
		struct heap_node extra;

		heap_node_init(&extra);
		ck_assert_int_eq(heap_push(h, &extra, 0), 0);
		ck_assert_ptr_eq(heap_pop(h), &extra);
	}
	for (unsigned i = N; i-- > 0;)
		CHECK(heap_pop(h) == &n[i], "pop %u", i);
	ck_assert_uint_eq(heap_count(h), 0);

	/* An impossible size fails cleanly and leaves the heap usable. */
	errno = 0;
	ck_assert_int_eq(heap_reserve(h, SIZE_MAX), -1);
	ck_assert_int_eq(errno, ENOMEM);
	/* The smallest count whose byte size wraps to 0: not a free(). */
	errno = 0;
	ck_assert_int_eq(heap_reserve(h, SIZE_MAX / sizeof(void *) + 1), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(heap_push(h, &n[0], 1), 0);
	ck_assert_ptr_eq(heap_pop(h), &n[0]);
	heap_free(h);

	/* heap_new() reserves as asked, and refuses what it cannot. */
	h = heap_new(100);
	ck_assert_ptr_nonnull(h);
	heap_free(h);
	ck_assert_ptr_null(heap_new(SIZE_MAX));
}
END_TEST

START_TEST(free_detaches)
{
	struct heap *h = heap_new(0);
	struct heap_node a, b;

	ck_assert_ptr_nonnull(h);
	heap_node_init(&a);
	heap_node_init(&b);
	ck_assert_int_eq(heap_push(h, &a, 1), 0);
	ck_assert_int_eq(heap_push(h, &b, 2), 0);
	/* Owners outlive the heap; they must not think they are queued. */
	heap_free(h);
	ck_assert(!heap_node_queued(&a));
	ck_assert(!heap_node_queued(&b));
	heap_free(NULL);
}
END_TEST

static Suite *
heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *tc = tcase_create("core");
	int nseeds = (int)(sizeof(seeds) / sizeof(seeds[0]));

	tcase_add_loop_test(tc, random_ties, 0, nseeds);
	tcase_add_loop_test(tc, random_wide, 0, nseeds);
	tcase_add_test(tc, fifo_equal_keys);
	tcase_add_test(tc, queued_flag);
	tcase_add_test(tc, remove_last_slot);
	tcase_add_test(tc, sift_up_after_remove);
	tcase_add_test(tc, reserve);
	tcase_add_test(tc, free_detaches);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(heap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
