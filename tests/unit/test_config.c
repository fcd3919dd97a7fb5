/*
 * Configuration files to command-line words: what is accepted becomes the
 * exact words getopt_long() will see, and what is refused names the file,
 * the line and the text at fault.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/config.h"

/* Parse a literal (sizeof - 1 keeps embedded NULs); 0 or -1. */
#define PARSE(lit, a, err) \
	config_parse_buf((lit), sizeof(lit) - 1, "t.conf", (a), (err), \
	    sizeof(err))

/* The words of a, joined by '|', for one comparison per case. */
static const char *
joined(const struct config_args *a)
{
	static char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->argc; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? "|" : "", a->argv[i]);
	ck_assert_ptr_null(a->argv[a->argc]);
	return buf;
}

static void
accepts(const char *text, size_t len, const char *want)
{
	struct config_args a;
	char err[256] = "";

	ck_assert_msg(config_parse_buf(text, len, "t.conf", &a, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_str_eq(joined(&a), want);
	config_args_free(&a);
}

#define ACCEPTS(lit, want)	accepts((lit), sizeof(lit) - 1, (want))

static void
refuses(const char *text, size_t len, const char *want)
{
	struct config_args a;
	char err[256] = "";

	ck_assert_int_eq(config_parse_buf(text, len, "t.conf", &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	/* Nothing is left to free after a refusal. */
	ck_assert_ptr_null(a.argv);
	ck_assert_uint_eq(a.argc, 0);
}

#define REFUSES(lit, want)	refuses((lit), sizeof(lit) - 1, (want))

START_TEST(basic)
{
	ACCEPTS("ports = 22,80\n", "--ports=22,80");
	ACCEPTS("ports=22,80", "--ports=22,80");
	ACCEPTS("\t ports \t=\t 22,80 \t\n", "--ports=22,80");
	ACCEPTS("top-ports = 100\nthreads = 4\n",
	    "--top-ports=100|--threads=4");
	/* The value is everything up to a comment, inner spaces kept. */
	ACCEPTS("x = a b  c\n", "--x=a b  c");
	/* Values may look like options: the '=' form keeps them values. */
	ACCEPTS("exclude = -1\n", "--exclude=-1");
	ACCEPTS("resolver = [::1]:53\n", "--resolver=[::1]:53");
	ACCEPTS("x = a=b\n", "--x=a=b");
	ACCEPTS("x = caf\xc3\xa9\n", "--x=caf\xc3\xa9");
	ACCEPTS("", "");
}
END_TEST

START_TEST(comments_and_blanks)
{
	ACCEPTS("# only a comment\n", "");
	ACCEPTS("\n\n   \n\t\n", "");
	ACCEPTS("  # indented comment\nquiet\n", "--quiet");
	ACCEPTS("ports = 80 # the web\n", "--ports=80");
	ACCEPTS("ports = 80#the web\n", "--ports=80");
	ACCEPTS("quiet # no summary\n", "--quiet");
	ACCEPTS("quiet#\n", "--quiet");
	ACCEPTS("#ports = 80\nports = 443\n", "--ports=443");
	/* Anything may follow '#', quotes and backslashes included. */
	ACCEPTS("# \"unterminated \\q\n", "");
}
END_TEST

START_TEST(flags_and_repeats)
{
	ACCEPTS("quiet\n", "--quiet");
	ACCEPTS("  dry-run  \n", "--dry-run");
	ACCEPTS("exclude = 10.0.0.1\nexclude = 10.0.0.2\nquiet\nquiet\n",
	    "--exclude=10.0.0.1|--exclude=10.0.0.2|--quiet|--quiet");
	/* The parser keeps file order; which one wins is the CLI's call. */
	ACCEPTS("threads = 1\nthreads = 2\n", "--threads=1|--threads=2");
	ACCEPTS("6\n", "--6");
}
END_TEST

START_TEST(quotes)
{
	ACCEPTS("output = \"ndjson:/a b/c#d.ndjson\"\n",
	    "--output=ndjson:/a b/c#d.ndjson");
	ACCEPTS("x = \"  padded  \"  # comment\n", "--x=  padded  ");
	ACCEPTS("x = \"\"\n", "--x=");
	ACCEPTS("x=\"a\\\"b\\\\c\"", "--x=a\"b\\c");
	ACCEPTS("x = \"tab\there\"\n", "--x=tab\there");
	ACCEPTS("x = \"#\"#\"\n", "--x=#");
	/* A backslash outside quotes is an ordinary character. */
	ACCEPTS("x = a\\b\n", "--x=a\\b");
}
END_TEST

START_TEST(line_endings)
{
	ACCEPTS("ports = 80\r\nquiet\r\n", "--ports=80|--quiet");
	ACCEPTS("ports = 80\r\n\r\n# c\r\nx = \"a b\"\r\n",
	    "--ports=80|--x=a b");
	ACCEPTS("quiet", "--quiet");
	ACCEPTS("quiet\r", "--quiet");
	ACCEPTS("\xef\xbb\xbfports = 80\n", "--ports=80");
	/* A CR anywhere but at the end of a line is not a line ending. */
	REFUSES("ports = 8\r0\n", "t.conf:1: bad character '\\x0d'");
}
END_TEST

START_TEST(huge_lines)
{
	size_t n = 3 * 1024 * 1024;
	char *buf = malloc(n + 64);
	struct config_args a;
	char err[256];
	int len;

	ck_assert_ptr_nonnull(buf);
	len = sprintf(buf, "quiet\nports = ");
	memset(buf + len, '7', n);
	len += (int)n;
	len += sprintf(buf + len, "\nthreads = 2\n");
	ck_assert_int_eq(config_parse_buf(buf, (size_t)len, "t.conf", &a,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(a.argc, 3);
	ck_assert_uint_eq(strlen(a.argv[1]), strlen("--ports=") + n);
	ck_assert_str_eq(a.argv[2], "--threads=2");
	ck_assert_uint_eq(a.lines[2], 3);
	config_args_free(&a);

	/* A huge bad word is cut short in the message. */
	memset(buf, 'x', n);
	buf[n] = '"';
	ck_assert_int_eq(config_parse_buf(buf, n + 1, "t.conf", &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: bad option name "
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
	    "(letters, digits and '-')");

	/* Many short lines: the word list grows. */
	len = 0;
	for (int i = 0; i < 10000; i++)
		len += sprintf(buf + len, "exclude = 10.0.%d.%d\n", i / 256,
		    i % 256);
	ck_assert_int_eq(config_parse_buf(buf, (size_t)len, "t.conf", &a,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(a.argc, 10000);
	ck_assert_str_eq(a.argv[9999], "--exclude=10.0.39.15");
	ck_assert_uint_eq(a.lines[9999], 10000);
	ck_assert_ptr_null(a.argv[10000]);
	config_args_free(&a);
	free(buf);
}
END_TEST

START_TEST(nul_bytes)
{
	REFUSES("ports = 8\0" "0\n", "t.conf:1: bad character '\\x00'");
	REFUSES("quiet\n\0\n", "t.conf:2: bad character '\\x00'");
	REFUSES("quiet\n# comment \0\n", "t.conf:2: bad character '\\x00'");
	REFUSES("x = \"a\0b\"\n", "t.conf:1: bad character '\\x00'");
	REFUSES("\0", "t.conf:1: bad character '\\x00'");
	REFUSES("quiet\n\x1b[31m\n", "t.conf:2: bad character '\\x1b'");
	REFUSES("x = \x7f\n", "t.conf:1: bad character '\\x7f'");
}
END_TEST

START_TEST(errors)
{
	REFUSES("quiet\nthreads 4\n", "t.conf:2: missing '=' after 'threads'");
	REFUSES("\n\n= 4\n", "t.conf:3: missing option name before '='");
	REFUSES("ports =\n", "t.conf:1: missing value for 'ports' (write "
	    "\"\" for an empty one)");
	REFUSES("ports = # none\n", "t.conf:1: missing value for 'ports' "
	    "(write \"\" for an empty one)");
	REFUSES("x = \"abc\n", "t.conf:1: unterminated quote in the value of "
	    "'x'");
	REFUSES("x = \"abc\\\"\n", "t.conf:1: unterminated quote in the "
	    "value of 'x'");
	REFUSES("x = \"abc\\", "t.conf:1: unterminated quote in the value of "
	    "'x'");
	REFUSES("x = \"a\\nb\"\n", "t.conf:1: bad escape '\\n' in a quoted "
	    "value (only \\\" and \\\\)");
	REFUSES("x = \"a\" b\n", "t.conf:1: text after the closing quote: "
	    "'b'");
	REFUSES("x = \"a\"\"b\"\n", "t.conf:1: text after the closing quote: "
	    "'\"b\"'");
	REFUSES("x = a\"b\"\n", "t.conf:1: stray quote in the value "
	    "'a\"b\"' (quote the whole value)");
	REFUSES("--threads = 4\n", "t.conf:1: bad option name '--threads' "
	    "(write it without the dashes)");
	REFUSES("-q\n", "t.conf:1: bad option name '-q' (write it without "
	    "the dashes)");
	REFUSES("thr_eads = 4\n", "t.conf:1: bad option name 'thr_eads' "
	    "(letters, digits and '-')");
	REFUSES("caf\xc3\xa9 = 1\n", "t.conf:1: bad option name "
	    "'caf\\xc3\\xa9' (letters, digits and '-')");
	REFUSES("\"quiet\"\n", "t.conf:1: bad option name '\"quiet\"' "
	    "(letters, digits and '-')");
	/* The first bad line is the one reported. */
	REFUSES("quiet\n\n# ok\nports = 80\nbad line\nalso bad\n",
	    "t.conf:5: missing '=' after 'bad'");
	/* Line numbers count CRLF lines and blank lines alike. */
	REFUSES("a\r\n\r\nb\r\nc d\r\n", "t.conf:4: missing '=' after 'c'");
}
END_TEST

START_TEST(line_numbers)
{
	struct config_args a;
	char err[64];

	ck_assert_int_eq(PARSE("# c\n\nquiet\n\n\nports = 1\n", &a, err), 0);
	ck_assert_uint_eq(a.argc, 2);
	ck_assert_uint_eq(a.lines[0], 3);
	ck_assert_uint_eq(a.lines[1], 6);
	config_args_free(&a);
}
END_TEST

START_TEST(short_err_buffer)
{
	struct config_args a;
	char err[12];

	/* A small buffer gets a cut message, never an overflow. */
	ck_assert_int_eq(PARSE("threads 4\n", &a, err), -1);
	ck_assert_str_eq(err, "t.conf:1: m");
}
END_TEST

/* Write text to a temporary file; its name in path. */
static void
temp_file(char *path, size_t pathlen, const char *text, size_t len)
{
	int fd;

	snprintf(path, pathlen, "/tmp/trawl-config-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	while (len > 0) {
		size_t n = len > 65536 ? 65536 : len;

		ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
		text += n;
		len -= n;
	}
	close(fd);
}

START_TEST(load)
{
	struct config_args a;
	char path[64], err[256], want[128];
	const char text[] = "# example\nports = 22\nquiet\n";

	temp_file(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_int_eq(config_load(path, &a, err, sizeof(err)), 0);
	ck_assert_str_eq(joined(&a), "--ports=22|--quiet");
	config_args_free(&a);
	unlink(path);

	/* Messages name the file as it was given. */
	temp_file(path, sizeof(path), "quiet\nports 22\n", 15);
	ck_assert_int_eq(config_load(path, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: missing '=' after 'ports'", path);
	ck_assert_str_eq(err, want);
	unlink(path);

	ck_assert_int_eq(config_load(path, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot read '%s': No such file or "
	    "directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(a.argv);

	ck_assert_int_eq(config_load("/", &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot read '/': Is a directory");
}
END_TEST

START_TEST(load_limits)
{
	struct config_args a;
	char path[64], err[256], want[128];
	char *big = malloc(CONFIG_MAX_SIZE + 1);

	ck_assert_ptr_nonnull(big);
	/* Exactly the limit is a configuration, one byte more is not. */
	memset(big, '#', CONFIG_MAX_SIZE + 1);
	temp_file(path, sizeof(path), big, CONFIG_MAX_SIZE);
	ck_assert_int_eq(config_load(path, &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.argc, 0);
	ck_assert_ptr_nonnull(a.argv);
	config_args_free(&a);
	unlink(path);

	temp_file(path, sizeof(path), big, CONFIG_MAX_SIZE + 1);
	ck_assert_int_eq(config_load(path, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "'%s': larger than %d bytes, not a "
	    "configuration file", path, CONFIG_MAX_SIZE);
	ck_assert_str_eq(err, want);
	unlink(path);
	free(big);

	/* An endless file stops at the limit too. */
	if (access("/dev/zero", R_OK) == 0) {
		ck_assert_int_eq(config_load("/dev/zero", &a, err,
		    sizeof(err)), -1);
		ck_assert_str_eq(err, "'/dev/zero': larger than 1048576 "
		    "bytes, not a configuration file");
	}
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, basic);
	tcase_add_test(tc, comments_and_blanks);
	tcase_add_test(tc, flags_and_repeats);
	tcase_add_test(tc, quotes);
	tcase_add_test(tc, line_endings);
	tcase_add_test(tc, huge_lines);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, line_numbers);
	tcase_add_test(tc, short_err_buffer);
	tcase_add_test(tc, load);
	tcase_add_test(tc, load_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
