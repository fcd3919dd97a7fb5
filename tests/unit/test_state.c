/*
 * The errno table.  Each row here is a claim the man page makes; above all,
 * a local shortage must never become a port state, or a busy scan would
 * report open ports as closed.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/state.h"

struct row {
	int err;
	const char *name;
	enum state_verdict verdict;
	enum state state;	/* for VERDICT_FINAL */
	const char *reason;	/* for VERDICT_FINAL */
};

#define ROW(e, v, s, r) { e, #e, v, s, r }

static const struct row table[] = {
	ROW(0, VERDICT_FINAL, STATE_OPEN, "syn-ack"),
	ROW(EINPROGRESS, VERDICT_PENDING, STATE_OPEN, NULL),
	ROW(EINTR, VERDICT_PENDING, STATE_OPEN, NULL),
	ROW(ECONNREFUSED, VERDICT_FINAL, STATE_CLOSED, "conn-refused"),
	ROW(ECONNRESET, VERDICT_FINAL, STATE_CLOSED, "conn-refused"),
	ROW(ECONNABORTED, VERDICT_FINAL, STATE_CLOSED, "conn-refused"),
	ROW(ETIMEDOUT, VERDICT_FINAL, STATE_FILTERED, "no-response"),
	ROW(EPERM, VERDICT_FINAL, STATE_FILTERED, "admin-prohibited"),
	ROW(EHOSTUNREACH, VERDICT_FINAL, STATE_UNREACHABLE, "host-unreach"),
	ROW(ENETUNREACH, VERDICT_FINAL, STATE_UNREACHABLE, "net-unreach"),
	ROW(EHOSTDOWN, VERDICT_FINAL, STATE_UNREACHABLE, "host-unreach"),
	ROW(ENETDOWN, VERDICT_FINAL, STATE_UNREACHABLE, "net-unreach"),
	ROW(ENONET, VERDICT_FINAL, STATE_UNREACHABLE, "net-unreach"),
	ROW(EPROTO, VERDICT_FINAL, STATE_UNREACHABLE, "proto-unreach"),
	ROW(EACCES, VERDICT_FINAL, STATE_UNREACHABLE, "admin-prohibited"),
	ROW(EINVAL, VERDICT_FINAL, STATE_UNREACHABLE, "net-unreach"),
	ROW(EAFNOSUPPORT, VERDICT_FINAL, STATE_UNREACHABLE, "net-unreach"),
	ROW(EMFILE, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(ENFILE, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(ENOBUFS, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(ENOMEM, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(EADDRNOTAVAIL, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(EADDRINUSE, VERDICT_LOCAL, STATE_OPEN, NULL),
	ROW(EAGAIN, VERDICT_LOCAL, STATE_OPEN, NULL),
	/* The same number on Linux, but spelled both ways in the kernel. */
	ROW(EWOULDBLOCK, VERDICT_LOCAL, STATE_OPEN, NULL),
	/* Nothing better to say: unreachable, never a retry. */
	ROW(EBADF, VERDICT_FINAL, STATE_UNREACHABLE, "error"),
	ROW(EISCONN, VERDICT_FINAL, STATE_UNREACHABLE, "error"),
	ROW(9999, VERDICT_FINAL, STATE_UNREACHABLE, "error"),
	ROW(-1, VERDICT_FINAL, STATE_UNREACHABLE, "error"),
};

START_TEST(classify)
{
	const struct row *r = &table[_i];
	/* A value classify must overwrite for a final verdict. */
	enum state st = STATE_COUNT;
	enum state_verdict v = state_classify(r->err, &st);

	ck_assert_msg(v == r->verdict, "%s: verdict %d, expected %d", r->name,
	    v, r->verdict);
	if (v != VERDICT_FINAL)
		return;
	ck_assert_msg(st == r->state, "%s: state %s, expected %s", r->name,
	    state_name(st), state_name(r->state));
	ck_assert_str_eq(state_reason(r->err, st), r->reason);
}
END_TEST

START_TEST(reasons)
{
	/* Silence: the engine's own deadline, no errno. */
	ck_assert_str_eq(state_reason(0, STATE_FILTERED), "no-response");
	ck_assert_str_eq(state_reason(0, STATE_OPEN), "syn-ack");
	ck_assert_str_eq(state_reason(ETIMEDOUT, STATE_FILTERED),
	    "no-response");
	/* Errors without a reason word of their own. */
	ck_assert_str_eq(state_reason(EMFILE, STATE_UNREACHABLE), "error");
	ck_assert_str_eq(state_reason(EINPROGRESS, STATE_OPEN), "error");
}
END_TEST

static const char *const state_names[STATE_COUNT] = {
	"open", "closed", "filtered", "unreachable", "unresolved",
};

START_TEST(names)
{
	for (unsigned i = 0; i < STATE_COUNT; i++) {
		enum state back = STATE_COUNT;
		const char *n = state_name((enum state)i);

		ck_assert_str_eq(n, state_names[i]);
		ck_assert(state_from_name(n, strlen(n), &back));
		ck_assert_int_eq(back, (int)i);
	}
	ck_assert_str_eq(state_name(STATE_COUNT), "?");
	ck_assert_str_eq(state_name((enum state)-1), "?");
}
END_TEST

START_TEST(from_name)
{
	enum state s = STATE_COUNT;

	/* Only len bytes count, so a word can be taken out of a list. */
	ck_assert(state_from_name("closed,open", 6, &s));
	ck_assert_int_eq(s, STATE_CLOSED);
	ck_assert(state_from_name("openx", 4, &s));
	ck_assert_int_eq(s, STATE_OPEN);

	s = STATE_COUNT;
	ck_assert(!state_from_name("openx", 5, &s));
	ck_assert(!state_from_name("ope", 3, &s));
	ck_assert(!state_from_name("OPEN", 4, &s));
	ck_assert(!state_from_name("", 0, &s));
	ck_assert(!state_from_name("all", 3, &s));
	ck_assert(!state_from_name("filtered ", 9, &s));
	ck_assert_int_eq(s, STATE_COUNT);
}
END_TEST

START_TEST(parse_list)
{
	unsigned mask = 0;
	char err[64] = "";

	ck_assert_int_eq(state_parse_list("open", &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask, STATE_BIT(STATE_OPEN));
	ck_assert_int_eq(state_parse_list("open,closed", &mask, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(mask, STATE_BIT(STATE_OPEN) | STATE_BIT(STATE_CLOSED));
	ck_assert_int_eq(state_parse_list("unreachable,filtered,filtered",
	    &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask,
	    STATE_BIT(STATE_UNREACHABLE) | STATE_BIT(STATE_FILTERED));
	ck_assert_int_eq(state_parse_list("all", &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask, STATE_ALL);
	ck_assert_uint_eq(STATE_ALL, 0x1f);
	ck_assert_int_eq(state_parse_list("closed,all", &mask, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(mask, STATE_ALL);
	ck_assert_int_eq(state_parse_list("open,closed,filtered,unreachable,"
	    "unresolved", &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask, STATE_ALL);
	/* A fresh mask each call, not added to the last one. */
	ck_assert_int_eq(state_parse_list("closed", &mask, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(mask, STATE_BIT(STATE_CLOSED));
}
END_TEST

struct bad {
	const char *list;
	const char *msg;
};

static const struct bad bad_lists[] = {
	{ "x", "bad state 'x'" },
	{ "open,x", "bad state 'x'" },
	{ "x,open", "bad state 'x'" },
	{ "Open", "bad state 'Open'" },
	{ "open closed", "bad state 'open closed'" },
	{ "", "bad state ''" },
	{ "open,,closed", "bad state ''" },
	{ "open,", "bad state ''" },
	{ ",open", "bad state ''" },
	{ "alll", "bad state 'alll'" },
};

START_TEST(parse_list_bad)
{
	const struct bad *b = &bad_lists[_i];
	unsigned mask = 0;
	char err[64] = "";

	ck_assert_msg(state_parse_list(b->list, &mask, err, sizeof(err)) == -1,
	    "'%s' accepted", b->list);
	ck_assert_str_eq(err, b->msg);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, classify, 0,
	    (int)(sizeof(table) / sizeof(table[0])));
	tcase_add_test(tc, reasons);
	tcase_add_test(tc, names);
	tcase_add_test(tc, from_name);
	tcase_add_test(tc, parse_list);
	tcase_add_loop_test(tc, parse_list_bad, 0,
	    (int)(sizeof(bad_lists) / sizeof(bad_lists[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
