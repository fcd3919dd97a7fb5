/*
 * The resume file is a state file (statefile.h), one fact a line:
 *
 *	trawl-resume 1
 *	fingerprint 9a3c...		space + ports, see space_fingerprint()
 *	seed 1234
 *	order random
 *	shard 1/3
 *	range 0 1000			positions [0, 1000) still to do
 *	end
 *
 * Every line but the ranges once, the ranges ascending and disjoint.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/num.h"
#include "trawl/resume.h"
#include "trawl/shard.h"
#include "trawl/statefile.h"
#include "trawl/vec.h"
#include "trawl/wbuf.h"

/*
 * A resume file lists what was left: a few ranges per thread, at most one
 * per probe in flight (--concurrency is at most a million).  Far more
 * than that is not one of ours.
 */
#define RESUME_MAX_RANGES (16u * 1024 * 1024)

/* The lines that must be there, as bits of what a file had. */
enum {
	HAVE_FINGERPRINT = 1,
	HAVE_SEED = 2,
	HAVE_ORDER = 4,
	HAVE_SHARD = 8,
	HAVE_ALL = 15,
};

static int
cmp_range(const void *a, const void *b)
{
	const struct iter_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

size_t
resume_normalize(struct iter_range *r, size_t n)
{
	size_t out = 0;

	if (n > 1)
		qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (r[i].lo >= r[i].hi)
			continue;
		if (out > 0 && r[i].lo <= r[out - 1].hi) {
			if (r[i].hi > r[out - 1].hi)
				r[out - 1].hi = r[i].hi;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

static int
word_u64(const char *s, uint64_t *v)
{
	return num_parse_str(s, 0, UINT64_MAX, v);
}

/* A range after those of r, which it must follow in order. */
static const char *
add_range(struct resume *r, size_t *cap, const char *a, const char *b)
{
	struct iter_range *slot;
	uint64_t x, y;

	if (word_u64(a, &x) != 0 || word_u64(b, &y) != 0 || x >= y ||
	    (r->nranges > 0 && x < r->ranges[r->nranges - 1].hi))
		return "range";
	if (r->nranges == RESUME_MAX_RANGES)
		return "too many ranges";
	if ((slot = VEC_PUSH(r->ranges, r->nranges, *cap)) == NULL)
		return strerror(errno);
	slot->lo = x;
	slot->hi = y;
	return NULL;
}

/* One line; NULL, or what is wrong with it. */
static const char *
parse_line(struct resume *r, size_t *cap, unsigned *have, char **w, int n)
{
	const char *k = w[0];
	unsigned bit = 0;
	char serr[128];

	if (strcmp(k, "range") == 0 && n == 3)
		return add_range(r, cap, w[1], w[2]);
	if (n != 2)
		return "unknown line";
	if (strcmp(k, "fingerprint") == 0) {
		if (statefile_hex64(w[1], &r->fingerprint) != 0)
			return "fingerprint";
		bit = HAVE_FINGERPRINT;
	} else if (strcmp(k, "seed") == 0) {
		if (word_u64(w[1], &r->seed) != 0)
			return "seed";
		bit = HAVE_SEED;
	} else if (strcmp(k, "order") == 0) {
		if (iter_order_parse(w[1], &r->order) != 0)
			return "order";
		bit = HAVE_ORDER;
	} else if (strcmp(k, "shard") == 0) {
		/*
		 * As --shard reads it.  sscanf("%u") wrapped numbers past
		 * 2^32 - 1 ("1/4294967297" was 1/1, the shard of an
		 * unsharded scan) and took signs.
		 */
		if (shard_parse(w[1], &r->shard_i, &r->shard_n, serr,
		    sizeof(serr)) != 0)
			return "shard";
		bit = HAVE_SHARD;
	} else {
		return "unknown line";
	}
	*have |= bit;
	return NULL;
}

/* What is missing of a file whose lines all read. */
static const char *
missing(unsigned have)
{
	if (!(have & HAVE_FINGERPRINT))
		return "no fingerprint line";
	if (!(have & HAVE_SEED))
		return "no seed line";
	if (!(have & HAVE_ORDER))
		return "no order line";
	return "no shard line";
}

/* The lines of sf into r; 0, or -1 with a message and r holding nothing. */
static int
parse(struct statefile *sf, struct resume *r)
{
	char *w[3];
	const char *what;
	size_t cap = 0;
	unsigned have = 0;
	int n;

	while ((n = statefile_next(sf, w, 3)) > 0) {
		if ((what = parse_line(r, &cap, &have, w, n)) != NULL) {
			statefile_bad(sf, what);
			goto fail;
		}
	}
	if (n < 0)
		goto fail;
	if (have != HAVE_ALL) {
		statefile_bad(sf, missing(have));
		goto fail;
	}
	return 0;
fail:
	resume_free(r);
	return -1;
}

int
resume_parse_buf(const char *buf, size_t len, const char *name,
    struct resume *r, char *err, size_t errlen)
{
	struct statefile *sf;
	int rc;

	memset(r, 0, sizeof(*r));
	if (statefile_open_buf(buf, len, name, "resume", &sf, err,
	    errlen) != 0)
		return -1;
	rc = parse(sf, r);
	statefile_close(sf);
	return rc;
}

int
resume_load(const char *path, struct resume *r, char *err, size_t errlen)
{
	struct statefile *sf;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = statefile_open(path, "resume", &sf, err, errlen)) != 1)
		return rc;
	rc = parse(sf, r);
	statefile_close(sf);
	return rc == 0 ? 1 : -1;
}

int
resume_fits(const struct resume *r, uint64_t lo, uint64_t hi,
    const char *name, char *err, size_t errlen)
{
	/* Ascending and disjoint (resume_parse_buf()): the ends suffice. */
	if (r->nranges == 0 ||
	    (r->ranges[0].lo >= lo && r->ranges[r->nranges - 1].hi <= hi))
		return 0;
	snprintf(err, errlen, "%s: bad resume file: its ranges run outside "
	    "the scan's positions %" PRIu64 "-%" PRIu64, name, lo, hi);
	return -1;
}

static int
write_lines(const void *ctx, struct wbuf *w)
{
	const struct resume *r = ctx;

	wbuf_printf(w, "fingerprint %016" PRIx64 "\nseed %" PRIu64 "\n"
	    "order %s\nshard %u/%u\n", r->fingerprint, r->seed,
	    iter_order_name(r->order), r->shard_i, r->shard_n);
	for (size_t i = 0; i < r->nranges; i++)
		wbuf_printf(w, "range %" PRIu64 " %" PRIu64 "\n",
		    r->ranges[i].lo, r->ranges[i].hi);
	return 0;
}

int
resume_save(const char *path, const struct resume *r, char *err,
    size_t errlen)
{
	return statefile_save(path, "resume", write_lines, r, err,
	    errlen);
}

void
resume_free(struct resume *r)
{
	free(r->ranges);
	r->ranges = NULL;
	r->nranges = 0;
}
