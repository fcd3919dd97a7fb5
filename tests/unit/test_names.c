/*
 * Names as certificate logs and wordlists spell them: what is cleaned to
 * what, what is refused and why, and the set that drops repeats.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/names.h"

struct clean_case {
	const char *in;
	const char *domain;
	enum names_verdict want;
	const char *out;	/* for NAMES_OK */
};

static const struct clean_case cleans[] = {
	/* Spelling. */
	{ "www.example.com", "example.com", NAMES_OK, "www.example.com" },
	{ "WWW.Example.COM", "example.com", NAMES_OK, "www.example.com" },
	{ "www.example.com.", "example.com", NAMES_OK, "www.example.com" },
	{ "*.example.com", "example.com", NAMES_OK, "example.com" },
	{ "*.Dev.Example.com.", "example.com", NAMES_OK, "dev.example.com" },
	{ "example.com", "example.com", NAMES_OK, "example.com" },
	{ "example.com", "EXAMPLE.COM.", NAMES_OK, "example.com" },
	{ "_dmarc.example.com", "example.com", NAMES_OK, "_dmarc.example.com" },
	{ "a-b.c-d.example.com", "example.com", NAMES_OK,
	    "a-b.c-d.example.com" },
	{ "xn--bcher-kva.example.com", "example.com", NAMES_OK,
	    "xn--bcher-kva.example.com" },
	{ "1.2.example.com", "example.com", NAMES_OK, "1.2.example.com" },
	{ "a.b", NULL, NAMES_OK, "a.b" },
	{ "localhost", NULL, NAMES_OK, "localhost" },
	/* Only one "*." and one trailing dot go. */
	{ "*.*.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www.example.com..", "example.com", NAMES_INVALID, NULL },
	{ "*example.com", "example.com", NAMES_INVALID, NULL },
	{ "www.*.example.com", "example.com", NAMES_INVALID, NULL },
	/* Not host names. */
	{ "", "example.com", NAMES_INVALID, NULL },
	{ ".", "example.com", NAMES_INVALID, NULL },
	{ "*.", "example.com", NAMES_INVALID, NULL },
	{ ".example.com", "example.com", NAMES_INVALID, NULL },
	{ "www..example.com", "example.com", NAMES_INVALID, NULL },
	{ "-www.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www-.example.com", "example.com", NAMES_INVALID, NULL },
	{ "w w.example.com", "example.com", NAMES_INVALID, NULL },
	{ " www.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www.example.com ", "example.com", NAMES_INVALID, NULL },
	{ "www\t.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www\n.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www\x01.example.com", "example.com", NAMES_INVALID, NULL },
	{ "admin@example.com", "example.com", NAMES_INVALID, NULL },
	{ "caf\xc3\xa9.example.com", "example.com", NAMES_INVALID, NULL },
	{ "www.example.com/x", "example.com", NAMES_INVALID, NULL },
	{ "1.2.3.4", NULL, NAMES_INVALID, NULL },
	{ "10.0.0.1.", NULL, NAMES_INVALID, NULL },
	/* Inside or outside the domain. */
	{ "www.example.org", "example.com", NAMES_OUTSIDE, NULL },
	{ "wwwexample.com", "example.com", NAMES_OUTSIDE, NULL },
	{ "example.com.evil.net", "example.com", NAMES_OUTSIDE, NULL },
	{ "com", "example.com", NAMES_OUTSIDE, NULL },
	{ "xample.com", "example.com", NAMES_OUTSIDE, NULL },
	{ "www.EXAMPLE.ORG.", "example.com", NAMES_OUTSIDE, NULL },
};

START_TEST(clean)
{
	const struct clean_case *c = &cleans[_i];
	char out[NAMES_BUFSIZE];
	enum names_verdict v;

	memset(out, 'x', sizeof(out));
	v = names_clean(c->in, strlen(c->in), c->domain, out, sizeof(out));
	ck_assert_msg(v == c->want, "'%s' in '%s': %s, want %s", c->in,
	    c->domain ? c->domain : "(any)", names_verdict_str(v),
	    names_verdict_str(c->want));
	if (c->want == NAMES_OK)
		ck_assert_str_eq(out, c->out);
}
END_TEST

/* The length is what counts: a NUL inside is a bad character, not an end. */
START_TEST(clean_uses_length)
{
	char out[NAMES_BUFSIZE];

	ck_assert_int_eq(names_clean("www.example.com\0.evil", 21,
	    "example.com", out, sizeof(out)), NAMES_INVALID);
	ck_assert_int_eq(names_clean("www.example.comXXXX", 15, "example.com",
	    out, sizeof(out)), NAMES_OK);
	ck_assert_str_eq(out, "www.example.com");
}
END_TEST

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

START_TEST(clean_lengths)
{
	char out[NAMES_BUFSIZE], name[600];
	char *l63 = repeat('a', 63), *l64 = repeat('a', 64);
	char *huge = repeat('a', 5 << 20);

	/* A label of 63 is fine, 64 is not. */
	snprintf(name, sizeof(name), "%s.example.com", l63);
	ck_assert_int_eq(names_clean(name, strlen(name), "example.com", out,
	    sizeof(out)), NAMES_OK);
	snprintf(name, sizeof(name), "%s.example.com", l64);
	ck_assert_int_eq(names_clean(name, strlen(name), "example.com", out,
	    sizeof(out)), NAMES_INVALID);

	/* 253 characters in all is fine (with a trailing dot too), 254 not. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l63);
	name[253] = '\0';
	name[252] = 'z';
	ck_assert_int_eq(names_clean(name, 253, NULL, out, sizeof(out)),
	    NAMES_OK);
	ck_assert_uint_eq(strlen(out), 253);
	name[253] = '.';
	ck_assert_int_eq(names_clean(name, 254, NULL, out, sizeof(out)),
	    NAMES_OK);
	name[253] = 'z';
	ck_assert_int_eq(names_clean(name, 254, NULL, out, sizeof(out)),
	    NAMES_INVALID);

	/* A small buffer refuses rather than truncates. */
	ck_assert_int_eq(names_clean("www.example.com", 15, NULL, out, 15),
	    NAMES_INVALID);
	ck_assert_int_eq(names_clean("www.example.com", 15, NULL, out, 16),
	    NAMES_OK);

	/* Megabytes of junk: refused at once. */
	ck_assert_int_eq(names_clean(huge, strlen(huge), "example.com", out,
	    sizeof(out)), NAMES_INVALID);
	free(l63);
	free(l64);
	free(huge);
}
END_TEST

START_TEST(set_basics)
{
	struct names_set *s = names_set_new();

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(names_set_count(s), 0);
	ck_assert(!names_set_has(s, "a.example.com"));
	ck_assert_ptr_null(names_set_name(s, 0));
	ck_assert_int_eq(names_set_add(s, "b.example.com"), 1);
	ck_assert_int_eq(names_set_add(s, "a.example.com"), 1);
	ck_assert_int_eq(names_set_add(s, "b.example.com"), 0);
	ck_assert_int_eq(names_set_add(s, "c.example.com"), 1);
	ck_assert_int_eq(names_set_add(s, "a.example.com"), 0);
	ck_assert_int_eq(names_set_add(s, ""), 1);
	ck_assert_int_eq(names_set_add(s, ""), 0);
	ck_assert_uint_eq(names_set_count(s), 4);
	/* First-seen order. */
	ck_assert_str_eq(names_set_name(s, 0), "b.example.com");
	ck_assert_str_eq(names_set_name(s, 1), "a.example.com");
	ck_assert_str_eq(names_set_name(s, 2), "c.example.com");
	ck_assert_str_eq(names_set_name(s, 3), "");
	ck_assert_str_eq(names_set_names(s)[2], "c.example.com");
	ck_assert(names_set_has(s, "c.example.com"));
	ck_assert(!names_set_has(s, "d.example.com"));
	names_set_free(s);
	names_set_free(NULL);
}
END_TEST

/* Many names: growth, and order and membership survive rehashing. */
START_TEST(set_many)
{
	struct names_set *s = names_set_new();
	char name[64];
	const size_t n = 200000;

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host-%zu.example.com", i);
		ck_assert_int_eq(names_set_add(s, name), 1);
		/* Every third name again: a repeat changes nothing. */
		if (i % 3 == 0) {
			snprintf(name, sizeof(name), "host-%zu.example.com",
			    i / 2);
			ck_assert_int_eq(names_set_add(s, name), 0);
		}
	}
	ck_assert_uint_eq(names_set_count(s), n);
	for (size_t i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "host-%zu.example.com", i);
		ck_assert_str_eq(names_set_name(s, i), name);
		ck_assert(names_set_has(s, name));
	}
	ck_assert(!names_set_has(s, "host-200000.example.com"));
	names_set_free(s);
}
END_TEST

/* A name longer than an arena block is still copied whole. */
START_TEST(set_long_name)
{
	struct names_set *s = names_set_new();
	char *big = repeat('q', 100000);

	ck_assert_int_eq(names_set_add(s, "a"), 1);
	ck_assert_int_eq(names_set_add(s, big), 1);
	ck_assert_int_eq(names_set_add(s, "b"), 1);
	ck_assert_int_eq(names_set_add(s, big), 0);
	ck_assert_str_eq(names_set_name(s, 1), big);
	ck_assert_str_eq(names_set_name(s, 2), "b");
	free(big);
	names_set_free(s);
}
END_TEST

/* A clean-then-add pipeline, as a certificate log feeds it. */
START_TEST(clean_and_dedup)
{
	static const char *const raw[] = {
		"*.example.com", "example.com", "WWW.example.com",
		"www.example.com.", "mail.example.com", "bob@example.com",
		"www.example.org", "*.mail.example.com", "Mail.Example.Com",
	};
	static const char *const want[] = {
		"example.com", "www.example.com", "mail.example.com",
	};
	struct names_set *s = names_set_new();
	char out[NAMES_BUFSIZE];
	size_t invalid = 0, outside = 0;

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		switch (names_clean(raw[i], strlen(raw[i]), "example.com", out,
		    sizeof(out))) {
		case NAMES_OK:
			ck_assert_int_ge(names_set_add(s, out), 0);
			break;
		case NAMES_INVALID:
			invalid++;
			break;
		case NAMES_OUTSIDE:
			outside++;
			break;
		}
	}
	ck_assert_uint_eq(invalid, 1);
	ck_assert_uint_eq(outside, 1);
	ck_assert_uint_eq(names_set_count(s), 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(names_set_name(s, i), want[i]);
	names_set_free(s);
}
END_TEST

static Suite *
names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("clean");
	TCase *set = tcase_create("set");

	tcase_add_loop_test(tc, clean, 0,
	    (int)(sizeof(cleans) / sizeof(cleans[0])));
	tcase_add_test(tc, clean_uses_length);
	tcase_add_test(tc, clean_lengths);
	suite_add_tcase(s, tc);
	tcase_add_test(set, set_basics);
	tcase_add_test(set, set_many);
	tcase_add_test(set, set_long_name);
	tcase_add_test(set, clean_and_dedup);
	tcase_set_timeout(set, 60);
	suite_add_tcase(s, set);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
