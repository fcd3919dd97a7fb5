/*
 * The resume file is a state file (statefile.h), one fact a line:
 *
 *	trawl-resume 1
 *	fingerprint 9a3c...		space + ports, see space_fingerprint()
 *	seed 1234
 *	order random
 *	shard 1/3
 *	range 0 1000			positions [0, 1000) still to do
 *	output 2049 131 5120 5120 grown 3f0e... /home/u/scan.xml
 *	found 1 77c2... 4180		side file 1, its hash and length
 *	end
 *
 * Every line but the ranges and outputs once, the ranges ascending and
 * disjoint.  An output line is an -o file as it was when the file was
 * saved: device, inode, where a continuing run cuts it back, its length,
 * whether it may have grown since (grown: saved at a checkpoint, while
 * results went on being written) or not (exact: saved at a stop), the
 * hash of its last bytes, and its absolute path, last because it is the
 * one word that may be anything: bytes outside printable ASCII, spaces
 * and '%' are written %XX.  A found line (--baseline) names the side file
 * that holds the open ports of the work done: files without one, of
 * runs without --baseline or of older trawls, still load.
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
/* trawl writes at most 8 outputs; a few more still read. */
#define RESUME_MAX_OUTPUTS 64
/* The most words a line has: an output line. */
#define MAX_WORDS 8

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

/* A path word back to its bytes: NULL when malformed (or out of memory). */
static char *
unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if ((hi = statefile_hexdigit(s[1])) < 0 ||
		    (lo = statefile_hexdigit(s[2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*o = '\0';
	return out;
}

/* An output line's words after "output"; NULL, or what is wrong. */
static const char *
add_output(struct resume *r, char **w)
{
	struct resume_output o, *slot;

	memset(&o, 0, sizeof(o));
	if (word_u64(w[0], &o.dev) != 0 || word_u64(w[1], &o.ino) != 0 ||
	    word_u64(w[2], &o.cut) != 0 || word_u64(w[3], &o.length) != 0 ||
	    o.cut > o.length)
		return "output";
	if (strcmp(w[4], "exact") == 0)
		o.exact = true;
	else if (strcmp(w[4], "grown") != 0)
		return "output";
	if (statefile_hex64(w[5], &o.tail) != 0)
		return "output";
	if (r->noutputs == RESUME_MAX_OUTPUTS)
		return "too many outputs";
	if ((o.path = unescape(w[6])) == NULL || o.path[0] != '/') {
		free(o.path);
		return "output path";
	}
	if (resume_output_find(r, o.path) != NULL) {
		free(o.path);
		return "output named twice";
	}
	slot = reallocarray(r->outputs, r->noutputs + 1, sizeof(*slot));
	if (slot == NULL) {
		free(o.path);
		return strerror(ENOMEM);
	}
	r->outputs = slot;
	r->outputs[r->noutputs++] = o;
	return NULL;
}

/* A found line's words after "found"; NULL, or what is wrong. */
static const char *
add_found(struct resume *r, char **w)
{
	uint64_t slot;

	if (r->found)
		return "found named twice";
	if (word_u64(w[0], &slot) != 0 || slot > 1 ||
	    statefile_hex64(w[1], &r->found_hash) != 0 ||
	    word_u64(w[2], &r->found_length) != 0)
		return "found";
	r->found_slot = (unsigned)slot;
	r->found = true;
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
	if (strcmp(k, "output") == 0 && n == 8)
		return add_output(r, w + 1);
	if (strcmp(k, "output") == 0)
		return "output";
	if (strcmp(k, "found") == 0 && n == 4)
		return add_found(r, w + 1);
	if (strcmp(k, "found") == 0)
		return "found";
	/* As when a line could have three words at most. */
	if (n > 3)
		return "too many words";
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
	char *w[MAX_WORDS];
	const char *what;
	size_t cap = 0;
	unsigned have = 0;
	int n;

	while ((n = statefile_next(sf, w, MAX_WORDS)) > 0) {
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
	if (r->found)
		wbuf_printf(w, "found %u %016" PRIx64 " %" PRIu64 "\n",
		    r->found_slot, r->found_hash, r->found_length);
	for (size_t i = 0; i < r->nranges; i++)
		wbuf_printf(w, "range %" PRIu64 " %" PRIu64 "\n",
		    r->ranges[i].lo, r->ranges[i].hi);
	for (size_t i = 0; i < r->noutputs; i++) {
		const struct resume_output *o = &r->outputs[i];

		wbuf_printf(w, "output %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %s %016" PRIx64 " ", o->dev, o->ino, o->cut,
		    o->length, o->exact ? "exact" : "grown", o->tail);
		for (const unsigned char *p = (const unsigned char *)o->path;
		    *p != '\0'; p++) {
			if (*p <= ' ' || *p >= 0x7f || *p == '%')
				wbuf_printf(w, "%%%02X", *p);
			else
				wbuf_putc(w, (char)*p);
		}
		wbuf_putc(w, '\n');
	}
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
	for (size_t i = 0; i < r->noutputs; i++)
		free(r->outputs[i].path);
	free(r->outputs);
	r->outputs = NULL;
	r->noutputs = 0;
	r->found = false;
}

uint64_t
resume_tail_hash(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

const struct resume_output *
resume_output_find(const struct resume *r, const char *path)
{
	for (size_t i = 0; i < r->noutputs; i++)
		if (strcmp(r->outputs[i].path, path) == 0)
			return &r->outputs[i];
	return NULL;
}

int
resume_output_check(const struct resume_output *o, uint64_t dev,
    uint64_t ino, uint64_t size, uint64_t tail, const char *resume_path,
    char *err, size_t errlen)
{
	const char *p = o->path, *rp = resume_path;

	/*
	 * Never mended by guessing: the user knows what happened to the
	 * file, trawl does not.  Each message says what to do about it.
	 */
	if (dev != o->dev || ino != o->ino)
		snprintf(err, errlen, "'%s' is not the file that '%s' "
		    "continues (it was replaced or moved): put the scan's "
		    "file back, or remove '%s' to start afresh", p, rp, rp);
	else if (size < o->length)
		snprintf(err, errlen, "'%s' is shorter (%" PRIu64 " bytes) "
		    "than when '%s' was saved (%" PRIu64 "): it was cut or "
		    "rewritten; restore it, or remove '%s' to start afresh",
		    p, size, rp, o->length, rp);
	else if (o->exact && size > o->length)
		snprintf(err, errlen, "'%s' grew (%" PRIu64 " bytes, %"
		    PRIu64 " when the scan stopped) after '%s' was saved: "
		    "something else wrote to it; restore it, or remove '%s' "
		    "to start afresh", p, size, o->length, rp, rp);
	else if (tail != o->tail)
		snprintf(err, errlen, "'%s' was edited after '%s' was saved "
		    "(its last bytes differ): restore it, or remove '%s' to "
		    "start afresh", p, rp, rp);
	else
		return 0;
	return -1;
}
