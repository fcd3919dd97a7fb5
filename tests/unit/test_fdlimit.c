/*
 * Sharing the open file limit: each thread gets its epoll descriptor and a
 * socket or the thread is not started; what is counted as used or coming
 * is never handed out; a limit with no room left is refused.
 */
#include <check.h>
#include <fcntl.h>
#include <unistd.h>

#include "trawl/fdlimit.h"

struct fit_case {
	unsigned long limit, used, more;
	unsigned threads, concurrency;		/* asked */
	int rc;
	unsigned want_threads, want_concurrency;
};

static const struct fit_case fits[] = {
	/* Plenty: nothing lowered. */
	{ 20000, 5, 2, 2, 1024, 0, 2, 1024 },
	/* The reserve is kept back when there is plenty. */
	{ 1024, 3, 0, 2, 5000, 0, 2, 1024 - 3 - FDLIMIT_RESERVE - 2 },
	/* 64: a quarter kept, 32 threads halved to what has sockets. */
	{ 64, 3, 5, 32, 10000, 0, 21, 21 },
	/* ulimit -n 8 with -T 4: fewer threads, each with a socket. */
	{ 8, 3, 0, 4, 1024, 0, 2, 2 },
	{ 8, 5, 0, 4, 1024, 0, 1, 2 },
	/* The same with outputs to open: they come first. */
	{ 8, 3, 1, 4, 1024, 0, 1, 2 },
	/* Nothing left: refused. */
	{ 8, 7, 0, 1, 1024, -1, 0, 0 },
	{ 4, 3, 0, 4, 1024, -1, 0, 0 },
	{ 100, 120, 0, 1, 10, -1, 0, 0 },
	{ 10, 3, 7, 1, 10, -1, 0, 0 },
};

START_TEST(fit)
{
	const struct fit_case *c = &fits[_i];
	unsigned threads = c->threads, concurrency = c->concurrency;
	int rc = fdlimit_fit(c->limit, c->used, c->more, &threads,
	    &concurrency);

	ck_assert_int_eq(rc, c->rc);
	if (rc != 0)
		return;
	ck_assert_uint_eq(threads, c->want_threads);
	ck_assert_uint_eq(concurrency, c->want_concurrency);
	/* Never more than the limit: epolls, sockets and what is counted. */
	ck_assert_uint_le(c->used + c->more + threads + concurrency, c->limit);
	ck_assert_uint_ge(threads, 1);
	ck_assert_uint_ge(concurrency, threads);
}
END_TEST

START_TEST(used_counts)
{
	unsigned long before = fdlimit_used();
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ge(before, 3);
	ck_assert_uint_eq(fdlimit_used(), before + 1);
	close(fd);
	ck_assert_uint_eq(fdlimit_used(), before);
}
END_TEST

static Suite *
fdlimit_suite(void)
{
	Suite *s = suite_create("fdlimit");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, fit, 0, sizeof(fits) / sizeof(fits[0]));
	tcase_add_test(tc, used_counts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fdlimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
