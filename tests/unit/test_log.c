/*
 * Messages under systemd: the JOURNAL_STREAM check, and the priority prefix
 * on each line when stderr is the journal.  The journal is played by a pipe
 * whose device and inode go into JOURNAL_STREAM, as systemd would set it.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trawl/log.h"

START_TEST(match)
{
	ck_assert(log_journal_match("8:1234", 8, 1234));
	ck_assert(log_journal_match("0:0", 0, 0));
	ck_assert(log_journal_match("18446744073709551615:18446744073709551615",
	    (dev_t)UINT64_MAX, (ino_t)UINT64_MAX));
	/* A device number as glibc encodes it (makedev(259, 3)). */
	ck_assert(log_journal_match("66307:77", 66307, 77));
}
END_TEST

START_TEST(no_match)
{
	ck_assert(!log_journal_match(NULL, 8, 1234));
	ck_assert(!log_journal_match("", 8, 1234));
	ck_assert(!log_journal_match("8:1235", 8, 1234));
	ck_assert(!log_journal_match("9:1234", 8, 1234));
	/* Swapped fields are another file. */
	ck_assert(!log_journal_match("1234:8", 8, 1234));
	/* Anything but two decimal numbers is not systemd's. */
	ck_assert(!log_journal_match("8", 8, 1234));
	ck_assert(!log_journal_match("8:", 8, 1234));
	ck_assert(!log_journal_match(":1234", 8, 1234));
	ck_assert(!log_journal_match("8:1234:", 8, 1234));
	ck_assert(!log_journal_match("8:1234 ", 8, 1234));
	ck_assert(!log_journal_match(" 8:1234", 8, 1234));
	ck_assert(!log_journal_match("+8:1234", 8, 1234));
	ck_assert(!log_journal_match("0x8:1234", 8, 1234));
	ck_assert(!log_journal_match("8:1234x", 8, 1234));
	ck_assert(!log_journal_match("8:-1234", 8, 1234));
	ck_assert(!log_journal_match("18446744073709551616:1234", 0, 1234));
}
END_TEST

/*
 * Point stderr at a new pipe; when journal, name it in JOURNAL_STREAM.
 * Returns the read end.  Each test runs in its own process (CK_FORK), so
 * the once-only detection starts afresh.
 */
static int
fake_stderr(int journal)
{
	struct stat st;
	char env[64];
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	close(fds[1]);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (journal ? 0 : 1));
	ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
	return fds[0];
}

static void
read_all(int fd, char *buf, size_t len)
{
	ssize_t n;
	size_t o = 0;

	close(STDERR_FILENO);
	while (o + 1 < len && (n = read(fd, buf + o, len - o - 1)) > 0)
		o += (size_t)n;
	buf[o] = '\0';
	close(fd);
}

START_TEST(journal_prefix)
{
	int fd = fake_stderr(1);
	char buf[4096];

	ck_assert(log_to_journal());
	log_error("bad %s", "thing");
	log_warn("careful");
	log_info("%d probes", 3);
	read_all(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "<3>trawl: bad thing\n<4>trawl: careful\n"
	    "<6>trawl: 3 probes\n");
}
END_TEST

START_TEST(terminal_no_prefix)
{
	/* JOURNAL_STREAM inherited, but stderr is another file now. */
	int fd = fake_stderr(0);
	char buf[4096];

	ck_assert(!log_to_journal());
	log_error("bad %s", "thing");
	log_info("fine");
	read_all(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "trawl: bad thing\ntrawl: fine\n");
}
END_TEST

START_TEST(journal_levels_and_length)
{
	int fd = fake_stderr(1);
	char buf[4096], big[2000];

	log_set_level(LOG_LEVEL_ERROR);
	log_info("dropped");
	log_warn("dropped");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	read_all(fd, buf, sizeof(buf));
	/* The message is cut to 1023 bytes, and stays one line. */
	ck_assert_uint_eq(strlen(buf), 10 + 1023 + 1);
	ck_assert_int_eq(strncmp(buf, "<3>trawl: xxx", 13), 0);
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + 10 + 1023);
}
END_TEST

START_TEST(control_characters_escaped)
{
	int fd = fake_stderr(0);
	char buf[4096];

	log_set_level(LOG_LEVEL_INFO);
	log_error("bad target '%s'", "a\x1b[31mb\nc\x7f");
	read_all(fd, buf, sizeof(buf));
	/* No escape sequence reaches a terminal, no line is split. */
	ck_assert_str_eq(buf,
	    "trawl: bad target 'a\\x1b[31mb\\x0ac\\x7f'\n");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, match);
	tcase_add_test(tc, control_characters_escaped);
	tcase_add_test(tc, no_match);
	tcase_add_test(tc, journal_prefix);
	tcase_add_test(tc, terminal_no_prefix);
	tcase_add_test(tc, journal_levels_and_length);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	/* The stream tests need a fresh process each: not CK_FORK=no. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
