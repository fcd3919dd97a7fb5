/*
 * Service names: nmap's table wins where it names a port (the names ndiff
 * compares), the system's database fills the rest, and a port nobody
 * names has no name.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/services.h"

/* Facts of nmap-services, copied by hand (not read from the data file). */
static const struct {
	uint16_t port;
	const char *name;
} nmap_facts[] = {
	{ 22, "ssh" }, { 80, "http" }, { 111, "rpcbind" },
	{ 135, "msrpc" }, { 3000, "ppp" }, { 8080, "http-proxy" },
	{ 6001, "X11:1" },
};

START_TEST(nmap_first)
{
	struct services *s = services_new();

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(nmap_facts) / sizeof(nmap_facts[0]);
	    i++) {
		const char *got = services_name(s, nmap_facts[i].port);

		ck_assert_msg(got != NULL &&
		    strcmp(got, nmap_facts[i].name) == 0,
		    "port %u: got %s, want %s", nmap_facts[i].port,
		    got ? got : "(none)", nmap_facts[i].name);
	}
	services_free(s);
}
END_TEST

/* 5667 is unnamed by nmap; where the system names it, that name shows. */
START_TEST(system_fills)
{
	struct services *s = services_new();
	struct servent *se = getservbyport(htons(5667), "tcp");
	const char *got = services_name(s, 5667);

	if (se == NULL)
		ck_assert_msg(got == NULL, "5667: got %s, want none", got);
	else
		ck_assert_msg(got != NULL && strcmp(got, se->s_name) == 0,
		    "5667: got %s, want %s", got ? got : "(none)",
		    se->s_name);
	services_free(s);
}
END_TEST

START_TEST(table_sorted)
{
	ck_assert_uint_gt(services_nmap_table_len, 6000);
	for (size_t i = 1; i < services_nmap_table_len; i++)
		ck_assert_uint_lt(services_nmap_table[i - 1].port,
		    services_nmap_table[i].port);
	/* A table never asked for frees cleanly too. */
	services_free(services_new());
}
END_TEST

static Suite *
services_suite(void)
{
	Suite *s = suite_create("services");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, nmap_first);
	tcase_add_test(tc, system_fills);
	tcase_add_test(tc, table_sorted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(services_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
