/*
 * The pace on simulated paths: deterministic, no network, virtual time.
 *
 * A small model of the engine drives it: probes to a few hosts, attempts
 * started while pace_may_send() allows and fewer than WINDOW are in
 * flight, each with pace_timeout(), retried up to pace_retries(), then
 * filtered.  The path is a model too: a bottleneck serving CAPACITY
 * attempts a second with a queue of QUEUE (what overflows is dropped, as
 * tc's tbf does), a base round trip, random loss, per-host rate limits
 * (a token bucket per address, as an nft meter), filtered ports.  The
 * test checks what the controller promises: every port's state right,
 * a bottleneck used near its capacity and its queue no longer overflowing
 * once paced, losses that are noise not slowing anything, a rate-limited
 * host slowed on its own, and nothing changed on a clean path.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/pace.h"

#define MS 1000000ULL
#define S (1000 * MS)
#define MAXP 20000
#define WINDOW 1024

struct path {
	double capacity;	/* attempts/s through the bottleneck; 0: none */
	unsigned queue;		/* attempts it holds waiting */
	uint64_t rtt;		/* base round trip */
	unsigned loss_pct;	/* random loss of attempts */
	unsigned limited_host;	/* this host's attempts limited... */
	double limit_rate;	/* ...to this many a second (0: none) */
	unsigned limit_burst;
	unsigned filtered_every;	/* every n-th port never answers */
};

struct probe {
	unsigned host, attempts;
	uint64_t sent, prev_sent, deadline, answer_at;	/* 0: none */
	uint64_t until;		/* deferred: filtered then, unless... */
	bool inflight, done;
};

struct sim {
	struct path path;
	struct pace pace;
	struct probe p[MAXP];
	unsigned fl[WINDOW], nfl;	/* in flight */
	unsigned deferred[MAXP], ndeferred;
	unsigned n, hosts;
	uint64_t now, rng, busy_until;	/* bottleneck busy until */
	double tokens, token_at;	/* the limited host's bucket */
	unsigned inflight, next, done;
	uint64_t attempts, dropped, late_drops, first_paced;
	bool wrong;
};

static uint64_t
rnd(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static bool
filtered(const struct sim *s, unsigned i)
{
	return s->path.filtered_every > 0 && i % s->path.filtered_every == 0;
}

/* The path takes an attempt: when its answer comes back, or 0 (lost). */
static uint64_t
path_send(struct sim *s, unsigned i)
{
	struct path *pa = &s->path;
	uint64_t at = s->now;

	if (pa->loss_pct > 0 && rnd(s) % 100 < pa->loss_pct)
		return 0;
	if (pa->limit_rate > 0 && s->p[i].host == pa->limited_host) {
		double t = (double)s->now / S;

		s->tokens += (t - s->token_at) * pa->limit_rate;
		if (s->tokens > pa->limit_burst)
			s->tokens = pa->limit_burst;
		s->token_at = t;
		if (s->tokens < 1)
			return 0;
		s->tokens -= 1;
	}
	if (pa->capacity > 0) {
		uint64_t service = (uint64_t)(S / pa->capacity);
		uint64_t start = s->busy_until > at ? s->busy_until : at;

		/* What waits before it: over the queue, dropped. */
		if ((start - at) / service >= pa->queue)
			return 0;
		s->busy_until = start + service;
		at = s->busy_until;
	}
	if (filtered(s, i))
		return 0;
	return at + pa->rtt;
}

static void
sim_init(struct sim *s, const struct path *pa, unsigned n, unsigned hosts,
    unsigned retries, bool fixed)
{
	struct pace_config cfg = {
		.timeout_max_ns = 1000 * MS,
		.retries = retries,
		.retries_fixed = fixed,
		.hosts_kept = 4096,
	};

	memset(s, 0, sizeof(*s));
	s->path = *pa;
	s->n = n;
	s->hosts = hosts;
	s->rng = 0x9e3779b97f4a7c15ULL;
	s->now = 1 * S;
	s->tokens = pa->limit_burst;
	s->token_at = 1.0;
	for (unsigned i = 0; i < n; i++)
		s->p[i].host = i % hosts;
	ck_assert_int_eq(pace_init(&s->pace, &cfg, s->now), 0);
}

static void
start(struct sim *s, unsigned i)
{
	struct probe *p = &s->p[i];
	struct pace_host *h = pace_host(&s->pace, p->host);

	p->prev_sent = p->attempts > 0 ? p->sent : 0;
	p->sent = s->now;
	p->deadline = s->now + pace_timeout(&s->pace, h, p->attempts + 1);
	pace_sent(&s->pace, h, p->attempts + 1, s->now);
	p->answer_at = path_send(s, i);
	if (p->answer_at == 0)
		s->dropped++;
	if (p->answer_at == 0 && s->pace.st.slowdowns > 0)
		s->late_drops++;
	p->inflight = true;
	s->fl[s->nfl++] = i;
	s->inflight++;
	s->attempts++;
}

static void
finish(struct sim *s, unsigned i, bool answered)
{
	s->p[i].done = true;
	s->done++;
	if (answered == filtered(s, i))
		s->wrong = true;
}

/*
 * One step of virtual time: answers and timeouts.  A probe out of attempts
 * waits, as the engine's deferred verdicts do, for its host to earn it
 * more retries (pace_defer_for()).
 */
static void
step(struct sim *s, uint64_t dt, unsigned *retry, unsigned *nretry)
{
	unsigned k = 0;

	s->now += dt;
	for (unsigned j = 0; j < s->nfl; j++) {
		unsigned i = s->fl[j];
		struct probe *p = &s->p[i];
		struct pace_host *h = pace_host(&s->pace, p->host);

		if (p->answer_at != 0 && p->answer_at <= s->now &&
		    p->answer_at <= p->deadline) {
			pace_answered(&s->pace, h, p->attempts + 1, p->sent,
			    p->prev_sent, s->now);
			p->inflight = false;
			s->inflight--;
			finish(s, i, true);
		} else if (p->deadline <= s->now) {
			bool counts = pace_silent(&s->pace, h, p->sent);

			p->inflight = false;
			s->inflight--;
			if (counts)
				p->attempts++;
			if (p->attempts <= pace_retries(&s->pace, h)) {
				retry[(*nretry)++] = i;
			} else if (!s->pace.cfg.retries_fixed &&
			    pace_retries(&s->pace, h) < PACE_MAX_RETRIES) {
				p->until = s->now + pace_defer_for(&s->pace, h);
				s->deferred[s->ndeferred++] = i;
			} else {
				finish(s, i, false);
			}
		} else {
			s->fl[k++] = i;
		}
	}
	s->nfl = k;
	k = 0;
	for (unsigned j = 0; j < s->ndeferred; j++) {
		unsigned i = s->deferred[j];
		struct pace_host *h = pace_host(&s->pace, s->p[i].host);

		if (s->p[i].attempts <= pace_retries(&s->pace, h))
			retry[(*nretry)++] = i;
		else if (s->p[i].until <= s->now)
			finish(s, i, false);
		else
			s->deferred[k++] = i;
	}
	s->ndeferred = k;
}

static void
admit(struct sim *s, unsigned *retry, unsigned *nretry)
{
	for (;;) {
		unsigned i;
		uint64_t when;
		enum pace_verdict v;

		if (s->inflight >= WINDOW)
			return;
		if (*nretry > 0)
			i = retry[0];
		else if (s->next < s->n)
			i = s->next;
		else
			return;
		v = pace_may_send(&s->pace, pace_host(&s->pace, s->p[i].host),
		    s->now, &when);
		if (v != PACE_GO)
			return;
		if (*nretry > 0)
			memmove(retry, retry + 1, --(*nretry) * sizeof(*retry));
		else
			s->next++;
		start(s, i);
	}
}

/*
 * Run to the end; the virtual seconds it took, and in *half those of its
 * second half (the probes of a steady state).
 */
static double
run(struct sim *s, double *half)
{
	static unsigned retry[MAXP];
	unsigned nretry = 0;
	uint64_t t0 = s->now, mid = 0;

	while (s->done < s->n) {
		admit(s, retry, &nretry);
		step(s, 100000, retry, &nretry);	/* 0.1 ms */
		if (mid == 0 && s->done >= s->n / 2)
			mid = s->now;
		ck_assert_msg(s->now - t0 < 600 * S, "no end in sight");
	}
	if (half != NULL)
		*half = (double)(s->now - mid) / S;
	return (double)(s->now - t0) / S;
}

/* A bottleneck: paced near its capacity, no port wrong. */
START_TEST(bottleneck)
{
	static struct sim s;
	struct path pa = { .capacity = 2000, .queue = 60, .rtt = 1 * MS };
	struct pace_stats st;
	double t, half, ideal = 20000 / 2000.0;

	sim_init(&s, &pa, 20000, 200, 1, false);
	t = run(&s, &half);
	pace_stats(&s.pace, &st);
	ck_assert_msg(!s.wrong, "a port's state is wrong");
	ck_assert_msg(st.slowdowns > 0, "the path was never paced");
	/*
	 * Near capacity once paced: the second half at 90% of it at least;
	 * the whole, a window of 1024 at once to start with, within 25%.
	 */
	ck_assert_msg(half < ideal / 2 / 0.9, "second half in %.2f s, ideal "
	    "%.2f s", half, ideal / 2);
	ck_assert_msg(t < ideal * 1.25, "%.2f s, ideal %.2f s", t, ideal);
	/* Backed off: once paced, few attempts overflow the queue. */
	ck_assert_msg(s.late_drops * 20 < s.attempts, "%lu of %lu attempts "
	    "dropped after the first slowdown", (unsigned long)s.late_drops,
	    (unsigned long)s.attempts);
	pace_free(&s.pace);
}
END_TEST

/* Random loss is noise: no slowdown, more retries, no port wrong. */
START_TEST(random_loss)
{
	static struct sim s;
	struct path pa = { .rtt = 1 * MS, .loss_pct = 5 };
	struct pace_stats st;

	sim_init(&s, &pa, 20000, 200, 1, false);
	run(&s, NULL);
	pace_stats(&s.pace, &st);
	ck_assert_msg(!s.wrong, "a port's state is wrong");
	ck_assert_uint_eq(st.slowdowns, 0);
	ck_assert_uint_ge(st.retries, 4);
	ck_assert_uint_le(st.retries, PACE_MAX_RETRIES);
	pace_free(&s.pace);
}
END_TEST

/*
 * A link that loses 25% whatever the pace: over the line at first, but a
 * loss that stays when the pace falls is the link's.  One slowdown at
 * most, and the pace comes back: the scan takes what the retries' timeouts
 * take (a second or so: a few attempts of 30 ms and more, doubled), not
 * the ten seconds and more of a pace stuck low (1,000 probes/s or less).
 */
START_TEST(heavy_random_loss)
{
	static struct sim s;
	struct path lossy = { .rtt = 1 * MS, .loss_pct = 25 };
	struct pace_stats st;
	double t_lossy;

	sim_init(&s, &lossy, 20000, 200, 1, false);
	t_lossy = run(&s, NULL);
	pace_stats(&s.pace, &st);
	ck_assert_msg(!s.wrong, "a port's state is wrong");
	ck_assert_uint_le(st.slowdowns, 1);
	ck_assert_uint_ge(st.retries, 6);
	ck_assert_msg(t_lossy < 3.0, "%.2f s", t_lossy);
	pace_free(&s.pace);
}
END_TEST

/* One host limits its SYNs: it is slowed alone, the path not at all. */
START_TEST(host_limit)
{
	static struct sim s;
	struct path pa = { .rtt = 1 * MS, .limited_host = 7,
	    .limit_rate = 50, .limit_burst = 10 };
	struct pace_stats st;

	sim_init(&s, &pa, 10000, 100, 1, false);
	run(&s, NULL);
	pace_stats(&s.pace, &st);
	ck_assert_msg(!s.wrong, "a port's state is wrong");
	ck_assert_uint_eq(st.slowdowns, 0);
	ck_assert_uint_eq(st.hosts_slowed, 1);
	ck_assert_uint_gt(pace_host(&s.pace, 7)->rec->gap, 0);
	ck_assert_uint_eq(pace_host(&s.pace, 8)->rec->gap, 0);
	pace_free(&s.pace);
}
END_TEST

/* A clean path with filtered ports: nothing changes, timeouts short. */
START_TEST(clean_filtered)
{
	static struct sim s;
	struct path pa = { .rtt = 1 * MS, .filtered_every = 10 };
	struct pace_stats st;

	sim_init(&s, &pa, 5000, 50, 1, false);
	run(&s, NULL);
	pace_stats(&s.pace, &st);
	ck_assert_msg(!s.wrong, "a port's state is wrong");
	ck_assert_uint_eq(st.slowdowns, 0);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.retries, 1);
	/* Two attempts per filtered port, one per answered one. */
	ck_assert_uint_eq(s.attempts, 5000 + 500);
	/* Round trips of a millisecond: the shortest timeout, not -t. */
	ck_assert_uint_eq(pace_timeout(&s.pace, pace_host(&s.pace, 0), 1),
	    PACE_MIN_TIMEOUT_NS);
	pace_free(&s.pace);
}
END_TEST

/* Fixed retries stay fixed, whatever the path loses. */
START_TEST(fixed_retries)
{
	static struct sim s;
	struct path pa = { .rtt = 1 * MS, .loss_pct = 20 };
	struct pace_stats st;

	sim_init(&s, &pa, 2000, 20, 2, true);
	run(&s, NULL);
	pace_stats(&s.pace, &st);
	ck_assert_uint_eq(st.retries, 2);
	ck_assert_uint_eq(pace_retries(&s.pace, pace_host(&s.pace, 3)), 2);
	/* At most three attempts per probe. */
	ck_assert_uint_le(s.attempts, 3 * 2000);
	pace_free(&s.pace);
}
END_TEST

/* Timeouts: the first before any answer, then srtt + 4 rttvar, doubled. */
START_TEST(timeouts)
{
	struct pace p;
	struct pace_config cfg = { .timeout_max_ns = 3000 * MS,
	    .retries = 1, .hosts_kept = 64 };
	struct pace_host *h;

	ck_assert_int_eq(pace_init(&p, &cfg, 1 * S), 0);
	h = pace_host(&p, 1);
	/* Before any answer: -t, whatever it is. */
	ck_assert_uint_eq(pace_timeout(&p, h, 1), 3000 * MS);
	/* Round trips of 100 ms: srtt 100 ms, rttvar shrinking. */
	for (int i = 0; i < 20; i++) {
		pace_sent(&p, h, 1, 2 * S + (uint64_t)i * S);
		pace_answered(&p, h, 1, 2 * S + (uint64_t)i * S, 0,
		    2 * S + (uint64_t)i * S + 100 * MS);
	}
	/* The slowest answer and a quarter (125 ms) beats srtt + 4 var. */
	ck_assert_uint_ge(pace_timeout(&p, h, 1), 125 * MS);
	ck_assert_uint_le(pace_timeout(&p, h, 1), 200 * MS);
	ck_assert_uint_eq(pace_timeout(&p, h, 2), 2 * pace_timeout(&p, h, 1));
	/* Doubled three times at most, */
	ck_assert_uint_eq(pace_timeout(&p, h, 9), 8 * pace_timeout(&p, h, 1));
	/* and never more than -t. */
	for (int i = 0; i < 5; i++) {
		pace_sent(&p, h, 1, 30 * S + (uint64_t)i * S);
		pace_answered(&p, h, 1, 30 * S + (uint64_t)i * S, 0,
		    30 * S + (uint64_t)i * S + 600 * MS);
	}
	ck_assert_uint_eq(pace_timeout(&p, h, 4), 3000 * MS);
	pace_free(&p);
}
END_TEST

/* What the summary and the progress line say of a path. */
START_TEST(describe)
{
	struct pace_stats a = { .answered = 950, .lost = 50, .settled = 1900,
	    .retries = 4, .hosts_slowed = 1, .slowdowns = 2 };
	/* Never slowed: what it sent is its share of the pace. */
	struct pace_stats b = { .answered = 1000, .settled = 100,
	    .retries = 2 };
	struct pace_stats sum = { 0 }, none = { .answered = 5000,
	    .retries = 1 };
	char buf[200];

	pace_describe(&a, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "the path dropped 5.0% of attempts; paced down "
	    "to 1900 attempts/s; 1 host slowed on its own; up to 4 retries");
	pace_describe(&a, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "lost 5.0%, paced 1900/s, 1 host slowed");
	/* Nothing lost: nothing to say. */
	pace_describe(&none, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* Engines add up: counts and paces; the most retries. */
	pace_stats_add(&sum, &a);
	pace_stats_add(&sum, &b);
	ck_assert_uint_eq(sum.answered, 1950);
	ck_assert_uint_eq(sum.lost, 50);
	ck_assert_uint_eq(sum.settled, 2000);
	ck_assert_uint_eq(sum.retries, 4);
	pace_describe(&sum, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "the path dropped 2.5% of attempts; paced down "
	    "to 2000 attempts/s; 1 host slowed on its own; up to 4 retries");
	/* A short buffer is cut, never overrun. */
	pace_describe(&a, false, buf, 20);
	ck_assert_uint_eq(strlen(buf), 19);
}
END_TEST

static Suite *
pace_suite(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("paths");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bottleneck);
	tcase_add_test(tc, random_loss);
	tcase_add_test(tc, heavy_random_loss);
	tcase_add_test(tc, host_limit);
	tcase_add_test(tc, clean_filtered);
	tcase_add_test(tc, fixed_retries);
	tcase_add_test(tc, timeouts);
	tcase_add_test(tc, describe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
