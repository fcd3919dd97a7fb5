/*
 * The positions a run covers, and its resume file; see work.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "trawl/compare.h"
#include "trawl/exitcode.h"
#include "trawl/hub.h"
#include "trawl/log.h"
#include "trawl/reactor.h"
#include "trawl/shard.h"
#include "trawl/space.h"
#include "trawl/statefile.h"
#include "trawl/work.h"

#define DEFAULT_RESUME_FILE "trawl.resume"

static uint64_t
random_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = reactor_clock() ^ ((uint64_t)getpid() << 32);
	return seed;
}

/*
 * What a resume file says is left, if there is one: it must be of this
 * scan, and its ranges inside this shard.  0, or the exit status.
 */
static int
load_rest(struct work *w, const struct runconf_work *c, uint64_t lo,
    uint64_t hi)
{
	struct resume *st = &w->state, old;
	char err[512];
	int rc;

	if (c->resume == NULL)
		return 0;
	if ((rc = resume_load(c->resume, &old, err, sizeof(err))) < 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	if (rc == 0)
		return 0;
	if (old.fingerprint != st->fingerprint || old.order != st->order ||
	    old.shard_i != st->shard_i || old.shard_n != st->shard_n ||
	    (c->seed_given && old.seed != c->seed)) {
		log_error("'%s' saved a different scan: give the same targets, "
		    "ports, order, seed and shard", c->resume);
		resume_free(&old);
		return EXIT_USAGE;
	}
	if (resume_fits(&old, lo, hi, c->resume, err, sizeof(err)) != 0) {
		log_error("%s", err);
		resume_free(&old);
		return EXIT_USAGE;
	}
	st->seed = old.seed;
	st->ranges = old.ranges;
	st->nranges = old.nranges;
	/* The files it was saved with: checked, then continued (outfiles.h). */
	st->outputs = old.outputs;
	st->noutputs = old.noutputs;
	st->found = old.found;
	st->found_slot = old.found_slot;
	st->found_hash = old.found_hash;
	st->found_length = old.found_length;
	w->resumed = true;
	return 0;
}

int
work_plan(struct work *w, const struct runconf_work *c, const struct space *s)
{
	struct resume *st = &w->state;
	uint64_t lo, hi;
	int rc;

	memset(w, 0, sizeof(*w));
	st->fingerprint = space_fingerprint(s);
	st->order = c->order;
	st->shard_i = c->shard_i;
	st->shard_n = c->shard_n;
	/*
	 * Shards must agree on the order without talking: unless told a
	 * seed, they derive it from what they all share, the space.
	 */
	if (c->seed_given)
		st->seed = c->seed;
	else if (st->shard_n > 1)
		st->seed = st->fingerprint;
	else
		st->seed = random_seed();
	w->resume_given = c->resume != NULL;
	w->resume_path = c->resume != NULL ? c->resume : DEFAULT_RESUME_FILE;
	for (unsigned i = 0; i < 2; i++) {
		size_t len = strlen(w->resume_path) + sizeof(".found.0");

		if ((w->found_path[i] = malloc(len)) == NULL) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		snprintf(w->found_path[i], len, "%s.found.%u",
		    w->resume_path, i);
	}
	shard_range(space_probes(s), st->shard_i, st->shard_n, &lo, &hi);
	if ((rc = load_rest(w, c, lo, hi)) != 0)
		return rc;
	iter_plan_init(&w->plan, s, st->order, st->seed);
	if (!w->resumed) {
		if ((st->ranges = malloc(sizeof(*st->ranges))) == NULL) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		st->ranges[0].lo = lo;
		st->ranges[0].hi = hi;
		st->nranges = 1;
	}
	return 0;
}

void
work_free(struct work *w)
{
	iter_plan_free(&w->plan);
	resume_free(&w->state);
	free(w->found_path[0]);
	free(w->found_path[1]);
}

/*
 * The open ports so far to the side file the resume file last saved does
 * not name, and out naming it; out names none when there is nothing to
 * keep.  cmp NULL: out keeps the found line of w->state as it is.
 */
static int
keep_found(const struct work *w, const struct compare *cmp,
    struct resume *out, char *err, size_t errlen)
{
	unsigned slot = w->state.found ? 1 - w->state.found_slot : 0;
	int rc;

	if (cmp == NULL)
		return 0;
	rc = compare_keep(cmp, w->found_path[slot], &out->found_hash,
	    &out->found_length, err, errlen);
	if (rc < 0)
		return -1;
	out->found = rc == 1;
	out->found_slot = slot;
	return 0;
}

/* out, saved: what w->state says of the side file. */
static void
found_saved(struct work *w, const struct resume *out)
{
	w->state.found = out->found;
	w->state.found_slot = out->found_slot;
	w->state.found_hash = out->found_hash;
	w->state.found_length = out->found_length;
}

uint64_t
work_size(const struct work *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < w->state.nranges; i++)
		n += w->state.ranges[i].hi - w->state.ranges[i].lo;
	return n;
}

void
work_print(const struct work *w, const struct space *s)
{
	printf("%llu probes (%llu hosts x %zu ports",
	    (unsigned long long)work_size(w),
	    (unsigned long long)space_hosts(s), space_nports(s));
	if (w->state.shard_n > 1)
		printf(", shard %u/%u", w->state.shard_i, w->state.shard_n);
	printf(w->resumed ? ", resumed)\n" : ")\n");
}

/* When in doubt (no memory), something was left. */
bool
work_left(const struct hub *h)
{
	struct iter_range *rest;
	size_t n = hub_rest(h, &rest);

	if (n == (size_t)-1)
		return true;
	free(rest);
	return n > 0;
}

int
work_save(struct work *w, const struct compare *cmp, const struct hub *h,
    const struct resume_output *o, size_t no)
{
	struct resume out = w->state;
	char err[1024];
	int rc;

	if (keep_found(w, cmp, &out, err, sizeof(err)) != 0) {
		log_error("cannot save the rest of the scan: %s", err);
		return -1;
	}
	out.nranges = hub_rest(h, &out.ranges);
	if (out.nranges == (size_t)-1) {
		log_error("cannot save the rest of the scan to '%s': %s",
		    w->resume_path, strerror(errno));
		return -1;
	}
	out.outputs = (struct resume_output *)(uintptr_t)o;
	out.noutputs = no;
	if ((rc = resume_save(w->resume_path, &out, err, sizeof(err))) != 0)
		log_error("cannot save the rest of the scan: %s", err);
	else
		found_saved(w, &out);
	free(out.ranges);
	return rc;
}

/* The first position of [lo, hi) in a group at or past g; hi if none. */
static uint64_t
group_start(const struct iter_plan *pl, uint64_t lo, uint64_t hi, uint64_t g)
{
	/* Groups grow with positions (iter.h): a binary search. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (iter_plan_group(pl, mid) < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
work_checkpoint(struct work *w, const struct compare *cmp,
    uint64_t written_below, const struct resume_output *o, size_t no,
    char *err, size_t errlen)
{
	struct resume out = w->state;
	size_t n = 0;
	int rc;

	/*
	 * The hosts written are those of the groups below written_below
	 * (collect writes groups whole): the side file's ports are those
	 * of the work this file counts as done, neither more nor less.
	 */
	if (keep_found(w, cmp, &out, err, errlen) != 0)
		return -1;
	/*
	 * What this run started with, less the groups whose hosts are all
	 * written: whatever else was probed is held, in flight or only in
	 * a buffer, and is done again by the run that continues.
	 */
	out.ranges = calloc(w->state.nranges > 0 ? w->state.nranges : 1,
	    sizeof(*out.ranges));
	if (out.ranges == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->state.nranges; i++) {
		const struct iter_range *r = &w->state.ranges[i];
		uint64_t lo = group_start(&w->plan, r->lo, r->hi,
		    written_below);

		if (lo < r->hi) {
			out.ranges[n].lo = lo;
			out.ranges[n].hi = r->hi;
			n++;
		}
	}
	out.nranges = n;
	out.outputs = (struct resume_output *)(uintptr_t)o;
	out.noutputs = no;
	if ((rc = resume_save(w->resume_path, &out, err, errlen)) == 0)
		found_saved(w, &out);
	free(out.ranges);
	return rc;
}

void
work_complete(const struct work *w)
{
	if (!w->resume_given)
		return;
	if (unlink(w->resume_path) != 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s", w->resume_path,
		    strerror(errno));
	/* After the resume file: never one naming a side file gone. */
	for (unsigned i = 0; i < 2; i++)
		if (unlink(w->found_path[i]) != 0 && errno != ENOENT)
			log_warn("cannot remove '%s': %s", w->found_path[i],
			    strerror(errno));
	/* What a save killed before its rename left next to them. */
	statefile_sweep(w->resume_path);
	for (unsigned i = 0; i < 2; i++)
		statefile_sweep(w->found_path[i]);
}
