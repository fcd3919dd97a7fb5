/*
 * Strict decimal parsing: every option value and port goes through here, so
 * the edges (bounds, overflow, signs, spaces, exact length) are pinned.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/num.h"

/* Parse all of s; the value, or a failure the test can see. */
static int
parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	*out = 12345;
	return num_parse(s, strlen(s), min, max, out);
}

START_TEST(in_range)
{
	uint64_t v;

	ck_assert_int_eq(parse("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse("1", 1, 1, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(parse("65535", 1, 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(parse("4294967296", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 4294967296ULL);
}
END_TEST

START_TEST(out_of_range)
{
	uint64_t v;

	ck_assert_int_eq(parse("0", 1, 10, &v), -1);
	ck_assert_int_eq(parse("11", 0, 10, &v), -1);
	ck_assert_int_eq(parse("65536", 1, 65535, &v), -1);
	/* An empty interval accepts nothing. */
	ck_assert_int_eq(parse("5", 6, 4, &v), -1);
}
END_TEST

START_TEST(uint64_edge)
{
	uint64_t v;

	ck_assert_int_eq(parse("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse("18446744073709551614", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX - 1);
	/* One more, and much more: overflow is an error, never a wrap. */
	ck_assert_int_eq(parse("18446744073709551616", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(parse("18446744073709551625", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(parse("99999999999999999999", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(parse("184467440737095516150", 0, UINT64_MAX, &v),
	    -1);
	/* Twenty digits with leading zeros is still a small number. */
	ck_assert_int_eq(parse("00000000000000000042", 0, 100, &v), 0);
	ck_assert_uint_eq(v, 42);
}
END_TEST

static const char *const junk[] = {
	"", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.0", "1,0", "1e3",
	"-0", "\t7", "7\n",
};

START_TEST(not_a_number)
{
	uint64_t v;

	ck_assert_msg(parse(junk[_i], 0, UINT64_MAX, &v) == -1,
	    "'%s' accepted as %ju", junk[_i], (uintmax_t)v);
	/* Nothing written on failure. */
	ck_assert_uint_eq(v, 12345);
}
END_TEST

START_TEST(exact_length)
{
	uint64_t v = 0;

	/* Only len bytes count: the rest of the buffer is not looked at. */
	ck_assert_int_eq(num_parse("8080-9090", 4, 0, 65535, &v), 0);
	ck_assert_uint_eq(v, 8080);
	ck_assert_int_eq(num_parse("12x", 2, 0, 100, &v), 0);
	ck_assert_uint_eq(v, 12);
	ck_assert_int_eq(num_parse("12", 0, 0, 100, &v), -1);
	ck_assert_int_eq(num_parse("1x", 2, 0, 100, &v), -1);
	/* An embedded NUL inside len is not a digit. */
	ck_assert_int_eq(num_parse("1\0002", 3, 0, 1000, &v), -1);
}
END_TEST

START_TEST(nul_terminated)
{
	uint64_t v = 0;

	ck_assert_int_eq(num_parse_str("300", 0, 300, &v), 0);
	ck_assert_uint_eq(v, 300);
	ck_assert_int_eq(num_parse_str("301", 0, 300, &v), -1);
	ck_assert_int_eq(num_parse_str("", 0, 300, &v), -1);
	ck_assert_int_eq(num_parse_str("3 ", 0, 300, &v), -1);
}
END_TEST

static Suite *
num_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, in_range);
	tcase_add_test(tc, out_of_range);
	tcase_add_test(tc, uint64_edge);
	tcase_add_loop_test(tc, not_a_number, 0,
	    (int)(sizeof(junk) / sizeof(junk[0])));
	tcase_add_test(tc, exact_length);
	tcase_add_test(tc, nul_terminated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(num_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
