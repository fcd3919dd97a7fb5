/*
 * The walk's order: the permutation is a bijection, and walks over shards
 * and over spaces with exclusion holes visit every probe exactly once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/iter.h"
#include "trawl/perm.h"
#include "trawl/ports.h"
#include "trawl/shard.h"
#include "trawl/space.h"

/*
 * ck_assert records a mark point (a system call) each time: too slow for
 * loops over hundreds of thousands of probes.
 */
#define CHECK(c) do { if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, \
    __LINE__, #c); } while (0)

START_TEST(perm_is_bijection)
{
	for (uint64_t n = 0; n < 600; n++) {
		for (uint64_t seed = 0; seed < 4; seed++) {
			struct perm p;
			unsigned char *seen = calloc(n + 1, 1);

			perm_init(&p, n, seed * 7919 + n);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t v = perm_apply(&p, i);

				CHECK(v < n);
				CHECK(seen[v] == 0);
				seen[v] = 1;
				CHECK(perm_invert(&p, v) == i);
			}
			free(seen);
		}
	}
}
END_TEST

START_TEST(perm_depends_on_seed)
{
	struct perm a, b;
	int same = 0;

	perm_init(&a, 1000, 1);
	perm_init(&b, 1000, 2);
	for (uint64_t i = 0; i < 1000; i++)
		same += perm_apply(&a, i) == perm_apply(&b, i);
	ck_assert_int_lt(same, 20);
}
END_TEST

START_TEST(perm_huge_domain)
{
	struct perm p;

	perm_init(&p, UINT64_MAX, 42);
	for (uint64_t i = UINT64_MAX - 1000; i < UINT64_MAX; i++) {
		uint64_t v = perm_apply(&p, i);

		CHECK(v < UINT64_MAX);
		CHECK(perm_invert(&p, v) == i);
	}
}
END_TEST

/* A space of hosts with holes, and its port table. */
static struct space *
holey_space(struct ports **pp, unsigned nports, int holes)
{
	struct space *s = space_new();
	struct ports *p = ports_new();
	char err[128], spec[32];

	snprintf(spec, sizeof(spec), "1000-%u", 999 + nports);
	ck_assert_int_eq(ports_parse(p, spec, err, sizeof(err)), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET, 0x0a000000, 0x0a0000ff), 0);
	ck_assert_int_eq(space_add_range(s, AF_INET6, 1, 40), 0);
	if (holes) {
		ck_assert_int_eq(space_exclude(s, AF_INET, 0x0a000010,
		    0x0a00001f), 0);
		ck_assert_int_eq(space_exclude(s, AF_INET, 0x0a000080,
		    0x0a000080), 0);
		ck_assert_int_eq(space_exclude(s, AF_INET6, 5, 9), 0);
	}
	ck_assert_int_eq(space_finish(s, p, err, sizeof(err)), 0);
	*pp = p;
	return s;
}

/* Walk ranges, marking each (host, port) pair; fail on a second visit. */
static uint64_t
walk_mark(const struct iter_plan *pl, const struct iter_range *r, size_t n,
    unsigned char *seen)
{
	struct iter it;
	struct iter_probe pr;
	uint64_t count = 0, last_group = 0;

	iter_init(&it, pl, r, n);
	while (iter_next(&it, &pr)) {
		/* holey_space() ports are 1000, 1001, ...: index = port - 1000. */
		uint64_t k = pr.host * pl->nports + (pr.port - 1000u);

		CHECK(seen[k] == 0);
		seen[k] = 1;
		/* Groups never go backwards within a walk. */
		CHECK(pr.group >= last_group);
		last_group = pr.group;
		CHECK(pr.group == iter_plan_group(pl, pr.pos));
		count++;
	}
	CHECK(iter_remaining(&it) == 0);
	return count;
}

START_TEST(walk_covers_space_with_holes)
{
	static const unsigned nports[] = { 1, 3, 100, 1500 };

	for (int order = 0; order < 2; order++) {
		for (size_t k = 0; k < 4; k++) {
			struct ports *p;
			struct space *s = holey_space(&p, nports[k], 1);
			struct iter_plan pl;
			uint64_t total = space_probes(s);
			unsigned char *seen = calloc(total, 1);

			/* 256 - 16 - 1 IPv4 hosts, 40 - 5 IPv6 hosts. */
			CHECK(space_hosts(s) == 239 + 35);
			iter_plan_init(&pl, s, (enum iter_order)order, 99 + k);
			CHECK(walk_mark(&pl, NULL, 0, seen) == total);
			for (uint64_t i = 0; i < total; i++)
				CHECK(seen[i] == 1);
			/* Excluded addresses are never produced. */
			for (uint64_t h = 0; h < space_hosts(s); h++) {
				target_u128 a;
				int fam = space_host(s, h, &a);

				if (fam == AF_INET) {
					ck_assert(!(a >= 0x0a000010 &&
					    a <= 0x0a00001f));
					ck_assert(a != 0x0a000080);
				} else {
					ck_assert(!(a >= 5 && a <= 9));
				}
			}
			free(seen);
			space_free(s);
			ports_free(p);
		}
	}
}
END_TEST

START_TEST(shards_are_disjoint_and_complete)
{
	for (unsigned n = 1; n <= 7; n++) {
		struct ports *p;
		struct space *s = holey_space(&p, 37, 1);
		struct iter_plan pl;
		uint64_t total = space_probes(s), sum = 0;
		unsigned char *seen = calloc(total, 1);

		iter_plan_init(&pl, s, ITER_RANDOM, 12345);
		for (unsigned i = 1; i <= n; i++) {
			struct iter_range r;

			shard_range(total, i, n, &r.lo, &r.hi);
			sum += walk_mark(&pl, &r, 1, seen);
		}
		ck_assert_uint_eq(sum, total);
		free(seen);
		space_free(s);
		ports_free(p);
	}
}
END_TEST

START_TEST(shard_parse_and_env)
{
	unsigned i, n;
	char err[128];

	ck_assert_int_eq(shard_parse("2/3", &i, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(i, 2);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(shard_parse("0/3", &i, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(shard_parse("4/3", &i, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(shard_parse("3", &i, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(shard_parse("1/x", &i, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad shard '1/x' (I/N, 1 <= I <= N)");

	unsetenv("JOB_COMPLETION_INDEX");
	unsetenv("SLURM_ARRAY_TASK_ID");
	unsetenv("SLURM_ARRAY_TASK_MIN");
	ck_assert_int_eq(shard_from_env(4, &i, err, sizeof(err)), -1);
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	ck_assert_int_eq(shard_from_env(4, &i, err, sizeof(err)), 0);
	ck_assert_uint_eq(i, 1);
	setenv("JOB_COMPLETION_INDEX", "4", 1);
	ck_assert_int_eq(shard_from_env(4, &i, err, sizeof(err)), -1);
	unsetenv("JOB_COMPLETION_INDEX");
	setenv("SLURM_ARRAY_TASK_ID", "12", 1);
	setenv("SLURM_ARRAY_TASK_MIN", "10", 1);
	ck_assert_int_eq(shard_from_env(4, &i, err, sizeof(err)), 0);
	ck_assert_uint_eq(i, 3);
}
END_TEST

START_TEST(resumed_walk_completes_exactly)
{
	struct ports *p;
	struct space *s = holey_space(&p, 50, 1);
	struct iter_plan pl;
	uint64_t total = space_probes(s), sum = 0;
	unsigned char *seen = calloc(total, 1);
	struct iter_range first = { 0, total }, rest[2];
	struct iter it;
	struct iter_probe pr;
	size_t n;

	iter_plan_init(&pl, s, ITER_RANDOM, 7);
	iter_init(&it, &pl, &first, 1);
	/* Walk a third, as if interrupted, then continue from iter_rest(). */
	for (uint64_t k = 0; k < total / 3; k++) {
		ck_assert(iter_next(&it, &pr));
		seen[pr.host * pl.nports + (pr.port - 1000u)] = 1;
		sum++;
	}
	n = iter_rest(&it, rest);
	ck_assert_uint_eq(n, 1);
	sum += walk_mark(&pl, rest, n, seen);
	ck_assert_uint_eq(sum, total);
	free(seen);
	space_free(s);
	ports_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("perm");
	TCase *tc = tcase_create("perm");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, perm_is_bijection);
	tcase_add_test(tc, perm_depends_on_seed);
	tcase_add_test(tc, perm_huge_domain);
	tcase_add_test(tc, walk_covers_space_with_holes);
	tcase_add_test(tc, shards_are_disjoint_and_complete);
	tcase_add_test(tc, shard_parse_and_env);
	tcase_add_test(tc, resumed_walk_completes_exactly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
