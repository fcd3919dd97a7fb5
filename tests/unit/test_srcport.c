/*
 * Source ports: which ports the walk hands out (the kernel's range, less
 * its reserved ports, each in turn), how it reads the two /proc files, and
 * that bind() really takes them.  Binding sends nothing: these tests make no
 * connection.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/srcport.h"

/* Walk count ports: each of want[] exactly once, nothing else. */
static void
walk_is(struct srcport *sp, const unsigned *want, size_t n)
{
	static unsigned char seen[65536];

	ck_assert_uint_eq(srcport_count(sp), n);
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n; i++) {
		uint16_t p = srcport_next(sp);

		ck_assert_uint_ne(p, 0);
		ck_assert_msg(!seen[p], "port %u handed out twice", p);
		seen[p] = 1;
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(seen[want[i]], "port %u never handed out",
		    want[i]);
}

START_TEST(kernel_format)
{
	/* As the kernel prints them: a tab between, a newline after. */
	struct srcport *sp = srcport_from_text("32768\t60999\n", "\n", 7);
	unsigned first, p;

	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(srcport_count(sp), 60999 - 32768 + 1);
	first = srcport_next(sp);
	ck_assert(first >= 32768 && first <= 60999);
	/* Up one at a time, round at the end, back to the start. */
	p = first;
	for (unsigned i = 1; i < srcport_count(sp); i++) {
		unsigned q = srcport_next(sp);

		ck_assert_uint_eq(q, p == 60999 ? 32768 : p + 1);
		p = q;
	}
	ck_assert_uint_eq(srcport_next(sp), first);
	srcport_free(sp);
}
END_TEST

START_TEST(reserved)
{
	static const unsigned want[] = { 40002, 40004, 40006, 40007, 40008 };
	struct srcport *sp = srcport_from_text("40000 40009",
	    "80,40000-40001,40003,40005,40009,50000-50010\n", 12345);

	ck_assert_ptr_nonnull(sp);
	walk_is(sp, want, sizeof(want) / sizeof(want[0]));
	srcport_free(sp);

	/* No reserved list at all: the whole range. */
	sp = srcport_from_text("1 1", NULL, 0);
	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(srcport_count(sp), 1);
	ck_assert_uint_eq(srcport_next(sp), 1);
	ck_assert_uint_eq(srcport_next(sp), 1);
	srcport_free(sp);

	sp = srcport_from_text("65534 65535", "", 1);
	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(srcport_count(sp), 2);
	srcport_free(sp);
}
END_TEST

START_TEST(seeds)
{
	/* Different seeds start at different places, any seed is valid. */
	struct srcport *a = srcport_from_text("1000 1999", NULL, 0);
	struct srcport *b = srcport_from_text("1000 1999", NULL, 500);
	struct srcport *c = srcport_from_text("1000 1999", NULL, UINT32_MAX);

	ck_assert_uint_eq(srcport_next(a), 1000);
	ck_assert_uint_eq(srcport_next(b), 1500);
	ck_assert_uint_ge(srcport_next(c), 1000);
	srcport_free(a);
	srcport_free(b);
	srcport_free(c);
}
END_TEST

START_TEST(all_reserved)
{
	struct srcport *sp = srcport_from_text("40000 40002", "40000-40002",
	    3);
	int fd;

	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(srcport_count(sp), 0);
	ck_assert_uint_eq(srcport_next(sp), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(!srcport_bind(sp, fd, AF_INET));
	close(fd);
	srcport_free(sp);
}
END_TEST

static const char *const bad_ranges[] = {
	"", "\n", "32768", "0 100", "100 50", "1 65536", "a b", "1 2 3",
	"1-2", "-1 5", "1\t\t", " 5 x", "99999999999999999999 1", "1,2",
};

START_TEST(range_bad)
{
	const char *t = bad_ranges[_i];

	errno = 0;
	ck_assert_msg(srcport_from_text(t, NULL, 0) == NULL,
	    "range %s accepted", t);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static const char *const bad_reserved[] = {
	"1-", "5-3", "x", "1,,2", "70000", "0", "1 2", "-4", "1-2-3", "1;2",
	",1",
};

START_TEST(reserved_bad)
{
	const char *t = bad_reserved[_i];

	errno = 0;
	ck_assert_msg(srcport_from_text("1 100", t, 0) == NULL,
	    "reserved list %s accepted", t);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * Two sockets get two ports of the range; a port somebody holds is passed
 * over.  A high range nobody is likely to use, but a test that finds a
 * port of it taken still holds: it only asks for distinct ports in range.
 */
START_TEST(binds)
{
	struct srcport *sp = srcport_from_text("64200 64299", "64250", 0);
	int fam = _i == 0 ? AF_INET : AF_INET6;
	int a = socket(fam, SOCK_STREAM, 0), b, c;
	unsigned pa, pb;

	if (a < 0 && fam == AF_INET6) {
		srcport_free(sp);
		return;		/* no IPv6 here */
	}
	ck_assert_int_ge(a, 0);
	ck_assert(srcport_bind(sp, a, fam));
	pa = bound_port(a);
	ck_assert(pa >= 64200 && pa <= 64299 && pa != 64250);
	b = socket(fam, SOCK_STREAM, 0);
	ck_assert(srcport_bind(sp, b, fam));
	pb = bound_port(b);
	ck_assert(pb >= 64200 && pb <= 64299 && pb != 64250 && pb != pa);
	srcport_free(sp);

	/* A walk that starts on a's port passes over it. */
	sp = srcport_from_text("64200 64299", NULL, pa - 64200);
	c = socket(fam, SOCK_STREAM, 0);
	ck_assert(srcport_bind(sp, c, fam));
	ck_assert_uint_ne(bound_port(c), pa);
	close(a);
	close(b);
	close(c);
	srcport_free(sp);
}
END_TEST

/* Every port of a one-port range taken: unbound, and it says so. */
START_TEST(busy)
{
	struct srcport *sp = srcport_from_text("64300 64300", NULL, 0);
	int a = socket(AF_INET, SOCK_STREAM, 0);
	int b = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert(srcport_bind(sp, a, AF_INET));
	ck_assert_uint_eq(bound_port(a), 64300);
	ck_assert(!srcport_bind(sp, b, AF_INET));
	ck_assert_uint_eq(bound_port(b), 0);
	close(a);
	close(b);
	srcport_free(sp);
}
END_TEST

/* What this machine's kernel says can be read and used. */
START_TEST(from_proc)
{
	struct srcport *sp = srcport_new(99);

	ck_assert_ptr_nonnull(sp);
	if (access("/proc/sys/net/ipv4/ip_local_port_range", R_OK) == 0)
		ck_assert_uint_gt(srcport_count(sp), 0);
	srcport_free(sp);
}
END_TEST

static Suite *
srcport_suite(void)
{
	Suite *s = suite_create("srcport");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, kernel_format);
	tcase_add_test(tc, reserved);
	tcase_add_test(tc, seeds);
	tcase_add_test(tc, all_reserved);
	tcase_add_loop_test(tc, range_bad, 0,
	    (int)(sizeof(bad_ranges) / sizeof(bad_ranges[0])));
	tcase_add_loop_test(tc, reserved_bad, 0,
	    (int)(sizeof(bad_reserved) / sizeof(bad_reserved[0])));
	tcase_add_loop_test(tc, binds, 0, 2);
	tcase_add_test(tc, busy);
	tcase_add_test(tc, from_proc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(srcport_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
