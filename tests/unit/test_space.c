/*
 * Target space and walk tests.
 *
 * The space is checked against the obvious model: a bitmap of a small
 * universe of addresses with ranges set and exclusions cleared, read in
 * order.  The universes sit at the edges of the address spaces (0.0.0.0 and
 * ffff:...:ffff), where interval arithmetic wraps if it is going to.  The
 * walks are checked by counting: every (host, port) pair exactly once.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/iter.h"
#include "trawl/ports.h"
#include "trawl/space.h"
#include "trawl/target.h"

#define CHECK(cond, ...) do {				\
	if (!(cond))					\
		ck_abort_msg(__VA_ARGS__);		\
} while (0)

#define U128_MAX (~(target_u128)0)

static target_u128
a4(const char *text)
{
	unsigned char b[4];

	ck_assert_msg(inet_pton(AF_INET, text, b) == 1, "test bug: %s", text);
	return target_from_bytes(AF_INET, b);
}

static target_u128
a6(const char *text)
{
	unsigned char b[16];

	ck_assert_msg(inet_pton(AF_INET6, text, b) == 1, "test bug: %s", text);
	return target_from_bytes(AF_INET6, b);
}

static struct ports *
mkports(const char *spec)
{
	struct ports *p = ports_new();
	char err[128] = "";

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(ports_parse(p, spec, err, sizeof(err)) == 0, "%s", err);
	return p;
}

static void
finish(struct space *s, const struct ports *p)
{
	char err[128] = "";

	ck_assert_msg(space_finish(s, p, err, sizeof(err)) == 0, "%s", err);
}

/* Host i must be family/addr. */
static void
expect_host(const struct space *s, uint64_t i, int family, target_u128 want)
{
	target_u128 got = 0;
	int f = space_host(s, i, &got);
	char b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];

	CHECK(f == family && got == want, "host %ju: %s (family %d), want %s",
	    (uintmax_t)i, target_ntop(f, got, b1, sizeof(b1)) ? b1 : "?", f,
	    target_ntop(family, want, b2, sizeof(b2)) ? b2 : "?");
}

START_TEST(overlaps_merged)
{
	struct ports *p = mkports("22,80");
	struct space *s = space_new();

	ck_assert_ptr_nonnull(s);
	/* Out of order, overlapping, nested, adjacent and repeated. */
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.128"),
	    a4("10.0.1.10")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.255")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.1.11"),
	    a4("10.0.1.20")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.5"),
	    a4("10.0.0.5")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.7"),
	    a4("10.0.0.9")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.255")), 0);
	finish(s, p);

	ck_assert_uint_eq(space_hosts(s), 256 + 21);
	ck_assert_uint_eq(space_nports(s), 2);
	ck_assert_uint_eq(space_probes(s), (256 + 21) * 2);
	ck_assert_uint_eq(space_port(s, 0), 22);
	ck_assert_uint_eq(space_port(s, 1), 80);
	for (uint64_t i = 0; i < space_hosts(s); i++)
		expect_host(s, i, AF_INET, a4("10.0.0.0") + i);
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(exclusions)
{
	struct ports *p = mkports("443");
	struct space *s = space_new();
	static const struct {
		const char *lo, *hi;
	} ex[] = {
		{ "10.0.0.0", "10.0.0.0" },		/* first */
		{ "10.0.0.255", "10.0.0.255" },		/* last */
		{ "10.0.0.100", "10.0.0.110" },		/* a hole */
		{ "10.0.0.105", "10.0.0.107" },		/* inside the hole */
		{ "192.168.0.0", "192.168.1.9" },	/* over the start */
		{ "192.168.1.250", "192.168.2.10" },	/* over the end */
		{ "172.16.0.0", "172.31.255.255" },	/* touches nothing */
	};
	uint64_t i = 0;

	ck_assert_int_eq(space_add_range(s, AF_INET, a4("192.168.1.0"),
	    a4("192.168.1.255")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.255")), 0);
	for (size_t k = 0; k < sizeof(ex) / sizeof(ex[0]); k++)
		ck_assert_int_eq(space_exclude(s, AF_INET, a4(ex[k].lo),
		    a4(ex[k].hi)), 0);
	/*
	 * The same integers in the other family: ::a00:32 is not 10.0.0.50,
	 * and must not punch a hole in it.
	 */
	ck_assert_int_eq(space_exclude(s, AF_INET6, a4("10.0.0.50"),
	    a4("10.0.0.60")), 0);
	finish(s, p);

	ck_assert_uint_eq(space_hosts(s), (256 - 2 - 11) + (256 - 10 - 6));
	ck_assert_uint_eq(space_probes(s), space_hosts(s));
	for (target_u128 a = a4("10.0.0.1"); a <= a4("10.0.0.254"); a++)
		if (a < a4("10.0.0.100") || a > a4("10.0.0.110"))
			expect_host(s, i++, AF_INET, a);
	for (target_u128 a = a4("192.168.1.10"); a <= a4("192.168.1.249"); a++)
		expect_host(s, i++, AF_INET, a);
	ck_assert_uint_eq(i, space_hosts(s));
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(everything_excluded)
{
	struct ports *p = mkports("1-10");
	struct space *s = space_new();

	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.255")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::"),
	    a6("2001:db8::ff")), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.1"), "n"), 0);
	ck_assert_int_eq(space_exclude(s, AF_INET, 0, 0xffffffff), 0);
	ck_assert_int_eq(space_exclude(s, AF_INET6, 0, U128_MAX), 0);
	finish(s, p);
	ck_assert_uint_eq(space_hosts(s), 0);
	ck_assert_uint_eq(space_probes(s), 0);
	space_free(s);

	/* And a space that was never given anything. */
	s = space_new();
	finish(s, p);
	ck_assert_uint_eq(space_hosts(s), 0);
	ck_assert_uint_eq(space_probes(s), 0);
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(family_order)
{
	struct ports *p = mkports("80");
	struct space *s = space_new();

	/* IPv6 first, and with integers below the IPv4 ones. */
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::1"),
	    a6("2001:db8::3")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("::1"), a6("::1")),
	    0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.2"),
	    a4("10.0.0.2")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("1.1.1.1"),
	    a4("1.1.1.1")), 0);
	/* The same integer as ::1, in the other family: two hosts. */
	ck_assert_int_eq(space_add_range(s, AF_INET, 1, 1), 0);
	finish(s, p);

	ck_assert_uint_eq(space_hosts(s), 7);
	expect_host(s, 0, AF_INET, a4("0.0.0.1"));
	expect_host(s, 1, AF_INET, a4("1.1.1.1"));
	expect_host(s, 2, AF_INET, a4("10.0.0.2"));
	expect_host(s, 3, AF_INET6, a6("::1"));
	expect_host(s, 4, AF_INET6, a6("2001:db8::1"));
	expect_host(s, 5, AF_INET6, a6("2001:db8::2"));
	expect_host(s, 6, AF_INET6, a6("2001:db8::3"));
	space_free(s);
	ports_free(p);
}
END_TEST

/*
 * ::ffff:a.b.c.d is the host a.b.c.d (target.h): an IPv4 exclusion keeps
 * its mapped spelling out, a mapped exclusion the IPv4 one, a host given
 * both ways is one host, and names and late addresses agree.
 */
START_TEST(mapped_is_ipv4)
{
	struct ports *p = mkports("22");
	struct space *s = space_new();
	struct space_addr late[] = {
		{ AF_INET6, 0 }, { AF_INET6, 0 }, { AF_INET6, 0 },
	};
	const char *const *names;
	uint64_t host, added;

	ck_assert_int_eq(space_add_range(s, AF_INET, a4("127.0.0.1"),
	    a4("127.0.0.1")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("::ffff:127.0.0.1"),
	    a6("::ffff:127.0.0.3")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("::ffff:10.0.0.1"),
	    a6("::ffff:10.0.0.1")), 0);
	/* Mapped exclusion, IPv4 target; IPv4 exclusion, mapped target. */
	ck_assert_int_eq(space_exclude(s, AF_INET6, a6("::ffff:10.0.0.1"),
	    a6("::ffff:10.0.0.1")), 0);
	ck_assert_int_eq(space_exclude(s, AF_INET, a4("127.0.0.2"),
	    a4("127.0.0.2")), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET6, a6("::ffff:127.0.0.3"),
	    "mapped.example"), 0);
	/* A block straddling the mapped one: its mapped part is IPv4. */
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("::fffe:ffff:ffff"),
	    a6("::ffff:0.0.0.1")), 0);
	ck_assert_int_eq(space_exclude(s, AF_INET, a4("0.0.0.0"),
	    a4("0.0.0.0")), 0);
	finish(s, p);

	ck_assert_uint_eq(space_hosts(s), 4);
	expect_host(s, 0, AF_INET, a4("0.0.0.1"));
	expect_host(s, 1, AF_INET, a4("127.0.0.1"));
	expect_host(s, 2, AF_INET, a4("127.0.0.3"));
	expect_host(s, 3, AF_INET6, a6("::fffe:ffff:ffff"));
	ck_assert_uint_eq(space_names(s, 2, &names), 1);
	ck_assert_str_eq(names[0], "mapped.example");
	ck_assert(space_find(s, AF_INET6, a6("::ffff:127.0.0.3"), &host));
	ck_assert_uint_eq(host, 2);
	ck_assert(!space_find(s, AF_INET6, a6("::ffff:10.0.0.1"), &host));

	/* Late answers: known, excluded and new, all mapped. */
	late[0].addr = a6("::ffff:127.0.0.1");
	late[1].addr = a6("::ffff:10.0.0.1");
	late[2].addr = a6("::ffff:127.0.0.9");
	ck_assert_int_eq(space_extend(s, late, 3, &added), 0);
	ck_assert_uint_eq(added, 1);
	expect_host(s, 4, AF_INET, a4("127.0.0.9"));
	space_free(s);
	ports_free(p);
}
END_TEST

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Three universes of UNI addresses, in host order: IPv4 from 0.0.0.0 up,
 * IPv6 from :: up (the same integers, so a family mix-up shows), and IPv6
 * down from the top.  The model is one bit per address.
 */
#define UNI 1024
#define NUNI 3

struct model {
	unsigned char in[NUNI][UNI], out[NUNI][UNI];
};

static const int fams[NUNI] = { AF_INET, AF_INET6, AF_INET6 };

static target_u128
uni_base(int f)
{
	return f < 2 ? 0 : U128_MAX - (UNI - 1);
}

struct op {
	int f;		/* universe */
	bool exclude;
	unsigned lo, hi;	/* offsets in the universe */
};

static size_t
random_ops(uint64_t *rng, struct op *ops)
{
	size_t n = 0;

	for (int f = 0; f < NUNI; f++) {
		unsigned nin = 1 + (unsigned)(rng_next(rng) % 8);
		unsigned nex = (unsigned)(rng_next(rng) % 8);

		for (unsigned k = 0; k < nin + nex; k++) {
			unsigned lo = (unsigned)(rng_next(rng) % UNI);
			/* Mostly short intervals, sometimes long ones. */
			unsigned w = (unsigned)(rng_next(rng) %
			    (rng_next(rng) % 4 ? 64 : UNI));
			unsigned hi = lo + w < UNI ? lo + w : UNI - 1;

			/* The edges of the universe, often. */
			if (rng_next(rng) % 6 == 0)
				lo = 0;
			if (rng_next(rng) % 6 == 0)
				hi = UNI - 1;
			ops[n++] = (struct op){ f, k >= nin, lo, hi };
		}
	}
	/* Shuffle: the order of adding must not matter. */
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(rng) % i);
		struct op t = ops[i - 1];

		ops[i - 1] = ops[j];
		ops[j] = t;
	}
	return n;
}

static struct space *
build(const struct op *ops, size_t n, bool reverse, const struct ports *p)
{
	struct space *s = space_new();

	ck_assert_ptr_nonnull(s);
	for (size_t k = 0; k < n; k++) {
		const struct op *o = &ops[reverse ? n - 1 - k : k];
		target_u128 base = uni_base(o->f);
		int rc = o->exclude ?
		    space_exclude(s, fams[o->f], base + o->lo, base + o->hi) :
		    space_add_range(s, fams[o->f], base + o->lo, base + o->hi);

		ck_assert_int_eq(rc, 0);
	}
	finish(s, p);
	return s;
}

START_TEST(random_vs_model)
{
	struct ports *p = mkports("7,9,13");
	uint64_t rng = 1000 + (uint64_t)_i;

	for (int round = 0; round < 40; round++) {
		static struct op ops[64];
		static struct model m;
		size_t n = random_ops(&rng, ops);
		struct space *s = build(ops, n, false, p), *r;
		uint64_t want = 0, i = 0;

		memset(&m, 0, sizeof(m));
		for (size_t k = 0; k < n; k++)
			for (unsigned a = ops[k].lo; a <= ops[k].hi; a++)
				(ops[k].exclude ? m.out : m.in)[ops[k].f][a] = 1;
		for (int f = 0; f < NUNI; f++)
			for (unsigned a = 0; a < UNI; a++)
				want += m.in[f][a] && !m.out[f][a];
		CHECK(space_hosts(s) == want, "round %d: %ju hosts, want %ju",
		    round, (uintmax_t)space_hosts(s), (uintmax_t)want);
		CHECK(space_probes(s) == want * 3, "probes");
		/* Every host in order; no excluded address ever appears. */
		for (int f = 0; f < NUNI; f++)
			for (unsigned a = 0; a < UNI; a++)
				if (m.in[f][a] && !m.out[f][a])
					expect_host(s, i++, fams[f],
					    uni_base(f) + a);

		/* Built the other way round: the same space. */
		r = build(ops, n, true, p);
		CHECK(space_hosts(r) == want, "reverse build");
		CHECK(space_fingerprint(r) == space_fingerprint(s),
		    "fingerprint depends on the order of adding");
		space_free(r);
		space_free(s);
	}
	ports_free(p);
}
END_TEST

START_TEST(fingerprint)
{
	struct ports *p = mkports("80,443"), *q = mkports("443,80");
	struct space *a = space_new(), *b = space_new(), *c = space_new();

	ck_assert_int_eq(space_add_range(a, AF_INET, 10, 20), 0);
	ck_assert_int_eq(space_add_range(b, AF_INET, 10, 20), 0);
	ck_assert_int_eq(space_add_range(c, AF_INET, 10, 20), 0);
	ck_assert_int_eq(space_exclude(c, AF_INET, 15, 15), 0);
	finish(a, p);
	finish(b, q);
	finish(c, p);
	/* Port order is part of the plan; so is every address. */
	ck_assert_uint_ne(space_fingerprint(a), space_fingerprint(b));
	ck_assert_uint_ne(space_fingerprint(a), space_fingerprint(c));
	space_free(a);
	space_free(b);
	space_free(c);

	/* Split or whole, the same addresses give the same fingerprint. */
	a = space_new();
	b = space_new();
	ck_assert_int_eq(space_add_range(a, AF_INET, 10, 20), 0);
	ck_assert_int_eq(space_add_range(b, AF_INET, 15, 20), 0);
	ck_assert_int_eq(space_add_range(b, AF_INET, 10, 14), 0);
	finish(a, p);
	finish(b, p);
	ck_assert_uint_eq(space_fingerprint(a), space_fingerprint(b));
	space_free(a);
	space_free(b);
	ports_free(p);
	ports_free(q);
}
END_TEST

static void
expect_names(const struct space *s, uint64_t host, const char *const *want,
    size_t n)
{
	const char *const *names = NULL;
	size_t got = space_names(s, host, &names);

	ck_assert_uint_eq(got, n);
	if (n == 0) {
		ck_assert_ptr_null(names);
		return;
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(names[i], want[i]);
}

START_TEST(names_kept)
{
	struct ports *p = mkports("80");
	struct space *s = space_new();
	char buf[32];

	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.3")), 0);
	/* Insertion order, not alphabetical: "zeta" before "alpha". */
	strcpy(buf, "zeta.example");
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.1"), buf), 0);
	/* The name is copied: the caller's buffer can change. */
	strcpy(buf, "XXXXXXXXXXXX");
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.1"),
	    "alpha.example"), 0);
	/* The same name twice for one address: once. */
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.1"),
	    "zeta.example"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.2"),
	    "gone.example"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("127.0.0.1"),
	    "localhost"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET6, a6("::1"),
	    "localhost"), 0);
	/* A name adds its address even outside every range. */
	ck_assert_int_eq(space_add_name(s, AF_INET6, a6("2001:db8::5"),
	    "v6.example"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET6, a6("2001:db8::5"),
	    "alpha.example"), 0);
	/* An excluded address takes its names with it. */
	ck_assert_int_eq(space_exclude(s, AF_INET, a4("10.0.0.2"),
	    a4("10.0.0.2")), 0);
	finish(s, p);

	ck_assert_uint_eq(space_hosts(s), 3 + 1 + 2);
	expect_host(s, 0, AF_INET, a4("10.0.0.0"));
	expect_names(s, 0, NULL, 0);
	expect_host(s, 1, AF_INET, a4("10.0.0.1"));
	expect_names(s, 1, (const char *const[]){ "zeta.example",
	    "alpha.example" }, 2);
	expect_host(s, 2, AF_INET, a4("10.0.0.3"));
	expect_names(s, 2, NULL, 0);
	expect_host(s, 3, AF_INET, a4("127.0.0.1"));
	expect_names(s, 3, (const char *const[]){ "localhost" }, 1);
	expect_host(s, 4, AF_INET6, a6("::1"));
	expect_names(s, 4, (const char *const[]){ "localhost" }, 1);
	expect_host(s, 5, AF_INET6, a6("2001:db8::5"));
	expect_names(s, 5, (const char *const[]){ "v6.example",
	    "alpha.example" }, 2);
	space_free(s);

	/* A space without names answers 0 for every host. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET, 1, 3), 0);
	finish(s, p);
	expect_names(s, 0, NULL, 0);
	expect_names(s, 2, NULL, 0);
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(many_names)
{
	struct ports *p = mkports("80");
	struct space *s = space_new();
	char name[32];

	/* Three names each for 300 addresses, added interleaved. */
	for (int round = 0; round < 3; round++)
		for (unsigned a = 0; a < 300; a++) {
			snprintf(name, sizeof(name), "h%u-r%d", a, round);
			ck_assert_int_eq(space_add_name(s, AF_INET,
			    a4("10.0.0.0") + a * 7, name), 0);
		}
	/* Every other one excluded. */
	for (unsigned a = 0; a < 300; a += 2)
		ck_assert_int_eq(space_exclude(s, AF_INET,
		    a4("10.0.0.0") + a * 7, a4("10.0.0.0") + a * 7), 0);
	finish(s, p);
	ck_assert_uint_eq(space_hosts(s), 150);
	for (uint64_t i = 0; i < 150; i++) {
		const char *const *names;
		unsigned a = (unsigned)(2 * i + 1);
		char want[32];

		expect_host(s, i, AF_INET, a4("10.0.0.0") + a * 7);
		ck_assert_uint_eq(space_names(s, i, &names), 3);
		for (int round = 0; round < 3; round++) {
			snprintf(want, sizeof(want), "h%u-r%d", a, round);
			ck_assert_str_eq(names[round], want);
		}
	}
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(too_large)
{
	struct ports *one = mkports("80"), *two = mkports("80,443");
	struct space *s;
	char err[128];

	/* 2^64 addresses: one more than a host index can count. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::"),
	    a6("2001:db8::ffff:ffff:ffff:ffff")), 0);
	ck_assert_int_eq(space_finish(s, one, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "target space too large: more than 2^64 addresses");
	space_free(s);

	/* ::/0, whose size does not even fit 128 bits. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, 0, U128_MAX), 0);
	ck_assert_int_eq(space_finish(s, one, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "target space too large: more than 2^64 addresses");
	space_free(s);

	/* Two blocks that only overflow together. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::"),
	    a6("2001:db8::7fff:ffff:ffff:ffff")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db9::"),
	    a6("2001:db9::7fff:ffff:ffff:ffff")), 0);
	ck_assert_int_eq(space_finish(s, one, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "target space too large: more than 2^64 addresses");
	space_free(s);

	/* 2^63 hosts fit; times two ports they do not. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::"),
	    a6("2001:db8::7fff:ffff:ffff:ffff")), 0);
	ck_assert_int_eq(space_finish(s, two, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "target space too large: more than 2^64 probes");
	space_free(s);

	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::"),
	    a6("2001:db8::7fff:ffff:ffff:ffff")), 0);
	finish(s, one);
	ck_assert_uint_eq(space_hosts(s), UINT64_C(1) << 63);
	ck_assert_uint_eq(space_probes(s), UINT64_C(1) << 63);
	expect_host(s, (UINT64_C(1) << 63) - 1, AF_INET6,
	    a6("2001:db8::7fff:ffff:ffff:ffff"));
	space_free(s);

	/* 2^64 - 1 addresses is the most there can be. */
	s = space_new();
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::1"),
	    a6("2001:db8::ffff:ffff:ffff:ffff")), 0);
	finish(s, one);
	ck_assert_uint_eq(space_hosts(s), UINT64_MAX);
	expect_host(s, UINT64_MAX - 1, AF_INET6,
	    a6("2001:db8::ffff:ffff:ffff:ffff"));
	space_free(s);

	/* A whole IPv4 internet with all ports is fine. */
	s = space_new();
	ports_free(two);
	two = mkports("all");
	ck_assert_int_eq(space_add_range(s, AF_INET, 0, 0xffffffff), 0);
	finish(s, two);
	ck_assert_uint_eq(space_hosts(s), UINT64_C(1) << 32);
	ck_assert_uint_eq(space_probes(s), (UINT64_C(1) << 32) * 65535);
	expect_host(s, 0xffffffff, AF_INET, 0xffffffff);
	space_free(s);
	ports_free(one);
	ports_free(two);
}
END_TEST

START_TEST(sockaddr)
{
	struct ports *p = mkports("80");
	struct space *s = space_new();
	struct sockaddr_storage ss;
	unsigned char want6[16];

	ck_assert_int_eq(space_add_range(s, AF_INET, a4("192.0.2.1"),
	    a4("192.0.2.2")), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, a6("2001:db8::ab"),
	    a6("2001:db8::ab")), 0);
	finish(s, p);

	memset(&ss, 0xa5, sizeof(ss));
	ck_assert_uint_eq(space_sockaddr(s, 1, 8080, &ss),
	    sizeof(struct sockaddr_in));
	{
		const struct sockaddr_in *sin = (const void *)&ss;

		ck_assert_int_eq(sin->sin_family, AF_INET);
		ck_assert_uint_eq(ntohs(sin->sin_port), 8080);
		ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0xc0000202);
		/* The padding is cleared, not left over. */
		ck_assert_mem_eq(sin->sin_zero, "\0\0\0\0\0\0\0\0", 8);
	}

	memset(&ss, 0xa5, sizeof(ss));
	ck_assert_uint_eq(space_sockaddr(s, 2, 65535, &ss),
	    sizeof(struct sockaddr_in6));
	{
		const struct sockaddr_in6 *sin6 = (const void *)&ss;

		ck_assert_int_eq(sin6->sin6_family, AF_INET6);
		ck_assert_uint_eq(ntohs(sin6->sin6_port), 65535);
		ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::ab", want6), 1);
		ck_assert_mem_eq(sin6->sin6_addr.s6_addr, want6, 16);
		ck_assert_uint_eq(sin6->sin6_scope_id, 0);
		ck_assert_uint_eq(sin6->sin6_flowinfo, 0);
	}
	space_free(s);
	ports_free(p);
}
END_TEST

/* nhosts IPv4 hosts in two blocks, so that walks cross a block edge. */
static struct space *
walk_space(const struct ports *p, unsigned nhosts)
{
	struct space *s = space_new();

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.0") + nhosts / 2 - 1), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.9.0.0"),
	    a4("10.9.0.0") + (nhosts - nhosts / 2) - 1), 0);
	finish(s, p);
	ck_assert_uint_eq(space_hosts(s), nhosts);
	return s;
}

/* Index of a port in the space's table (the test tables are small). */
static size_t
port_index(const struct space *s, uint16_t port)
{
	for (size_t i = 0; i < space_nports(s); i++)
		if (space_port(s, i) == port)
			return i;
	ck_abort_msg("port %u not in the table", port);
	return 0;
}

START_TEST(sequential_full)
{
	struct ports *p = mkports("22,80,443,8080,1-3");
	struct space *s = walk_space(p, 37);
	struct iter_plan plan;
	struct iter it;
	struct iter_probe pr;
	uint64_t probes = space_probes(s), k = 0;
	unsigned char *seen = calloc(probes, 1);

	ck_assert_ptr_nonnull(seen);
	ck_assert_uint_eq(probes, 37 * 7);
	iter_plan_init(&plan, s, ITER_SEQUENTIAL, 99);
	iter_init(&it, &plan, NULL, 0);
	ck_assert_uint_eq(iter_remaining(&it), probes);
	while (iter_next(&it, &pr)) {
		size_t pi = port_index(s, pr.port);

		/* Host after host, ports in table order. */
		CHECK(pr.pos == k, "position %ju, want %ju", (uintmax_t)pr.pos,
		    (uintmax_t)k);
		CHECK(pr.host == k / 7 && pi == k % 7, "probe %ju: host %ju "
		    "port %u", (uintmax_t)k, (uintmax_t)pr.host, pr.port);
		CHECK(pr.group == pr.host, "group of a sequential walk");
		CHECK(iter_plan_group(&plan, pr.pos) == pr.group, "plan group");
		CHECK(!seen[pr.host * 7 + pi], "probe twice");
		seen[pr.host * 7 + pi] = 1;
		k++;
		CHECK(iter_remaining(&it) == probes - k, "remaining");
		CHECK(k == probes || iter_next_group(&it) == k / 7,
		    "next group");
	}
	ck_assert_uint_eq(k, probes);
	ck_assert_uint_eq(iter_next_group(&it), ITER_NO_GROUP);
	ck_assert(!iter_next(&it, &pr));
	for (uint64_t i = 0; i < probes; i++)
		CHECK(seen[i], "probe %ju never visited", (uintmax_t)i);
	free(seen);
	space_free(s);
	ports_free(p);
}
END_TEST

/* Every position of [lo, hi) walked, marking seen; count returned. */
static uint64_t
walk_ranges(const struct iter_plan *plan, const struct iter_range *r,
    size_t n, unsigned char *seen)
{
	struct iter it;
	struct iter_probe pr;
	uint64_t count = 0, want = 0, last = 0;

	for (size_t i = 0; i < n; i++)
		want += r[i].hi - r[i].lo;
	iter_init(&it, plan, r, n);
	ck_assert_uint_eq(iter_remaining(&it), want);
	while (iter_next(&it, &pr)) {
		bool inside = false;

		for (size_t i = 0; i < n; i++)
			inside |= pr.pos >= r[i].lo && pr.pos < r[i].hi;
		CHECK(inside, "position %ju outside the ranges",
		    (uintmax_t)pr.pos);
		CHECK(count == 0 || pr.pos > last, "positions not ascending");
		CHECK(!seen[pr.pos], "position %ju walked twice",
		    (uintmax_t)pr.pos);
		seen[pr.pos] = 1;
		last = pr.pos;
		count++;
	}
	ck_assert_uint_eq(count, want);
	ck_assert_uint_eq(iter_remaining(&it), 0);
	return count;
}

START_TEST(subranges_partition)
{
	struct ports *p = mkports("1-5");
	struct space *s = walk_space(p, 41);
	struct iter_plan plan;
	uint64_t probes = space_probes(s), total = 0;
	unsigned char *seen = calloc(probes, 1);
	/* Cut points, including empty pieces and a cut at every end. */
	const uint64_t cuts[] = { 0, 0, 1, 7, 7, 50, 51, 100, 204, 205 };
	size_t ncuts = sizeof(cuts) / sizeof(cuts[0]);

	ck_assert_ptr_nonnull(seen);
	ck_assert_uint_eq(probes, 205);
	iter_plan_init(&plan, s, ITER_SEQUENTIAL, 1);
	for (size_t i = 0; i + 1 < ncuts; i++) {
		struct iter_range r = { cuts[i], cuts[i + 1] };

		total += walk_ranges(&plan, &r, 1, seen);
	}
	ck_assert_uint_eq(total, probes);
	for (uint64_t i = 0; i < probes; i++)
		CHECK(seen[i], "position %ju missed", (uintmax_t)i);

	/* Several ranges in one walk, empty ones among them. */
	memset(seen, 0, probes);
	{
		const struct iter_range r[] = { { 0, 3 }, { 3, 3 }, { 10, 20 },
			{ 20, 21 }, { 100, 100 }, { 150, 205 } };

		total = walk_ranges(&plan, r, sizeof(r) / sizeof(r[0]), seen);
		ck_assert_uint_eq(total, 3 + 10 + 1 + 55);
		ck_assert(seen[0] && seen[2] && !seen[3] && seen[10] &&
		    seen[20] && !seen[21] && !seen[149] && seen[204]);
	}
	free(seen);
	space_free(s);
	ports_free(p);
}
END_TEST

START_TEST(rest_resumes)
{
	struct ports *p = mkports("1-3");
	struct space *s = walk_space(p, 20);
	struct iter_plan plan;
	struct iter it;
	struct iter_probe pr;
	const struct iter_range r[] = { { 5, 15 }, { 20, 30 }, { 50, 60 } };
	struct iter_range rest[3];
	unsigned char seen[60] = { 0 };
	size_t n;

	iter_plan_init(&plan, s, ITER_RANDOM, 7);
	iter_init(&it, &plan, r, 3);
	/* Walk into the second range, then stop. */
	for (int i = 0; i < 13; i++) {
		ck_assert(iter_next(&it, &pr));
		seen[pr.pos] = 1;
	}
	ck_assert_uint_eq(pr.pos, 22);
	n = iter_rest(&it, rest);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rest[0].lo, 23);
	ck_assert_uint_eq(rest[0].hi, 30);
	ck_assert_uint_eq(rest[1].lo, 50);
	ck_assert_uint_eq(rest[1].hi, 60);
	ck_assert_uint_eq(iter_remaining(&it), 7 + 10);
	/* A new walk over the rest finishes the job, nothing twice. */
	ck_assert_uint_eq(walk_ranges(&plan, rest, n, seen), 17);
	for (int i = 0; i < 60; i++)
		ck_assert_int_eq(seen[i], (i >= 5 && i < 15) ||
		    (i >= 20 && i < 30) || (i >= 50 && i < 60));
	space_free(s);
	ports_free(p);
}
END_TEST

/*
 * The random order: still every pair once; groups are windows of hosts,
 * contiguous in position and never split a host.
 */
static void
random_walk(unsigned nhosts, const char *portspec, uint64_t seed)
{
	struct ports *p = mkports(portspec);
	struct space *s = walk_space(p, nhosts);
	struct iter_plan plan;
	struct iter it;
	struct iter_probe pr;
	size_t nports = space_nports(s);
	uint64_t probes = space_probes(s), k = 0, in_order = 0, last_group = 0;
	unsigned char *seen = calloc(probes, 1);
	uint64_t *host_group = malloc(nhosts * sizeof(*host_group));
	uint16_t *port_pos = calloc(65536, sizeof(*port_pos));
	/* The first ports of the first two windows. */
	enum { HEAD = 1000 };
	uint16_t head[2][HEAD];
	uint64_t wprobes, same = 0;

	ck_assert_ptr_nonnull(seen);
	for (size_t i = 0; i < nports; i++)
		port_pos[space_port(s, i)] = (uint16_t)i;
	for (unsigned h = 0; h < nhosts; h++)
		host_group[h] = ITER_NO_GROUP;
	iter_plan_init(&plan, s, ITER_RANDOM, seed);
	wprobes = plan.window * nports;
	iter_init(&it, &plan, NULL, 0);
	while (iter_next(&it, &pr)) {
		uint64_t cell;

		if (pr.pos % wprobes < HEAD && pr.pos / wprobes < 2)
			head[pr.pos / wprobes][pr.pos % wprobes] = pr.port;

		CHECK(pr.pos == k, "position");
		CHECK(pr.host < nhosts, "host %ju out of range",
		    (uintmax_t)pr.host);
		cell = pr.host * nports + port_pos[pr.port];
		CHECK(!seen[cell], "host %ju port %u twice",
		    (uintmax_t)pr.host, pr.port);
		seen[cell] = 1;
		CHECK(pr.group == iter_plan_group(&plan, pr.pos), "plan group");
		CHECK(pr.group >= last_group, "groups go back");
		CHECK(host_group[pr.host] == ITER_NO_GROUP ||
		    host_group[pr.host] == pr.group, "host %ju in two groups",
		    (uintmax_t)pr.host);
		host_group[pr.host] = pr.group;
		last_group = pr.group;
		in_order += cell == k;
		k++;
	}
	ck_assert_uint_eq(k, probes);
	/* Random means not sequential: few probes where a walk would put them. */
	ck_assert_uint_lt(in_order, probes / 10 + 2);
	/* Groups are windows of plan.window hosts. */
	ck_assert_uint_eq(last_group, (nhosts + plan.window - 1) / plan.window -
	    1);
	/* Two full windows are shuffled each their own way. */
	if (probes >= 2 * wprobes && wprobes >= HEAD) {
		for (int i = 0; i < HEAD; i++)
			same += head[0][i] == head[1][i];
		ck_assert_uint_lt(same, HEAD / 10);
	}
	free(seen);
	free(host_group);
	free(port_pos);
	space_free(s);
	ports_free(p);
}

START_TEST(random_full_small)
{
	/* Fewer hosts than a window: one group. */
	random_walk(10, "80,443,22", 5);
}
END_TEST

START_TEST(random_full_windows)
{
	/* 1024 ports: 64-host windows, so 200 hosts make 4 groups. */
	random_walk(200, "1-1024", 0xfeedULL + (uint64_t)_i);
}
END_TEST

START_TEST(random_deterministic)
{
	struct ports *p = mkports("1-100");
	struct space *s = walk_space(p, 150);
	struct iter_plan a, b, c;
	struct iter ia, ib, ic, sub;
	struct iter_probe pa, pb, pc, ps;
	const struct iter_range r = { 5000, 9000 };
	uint64_t differ = 0;

	iter_plan_init(&a, s, ITER_RANDOM, 1234);
	iter_plan_init(&b, s, ITER_RANDOM, 1234);
	iter_plan_init(&c, s, ITER_RANDOM, 1235);
	iter_init(&ia, &a, NULL, 0);
	iter_init(&ib, &b, NULL, 0);
	iter_init(&ic, &c, NULL, 0);
	iter_init(&sub, &a, &r, 1);
	while (iter_next(&ia, &pa)) {
		ck_assert(iter_next(&ib, &pb));
		ck_assert(iter_next(&ic, &pc));
		/* Same seed, same order: what shards and resume rely on. */
		CHECK(pa.host == pb.host && pa.port == pb.port, "seed not "
		    "deterministic at %ju", (uintmax_t)pa.pos);
		differ += pa.host != pc.host || pa.port != pc.port;
		/* A walk over a slice sees exactly the slice of the order. */
		if (pa.pos >= r.lo && pa.pos < r.hi) {
			ck_assert(iter_next(&sub, &ps));
			CHECK(ps.pos == pa.pos && ps.host == pa.host &&
			    ps.port == pa.port && ps.group == pa.group,
			    "slice differs at %ju", (uintmax_t)pa.pos);
		}
	}
	ck_assert(!iter_next(&sub, &ps));
	/* Another seed, another order. */
	ck_assert_uint_gt(differ, space_probes(s) / 2);
	space_free(s);
	ports_free(p);
}
END_TEST

/* --- growing: parts added while a scan runs ------------------------------ */

START_TEST(extend_parts)
{
	struct ports *p = mkports("80");
	struct space *s = space_new();
	struct space_addr more[] = {
		{ AF_INET, 0 }, { AF_INET, 0 }, { AF_INET, 0 },
		{ AF_INET6, 0 }, { AF_INET, 0 },
	};
	const char *const *names;
	uint64_t added, host;

	more[0].addr = a4("10.0.0.1");		/* in the space already */
	more[1].addr = a4("10.0.0.9");
	more[2].addr = a4("10.0.0.8");
	more[3].addr = a6("::1");
	more[4].addr = a4("10.0.0.20");		/* excluded */
	ck_assert_int_eq(space_add_range(s, AF_INET, a4("10.0.0.0"),
	    a4("10.0.0.3")), 0);
	ck_assert_int_eq(space_exclude(s, AF_INET, a4("10.0.0.20"),
	    a4("10.0.0.20")), 0);
	finish(s, p);
	ck_assert_uint_eq(space_hosts(s), 4);
	ck_assert_int_eq(space_extend(s, more, 5, &added), 0);
	ck_assert_uint_eq(added, 3);
	ck_assert_uint_eq(space_hosts(s), 7);
	ck_assert_uint_eq(space_probes(s), 7);
	expect_host(s, 3, AF_INET, a4("10.0.0.3"));
	expect_host(s, 4, AF_INET, a4("10.0.0.8"));
	expect_host(s, 5, AF_INET, a4("10.0.0.9"));
	expect_host(s, 6, AF_INET6, a6("::1"));
	ck_assert(space_find(s, AF_INET, a4("10.0.0.9"), &host));
	ck_assert_uint_eq(host, 5);
	ck_assert(space_find(s, AF_INET, a4("10.0.0.2"), &host));
	ck_assert_uint_eq(host, 2);
	ck_assert(!space_find(s, AF_INET, a4("10.0.0.20"), &host));
	/* A second part, and an empty one. */
	more[0].addr = a4("10.0.0.100");
	ck_assert_int_eq(space_extend(s, more, 2, &added), 0);
	ck_assert_uint_eq(added, 1);
	expect_host(s, 7, AF_INET, a4("10.0.0.100"));
	ck_assert_int_eq(space_extend(s, more, 2, &added), 0);
	ck_assert_uint_eq(added, 0);
	ck_assert_uint_eq(space_hosts(s), 8);
	/* Late names: invisible until sealed, then under their host. */
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.9"), "b"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.9"), "a"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.1"), "c"), 0);
	ck_assert_int_eq(space_add_name(s, AF_INET, a4("10.0.0.20"), "x"), 0);
	ck_assert_uint_eq(space_names(s, 5, &names), 0);
	ck_assert_int_eq(space_seal_names(s), 0);
	ck_assert_uint_eq(space_names(s, 5, &names), 2);
	ck_assert_str_eq(names[0], "b");
	ck_assert_str_eq(names[1], "a");
	ck_assert_uint_eq(space_names(s, 1, &names), 1);
	ck_assert_str_eq(names[0], "c");
	space_free(s);
	ports_free(p);
}
END_TEST

/* A plan that grows: every probe of every part exactly once, groups grow. */
static void
check_grown_walk(enum iter_order order)
{
	struct ports *p = mkports("1-7");
	struct space *s = walk_space(p, 100);
	struct space_addr more[300];
	struct iter_plan plan;
	struct iter it;
	struct iter_probe pr;
	struct iter_range all;
	unsigned char *seen;
	uint64_t lo, hi, added, last_group = 0, n = 0, expect_lo;

	iter_plan_init(&plan, s, order, 42);
	expect_lo = space_probes(s);
	for (int part = 0; part < 3; part++) {
		for (int i = 0; i < 100; i++) {
			more[i].family = AF_INET;
			more[i].addr = a4("10.50.0.0") + (target_u128)(part *
			    100 + i);
		}
		ck_assert_int_eq(space_extend(s, more, 100, &added), 0);
		ck_assert_uint_eq(added, 100);
		ck_assert_int_eq(iter_plan_extend(&plan, space_hosts(s) - added,
		    added, &lo, &hi), 0);
		ck_assert_uint_eq(lo, expect_lo);
		ck_assert_uint_eq(hi - lo, 700);
		expect_lo = hi;
	}
	ck_assert_uint_eq(space_probes(s), 400 * 7);
	seen = calloc(space_probes(s), 1);
	ck_assert_ptr_nonnull(seen);
	all.lo = 0;
	all.hi = space_probes(s);
	iter_init(&it, &plan, &all, 1);
	while (iter_next(&it, &pr)) {
		uint64_t k = pr.host * 7 + port_index(s, pr.port);

		CHECK(pr.host < space_hosts(s), "host %ju out of range",
		    (uintmax_t)pr.host);
		CHECK(!seen[k], "probe %ju twice", (uintmax_t)k);
		seen[k] = 1;
		CHECK(pr.group >= last_group, "group went back at %ju",
		    (uintmax_t)pr.pos);
		CHECK(pr.group == iter_plan_group(&plan, pr.pos),
		    "iter_plan_group disagrees at %ju", (uintmax_t)pr.pos);
		/* Parts keep to their own hosts. */
		CHECK(pr.pos < 700 ? pr.host < 100 :
		    pr.host / 100 == pr.pos / 700, "position %ju gave host "
		    "%ju", (uintmax_t)pr.pos, (uintmax_t)pr.host);
		last_group = pr.group;
		n++;
	}
	ck_assert_uint_eq(n, space_probes(s));
	free(seen);
	iter_plan_free(&plan);
	space_free(s);
	ports_free(p);
}

START_TEST(grown_walk_random)
{
	check_grown_walk(ITER_RANDOM);
}
END_TEST

START_TEST(grown_walk_sequential)
{
	check_grown_walk(ITER_SEQUENTIAL);
}
END_TEST

static Suite *
space_suite(void)
{
	Suite *s = suite_create("space");
	TCase *tc = tcase_create("space");
	TCase *walk = tcase_create("iter");

	tcase_add_test(tc, overlaps_merged);
	tcase_add_test(tc, exclusions);
	tcase_add_test(tc, everything_excluded);
	tcase_add_test(tc, family_order);
	tcase_add_test(tc, mapped_is_ipv4);
	tcase_add_loop_test(tc, random_vs_model, 0, 5);
	tcase_add_test(tc, fingerprint);
	tcase_add_test(tc, names_kept);
	tcase_add_test(tc, many_names);
	tcase_add_test(tc, too_large);
	tcase_add_test(tc, sockaddr);
	suite_add_tcase(s, tc);

	tcase_add_test(walk, sequential_full);
	tcase_add_test(walk, subranges_partition);
	tcase_add_test(walk, rest_resumes);
	tcase_add_test(walk, random_full_small);
	tcase_add_loop_test(walk, random_full_windows, 0, 2);
	tcase_add_test(walk, random_deterministic);
	tcase_add_test(tc, extend_parts);
	tcase_add_test(walk, grown_walk_random);
	tcase_add_test(walk, grown_walk_sequential);
	suite_add_tcase(s, walk);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(space_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
