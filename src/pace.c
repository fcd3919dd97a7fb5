/*
 * Pace: congestion control for connect() probes.
 *
 * The signals.  A connect scan sees little of the path: an attempt is
 * answered (SYN-ACK, RST, an ICMP error) after some round trip, or it is
 * not.  Silence alone says nothing -- a filtered port never answers, and a
 * sweep of filtered ports must go as fast as it can -- so silence is never
 * taken for loss.  What is loss: a probe whose attempt timed out and whose
 * next attempt was answered.  The port was not filtered after all: the
 * path dropped the first attempt (or its answer).  That is nmap's signal,
 * and the only unambiguous one.  The round trips give the other signal,
 * the warning before loss: a round trip well above the smallest one seen
 * means a queue is filling somewhere.
 *
 * What it controls.  How often attempts start (a pace, attempts a second),
 * for the whole path and for each host, rather than how many are in flight:
 * on a fast network the answers come back in microseconds, and a window of
 * even one probe would still send faster than a rate-limiting firewall
 * allows.  The engine's window (engine.c) and -c still bound the sockets
 * in flight; the pace only ever adds a limit.
 *
 *   - The path's pace starts unlimited (or at --rate).  Time is cut in
 *     epochs of two round-trip timeouts.  Each epoch's attempts are
 *     judged once their losses had time to show (their timeouts passed,
 *     and their retries were answered): losses and answers counted
 *     against the epoch they were sent in.  An epoch that lost more than
 *     LOSS_CONGESTED of its answered attempts, and more than chance allows
 *     at the path's loss floor (what it loses at any pace, learned from
 *     the epochs under the line), lowers the pace below what the path
 *     delivered of late: multiplicative decrease, as TCP's, so that a
 *     bottleneck's queue drains.  Paced, the pace follows what the path
 *     delivers, the best of the last epochs, with a gain cycle as BBR's
 *     (a quarter above to find more room, a quarter under to drain what
 *     that queued, a tenth under while a queue stands), and comes back a
 *     quarter an epoch while nothing is lost, up to the most delivered
 *     of late.  A loss that does not fall when the pace was lowered is
 *     the link's (random loss), for retries to cover: it slows nothing.
 *   - A host that loses far more than the path, more than chance can
 *     explain (a firewall that limits each address's SYNs; a lossy link
 *     spreads its losses over all hosts), gets a gap of its own between
 *     its attempts,
 *     doubled at each of its losses, up to a second, as nmap's scan delay:
 *     it is slowed alone, the other hosts keep the path's pace.
 *   - The timeout of an attempt follows the round trips, RFC 6298's srtt +
 *     4 rttvar, the host's own once it has answered a few times, else the
 *     path's; between PACE_MIN_TIMEOUT_NS and -t, doubled for each retry
 *     (up to eight times: a path that got slower is waited for).  Before
 *     any answer, -t: the user's word for how slow the path may be.  On a
 *     LAN a filtered port then costs tens of milliseconds, not a second.
 *   - Retries: --retries, or its default while nothing was lost.  Once the
 *     path loses, a probe with no answer may have as many retries as ever
 *     brought one, plus one, and as many as the loss rate asks for (a
 *     loss rate p leaves an open port unseen after r retries with
 *     probability p^(r+1): enough for one in ten million), at most
 *     PACE_MAX_RETRIES.  Given explicitly, --retries stays as it is.
 *
 * Limits.  A path that drops every attempt looks filtered: nothing tells
 * them apart.  A host that answers nothing before it is slowed (its first
 * answers lost) is judged on what does come back.  Losses are attributed
 * to the path or to a host by comparing loss rates, which needs a few
 * answers from the host: until then, its losses count for the path.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/pace.h"
#include "trawl/vec.h"

#define NS 1000000000.0
#define MS 1000000ULL
/* Clock granularity in RFC 6298's formula: the engine's loop. */
#define GRANULARITY_NS (1 * MS)
/* The shortest epoch, and how long the smallest round trip is trusted. */
#define EPOCH_MIN_NS (50 * MS)
#define MIN_RTT_WINDOW_NS (10000 * MS)
/* The slowest answer is remembered for a second or two. */
#define MAX_RTT_WINDOW_NS (1000 * MS)
/* Epochs whose deliveries the pace remembers. */
#define NBW 8
/* Losses in an epoch: over this share, a queue to drain; under that, noise. */
#define LOSS_CONGESTED 0.10
/* A round trip this much over the smallest: a queue stands. */
#define QUEUE_NS (5 * MS)
#define LOSS_CLEAN 0.01
#define EPOCH_SAMPLES 20
/* How often the epochs are looked at for one whose losses have shown. */
#define JUDGE_EVERY_NS (5 * MS)
/* Answers to a block of the loss floor. */
#define FLOOR_SAMPLES 100
/* A host's first gap, and its longest (nmap's for TCP). */
#define GAP_FIRST_NS (5 * MS)
#define GAP_MAX_NS (1000 * MS)
/* A host losing more than this many times the path's rate: its own. */
#define HOST_FACTOR 3.0
#define HOST_SAMPLES 4
/* ... and losing more than chance would make it, but for this share. */
#define HOST_CHANCE 1e-3
/* An open port missed at most once in this many probes. */
#define MISS_ODDS 1e-7
/* The least time a verdict is deferred (engine.c, struct deferred). */
#define DEFER_MIN_NS (250 * MS)
/* How far ahead of the pace's schedule a burst may run. */
#define RATE_BURST_NS (3 * MS)
/* The slowest pace the path is lowered to, attempts/s. */
#define RATE_MIN 10.0

static void
rtt_update(struct pace_rtt *r, uint64_t rtt)
{
	if (r->samples++ == 0) {
		r->srtt = rtt;
		r->rttvar = rtt / 2;
		return;
	}
	/* rttvar = 3/4 rttvar + 1/4 |srtt - rtt|; srtt = 7/8 srtt + rtt/8 */
	r->rttvar = (3 * r->rttvar + (r->srtt > rtt ? r->srtt - rtt :
	    rtt - r->srtt)) / 4;
	r->srtt = (7 * r->srtt + rtt) / 8;
}

static uint64_t
rtt_rto(const struct pace_rtt *r)
{
	uint64_t var = 4 * r->rttvar;

	return r->srtt + (var > GRANULARITY_NS ? var : GRANULARITY_NS);
}

static uint64_t
clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* --- slowed hosts, shared by the engines ------------------------------- */

/*
 * Once slowed, a host's record is the same for every engine: they share
 * the host, so they must share its pace and what it lost.  The records
 * live in an array that never moves (SHARED_MAX of them; past that, hosts
 * keep one record per engine), behind one lock, which only the events of
 * slowed hosts take.  count tells an engine when to look again.
 */
#define SHARED_MAX 4096

struct pace_shared {
	pthread_mutex_t lock;
	struct u64map index;		/* host -> records[] */
	struct pace_rec records[SHARED_MAX];
	_Atomic size_t count;
	_Atomic uint64_t gen;		/* grows with their losses */
};

struct pace_shared *
pace_shared_new(void)
{
	struct pace_shared *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL) != 0 ||
	    u64map_reserve(&s->index, SHARED_MAX) != 0) {
		u64map_free(&s->index);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void
pace_shared_free(struct pace_shared *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	u64map_free(&s->index);
	free(s);
}

static bool
rec_shared(const struct pace_host *h)
{
	return h->rec != &h->own;
}

/* Lock a shared record (while it is read or changed); own ones need none. */
static void
rec_lock(const struct pace *p, const struct pace_host *h)
{
	if (rec_shared(h))
		pthread_mutex_lock(&p->cfg.shared->lock);
}

static void
rec_unlock(const struct pace *p, const struct pace_host *h)
{
	if (rec_shared(h))
		pthread_mutex_unlock(&p->cfg.shared->lock);
}

/* The shared record of h's host, if another engine made one since. */
static void
rec_find(struct pace *p, struct pace_host *h)
{
	struct pace_shared *s = p->cfg.shared;
	size_t count;
	uint64_t *v;

	if (s == NULL || rec_shared(h) ||
	    (count = atomic_load(&s->count)) == h->shared_seen)
		return;
	pthread_mutex_lock(&s->lock);
	if ((v = u64map_get(&s->index, h->host)) != NULL)
		h->rec = &s->records[*v];
	pthread_mutex_unlock(&s->lock);
	h->shared_seen = count;
}

/*
 * h is being slowed: from now on its record is the shared one, made from
 * its own when no engine made one yet.  Returns with the lock held when
 * the record is shared.
 */
static void
rec_publish(struct pace *p, struct pace_host *h)
{
	struct pace_shared *s = p->cfg.shared;
	size_t count;
	uint64_t *v;

	if (s == NULL || rec_shared(h))
		goto out;
	pthread_mutex_lock(&s->lock);
	if ((v = u64map_get(&s->index, h->host)) == NULL) {
		count = atomic_load(&s->count);
		if (count == SHARED_MAX) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		/* Room for SHARED_MAX keys was made: no allocation. */
		v = u64map_put(&s->index, h->host);
		*v = count;
		s->records[count] = h->own;
		atomic_store(&s->count, count + 1);
	}
	h->rec = &s->records[*v];
	return;
out:
	rec_lock(p, h);
}

/* --- hosts: a map to an array kept in least-recently-used order -------- */

static void
lru_unlink(struct pace *p, uint32_t i)
{
	struct pace_host *h = &p->hosts[i];

	if (h->lru_prev != PACE_NIL)
		p->hosts[h->lru_prev].lru_next = h->lru_next;
	else
		p->lru_head = h->lru_next;
	if (h->lru_next != PACE_NIL)
		p->hosts[h->lru_next].lru_prev = h->lru_prev;
	else
		p->lru_tail = h->lru_prev;
}

static void
lru_front(struct pace *p, uint32_t i)
{
	struct pace_host *h = &p->hosts[i];

	h->lru_prev = PACE_NIL;
	h->lru_next = p->lru_head;
	if (p->lru_head != PACE_NIL)
		p->hosts[p->lru_head].lru_prev = i;
	p->lru_head = i;
	if (p->lru_tail == PACE_NIL)
		p->lru_tail = i;
}

int
pace_init(struct pace *p, const struct pace_config *cfg, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->rate = (double)cfg->rate_max;
	p->retries = cfg->retries;
	p->started = now;
	p->epoch_start = p->ep[0].start = p->ep[0].ready = now;
	p->lru_head = p->lru_tail = PACE_NIL;
	if (p->cfg.hosts_kept < 64)
		p->cfg.hosts_kept = 64;
	if (vec_reserve(&p->hosts, &p->cap, p->cfg.hosts_kept,
	    sizeof(*p->hosts)) != 0 ||
	    u64map_reserve(&p->index, p->cfg.hosts_kept) != 0) {
		pace_free(p);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
pace_free(struct pace *p)
{
	free(p->hosts);
	u64map_free(&p->index);
	p->hosts = NULL;
	p->nhosts = p->cap = 0;
}

struct pace_host *
pace_host(struct pace *p, uint64_t host)
{
	uint64_t *v = u64map_get(&p->index, host);
	uint32_t i;

	if (v != NULL) {
		i = (uint32_t)*v;
		if (p->lru_head != i) {
			lru_unlink(p, i);
			lru_front(p, i);
		}
		rec_find(p, &p->hosts[i]);
		return &p->hosts[i];
	}
	/*
	 * Room was made for hosts_kept, more than ever have a probe in
	 * flight: past it, the oldest host with none is taken over (the last
	 * one only if, against the contract, every one has some).
	 */
	if (p->nhosts < p->cfg.hosts_kept) {
		i = p->nhosts++;
	} else {
		for (i = p->lru_tail; p->hosts[i].inflight > 0 &&
		    p->hosts[i].lru_prev != PACE_NIL; i = p->hosts[i].lru_prev)
			continue;
		u64map_del(&p->index, p->hosts[i].host);
		lru_unlink(p, i);
	}
	memset(&p->hosts[i], 0, sizeof(p->hosts[i]));
	p->hosts[i].host = host;
	p->hosts[i].rec = &p->hosts[i].own;
	p->hosts[i].shared_seen = (size_t)-1;
	rec_find(p, &p->hosts[i]);
	/* The map has room for hosts_kept keys: no allocation here. */
	*u64map_put(&p->index, host) = i;
	lru_front(p, i);
	return &p->hosts[i];
}

/* --- decisions ----------------------------------------------------------- */

enum pace_verdict
pace_may_send(const struct pace *p, const struct pace_host *h, uint64_t now,
    uint64_t *when)
{
	*when = 0;
	/* GCRA: attempts may run a millisecond ahead of the schedule. */
	if (p->rate > 0 && p->tat - (double)RATE_BURST_NS > (double)now) {
		*when = (uint64_t)(p->tat - (double)RATE_BURST_NS) + 1;
		return PACE_PATH_WAITS;
	}
	if (p->cfg.host_max > 0 && h->inflight >= p->cfg.host_max)
		return PACE_HOST_WAITS;
	rec_lock(p, h);
	*when = now < h->rec->next ? h->rec->next : 0;
	rec_unlock(p, h);
	return *when > 0 ? PACE_HOST_WAITS : PACE_GO;
}

uint64_t
pace_timeout(const struct pace *p, const struct pace_host *h,
    unsigned attempt)
{
	uint64_t max = p->cfg.timeout_max_ns, t;
	unsigned shift = attempt > 1 ? attempt - 1 : 0;

	uint64_t slowest = pace_slowest(p);

	if (h != NULL && h->rtt.samples >= 3)
		t = rtt_rto(&h->rtt);
	else if (p->rtt.samples > 0)
		t = rtt_rto(&p->rtt);
	else
		t = max;
	/*
	 * A queue that drained makes srtt small, and the next one fills
	 * faster than srtt follows: never wait less than the slowest answer
	 * of the last second or two, and a quarter.
	 */
	if (t < slowest + slowest / 4)
		t = slowest + slowest / 4;
	t = clamp(t, PACE_MIN_TIMEOUT_NS, max);
	return clamp(t << (shift < 3 ? shift : 3), PACE_MIN_TIMEOUT_NS, max);
}


/*
 * The retries that losses ask for: one more than ever brought an answer,
 * and enough that an attempt lost with the odds seen so far leaves an open
 * port unseen less than MISS_ODDS of the time.
 */
static unsigned
retries_for(unsigned r, uint64_t lost, uint64_t answered, unsigned max_try)
{
	double loss;

	if (lost == 0)
		return r;
	if (max_try + 1 > r)
		r = max_try + 1;
	loss = (double)lost / (double)(lost + answered);
	if (loss >= 1.0) {
		r = PACE_MAX_RETRIES;
	} else if (loss > 0) {
		double need = ceil(log(MISS_ODDS) / log(loss)) - 1;

		if (need > (double)r)
			r = need >= PACE_MAX_RETRIES ? PACE_MAX_RETRIES :
			    (unsigned)need;
	}
	return r > PACE_MAX_RETRIES ? PACE_MAX_RETRIES : r;
}

unsigned
pace_retries(const struct pace *p, const struct pace_host *h)
{
	unsigned r = p->retries, hr;

	if (p->cfg.retries_fixed)
		return p->cfg.retries;
	rec_lock(p, h);
	hr = retries_for(p->cfg.retries, h->rec->lost, h->rec->answered,
	    h->rec->max_try);
	rec_unlock(p, h);
	return hr > r ? hr : r;
}

bool
pace_silent(struct pace *p, struct pace_host *h, uint64_t sent)
{
	uint64_t slowed;

	if (h->inflight > 0)
		h->inflight--;
	/*
	 * Sent at a pace since lowered, for the path or for its host: the
	 * silence may be the excess that was dropped, not the port.  The
	 * attempt is given back, a few times at most (free attempts).
	 */
	rec_lock(p, h);
	slowed = h->rec->slowed;
	rec_unlock(p, h);
	return p->cfg.retries_fixed || (sent >= p->slowed && sent >= slowed);
}

/* An epoch: a timeout's worth of the path's time, at least 50 ms. */
static uint64_t
epoch_len(const struct pace *p)
{
	uint64_t e = p->rtt.samples > 0 ? 2 * rtt_rto(&p->rtt) : EPOCH_MIN_NS;

	return e > EPOCH_MIN_NS ? e : EPOCH_MIN_NS;
}

/*
 * The loss the path has whatever the pace: the lowest loss rate of the
 * last PACE_FLOORS blocks of judged epochs (FLOOR_SAMPLES answers or more
 * each).  A lossy link loses its share at any pace; a bottleneck or a
 * rate limit loses less once paced, and its floor falls with it.
 */
static double
floor_loss(const struct pace *p)
{
	double f = 1;

	if (p->nfloor == 0)
		return 0;
	for (unsigned i = 0; i < PACE_FLOORS && i < p->nfloor; i++)
		if (p->floor[i] < f)
			f = p->floor[i];
	return f;
}

static void
floor_add(struct pace *p, uint64_t lost, uint64_t seen)
{
	p->blk_lost += lost;
	p->blk_seen += seen;
	if (p->blk_seen < FLOOR_SAMPLES)
		return;
	p->floor[p->nfloor++ % PACE_FLOORS] = (double)p->blk_lost /
	    (double)p->blk_seen;
	p->blk_lost = p->blk_seen = 0;
}

/*
 * The most an epoch of seen answers loses by chance at the floor: three
 * standard deviations above it.  Random loss (a lossy link) is noise for
 * the retries; only a loss rate beyond it is the path pushing back.
 */
static double
noise(const struct pace *p, uint64_t seen)
{
	double rate = floor_loss(p);

	return rate + 3 * sqrt(rate * (1 - rate) / (double)seen);
}

/* The epoch an attempt sent at t belongs to; NULL: older than all kept. */
static struct pace_epoch *
epoch_of(struct pace *p, uint64_t t)
{
	for (uint64_t i = 0; i < PACE_EPOCHS && i <= p->nep; i++) {
		struct pace_epoch *e = &p->ep[(p->nep - i) % PACE_EPOCHS];

		if (t >= e->start)
			return e;
	}
	return NULL;
}

/*
 * The newest epoch not yet judged whose losses had time to show: its
 * attempts' timeouts passed margin ago.  Older ones not judged yet are
 * passed over: stale.  NULL when none is ready.
 */
static struct pace_epoch *
epoch_ready(struct pace *p, uint64_t now, uint64_t margin)
{
	struct pace_epoch *ready = NULL;

	for (uint64_t i = 1; i < PACE_EPOCHS && i <= p->nep; i++) {
		struct pace_epoch *e = &p->ep[(p->nep - i) % PACE_EPOCHS];

		if (e->judged)
			break;
		if (ready == NULL && e->ready + margin <= now)
			ready = e;
		if (ready != NULL)
			e->judged = true;
	}
	return ready;
}

/*
 * A loss over the line: the pace drops below what gets through of late,
 * so that the queue drains.  Of late, not in the last epoch alone: an
 * epoch's deliveries are few when the window is full of attempts waiting
 * for their timeouts, or when another engine's attempts fill the queue.
 * And never under a quarter of what was sent when the losses were.
 */
static void
slow_down(struct pace *p, const struct pace_epoch *j, uint64_t now)
{
	double sent = j->end > j->start ? (double)j->attempts * NS /
	    (double)(j->end - j->start) : p->sent_rate;
	double got = p->delivered > p->bw_best ? p->delivered : p->bw_best;
	double to = got * 0.7 > sent / 4 ? got * 0.7 : sent / 4;

	if (to < RATE_MIN)
		to = RATE_MIN;
	if (p->rate == 0 || to < p->rate)
		p->rate = to;
	for (size_t i = 0; i < NBW; i++)
		p->bw[i] = 0;
	p->bw[0] = p->rate;
	p->epochs = 1;
	p->paced = true;
	p->slowed = now;
	if (p->st.slowdowns++ == 0) {
		p->first_slowed = now;
		p->first_slowed_attempts = p->st.attempts;
	}
}

/*
 * Each epoch is judged as soon as its losses have shown: its attempts'
 * timeouts passed, and the retries of the lost ones had a round trip to
 * be answered.  Losses are counted against the epoch the lost attempt was
 * sent in, answers likewise: counted when they show up, they would be
 * compared with another time's answers, and a pace that swings (a window
 * full of attempts waiting for their timeouts, then free) would make a
 * lossy link look congested.
 *
 * More than LOSS_CONGESTED of its answered attempts lost, and more than
 * chance at the path's loss floor, the path is pushing back: slow down.
 * A loss that low is the path's noise, for retries to cover, not a queue
 * to drain.  Only an epoch with enough answers and enough fresh attempts
 * is judged: near a scan's end, the retries of the few probes left are
 * most of the attempts.  And only one sent at the pace in force.
 */
static void
judge(struct pace *p, uint64_t now)
{
	struct pace_epoch *j;
	uint64_t seen;
	double loss;
	bool over;

	if (now < p->judge_at)
		return;
	p->judge_at = now + JUDGE_EVERY_NS;
	j = epoch_ready(p, now, 2 * p->rtt.srtt + GRANULARITY_NS);
	if (j == NULL || j->start < p->slowed)
		return;
	seen = j->lost + j->answered;
	if (seen < EPOCH_SAMPLES || j->first < EPOCH_SAMPLES)
		return;
	loss = (double)j->lost / (double)seen;
	over = loss > LOSS_CONGESTED && loss > noise(p, seen);
	/*
	 * Losing as much as when the pace was last lowered (no less than
	 * chance allows), with no queue standing: lowering it did not help,
	 * the loss is the link's, whatever the pace.  A queue's or a limit's
	 * loss falls as the pace does.
	 */
	if (over && p->st.slowdowns > 0 && !pace_queueing(p) &&
	    loss + 3 * sqrt(p->slowed_loss * (1 - p->slowed_loss) /
	    (double)seen) >= p->slowed_loss)
		over = false;
	/*
	 * The floor learns from epochs under the line; one over it would
	 * teach it that an overflowing queue is normal.
	 */
	if (!over)
		floor_add(p, j->lost, seen);
	p->clean = !over;
	if (over) {
		p->slowed_loss = loss;
		slow_down(p, j, now);
	}
}

/*
 * At the end of each epoch, the pace, when paced, follows what the path
 * delivers: the best of the last NBW epochs, with one epoch in NBW a
 * quarter above it (to find more room) and the next a quarter under (to
 * drain the queue that made), as BBR cycles its gain.  A standing queue
 * is drained: a tenth under.
 */
static void
epoch_tick(struct pace *p, uint64_t now)
{
	uint64_t len = now - p->epoch_start, qdelay;
	struct pace_epoch *e;
	double delivered;

	judge(p, now);
	if (len < epoch_len(p))
		return;
	p->sent_rate = (double)p->epoch_attempts * NS / (double)len;
	delivered = p->delivered = (double)p->epoch_answered * NS /
	    (double)len;
	/* The most delivered of late: forgotten by half in some 35 epochs. */
	p->bw_best = delivered > 0.98 * p->bw_best ? delivered :
	    0.98 * p->bw_best;
	qdelay = p->epoch_answered > 0 ? p->epoch_rtt / p->epoch_answered -
	    (p->epoch_rtt / p->epoch_answered > p->min_rtt ? p->min_rtt :
	    p->epoch_rtt / p->epoch_answered) : 0;
	if (p->paced && p->slowed < p->epoch_start) {
		double bw = 0, gain;

		for (size_t i = 0; i < NBW; i++)
			if (p->bw[i] > bw)
				bw = p->bw[i];
		/*
		 * An epoch that sent well under the pace (little work left,
		 * or the window full) says nothing of the path's room, unless
		 * it delivered more than ever.
		 */
		if (p->sent_rate >= 0.8 * p->rate || delivered > bw)
			p->bw[p->epochs % NBW] = delivered;
		p->epochs++;
		bw = 0;
		for (size_t i = 0; i < NBW; i++)
			if (p->bw[i] > bw)
				bw = p->bw[i];
		gain = p->epochs % NBW == 0 ? 1.25 : p->epochs % NBW == 1 ?
		    0.75 : 1.0;
		/*
		 * A pace lowered too far (the queue was another engine's, or
		 * an epoch delivered little) comes back in a few round trips:
		 * while the last epoch judged lost no more than the floor, a
		 * quarter more each epoch, as BBR's start-up, up to the most
		 * the path delivered of late.
		 */
		if (p->clean && bw > 0 && gain < 1.25 && p->bw_best > bw)
			gain = p->bw_best / bw < 1.25 ? p->bw_best / bw : 1.25;
		p->clean = false;
		if (qdelay > QUEUE_NS && qdelay > 2 * p->min_rtt && gain > 0.9)
			gain = 0.9;
		p->rate = bw * gain > RATE_MIN ? bw * gain : RATE_MIN;
		/* A pace far above what is sent limits nothing: let it go. */
		if (p->sent_rate > 0 && bw > 4 * p->sent_rate)
			p->paced = false;
		if (!p->paced || (p->cfg.rate_max > 0 &&
		    p->rate > (double)p->cfg.rate_max))
			p->rate = (double)p->cfg.rate_max;
	}
	p->epoch_start = now;
	p->epoch_attempts = 0;
	p->epoch_answered = 0;
	p->epoch_rtt = 0;
	p->ep[p->nep % PACE_EPOCHS].end = now;
	p->nep++;
	e = &p->ep[p->nep % PACE_EPOCHS];
	memset(e, 0, sizeof(*e));
	e->start = e->ready = now;
}

/*
 * Whether k losses in n attempts are more than a path losing a share p
 * makes by chance: the binomial tail P(X >= k) under HOST_CHANCE.  A
 * lossy link spreads its losses over the hosts, and among a few hundred
 * hosts some lose two or three of their first few attempts; only a host
 * whose losses chance cannot explain is slowed on its own.  Losses that
 * many are beyond chance whatever the sum says.
 */
static bool
beyond_chance(uint64_t k, uint64_t n, double p)
{
	double pmf, below = 0;

	if (p <= 0)
		return true;
	if (p >= 1 || k > n)
		return false;
	if (k > 64)
		return true;
	pmf = pow(1 - p, (double)n);
	for (uint64_t i = 0; i < k; i++) {
		below += pmf;
		pmf *= (double)(n - i) / (double)(i + 1) * p / (1 - p);
	}
	return 1 - below < HOST_CHANCE;
}

/* A host lost far more than the path: a gap of its own, doubled. */
/* Called with h's record locked; returns with it locked. */
static void
host_slower(struct pace *p, struct pace_host *h, uint64_t now)
{
	struct pace_rec *r;

	if (!rec_shared(h)) {
		rec_publish(p, h);
		if (!rec_shared(h))
			rec_unlock(p, h);
	}
	r = h->rec;
	/* Another engine may have slowed it since the attempt was lost. */
	if (r->gap == 0)
		p->st.hosts_slowed++;
	r->gap = r->gap == 0 ? GAP_FIRST_NS : r->gap * 2 > GAP_MAX_NS ?
	    GAP_MAX_NS : r->gap * 2;
	r->slowed = now;
}

void
pace_sent(struct pace *p, struct pace_host *h, unsigned attempt,
    uint64_t now)
{
	struct pace_epoch *e;

	epoch_tick(p, now);
	p->st.attempts++;
	p->st.first += attempt == 1;
	p->epoch_attempts++;
	e = &p->ep[p->nep % PACE_EPOCHS];
	e->attempts++;
	e->first += attempt == 1;
	if (now + pace_timeout(p, h, attempt) > e->ready)
		e->ready = now + pace_timeout(p, h, attempt);
	h->inflight++;
	rec_lock(p, h);
	if (h->rec->gap > 0)
		h->rec->next = (h->rec->next > now ? h->rec->next : now) +
		    h->rec->gap;
	rec_unlock(p, h);
	if (p->rate > 0)
		p->tat = (p->tat > (double)now ? p->tat : (double)now) +
		    NS / p->rate;
}

void
pace_answered(struct pace *p, struct pace_host *h, unsigned attempt,
    uint64_t sent, uint64_t lost_sent, uint64_t now)
{
	unsigned lost = attempt > 1 ? attempt - 1 : 0;
	uint64_t rtt_ns = now > sent ? now - sent : 0;
	struct pace_epoch *e;

	if (h->inflight > 0)
		h->inflight--;
	p->st.answered++;
	p->epoch_answered++;
	if ((e = epoch_of(p, sent)) != NULL)
		e->answered++;
	p->epoch_rtt += rtt_ns;
	/* Each attempt is a connection of its own: its round trip is its. */
	rtt_update(&p->rtt, rtt_ns);
	rtt_update(&h->rtt, rtt_ns);
	if (p->min_rtt == 0 || rtt_ns <= p->min_rtt ||
	    now - p->min_rtt_at > MIN_RTT_WINDOW_NS) {
		p->min_rtt = rtt_ns;
		p->min_rtt_at = now;
	}
	p->qdelay = (7 * p->qdelay + (rtt_ns - p->min_rtt)) / 8;
	if (now - p->max_rtt_at >= MAX_RTT_WINDOW_NS) {
		p->max_rtt[1] = now - p->max_rtt_at < 2 * MAX_RTT_WINDOW_NS ?
		    p->max_rtt[0] : 0;
		p->max_rtt[0] = 0;
		p->max_rtt_at = now;
	}
	if (rtt_ns > p->max_rtt[0])
		p->max_rtt[0] = rtt_ns;
	rec_lock(p, h);
	h->rec->answered++;
	if (lost > 0) {
		struct pace_rec *r = h->rec;
		double host_loss, path_loss;
		bool own;

		p->st.lost += lost;
		r->lost += lost;
		p->gen++;
		if (rec_shared(h))
			atomic_fetch_add(&p->cfg.shared->gen, 1);
		if (attempt - 1 > r->max_try)
			r->max_try = attempt - 1;
		host_loss = (double)r->lost / (double)(r->lost + r->answered);
		path_loss = (double)p->st.lost /
		    (double)(p->st.lost + p->st.answered);
		/*
		 * One host's losses are its own, not the path's: its pace and
		 * its retries (pace_retries()).  Either way, what was lost at
		 * a pace since lowered is old news.
		 */
		own = r->answered + r->lost >= HOST_SAMPLES &&
		    host_loss > HOST_FACTOR * path_loss &&
		    beyond_chance(r->lost, r->lost + r->answered, path_loss);
		if (own && lost_sent >= r->slowed)
			host_slower(p, h, now);
		rec_unlock(p, h);
		if (!own) {
			p->path_lost += lost;
			if (attempt - 1 > p->max_answered_try)
				p->max_answered_try = attempt - 1;
			p->retries = p->cfg.retries_fixed ? p->cfg.retries :
			    retries_for(p->cfg.retries, p->path_lost,
			    p->st.answered, p->max_answered_try);
			/* One loss, in the epoch it was sent in. */
			if ((e = epoch_of(p, lost_sent)) != NULL)
				e->lost++;
		}
	} else {
		rec_unlock(p, h);
	}
	epoch_tick(p, now);
}


uint64_t
pace_defer_for(const struct pace *p, const struct pace_host *h)
{
	uint64_t t, gap;

	rec_lock(p, h);
	gap = h->rec->gap;
	rec_unlock(p, h);
	/* A few of its timeouts and gaps: time for its losses to show. */
	t = 4 * pace_timeout(p, h, 1) + 8 * gap;
	return t > DEFER_MIN_NS ? t : DEFER_MIN_NS;
}

bool
pace_paced(const struct pace *p)
{
	return p->paced;
}

bool
pace_queueing(const struct pace *p)
{
	return p->qdelay > QUEUE_NS && p->qdelay > 2 * p->min_rtt;
}

uint64_t
pace_slowest(const struct pace *p)
{
	return p->max_rtt[0] > p->max_rtt[1] ? p->max_rtt[0] : p->max_rtt[1];
}

uint64_t
pace_generation(const struct pace *p)
{
	return p->gen + (p->cfg.shared != NULL ?
	    atomic_load(&p->cfg.shared->gen) : 0);
}

void
pace_stats(const struct pace *p, struct pace_stats *st)
{
	*st = p->st;
	st->rate = (uint64_t)p->rate;
	/*
	 * The pace it settled at: the attempts a second since it was first
	 * lowered (to the last epoch's end), whether the pace or the window
	 * held them back; or since the start, for an engine never slowed
	 * (its share of the scan's pace is what it sent).
	 */
	if (p->st.slowdowns > 0 && p->epoch_start > p->first_slowed)
		st->settled = (uint64_t)((double)(p->st.attempts -
		    p->first_slowed_attempts) * NS /
		    (double)(p->epoch_start - p->first_slowed));
	else if (p->st.slowdowns == 0 && p->epoch_start > p->started)
		st->settled = (uint64_t)((double)p->st.attempts * NS /
		    (double)(p->epoch_start - p->started));
	st->retries = p->retries;
	st->srtt_ns = p->rtt.srtt;
	st->min_rtt_ns = p->min_rtt;
}

void
pace_stats_add(struct pace_stats *sum, const struct pace_stats *st)
{
	sum->first += st->first;
	sum->attempts += st->attempts;
	sum->answered += st->answered;
	sum->lost += st->lost;
	sum->slowdowns += st->slowdowns;
	sum->hosts_slowed += st->hosts_slowed;
	sum->rate += st->rate;
	sum->settled += st->settled;
	if (st->retries > sum->retries)
		sum->retries = st->retries;
	if (st->srtt_ns > sum->srtt_ns)
		sum->srtt_ns = st->srtt_ns;
	if (sum->min_rtt_ns == 0 || (st->min_rtt_ns > 0 &&
	    st->min_rtt_ns < sum->min_rtt_ns))
		sum->min_rtt_ns = st->min_rtt_ns;
}

void
pace_describe(const struct pace_stats *st, bool brief, char *buf,
    size_t len)
{
	double lost = st->answered + st->lost > 0 ? 100.0 *
	    (double)st->lost / (double)(st->answered + st->lost) : 0;
	unsigned long long rate = st->settled;
	size_t o;

	buf[0] = '\0';
	if (len == 0 || (st->lost == 0 && st->hosts_slowed == 0))
		return;
	if (brief) {
		o = (size_t)snprintf(buf, len, "lost %.1f%%", lost);
		if (o < len && st->slowdowns > 0)
			o += (size_t)snprintf(buf + o, len - o,
			    ", paced %llu/s", rate);
		if (o < len && st->hosts_slowed > 0)
			snprintf(buf + o, len - o, ", %llu host%s slowed",
			    (unsigned long long)st->hosts_slowed,
			    st->hosts_slowed == 1 ? "" : "s");
		return;
	}
	/*
	 * Lost: of the attempts whose port did answer, the share that went
	 * unanswered first (a filtered port's silence is not counted).
	 */
	o = (size_t)snprintf(buf, len, "the path dropped %.1f%% of attempts",
	    lost);
	if (o < len && st->slowdowns > 0)
		o += (size_t)snprintf(buf + o, len - o,
		    "; paced down to %llu attempts/s", rate);
	if (o < len && st->hosts_slowed > 0)
		o += (size_t)snprintf(buf + o, len - o,
		    "; %llu host%s slowed on %s own",
		    (unsigned long long)st->hosts_slowed,
		    st->hosts_slowed == 1 ? "" : "s",
		    st->hosts_slowed == 1 ? "its" : "their");
	if (o < len && st->retries > 0)
		snprintf(buf + o, len - o, "; up to %u retr%s", st->retries,
		    st->retries == 1 ? "y" : "ies");
}
