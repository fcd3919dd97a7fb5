/*
 * Target words: addresses, blocks, ranges and names, and the words that
 * must be refused.  Expected addresses are written as text and converted
 * with inet_pton(), so a table row reads like the command line it mirrors.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/target.h"

#define CHECK(cond, ...) do {				\
	if (!(cond))					\
		ck_abort_msg(__VA_ARGS__);		\
} while (0)

static target_u128
addr(int family, const char *text)
{
	unsigned char b[16];

	ck_assert_msg(inet_pton(family, text, b) == 1, "test bug: '%s'", text);
	return target_from_bytes(family, b);
}

static const char *
show(int family, target_u128 v, char *buf)
{
	const char *s = target_ntop(family, v, buf, INET6_ADDRSTRLEN);

	return s != NULL ? s : "(ntop failed)";
}

struct range_case {
	const char *word;
	int family;
	const char *lo, *hi;
};

static const struct range_case ranges[] = {
	/* Single addresses. */
	{ "10.0.0.1", AF_INET, "10.0.0.1", "10.0.0.1" },
	{ "0.0.0.0", AF_INET, "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", AF_INET, "255.255.255.255", "255.255.255.255" },
	{ "::1", AF_INET6, "::1", "::1" },
	{ "[::1]", AF_INET6, "::1", "::1" },
	{ "::", AF_INET6, "::", "::" },
	{ "2001:db8::1", AF_INET6, "2001:db8::1", "2001:db8::1" },
	{ "[2001:DB8:0:0::A]", AF_INET6, "2001:db8::a", "2001:db8::a" },
	/* IPv4-mapped: the IPv4 host they reach, in every shape. */
	{ "::ffff:1.2.3.4", AF_INET, "1.2.3.4", "1.2.3.4" },
	{ "[::FFFF:7f00:1]", AF_INET, "127.0.0.1", "127.0.0.1" },
	{ "::ffff:0:0/96", AF_INET, "0.0.0.0", "255.255.255.255" },
	{ "::ffff:10.1.2.3/120", AF_INET, "10.1.2.0", "10.1.2.255" },
	{ "::ffff:10.0.0.1-::ffff:10.0.0.9", AF_INET, "10.0.0.1",
	    "10.0.0.9" },
	/* Beside the mapped block, or around it: still IPv6. */
	{ "::fffe:ffff:ffff", AF_INET6, "::fffe:ffff:ffff",
	    "::fffe:ffff:ffff" },
	{ "::1:0:0:0", AF_INET6, "::1:0:0:0", "::1:0:0:0" },
	{ "::ffff:0:0/95", AF_INET6, "::fffe:0:0", "::ffff:ffff:ffff" },
	{ "fec0::1", AF_INET6, "fec0::1", "fec0::1" },
	{ "fe7f:ffff::1", AF_INET6, "fe7f:ffff::1", "fe7f:ffff::1" },
	/* CIDR blocks; host bits are cleared. */
	{ "10.1.2.3/24", AF_INET, "10.1.2.0", "10.1.2.255" },
	{ "10.1.2.3/31", AF_INET, "10.1.2.2", "10.1.2.3" },
	{ "10.1.2.3/32", AF_INET, "10.1.2.3", "10.1.2.3" },
	{ "10.1.2.3/0", AF_INET, "0.0.0.0", "255.255.255.255" },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0", "255.255.255.255" },
	{ "172.31.255.255/12", AF_INET, "172.16.0.0", "172.31.255.255" },
	{ "128.0.0.1/1", AF_INET, "128.0.0.0", "255.255.255.255" },
	{ "2001:db8::1234/120", AF_INET6, "2001:db8::1200", "2001:db8::12ff" },
	{ "2001:db8::1/128", AF_INET6, "2001:db8::1", "2001:db8::1" },
	{ "[2001:db8::1]/64", AF_INET6, "2001:db8::",
	    "2001:db8::ffff:ffff:ffff:ffff" },
	{ "::/0", AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "ffff::1/1", AF_INET6, "8000::",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "2001:db8:1:2:3:4:5:6/65", AF_INET6, "2001:db8:1:2::",
	    "2001:db8:1:2:7fff:ffff:ffff:ffff" },
	/* Ranges. */
	{ "10.0.0.1-10.0.0.200", AF_INET, "10.0.0.1", "10.0.0.200" },
	{ "10.0.0.1-200", AF_INET, "10.0.0.1", "10.0.0.200" },
	{ "10.0.0.5-5", AF_INET, "10.0.0.5", "10.0.0.5" },
	{ "10.0.0.5-255", AF_INET, "10.0.0.5", "10.0.0.255" },
	{ "10.0.0.7-10.0.0.7", AF_INET, "10.0.0.7", "10.0.0.7" },
	{ "10.0.1.250-10.0.3.4", AF_INET, "10.0.1.250", "10.0.3.4" },
	{ "0.0.0.0-255.255.255.255", AF_INET, "0.0.0.0", "255.255.255.255" },
	{ "2001:db8::1-2001:db8::ff", AF_INET6, "2001:db8::1",
	    "2001:db8::ff" },
	{ "[2001:db8::1]-[2001:db8::1:0]", AF_INET6, "2001:db8::1",
	    "2001:db8::1:0" },
};

START_TEST(parse_range)
{
	const struct range_case *c = &ranges[_i];
	struct target t;
	char err[400] = "", b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];

	ck_assert_msg(target_parse(c->word, &t, err, sizeof(err)) == 0,
	    "'%s' rejected: %s", c->word, err);
	ck_assert_int_eq(t.kind, TARGET_RANGE);
	ck_assert_int_eq(t.family, c->family);
	ck_assert_msg(t.lo == addr(c->family, c->lo), "'%s': lo %s, want %s",
	    c->word, show(t.family, t.lo, b1), c->lo);
	ck_assert_msg(t.hi == addr(c->family, c->hi), "'%s': hi %s, want %s",
	    c->word, show(t.family, t.hi, b2), c->hi);
	ck_assert_ptr_null(t.name);
}
END_TEST

/* Names are returned as they are, pointing into the word. */
static const char *const good_names[] = {
	"localhost",
	"a",
	"example.com",
	"example.com.",
	"my-host.example.com",
	"xn--bcher-kva.example",
	"_sip._tcp.example.com",
	"host_1.lan",
	"123.example",
	"1a",
	"a1",
	"ABC.Example.COM",
	"a-b-c",
	"9-9.x",
};

START_TEST(parse_name)
{
	const char *w = good_names[_i];
	struct target t;
	char err[400] = "";

	ck_assert_msg(target_parse(w, &t, err, sizeof(err)) == 0,
	    "'%s' rejected: %s", w, err);
	ck_assert_int_eq(t.kind, TARGET_NAME);
	ck_assert_ptr_eq(t.name, w);
	ck_assert_uint_eq(t.namelen, strlen(w));
}
END_TEST

/* Words refused with exactly "bad target '<word>'". */
static const char *const bad_words[] = {
	"10.0.0.1/33",
	"::/129",
	"10.0.0.0/",
	"10.0.0.0/-1",
	"10.0.0.0/+8",
	"10.0.0.0/ 8",
	"10.0.0.0/8/8",
	"10.0.0.0/8x",
	"example.com/24",
	"/24",
	"10.0.0.300",
	"10.0.0.9-10.0.0.1",
	"10.0.0.9-1",
	"10.0.0.1-0",
	"1.2.3.4-300",
	"1.2.3.4-",
	"1.2.3.4--5",
	"1.2.3.4-5-6",
	"1.2.3.4-1.2.3.4.5",
	"10.0.0.1-::1",
	"::1-10.0.0.1",
	"2001:db8::1-ff",
	"2001:db8::ff-2001:db8::1",
	"[1.2.3.4]",
	"[::1",
	"::1]",
	"[]",
	"[::1]:80",
	"1.2.3",
	"01.2.3.4",
	"1.2.3.4.5",
	"10.1",
	"123",
	"a.123",
	"example.com.123",
	"a..b",
	".a",
	"..",
	".",
	"-a.com",
	"a-.com",
	"a.-b.com",
	"a b",
	" 10.0.0.1",
	"10.0.0.1 ",
	"host:80",
	"exa*mple.com",
	"caf\xc3\xa9.example",
	"a.com..",
};

START_TEST(parse_bad)
{
	const char *w = bad_words[_i];
	struct target t;
	char err[400] = "", want[400];

	ck_assert_msg(target_parse(w, &t, err, sizeof(err)) == -1,
	    "'%s' accepted (kind %d)", w, t.kind);
	snprintf(want, sizeof(want), "bad target '%s'", w);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(parse_special_messages)
{
	struct target t;
	char err[400] = "", word[400];

	ck_assert_int_eq(target_parse("", &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "empty target");

	ck_assert_int_eq(target_parse("fe80::1%eth0", &t, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err,
	    "bad target 'fe80::1%eth0': IPv6 zones are not supported");
	ck_assert_int_eq(target_parse("10.0.0.1%x", &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "bad target '10.0.0.1%x': IPv6 zones are not supported");

	/* fe80::/10 without a zone cannot be reached: refused early. */
	{
		static const char *const ll[] = { "fe80::1", "[fe80::1]",
			"fe80::/64", "febf:ffff::1", "2001:db8::1-fe80::1",
			"fe80::1-fe80::2" };

		for (size_t i = 0; i < sizeof(ll) / sizeof(ll[0]); i++) {
			char want[400];

			ck_assert_msg(target_parse(ll[i], &t, err,
			    sizeof(err)) == -1, "'%s' accepted", ll[i]);
			snprintf(want, sizeof(want), "bad target '%s': "
			    "link-local IPv6 addresses need a zone, which is "
			    "not supported", ll[i]);
			ck_assert_str_eq(err, want);
		}
	}

	/* Over 300 bytes: only the start of the word is quoted. */
	memset(word, 'a', 301);
	word[301] = '\0';
	ck_assert_int_eq(target_parse(word, &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad target "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': too long");

	/* 300 is not too long, just not a name: the full word is quoted. */
	word[300] = '\0';
	ck_assert_int_eq(target_parse(word, &t, err, sizeof(err)), -1);
	ck_assert_uint_eq(strlen(err), strlen("bad target ''") + 300);
	ck_assert_int_eq(strncmp(err, "bad target 'aaaa", 16), 0);
}
END_TEST

/* A name of len bytes: labels of `label` letters joined by dots. */
static void
make_name(char *buf, size_t len, size_t label)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (i + 1) % (label + 1) == 0 ? '.' : 'x';
	buf[len] = '\0';
}

START_TEST(name_lengths)
{
	char buf[400];
	struct target t;
	char err[400];

	/* Labels: 63 bytes is the most DNS allows. */
	make_name(buf, 63, 63);
	ck_assert(target_name_valid(buf, 63));
	make_name(buf, 64, 64);
	ck_assert(!target_name_valid(buf, 64));
	strcpy(buf, "a.");
	make_name(buf + 2, 64, 64);
	strcat(buf, ".com");
	ck_assert(!target_name_valid(buf, strlen(buf)));

	/* Names: 253 bytes, or 254 with the root dot. */
	make_name(buf, 253, 50);
	ck_assert_int_ne(buf[252], '.');
	ck_assert(target_name_valid(buf, 253));
	ck_assert_int_eq(target_parse(buf, &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.kind, TARGET_NAME);
	buf[253] = '.';
	buf[254] = '\0';
	ck_assert(target_name_valid(buf, 254));
	make_name(buf, 254, 50);
	ck_assert_int_ne(buf[253], '.');
	ck_assert(!target_name_valid(buf, 254));
	ck_assert_int_eq(target_parse(buf, &t, err, sizeof(err)), -1);
}
END_TEST

START_TEST(name_valid)
{
	/* Only len bytes are looked at. */
	ck_assert(target_name_valid("example.com!!!", 11));
	ck_assert(!target_name_valid("example.com!!!", 12));
	ck_assert(target_name_valid("a", 1));
	ck_assert(target_name_valid("a.", 2));
	ck_assert(target_name_valid("_", 1));
	ck_assert(!target_name_valid("", 0));
	ck_assert(!target_name_valid(".", 1));
	ck_assert(!target_name_valid("a..", 3));
	ck_assert(!target_name_valid("-", 1));
	ck_assert(!target_name_valid("a-", 2));
	ck_assert(!target_name_valid("1", 1));
	ck_assert(!target_name_valid("1.", 2));
	ck_assert(!target_name_valid("a.1.", 4));
	ck_assert(target_name_valid("1.a.", 4));
	ck_assert(!target_name_valid("a.b:c", 5));
}
END_TEST

START_TEST(bytes_round_trip)
{
	unsigned char b[16];
	uint64_t rng = 0x1234567;

	/* Wire order is network order: most significant byte first. */
	target_to_bytes(AF_INET, 0x0a000102, b);
	ck_assert_mem_eq(b, "\x0a\x00\x01\x02", 4);
	ck_assert(target_from_bytes(AF_INET, b) == 0x0a000102);
	target_to_bytes(AF_INET6, addr(AF_INET6, "2001:db8::1"), b);
	ck_assert_mem_eq(b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);

	for (int i = 0; i < 2000; i++) {
		target_u128 v;
		int family = i % 2 ? AF_INET6 : AF_INET;

		/* xorshift64: plenty for picking test values. */
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		v = family == AF_INET ? (target_u128)(rng & 0xffffffffu) :
		    ((target_u128)rng << 64) | (rng * 0x9e3779b97f4a7c15ULL);
		memset(b, 0xee, sizeof(b));
		target_to_bytes(family, v, b);
		CHECK(target_from_bytes(family, b) == v, "round trip %d", i);
		if (family == AF_INET)
			CHECK(b[4] == 0xee, "IPv4 wrote past 4 bytes");
	}
}
END_TEST

struct ntop_case {
	const char *word, *text;
};

static const struct ntop_case ntops[] = {
	{ "10.0.0.1", "10.0.0.1" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "::1", "::1" },
	{ "[::1]", "::1" },
	{ "::", "::" },
	{ "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
	{ "2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1" },
	{ "::ffff:10.0.0.1", "10.0.0.1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
};

START_TEST(ntop_round_trip)
{
	const struct ntop_case *c = &ntops[_i];
	struct target t, again;
	char err[400] = "", buf[INET6_ADDRSTRLEN];
	const char *s;

	ck_assert_int_eq(target_parse(c->word, &t, err, sizeof(err)), 0);
	s = target_ntop(t.family, t.lo, buf, sizeof(buf));
	ck_assert_ptr_eq(s, buf);
	ck_assert_str_eq(s, c->text);
	/* And the text parses back to the same address. */
	ck_assert_int_eq(target_parse(s, &again, err, sizeof(err)), 0);
	ck_assert_int_eq(again.family, t.family);
	ck_assert(again.lo == t.lo && again.hi == t.hi);
}
END_TEST

struct split_case {
	const char *lo, *hi;		/* IPv6 */
	size_t n;
	struct { int family; const char *lo, *hi; } want[3];
};

static const struct split_case splits[] = {
	{ "2001:db8::", "2001:db8::ff", 1,
	    { { AF_INET6, "2001:db8::", "2001:db8::ff" } } },
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.9", 1,
	    { { AF_INET, "1.2.3.4", "1.2.3.9" } } },
	{ "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 3,
	    { { AF_INET6, "::", "::fffe:ffff:ffff" },
	      { AF_INET, "0.0.0.0", "255.255.255.255" },
	      { AF_INET6, "::1:0:0:0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" } } },
	{ "::fffe:ffff:fff0", "::ffff:0.0.0.5", 2,
	    { { AF_INET6, "::fffe:ffff:fff0", "::fffe:ffff:ffff" },
	      { AF_INET, "0.0.0.0", "0.0.0.5" } } },
	{ "::ffff:255.255.255.250", "::1:0:0:3", 2,
	    { { AF_INET, "255.255.255.250", "255.255.255.255" },
	      { AF_INET6, "::1:0:0:0", "::1:0:0:3" } } },
};

START_TEST(split_mapped)
{
	const struct split_case *c = &splits[_i];
	struct target_span out[3];
	size_t n = target_split_mapped(AF_INET6, addr(AF_INET6, c->lo),
	    addr(AF_INET6, c->hi), out);

	ck_assert_uint_eq(n, c->n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(out[i].family, c->want[i].family);
		ck_assert(out[i].lo == addr(c->want[i].family, c->want[i].lo));
		ck_assert(out[i].hi == addr(c->want[i].family, c->want[i].hi));
	}
}
END_TEST

START_TEST(unmap_one)
{
	target_u128 a = addr(AF_INET6, "::ffff:192.0.2.7");

	ck_assert_int_eq(target_unmap(AF_INET6, &a), AF_INET);
	ck_assert(a == addr(AF_INET, "192.0.2.7"));
	a = addr(AF_INET6, "::1");
	ck_assert_int_eq(target_unmap(AF_INET6, &a), AF_INET6);
	ck_assert(a == addr(AF_INET6, "::1"));
	/* An IPv4 address is never touched, whatever its value. */
	a = 0xffff00000001ULL;
	ck_assert_int_eq(target_unmap(AF_INET, &a), AF_INET);
	ck_assert(a == 0xffff00000001ULL);
}
END_TEST

START_TEST(ntop_small_buffer)
{
	char buf[8];

	/* Too small: inet_ntop's failure, not an overflow. */
	ck_assert_ptr_null(target_ntop(AF_INET, 0xc0a80101, buf, sizeof(buf)));
	ck_assert_ptr_nonnull(target_ntop(AF_INET, 0x01020304, buf,
	    sizeof(buf)));
	ck_assert_str_eq(buf, "1.2.3.4");
}
END_TEST

static Suite *
target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("parse");
	TCase *conv = tcase_create("convert");

	tcase_add_loop_test(tc, parse_range, 0,
	    (int)(sizeof(ranges) / sizeof(ranges[0])));
	tcase_add_loop_test(tc, parse_name, 0,
	    (int)(sizeof(good_names) / sizeof(good_names[0])));
	tcase_add_loop_test(tc, parse_bad, 0,
	    (int)(sizeof(bad_words) / sizeof(bad_words[0])));
	tcase_add_test(tc, parse_special_messages);
	tcase_add_test(tc, name_lengths);
	tcase_add_test(tc, name_valid);
	suite_add_tcase(s, tc);

	tcase_add_test(conv, bytes_round_trip);
	tcase_add_loop_test(conv, ntop_round_trip, 0,
	    (int)(sizeof(ntops) / sizeof(ntops[0])));
	tcase_add_test(conv, ntop_small_buffer);
	tcase_add_loop_test(conv, split_mapped, 0,
	    (int)(sizeof(splits) / sizeof(splits[0])));
	tcase_add_test(conv, unmap_one);
	suite_add_tcase(s, conv);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(target_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
