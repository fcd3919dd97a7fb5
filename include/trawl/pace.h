/*
 * Pace: how fast the engine may go on the path it has, and how long and
 * how often it waits for an answer.  One per engine; pure arithmetic on
 * the events the engine reports (an attempt sent, answered, timed out) and
 * the time it gives, so that a simulated path can drive it in a unit test.
 * See pace.c for the reasoning.
 */
#ifndef TRAWL_PACE_H
#define TRAWL_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/u64map.h"

/* The shortest timeout of an attempt; before any answer, it is -t. */
#define PACE_MIN_TIMEOUT_NS (30 * 1000000ULL)
/* The most retries the path can earn (--retries takes 0..10 too). */
#define PACE_MAX_RETRIES 10

struct pace_config {
	uint64_t timeout_max_ns;	/* -t: no attempt waits longer */
	unsigned retries;		/* --retries, or the default */
	bool retries_fixed;		/* given: the path changes nothing */
	uint64_t rate_max;		/* --rate share, attempts/s; 0: none */
	unsigned host_max;		/* --host-concurrency share; 0: none */
	/* Host states kept: more than probes are ever in flight. */
	unsigned hosts_kept;
	struct pace_shared *shared;	/* NULL: this engine alone */
};

/* RFC 6298's estimator: smoothed round trip and its variation, in ns. */
struct pace_rtt {
	uint64_t srtt, rttvar;
	uint32_t samples;
};

/*
 * A host's pace and losses.  Each engine keeps its own, until the host is
 * slowed: then every engine uses one record, shared (struct pace_shared),
 * since the host sees their attempts together.
 */
struct pace_rec {
	uint64_t next;		/* no attempt to it before (its pace) */
	uint64_t gap;		/* between its attempts, ns; 0: none */
	uint64_t slowed;	/* when its gap last grew */
	uint32_t answered, lost;	/* attempts answered, attempts lost */
	unsigned max_try;		/* highest retry it answered */
};

/* What the engine knows of one host, for as long as it is kept. */
struct pace_host {
	uint64_t host;
	struct pace_rtt rtt;
	uint32_t inflight;
	struct pace_rec own;
	struct pace_rec *rec;		/* &own, or the shared one */
	size_t shared_seen;		/* shared records it looked for */
	uint32_t lru_prev, lru_next;	/* indices, PACE_NIL at the ends */
};

/* The records of slowed hosts, shared by the engines of a scan. */
struct pace_shared;
/* NULL with errno ENOMEM. */
struct pace_shared *pace_shared_new(void);
void pace_shared_free(struct pace_shared *s);

#define PACE_NIL UINT32_MAX
#define PACE_EPOCHS 32
#define PACE_FLOORS 8

struct pace_stats {
	uint64_t first;		/* first attempts */
	uint64_t attempts;	/* all attempts */
	uint64_t answered;	/* attempts that brought an answer */
	uint64_t lost;		/* attempts lost: a later one was answered */
	uint64_t slowdowns;	/* times the path's pace was lowered */
	uint64_t hosts_slowed;	/* hosts given a pace of their own */
	uint64_t rate;		/* the pace now, attempts/s; 0: unlimited */
	/*
	 * Attempts/s since the pace was first lowered, or since the start
	 * when it never was (slowdowns 0).
	 */
	uint64_t settled;
	unsigned retries;	/* retries allowed now */
	uint64_t srtt_ns, min_rtt_ns;
};

struct pace {
	struct pace_config cfg;
	struct pace_rtt rtt;
	uint64_t min_rtt, min_rtt_at;
	uint64_t max_rtt[2], max_rtt_at;	/* this second's, the last's */
	uint64_t qdelay;		/* recent rtt over min_rtt, smoothed */
	/* The path's pace: attempts a second, 0 unlimited; GCRA. */
	double rate;
	double tat;
	uint64_t slowed;		/* when the pace was last lowered */
	/* This epoch: what was sent and answered in it (time-based). */
	uint64_t epoch_start, epoch_attempts, epoch_answered;
	uint64_t epoch_rtt;		/* the sum of its answers' round trips */
	/*
	 * The last PACE_EPOCHS epochs by the time attempts were sent: how
	 * many, how many first attempts, answered and lost.  An epoch is
	 * judged once its losses had time to show.
	 */
	struct pace_epoch {
		uint64_t start, end, attempts, first, answered, lost;
		uint64_t ready;		/* its last timeout */
		bool judged;
	} ep[PACE_EPOCHS];
	uint64_t nep;			/* epochs begun; ep[nep % N] now */
	/* The loss floor: blocks of judged epochs, the last PACE_FLOORS. */
	double floor[PACE_FLOORS];
	unsigned nfloor;
	uint64_t blk_lost, blk_seen;
	uint64_t judge_at;		/* the epochs are looked at again */
	bool clean;			/* the last judged lost no more */
	double delivered;		/* answers/s of the last epoch */
	double bw_best;			/* the most delivered of late */
	double slowed_loss;		/* the loss that last lowered it */
	uint64_t started;		/* pace_init()'s now */
	uint64_t first_slowed;		/* when it was first lowered */
	uint64_t first_slowed_attempts;	/* attempts made by then */
	double bw[8];			/* answers/s of the last epochs */
	unsigned epochs;		/* since the pace was set */
	bool paced;			/* the path lost: pace it */
	double sent_rate;		/* attempts/s of the last epoch */
	unsigned max_answered_try;	/* highest retry answered (path) */
	uint64_t path_lost;		/* attempts lost to the path */
	uint64_t gen;			/* grows when retries may have */
	unsigned retries;		/* allowed now */
	struct pace_stats st;
	/* Hosts: a map host -> index into hosts[], kept in LRU order. */
	struct u64map index;
	struct pace_host *hosts;
	size_t nhosts, cap;
	uint32_t lru_head, lru_tail;
};

/* 0, or -1 with errno ENOMEM. */
int pace_init(struct pace *p, const struct pace_config *cfg, uint64_t now);
void pace_free(struct pace *p);

/*
 * The state of host, made (the least recently used one without an attempt
 * in flight taken over) when it has none: never NULL, no allocation.
 * Valid until the next call.
 */
struct pace_host *pace_host(struct pace *p, uint64_t host);
/* May an attempt to h start now? */
enum pace_verdict {
	PACE_GO,
	PACE_HOST_WAITS,	/* not to h before *when (0: an answer) */
	PACE_PATH_WAITS,	/* to nobody before *when */
};
enum pace_verdict pace_may_send(const struct pace *p,
    const struct pace_host *h, uint64_t now, uint64_t *when);
/* The timeout of attempt number attempt (1: the first) to h. */
uint64_t pace_timeout(const struct pace *p, const struct pace_host *h,
    unsigned attempt);
/* Retries a probe to h with no answer may have now. */
unsigned pace_retries(const struct pace *p, const struct pace_host *h);

/*
 * Events: an attempt started, was answered, or timed out.  An answer gives
 * its attempt's number and start, and the start of the one before it
 * (which was lost when attempt > 1): a loss counts against the pace only
 * when the attempt lost was sent at the pace in force, not before it was
 * last lowered.
 */
void pace_sent(struct pace *p, struct pace_host *h, unsigned attempt,
    uint64_t now);
void pace_answered(struct pace *p, struct pace_host *h, unsigned attempt,
    uint64_t sent, uint64_t lost_sent, uint64_t now);
/*
 * Whether the silence of an attempt sent at sent counts against the
 * probe's retries: not when the pace was lowered since (the attempt was
 * likely the excess dropped).  The engine bounds how often that happens.
 */
bool pace_silent(struct pace *p, struct pace_host *h, uint64_t sent);

/*
 * How long the verdict of a probe to h, out of attempts, may wait for h's
 * retries to grow (engine.c: deferred verdicts).
 */
uint64_t pace_defer_for(const struct pace *p, const struct pace_host *h);
/* Whether the path lost and is paced (the pace keeps its queue short). */
bool pace_paced(const struct pace *p);
/* Whether answers come much later than the fastest did: a queue stands. */
bool pace_queueing(const struct pace *p);
/* The slowest answer of the last second or two, ns; 0: none. */
uint64_t pace_slowest(const struct pace *p);
/* A number that grows whenever some host's retries may have grown. */
uint64_t pace_generation(const struct pace *p);
void pace_stats(const struct pace *p, struct pace_stats *st);
/*
 * Several engines' stats as one path's: counts added, paces added (each
 * engine paces its share), the most retries.
 */
void pace_stats_add(struct pace_stats *sum, const struct pace_stats *st);
/*
 * What the path did, in words, for people: "" when it lost nothing.  brief:
 * a few words for the progress line; else a clause for the summary
 * ("the path dropped 4.8% of attempts; paced down to 1900 attempts/s").
 */
void pace_describe(const struct pace_stats *st, bool brief, char *buf,
    size_t len);

#endif
