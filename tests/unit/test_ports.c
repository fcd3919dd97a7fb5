/*
 * Port table tests: the spec parser (what it accepts, in which order, and
 * the exact words of every rejection, since the CLI prints them as they
 * are) and the embedded top-ports ranking.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/ports.h"

#define CHECK(cond, ...) do {				\
	if (!(cond))					\
		ck_abort_msg(__VA_ARGS__);		\
} while (0)

/*
 * The head of data/top-tcp-ports.txt, copied by hand: a test that read the
 * file would agree with any ranking the generator produced.
 */
static const uint16_t top_head[] = {
	80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53,
};
#define TOP_HEAD_LEN (sizeof(top_head) / sizeof(top_head[0]))
/* Entries 99 and 100 (1-based: the 100th and the 101st) and the last. */
#define TOP_99 37
#define TOP_100 1000
#define TOP_999 2968

static struct ports *
parse_ok(const char *spec)
{
	struct ports *p = ports_new();
	char err[128] = "";

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(ports_parse(p, spec, err, sizeof(err)) == 0,
	    "'%s' rejected: %s", spec, err);
	return p;
}

static void
expect_prefix(const struct ports *p, const uint16_t *want, size_t n)
{
	ck_assert_uint_ge(ports_count(p), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(ports_at(p, i) == want[i],
		    "port %zu is %u, expected %u", i, ports_at(p, i), want[i]);
}

static void
expect_list(const struct ports *p, const uint16_t *want, size_t n)
{
	ck_assert_uint_eq(ports_count(p), n);
	expect_prefix(p, want, n);
}

/* lo..hi, ascending, starting at index `from`. */
static void
expect_run(const struct ports *p, size_t from, unsigned lo, unsigned hi)
{
	for (unsigned port = lo; port <= hi; port++) {
		size_t i = from + (port - lo);

		CHECK(ports_at(p, i) == port, "port %zu is %u, expected %u",
		    i, ports_at(p, i), port);
	}
}

START_TEST(single_and_list)
{
	struct ports *p = parse_ok("22,80,8000-8100");

	ck_assert_uint_eq(ports_count(p), 2 + 101);
	ck_assert_uint_eq(ports_at(p, 0), 22);
	ck_assert_uint_eq(ports_at(p, 1), 80);
	expect_run(p, 2, 8000, 8100);
	ports_free(p);

	p = parse_ok("443");
	expect_list(p, (const uint16_t[]){ 443 }, 1);
	ports_free(p);

	/* The order of the spec is kept; it is not sorted. */
	p = parse_ok("8080,22,1-3,65535");
	expect_list(p, (const uint16_t[]){ 8080, 22, 1, 2, 3, 65535 }, 6);
	ports_free(p);
}
END_TEST

START_TEST(bounds)
{
	struct ports *p = parse_ok("1,65535");

	expect_list(p, (const uint16_t[]){ 1, 65535 }, 2);
	ports_free(p);

	p = parse_ok("65535-65535");
	expect_list(p, (const uint16_t[]){ 65535 }, 1);
	ports_free(p);

	p = parse_ok("1-1");
	expect_list(p, (const uint16_t[]){ 1 }, 1);
	ports_free(p);
}
END_TEST

START_TEST(open_ranges)
{
	struct ports *p = parse_ok("-1024");

	ck_assert_uint_eq(ports_count(p), 1024);
	expect_run(p, 0, 1, 1024);
	ports_free(p);

	p = parse_ok("60000-");
	ck_assert_uint_eq(ports_count(p), 65535 - 60000 + 1);
	expect_run(p, 0, 60000, 65535);
	ports_free(p);

	p = parse_ok("65535-");
	expect_list(p, (const uint16_t[]){ 65535 }, 1);
	ports_free(p);

	p = parse_ok("-1");
	expect_list(p, (const uint16_t[]){ 1 }, 1);
	ports_free(p);
}
END_TEST

static const char *const all_specs[] = { "-", "all", "1-65535", "-65535",
	"1-" };

START_TEST(everything)
{
	struct ports *p = parse_ok(all_specs[_i]);

	ck_assert_uint_eq(ports_count(p), 65535);
	expect_run(p, 0, 1, 65535);
	ports_free(p);
}
END_TEST

START_TEST(duplicates_dropped)
{
	struct ports *p = parse_ok("80,22,80,22-23,21-25");

	/* First appearance wins, later ones vanish. */
	expect_list(p, (const uint16_t[]){ 80, 22, 23, 21, 24, 25 }, 6);
	ports_free(p);

	p = parse_ok("5-10,1-20");
	ck_assert_uint_eq(ports_count(p), 20);
	expect_run(p, 0, 5, 10);
	expect_run(p, 6, 1, 4);
	expect_run(p, 10, 11, 20);
	ports_free(p);
}
END_TEST

START_TEST(calls_add_up)
{
	struct ports *p = parse_ok("80");
	char err[128] = "";

	ck_assert_int_eq(ports_parse(p, "22,80", err, sizeof(err)), 0);
	ck_assert_int_eq(ports_parse(p, "443", err, sizeof(err)), 0);
	ck_assert_int_eq(ports_parse(p, "22", err, sizeof(err)), 0);
	expect_list(p, (const uint16_t[]){ 80, 22, 443 }, 3);

	/* "all" after a list adds the rest, after what is there. */
	ck_assert_int_eq(ports_parse(p, "all", err, sizeof(err)), 0);
	ck_assert_uint_eq(ports_count(p), 65535);
	ck_assert_uint_eq(ports_at(p, 3), 1);
	ck_assert_uint_eq(ports_at(p, 4), 2);
	{
		/* Every port exactly once. */
		static unsigned char seen[65536];

		for (size_t i = 0; i < ports_count(p); i++) {
			uint16_t port = ports_at(p, i);

			CHECK(port != 0 && !seen[port], "port %u twice or 0",
			    port);
			seen[port] = 1;
		}
	}
	ports_free(p);
}
END_TEST

struct bad {
	const char *spec;
	const char *msg;
};

static const struct bad bad_specs[] = {
	{ "0", "bad port '0'" },
	{ "65536", "bad port '65536'" },
	{ "99999999999999999999999", "bad port '99999999999999999999999'" },
	{ "90-80", "bad port range '90-80'" },
	{ "0-10", "bad port range '0-10'" },
	{ "10-65536", "bad port range '10-65536'" },
	{ "1-2-3", "bad port range '1-2-3'" },
	{ "--", "bad port range '--'" },
	{ "80-abc", "bad port range '80-abc'" },
	{ "", "empty port list" },
	{ "22,,80", "empty item in port list '22,,80'" },
	{ "22,", "empty item in port list '22,'" },
	{ ",22", "empty item in port list ',22'" },
	{ ",", "empty item in port list ','" },
	{ "abc", "bad port 'abc'" },
	{ "1x", "bad port '1x'" },
	{ " 22", "bad port ' 22'" },
	{ "22 ", "bad port '22 '" },
	{ "+22", "bad port '+22'" },
	{ "0x16", "bad port '0x16'" },
	{ "ALL", "bad port 'ALL'" },
	{ "all2", "bad port 'all2'" },
	/* Only the bad item is named, not the whole list. */
	{ "22,abc,80", "bad port 'abc'" },
	{ "22,80,100-99", "bad port range '100-99'" },
};

START_TEST(rejected)
{
	const struct bad *b = &bad_specs[_i];
	struct ports *p = ports_new();
	char err[128] = "";

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(ports_parse(p, b->spec, err, sizeof(err)) == -1,
	    "'%s' accepted", b->spec);
	ck_assert_str_eq(err, b->msg);
	ports_free(p);
}
END_TEST

START_TEST(message_truncated)
{
	struct ports *p = ports_new();
	char err[9];

	memset(err, 'X', sizeof(err));
	ck_assert_int_eq(ports_parse(p, "65536", err, sizeof(err)), -1);
	/* snprintf semantics: cut to fit, always terminated. */
	ck_assert_str_eq(err, "bad port");
	ports_free(p);
}
END_TEST

START_TEST(top_table)
{
	static unsigned char seen[65536];

	ck_assert_uint_eq(ports_top_table_len, PORTS_TOP_MAX);
	for (size_t i = 0; i < TOP_HEAD_LEN; i++)
		ck_assert_uint_eq(ports_top_table[i], top_head[i]);
	ck_assert_uint_eq(ports_top_table[99], TOP_99);
	ck_assert_uint_eq(ports_top_table[100], TOP_100);
	ck_assert_uint_eq(ports_top_table[999], TOP_999);
	for (size_t i = 0; i < ports_top_table_len; i++) {
		uint16_t port = ports_top_table[i];

		CHECK(port != 0 && !seen[port], "top entry %zu: port %u", i,
		    port);
		seen[port] = 1;
	}
}
END_TEST

START_TEST(top_n)
{
	struct ports *p = ports_new();
	char err[128] = "";

	ck_assert_int_eq(ports_add_top(p, 1, err, sizeof(err)), 0);
	expect_list(p, (const uint16_t[]){ 80 }, 1);
	ports_free(p);

	p = ports_new();
	ck_assert_int_eq(ports_add_top(p, 100, err, sizeof(err)), 0);
	ck_assert_uint_eq(ports_count(p), 100);
	expect_prefix(p, top_head, TOP_HEAD_LEN);
	ck_assert_uint_eq(ports_at(p, 99), TOP_99);
	ports_free(p);

	p = ports_new();
	ck_assert_int_eq(ports_add_top(p, 1000, err, sizeof(err)), 0);
	ck_assert_uint_eq(ports_count(p), 1000);
	expect_prefix(p, top_head, TOP_HEAD_LEN);
	ck_assert_uint_eq(ports_at(p, 100), TOP_100);
	ck_assert_uint_eq(ports_at(p, 999), TOP_999);
	ports_free(p);
}
END_TEST

START_TEST(top_with_list)
{
	struct ports *p = parse_ok("22,9999");
	char err[128] = "";

	/* 22 is 5th in the ranking: already there, so not added again. */
	ck_assert_int_eq(ports_add_top(p, 6, err, sizeof(err)), 0);
	expect_list(p, (const uint16_t[]){ 22, 9999, 80, 23, 443, 21, 25 },
	    7);
	/* And the other way round. */
	ck_assert_int_eq(ports_parse(p, "80,8", err, sizeof(err)), 0);
	ck_assert_uint_eq(ports_count(p), 8);
	ck_assert_uint_eq(ports_at(p, 7), 8);
	ports_free(p);
}
END_TEST

START_TEST(top_bad)
{
	struct ports *p = ports_new();
	char err[128] = "";

	ck_assert_int_eq(ports_add_top(p, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad number of top ports '0' (1-1000)");
	ck_assert_int_eq(ports_add_top(p, 1001, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad number of top ports '1001' (1-1000)");
	ck_assert_int_eq(ports_add_top(p, UINT32_MAX, err, sizeof(err)), -1);
	ck_assert_uint_eq(ports_count(p), 0);
	ports_free(p);
	ports_free(NULL);
}
END_TEST

static Suite *
ports_suite(void)
{
	Suite *s = suite_create("ports");
	TCase *tc = tcase_create("parse");
	TCase *top = tcase_create("top");

	tcase_add_test(tc, single_and_list);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, open_ranges);
	tcase_add_loop_test(tc, everything, 0,
	    (int)(sizeof(all_specs) / sizeof(all_specs[0])));
	tcase_add_test(tc, duplicates_dropped);
	tcase_add_test(tc, calls_add_up);
	tcase_add_loop_test(tc, rejected, 0,
	    (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tcase_add_test(tc, message_truncated);
	suite_add_tcase(s, tc);

	tcase_add_test(top, top_table);
	tcase_add_test(top, top_n);
	tcase_add_test(top, top_with_list);
	tcase_add_test(top, top_bad);
	suite_add_tcase(s, top);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ports_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
