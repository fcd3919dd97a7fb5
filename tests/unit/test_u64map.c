/*
 * The 64-bit map against a model: random puts, gets and deletes over keys
 * that crowd a few probe chains (consecutive and strided), so that the
 * backward shift of a delete is exercised at the chains' wrap-around too.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/u64map.h"

#define KEYS 5000

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
key_of(unsigned i)
{
	/* Half consecutive (hosts), half far apart. */
	return i % 2 ? i : (uint64_t)i << 40;
}

START_TEST(against_model)
{
	struct u64map m = { 0 };
	static uint64_t model[KEYS];
	static bool in[KEYS];
	uint64_t seed = 42 + (uint64_t)_i, *v;
	size_t len = 0;

	memset(in, 0, sizeof(in));
	for (int step = 0; step < 200000; step++) {
		unsigned k = (unsigned)(rng_next(&seed) % KEYS);
		unsigned op = (unsigned)(rng_next(&seed) % 3);

		if (op == 0) {
			v = u64map_put(&m, key_of(k));
			ck_assert_ptr_nonnull(v);
			if (!in[k]) {
				ck_assert(*v == 0);
				in[k] = true;
				len++;
			}
			*v = model[k] = rng_next(&seed);
		} else if (op == 1) {
			u64map_del(&m, key_of(k));
			if (in[k])
				len--;
			in[k] = false;
		} else {
			v = u64map_get(&m, key_of(k));
			ck_assert(in[k] ? v != NULL && *v == model[k] :
			    v == NULL);
		}
		ck_assert_uint_eq(m.len, len);
	}
	for (unsigned k = 0; k < KEYS; k++) {
		v = u64map_get(&m, key_of(k));
		ck_assert(in[k] ? v != NULL && *v == model[k] : v == NULL);
	}
	/* Never more than three quarters full. */
	ck_assert_uint_le(m.len * 4, m.cap * 3);
	u64map_free(&m);
	ck_assert_ptr_null(m.slots);
}
END_TEST

START_TEST(reserve_then_no_growth)
{
	struct u64map m = { 0 };
	struct u64map_slot *slots;

	ck_assert_ptr_null(u64map_get(&m, 7));
	u64map_del(&m, 7);
	ck_assert_int_eq(u64map_reserve(&m, 1000), 0);
	slots = m.slots;
	for (uint64_t k = 0; k < 1000; k++)
		(*u64map_put(&m, k))++;
	ck_assert_ptr_eq(m.slots, slots);
	for (uint64_t k = 0; k < 1000; k++) {
		ck_assert_uint_eq(*u64map_get(&m, k), 1);
		u64map_del(&m, k);
	}
	ck_assert_uint_eq(m.len, 0);
	for (size_t i = 0; i < m.cap; i++)
		ck_assert(m.slots[i].key == U64MAP_EMPTY);
	u64map_free(&m);
}
END_TEST

static Suite *
u64map_suite(void)
{
	Suite *s = suite_create("u64map");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, against_model, 0, 3);
	tcase_add_test(tc, reserve_then_no_growth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(u64map_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
