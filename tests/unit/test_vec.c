/* Growable arrays: elements kept across growth, capacity doubling, and an
 * impossible size refused with the array untouched. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "trawl/vec.h"

struct pair {
	uint64_t a;
	uint16_t b;
};

START_TEST(push_many)
{
	struct pair *v = NULL;
	size_t n = 0, cap = 0;

	for (uint64_t i = 0; i < 10000; i++) {
		struct pair *p = VEC_PUSH(v, n, cap);

		ck_assert_ptr_nonnull(p);
		p->a = i * 3;
		p->b = (uint16_t)i;
	}
	ck_assert_uint_eq(n, 10000);
	ck_assert_uint_ge(cap, n);
	/* Doubling from VEC_FIRST: a power of two times it. */
	ck_assert_uint_eq(cap % VEC_FIRST, 0);
	ck_assert_uint_eq((cap / VEC_FIRST) & (cap / VEC_FIRST - 1), 0);
	for (uint64_t i = 0; i < n; i++)
		ck_assert(v[i].a == i * 3 && v[i].b == (uint16_t)i);
	free(v);
}
END_TEST

START_TEST(reserve)
{
	const char **v = NULL;
	size_t cap = 0;

	ck_assert_int_eq(vec_reserve(&v, &cap, 0, sizeof(*v)), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(vec_reserve(&v, &cap, 17, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 32);
	v[16] = "last";
	/* Enough already: nothing moves. */
	ck_assert_int_eq(vec_reserve(&v, &cap, 20, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 32);
	ck_assert_str_eq(v[16], "last");
	/* Too large to ever fit: refused, the array as it was. */
	errno = 0;
	ck_assert_int_eq(vec_reserve(&v, &cap, SIZE_MAX / 2, 64), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(cap, 32);
	ck_assert_str_eq(v[16], "last");
	free(v);
}
END_TEST

static Suite *
vec_suite(void)
{
	Suite *s = suite_create("vec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, push_many);
	tcase_add_test(tc, reserve);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(vec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
