/*
 * The pure parts of wordlist discovery: reading the list, the random
 * labels, the wildcard subset test.  Resolving is tested with a DNS
 * server in test_dns.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/discover.h"
#include "trawl/names.h"

static char path[64];

static void
write_list(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/trawl-words-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char warned[8][256];
static int nwarned;

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	if (nwarned < 8)
		snprintf(warned[nwarned], sizeof(warned[0]), "%s", msg);
	nwarned++;
}

START_TEST(words)
{
	struct names_set *s = names_set_new();
	size_t nwords = 0, nbad = 0;
	char err[256] = "", want[256];

	write_list("# subdomains\nwww\n  mail  \n\nWWW\ndev.api\n*\n-x\n"
	    "x_y # underscore is fine\nsmtp\r\n");
	nwarned = 0;
	ck_assert_int_eq(discover_words(path, "example.com", s, on_warn, NULL,
	    &nwords, &nbad, err, sizeof(err)), 0);
	ck_assert_uint_eq(nwords, 8);
	ck_assert_uint_eq(nbad, 2);
	ck_assert_int_eq(nwarned, 2);
	snprintf(want, sizeof(want), "%s:7: bad word '*': '*.example.com' is "
	    "not a valid host name", path);
	ck_assert_str_eq(warned[0], want);
	snprintf(want, sizeof(want), "%s:8: bad word '-x'", path);
	ck_assert_msg(strncmp(warned[1], want, strlen(want)) == 0, "%s",
	    warned[1]);
	ck_assert_uint_eq(names_set_count(s), 5);
	ck_assert_str_eq(names_set_name(s, 0), "www.example.com");
	ck_assert_str_eq(names_set_name(s, 1), "mail.example.com");
	ck_assert_str_eq(names_set_name(s, 2), "dev.api.example.com");
	ck_assert_str_eq(names_set_name(s, 3), "x_y.example.com");
	ck_assert_str_eq(names_set_name(s, 4), "smtp.example.com");
	unlink(path);
	names_set_free(s);
}
END_TEST

START_TEST(words_too_long)
{
	struct names_set *s = names_set_new();
	char list[400], err[256] = "";

	/* 64 characters: one label too many. */
	memset(list, 'a', 64);
	strcpy(list + 64, "\n");
	write_list(list);
	ck_assert_int_eq(discover_words(path, "example.com", s, NULL, NULL,
	    NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":1: bad word 'aaaa") != NULL, "%s", err);
	unlink(path);
	/* Labels of fine length, but the name over 253. */
	for (int i = 0; i < 5; i++) {
		memset(list + i * 50, 'a', 49);
		list[i * 50 + 49] = '.';
	}
	strcpy(list + 249, "\n");
	write_list(list);
	ck_assert_int_eq(discover_words(path, "example.com", s, NULL, NULL,
	    NULL, NULL, err, sizeof(err)), -1);
	unlink(path);
	ck_assert_uint_eq(names_set_count(s), 0);
	names_set_free(s);
}
END_TEST

START_TEST(random_label)
{
	char a[DISCOVER_LABEL_LEN + 1], b[DISCOVER_LABEL_LEN + 1];
	char name[NAMES_BUFSIZE];

	discover_random_label(a);
	discover_random_label(b);
	ck_assert_uint_eq(strlen(a), DISCOVER_LABEL_LEN);
	ck_assert_uint_eq(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789"),
	    DISCOVER_LABEL_LEN);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(names_clean(a, strlen(a), NULL, name, sizeof(name)),
	    NAMES_OK);
}
END_TEST

static struct dns_addr
v4(const char *text)
{
	unsigned char b[16];
	struct dns_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, text, b), 1);
	a.family = AF_INET;
	a.addr = target_from_bytes(AF_INET, b);
	return a;
}

static struct dns_addr
v6(const char *text)
{
	unsigned char b[16];
	struct dns_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, text, b), 1);
	a.family = AF_INET6;
	a.addr = target_from_bytes(AF_INET6, b);
	return a;
}

START_TEST(in_wildcard)
{
	struct dns_addr wild[3], x[3];

	wild[0] = v4("10.0.0.1");
	wild[1] = v4("10.0.0.2");
	wild[2] = v6("2001:db8::1");

	x[0] = v4("10.0.0.2");
	ck_assert(discover_in_wildcard(x, 1, wild, 3));
	x[1] = v6("2001:db8::1");
	ck_assert(discover_in_wildcard(x, 2, wild, 3));
	x[0] = v4("10.0.0.1");
	x[1] = v4("10.0.0.2");
	x[2] = v6("2001:db8::1");
	ck_assert(discover_in_wildcard(x, 3, wild, 3));
	/* One address of its own is enough to keep a name. */
	x[2] = v6("2001:db8::2");
	ck_assert(!discover_in_wildcard(x, 3, wild, 3));
	x[0] = v4("10.0.0.3");
	ck_assert(!discover_in_wildcard(x, 1, wild, 3));
	/* The same number under the other family is another address. */
	x[0].family = AF_INET6;
	x[0].addr = wild[0].addr;
	ck_assert(!discover_in_wildcard(x, 1, wild, 3));
	/* No wildcard, or no address: never a wildcard answer. */
	x[0] = v4("10.0.0.1");
	ck_assert(!discover_in_wildcard(x, 1, wild, 0));
	ck_assert(!discover_in_wildcard(x, 0, wild, 3));
}
END_TEST

START_TEST(note)
{
	struct discover_stats st = { .wildcard = true, .dropped = 1 };
	char buf[128];

	ck_assert_str_eq(discover_wildcard_note(&st, "example.com", buf,
	    sizeof(buf)), "example.com: wildcard DNS, 1 name dropped");
	st.dropped = 1234;
	ck_assert_str_eq(discover_wildcard_note(&st, "example.com", buf,
	    sizeof(buf)), "example.com: wildcard DNS, 1234 names dropped");
	st.wildcard = false;
	ck_assert_ptr_null(discover_wildcard_note(&st, "example.com", buf,
	    sizeof(buf)));
}
END_TEST

static Suite *
discover_suite(void)
{
	Suite *s = suite_create("discover");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, words);
	tcase_add_test(tc, words_too_long);
	tcase_add_test(tc, random_label);
	tcase_add_test(tc, in_wildcard);
	tcase_add_test(tc, note);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(discover_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
