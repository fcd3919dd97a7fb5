/*
 * The resume file is text, one fact per line, so that a person can read it
 * and a damaged one is rejected with a line number:
 *
 *	trawl-resume 1
 *	fingerprint 9a3c...		space + ports, see space_fingerprint()
 *	seed 1234
 *	order random
 *	shard 1/3
 *	range 0 1000			positions [0, 1000) still to do
 *	end
 *
 * "end" guards against a truncated file; the file is written to a temporary
 * name, synced and renamed, so a crash leaves the old one or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/num.h"
#include "trawl/readfile.h"
#include "trawl/resume.h"
#include "trawl/shard.h"

/*
 * A resume file lists what was left: a few lines per thread, at most one
 * per probe in flight.  Far more than that is not one of ours.
 */
#define RESUME_MAX_SIZE (256u * 1024 * 1024)

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
bad(char *err, size_t errlen, const char *path, size_t lineno,
    const char *what)
{
	snprintf(err, errlen, "%s:%zu: bad resume file: %s", path, lineno,
	    what);
	return -1;
}

static int
word_u64(const char *s, uint64_t *v)
{
	return num_parse_str(s, 0, UINT64_MAX, v);
}

int
resume_parse_buf(const char *buf, size_t len, const char *name,
    struct resume *r, char *err, size_t errlen)
{
	/* A copy, its lines NUL-terminated in place: sscanf() wants strings. */
	char *text = malloc(len + 1), *line, *nl, *stop;
	size_t lineno = 0, rcap = 0;
	int rc = -1, seen_end = 0, seen_head = 0, have = 0;

	memset(r, 0, sizeof(*r));
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (len > 0)
		memcpy(text, buf, len);
	text[len] = '\0';
	stop = text + len;
	/*
	 * The last line may lack its newline.  A NUL byte ends what is read
	 * of a line, as it did when the lines came from getline().
	 */
	for (line = text; line < stop; line = nl + 1) {
		char key[32], a[32], b[32], extra[2];
		uint64_t x, y;
		int n;

		if ((nl = memchr(line, '\n', (size_t)(stop - line))) == NULL)
			nl = stop;
		*nl = '\0';
		lineno++;
		if (seen_end) {
			bad(err, errlen, name, lineno, "text after 'end'");
			goto out;
		}
		n = sscanf(line, "%31s %31s %31s %1s", key, a, b, extra);
		if (n <= 0)
			continue;
		if (!seen_head) {
			if (strcmp(key, "trawl-resume") != 0 || n != 2 ||
			    strcmp(a, "1") != 0) {
				bad(err, errlen, name, lineno,
				    "not a trawl resume file (version 1)");
				goto out;
			}
			seen_head = 1;
		} else if (strcmp(key, "fingerprint") == 0 && n == 2) {
			/*
			 * Hex digits only, as written: strtoull() alone took
			 * a sign and wrapped ("-1" was ffffffffffffffff).
			 */
			if (strlen(a) > 16 ||
			    strspn(a, "0123456789abcdefABCDEF") != strlen(a)) {
				bad(err, errlen, name, lineno, "fingerprint");
				goto out;
			}
			r->fingerprint = strtoull(a, NULL, 16);
			have |= 1;
		} else if (strcmp(key, "seed") == 0 && n == 2) {
			if (word_u64(a, &r->seed) != 0) {
				bad(err, errlen, name, lineno, "seed");
				goto out;
			}
			have |= 2;
		} else if (strcmp(key, "order") == 0 && n == 2) {
			if (strcmp(a, "random") == 0)
				r->order = ITER_RANDOM;
			else if (strcmp(a, "sequential") == 0)
				r->order = ITER_SEQUENTIAL;
			else {
				bad(err, errlen, name, lineno, "order");
				goto out;
			}
			have |= 4;
		} else if (strcmp(key, "shard") == 0 && n == 2) {
			char serr[128];

			/*
			 * As --shard reads it.  sscanf("%u") wrapped numbers
			 * past 2^32 - 1 ("1/4294967297" was 1/1, the shard
			 * of an unsharded scan) and took signs.
			 */
			if (shard_parse(a, &r->shard_i, &r->shard_n, serr,
			    sizeof(serr)) != 0) {
				bad(err, errlen, name, lineno, "shard");
				goto out;
			}
			have |= 8;
		} else if (strcmp(key, "range") == 0 && n == 3) {
			if (word_u64(a, &x) != 0 || word_u64(b, &y) != 0 ||
			    x >= y || (r->nranges > 0 &&
			    x < r->ranges[r->nranges - 1].hi)) {
				bad(err, errlen, name, lineno, "range");
				goto out;
			}
			if (r->nranges == rcap) {
				size_t nc = rcap ? rcap * 2 : 16;
				struct iter_range *nr = reallocarray(r->ranges,
				    nc, sizeof(*nr));

				if (nr == NULL) {
					snprintf(err, errlen, "out of memory");
					goto out;
				}
				r->ranges = nr;
				rcap = nc;
			}
			r->ranges[r->nranges].lo = x;
			r->ranges[r->nranges].hi = y;
			r->nranges++;
		} else if (strcmp(key, "end") == 0 && n == 1) {
			seen_end = 1;
		} else {
			bad(err, errlen, name, lineno, "unknown line");
			goto out;
		}
	}
	if (!seen_end || have != 15) {
		bad(err, errlen, name, lineno, "truncated");
		goto out;
	}
	rc = 0;
out:
	free(text);
	if (rc != 0)
		resume_free(r);
	return rc;
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

int
resume_load(const char *path, struct resume *r, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if (readfile(path, RESUME_MAX_SIZE, &buf, &len) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	rc = resume_parse_buf(buf, len, path, r, err, errlen);
	free(buf);
	return rc == 0 ? 1 : -1;
}

int
resume_save(const char *path, const struct resume *r)
{
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);
	FILE *f;
	int fd, saved;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, len, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		free(tmp);
		errno = saved;
		return -1;
	}
	fprintf(f, "trawl-resume 1\nfingerprint %016" PRIx64 "\n"
	    "seed %" PRIu64 "\norder %s\nshard %u/%u\n", r->fingerprint,
	    r->seed, r->order == ITER_RANDOM ? "random" : "sequential",
	    r->shard_i, r->shard_n);
	for (size_t i = 0; i < r->nranges; i++)
		fprintf(f, "range %" PRIu64 " %" PRIu64 "\n", r->ranges[i].lo,
		    r->ranges[i].hi);
	fprintf(f, "end\n");
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
		saved = errno;
		fclose(f);
		unlink(tmp);
		free(tmp);
		errno = saved;
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		free(tmp);
		errno = saved;
		return -1;
	}
	free(tmp);
	return 0;
}

void
resume_free(struct resume *r)
{
	free(r->ranges);
	r->ranges = NULL;
	r->nranges = 0;
}
