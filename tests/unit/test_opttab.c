/*
 * Options from a table: getopt_long()'s arrays, each kind of row parsed
 * into its field, the messages for what getopt_long() refuses, the check
 * of configuration words, and the help text's columns.  Messages go to
 * stderr, which each test reads back through a pipe (every test runs in a
 * process of its own).
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/opttab.h"

struct obj {
	bool quiet;
	unsigned count;
	const char *name;
	struct opttab_list files;
	int fn_calls;
	const char *fn_arg;
};

static int
fn(void *obj, const struct opttab_opt *o, const char *arg)
{
	struct obj *b = obj;

	(void)o;
	b->fn_calls++;
	b->fn_arg = arg;
	return 0;
}

#define AT(f) offsetof(struct obj, f)

static const struct opttab_opt rows[] = {
	{ "First", "quiet", 'q', NULL, "say less", OPTTAB_FLAG, AT(quiet),
	    0, 0, NULL },
	{ NULL, "count", 'c', "N", "how many, {unit}", OPTTAB_UINT,
	    AT(count), 1, 10, NULL },
	{ NULL, "stats", 0, NULL, "one", OPTTAB_FN, 0, 0, 0, fn },
	{ "Second", "status", 0, "WORD", "two lines\nof help", OPTTAB_STR,
	    AT(name), 0, 0, NULL },
	{ NULL, "file", 'f', "FILE", "repeatable", OPTTAB_LIST, AT(files),
	    0, 0, NULL },
	{ NULL, NULL, '4', NULL, "a letter alone", OPTTAB_FN, 0, 0, 0, fn },
	{ NULL, "a-very-long-option-name", 0, "VALUE", "pushed over",
	    OPTTAB_FN, 0, 0, 0, fn },
};

static struct opttab tab;
static int err_fd = -1;

static void
setup(void)
{
	int fds[2];

	ck_assert_int_eq(opttab_init(&tab, rows, sizeof(rows) /
	    sizeof(rows[0])), 0);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(dup2(fds[1], STDERR_FILENO), 0);
	close(fds[1]);
	err_fd = fds[0];
}

static void
teardown(void)
{
	opttab_free(&tab);
}

/* What was said on stderr so far. */
static const char *
said(void)
{
	static char buf[4096];
	ssize_t n;

	close(STDERR_FILENO);
	n = read(err_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Parse argv (NULL-terminated) into b: 0, or the first OPTTAB_* value. */
static int
parse(struct obj *b, char **argv)
{
	const struct opttab_opt *o;
	const char *arg;
	int argc = 0, rc;

	while (argv[argc] != NULL)
		argc++;
	optind = 1;
	while ((rc = opttab_next(&tab, argc, argv, &o, &arg)) == 1)
		if ((rc = opttab_apply(o, b, arg)) != 0)
			return rc;
	return rc;
}

START_TEST(arrays)
{
	ck_assert_str_eq(tab.shortopts, ":qc:f:4");
	ck_assert_str_eq(tab.longopts[0].name, "quiet");
	ck_assert_int_eq(tab.longopts[0].has_arg, no_argument);
	ck_assert_int_eq(tab.longopts[1].has_arg, required_argument);
	/* The letterless row without a name is not a long option. */
	ck_assert_str_eq(tab.longopts[5].name, "a-very-long-option-name");
	ck_assert_ptr_null(tab.longopts[6].name);
	ck_assert_ptr_eq(opttab_named(&tab, "status", 6), &rows[3]);
	ck_assert_ptr_null(opttab_named(&tab, "stat", 4));
}
END_TEST

START_TEST(kinds)
{
	struct obj b = { 0 };
	char *argv[] = { "t", "-q", "--count=7", "--stats", "-f", "a", "--fil",
	    "b", "--status", "x", "--status=y", "op1", "-4", "op2", NULL };

	ck_assert_int_eq(parse(&b, argv), 0);
	ck_assert(b.quiet);
	ck_assert_uint_eq(b.count, 7);
	ck_assert_str_eq(b.name, "y");
	ck_assert_uint_eq(b.files.n, 2);
	ck_assert_str_eq(b.files.v[0], "a");
	ck_assert_str_eq(b.files.v[1], "b");
	ck_assert_int_eq(b.fn_calls, 2);
	ck_assert_ptr_null(b.fn_arg);
	/* getopt_long() put the operands last. */
	ck_assert_str_eq(argv[optind], "op1");
	ck_assert_str_eq(argv[optind + 1], "op2");
	free(b.files.v);
	ck_assert_str_eq(said(), "");
}
END_TEST

struct refusal {
	const char *word, *extra, *message;
};

static const struct refusal refusals[] = {
	{ "--sta", NULL,
	    "trawl: ambiguous option '--sta' (--stats, --status)\n" },
	{ "--quiet=yes", NULL, "trawl: option '--quiet' takes no value\n" },
	{ "--qu=1", NULL, "trawl: option '--quiet' takes no value\n" },
	{ "--bogus", NULL,
	    "trawl: unknown option '--bogus' (see trawl --help)\n" },
	{ "--bogus=1", NULL,
	    "trawl: unknown option '--bogus' (see trawl --help)\n" },
	{ "-Z", NULL, "trawl: unknown option '-Z' (see trawl --help)\n" },
	{ "--count", NULL, "trawl: option '--count' needs a value\n" },
	{ "-c", NULL, "trawl: option '-c' needs a value\n" },
	{ "--count", "11", "trawl: bad count '11' (1..10)\n" },
	{ "-c", "x", "trawl: bad count 'x' (1..10)\n" },
};

START_TEST(refused)
{
	const struct refusal *r = &refusals[_i];
	struct obj b = { 0 };
	char *argv[] = { "t", (char *)r->word, (char *)r->extra, NULL };

	ck_assert_int_eq(parse(&b, argv), OPTTAB_USAGE);
	ck_assert_str_eq(said(), r->message);
}
END_TEST

START_TEST(config_words)
{
	char err[256];

	ck_assert_int_eq(opttab_check_word(&tab, "--quiet", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(opttab_check_word(&tab, "--count=3", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(opttab_check_word(&tab, "--count", NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "missing value for 'count'");
	ck_assert_int_eq(opttab_check_word(&tab, "--quiet=yes", NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "'quiet' takes no value (write just 'quiet')");
	/* Names in full only, and not the one left out. */
	ck_assert_int_eq(opttab_check_word(&tab, "--cou=3", NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown option 'cou'");
	ck_assert_int_eq(opttab_check_word(&tab, "--file=a", &rows[4], err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown option 'file'");
}
END_TEST

START_TEST(find)
{
	char *argv[] = { "t", "--stat", "-f", "--status", "--fil=a", "--sta",
	    "x", "--", "--file=b", NULL };
	const char *v[4];

	/* "-f --status": a value; "--sta" ambiguous: skipped, unsaid. */
	ck_assert_uint_eq(opttab_find(&tab, 9, argv, &rows[4], v, 4), 2);
	ck_assert_str_eq(v[0], "--status");
	ck_assert_str_eq(v[1], "a");
	ck_assert_str_eq(said(), "");
}
END_TEST

START_TEST(usage)
{
	char buf[2048];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ck_assert_ptr_nonnull(f);
	opttab_usage(&tab, f, NULL);
	fclose(f);
	ck_assert_str_eq(buf,
	    "First:\n"
	    "  -q, --quiet             say less\n"
	    "  -c, --count N           how many, {unit}\n"
	    "      --stats             one\n"
	    "Second:\n"
	    "      --status WORD       two lines\n"
	    "                          of help\n"
	    "  -f, --file FILE         repeatable\n"
	    "  -4                      a letter alone\n"
	    "      --a-very-long-option-name VALUE  pushed over\n");
}
END_TEST

static const char *
expand(const char *word)
{
	return strcmp(word, "unit") == 0 ? "in pieces" : "?";
}

START_TEST(usage_expanded)
{
	char buf[2048];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	opttab_usage(&tab, f, expand);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "  -c, --count N           how many, "
	    "in pieces\n"));
}
END_TEST

static Suite *
opttab_suite(void)
{
	Suite *s = suite_create("opttab");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, arrays);
	tcase_add_test(tc, kinds);
	tcase_add_loop_test(tc, refused, 0, sizeof(refusals) /
	    sizeof(refusals[0]));
	tcase_add_test(tc, config_words);
	tcase_add_test(tc, find);
	tcase_add_test(tc, usage);
	tcase_add_test(tc, usage_expanded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(opttab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
