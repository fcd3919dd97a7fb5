/*
 * readfile(): every byte of a file up to the bound, NULs included, a NUL
 * after them, and EFBIG for one byte more -- across the buffer's growth.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/readfile.h"

/* A file of n bytes, byte i being (i * 7 + 1) % 256: NULs among them. */
static void
temp_file(char *path, size_t pathlen, size_t n)
{
	unsigned char chunk[4096];
	size_t i = 0;
	int fd;

	snprintf(path, pathlen, "/tmp/trawl-readfile-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	while (i < n) {
		size_t k = 0;

		for (; k < sizeof(chunk) && i < n; k++, i++)
			chunk[k] = (unsigned char)((i * 7 + 1) % 256);
		ck_assert_int_eq(write(fd, chunk, k), (ssize_t)k);
	}
	close(fd);
}

static void
check_bytes(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg((unsigned char)buf[i] == (i * 7 + 1) % 256,
		    "byte %zu wrong", i);
	ck_assert_int_eq(buf[n], '\0');
}

/* Sizes about the first buffer (4096) and its doublings. */
static const size_t sizes[] = { 0, 1, 255, 4095, 4096, 4097, 8192, 8193,
	100000 };

START_TEST(whole)
{
	size_t n = sizes[_i], len = 12345;
	char path[64], *buf = NULL;

	temp_file(path, sizeof(path), n);
	/* Bounds: far above, exactly the size. */
	ck_assert_int_eq(readfile(path, 1 << 20, &buf, &len), 0);
	ck_assert_uint_eq(len, n);
	check_bytes(buf, n);
	free(buf);
	ck_assert_int_eq(readfile(path, n, &buf, &len), 0);
	ck_assert_uint_eq(len, n);
	check_bytes(buf, n);
	free(buf);
	/* One byte short of the size. */
	if (n > 0) {
		buf = NULL;
		errno = 0;
		ck_assert_int_eq(readfile(path, n - 1, &buf, &len), -1);
		ck_assert_int_eq(errno, EFBIG);
		ck_assert_ptr_null(buf);
	}
	unlink(path);
}
END_TEST

START_TEST(missing)
{
	char *buf = NULL;
	size_t len = 0;

	errno = 0;
	ck_assert_int_eq(readfile("/nonexistent/trawl-readfile", 10, &buf,
	    &len), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(buf);
	/* A directory opens, but read() says EISDIR. */
	errno = 0;
	ck_assert_int_eq(readfile("/", 10, &buf, &len), -1);
	ck_assert_int_eq(errno, EISDIR);
}
END_TEST

static Suite *
readfile_suite(void)
{
	Suite *s = suite_create("readfile");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, whole, 0,
	    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_test(tc, missing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(readfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
