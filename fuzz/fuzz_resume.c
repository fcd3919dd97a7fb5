/*
 * resume_parse_buf(): resume files.  An accepted one has every field, a
 * shard that --shard takes and ascending, disjoint, non-empty ranges, which
 * resume_normalize() keeps as they are but for joining neighbours; saved
 * and loaded again it is the same resume.
 *
 * And the file together with the plan it continues, as trawl uses it: a
 * small scan (its size taken from the file's fingerprint, so that mutating
 * the file mutates the scan too) checks the file with resume_fits(), and
 * a file it accepts is walked to its end, every position a probe of the
 * scan.  A range past the walk's end crashed iter_next() once.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/iter.h"
#include "trawl/ports.h"
#include "trawl/resume.h"
#include "trawl/shard.h"
#include "trawl/space.h"

#include "fuzz.h"

#define NAME "fuzz.resume"

static void
check_ranges(const struct resume *r)
{
	struct iter_range *copy;
	uint64_t sum = 0, nsum = 0;
	size_t n;

	for (size_t i = 0; i < r->nranges; i++) {
		FUZZ_CHECK(r->ranges[i].lo < r->ranges[i].hi);
		FUZZ_CHECK(i == 0 || r->ranges[i].lo >= r->ranges[i - 1].hi);
		sum += r->ranges[i].hi - r->ranges[i].lo;
	}
	if (r->nranges == 0)
		return;
	copy = malloc(r->nranges * sizeof(*copy));
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, r->ranges, r->nranges * sizeof(*copy));
	n = resume_normalize(copy, r->nranges);
	FUZZ_CHECK(n >= 1 && n <= r->nranges);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(copy[i].lo < copy[i].hi);
		FUZZ_CHECK(i == 0 || copy[i].lo > copy[i - 1].hi);
		nsum += copy[i].hi - copy[i].lo;
	}
	FUZZ_CHECK(nsum == sum);
	free(copy);
}

/* A shard that --shard could have given: no other run wrote it. */
static void
check_shard(const struct resume *r)
{
	char text[32], err[256];
	unsigned i, n;

	snprintf(text, sizeof(text), "%u/%u", r->shard_i, r->shard_n);
	FUZZ_CHECK(shard_parse(text, &i, &n, err, sizeof(err)) == 0);
	FUZZ_CHECK(i == r->shard_i && n == r->shard_n);
}

/* Through a real file: resume_save() and resume_load(). */
static void
round_trip(const struct resume *r)
{
	char path[64], err[512] = "";
	struct resume back;

	snprintf(path, sizeof(path), "/tmp/trawl-fuzz-resume-%ld",
	    (long)getpid());
	if (resume_save(path, r, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot save: %s\n", err);
		FUZZ_CHECK(!"cannot save");
	}
	if (resume_load(path, &back, err, sizeof(err)) != 1) {
		fprintf(stderr, "saved, refused: %s\n", err);
		FUZZ_CHECK(!"saved, refused");
	}
	unlink(path);
	FUZZ_CHECK(back.fingerprint == r->fingerprint);
	FUZZ_CHECK(back.seed == r->seed && back.order == r->order);
	FUZZ_CHECK(back.shard_i == r->shard_i && back.shard_n == r->shard_n);
	FUZZ_CHECK(back.nranges == r->nranges);
	FUZZ_CHECK(back.found == r->found);
	FUZZ_CHECK(!r->found || (back.found_slot == r->found_slot &&
	    r->found_slot <= 1 && back.found_hash == r->found_hash &&
	    back.found_length == r->found_length));
	for (size_t i = 0; i < r->nranges; i++)
		FUZZ_CHECK(back.ranges[i].lo == r->ranges[i].lo &&
		    back.ranges[i].hi == r->ranges[i].hi);
	/* Output paths hold any byte but NUL: escaped, they come back. */
	FUZZ_CHECK(back.noutputs == r->noutputs);
	for (size_t i = 0; i < r->noutputs; i++) {
		const struct resume_output *a = &r->outputs[i];
		const struct resume_output *b = &back.outputs[i];

		FUZZ_CHECK(strcmp(a->path, b->path) == 0 && a->dev == b->dev &&
		    a->ino == b->ino && a->cut == b->cut &&
		    a->length == b->length && a->exact == b->exact &&
		    a->tail == b->tail && a->cut <= a->length);
	}
	resume_free(&back);
}

/* The scan the file claims to continue, and a walk of what it has left. */
static void
check_with_plan(const struct resume *r)
{
	uint64_t hosts = 1 + r->fingerprint % 50;
	unsigned nports = 1 + (unsigned)(r->fingerprint >> 8) % 20;
	struct ports *ports = ports_new();
	struct space *s = space_new();
	struct iter_plan plan;
	struct iter_probe p;
	struct iter it;
	struct iter_range none = { 0, 0 };
	uint64_t lo, hi, walked = 0, left = 0;
	char spec[16], err[512] = "";

	FUZZ_CHECK(ports != NULL && s != NULL);
	snprintf(spec, sizeof(spec), "1-%u", nports);
	FUZZ_CHECK(ports_parse(ports, spec, err, sizeof(err)) == 0);
	FUZZ_CHECK(space_add_range(s, AF_INET, 0x0a000000,
	    0x0a000000 + hosts - 1) == 0);
	FUZZ_CHECK(space_finish(s, ports, err, sizeof(err)) == 0);
	shard_range(space_probes(s), r->shard_i, r->shard_n, &lo, &hi);
	if (resume_fits(r, lo, hi, NAME, err, sizeof(err)) == 0) {
		iter_plan_init(&plan, s, r->order, r->seed);
		/* No ranges: nothing left (NULL would mean the whole walk). */
		iter_init(&it, &plan, r->nranges > 0 ? r->ranges : &none, 0);
		if (r->nranges > 0)
			iter_init(&it, &plan, r->ranges, r->nranges);
		for (size_t i = 0; i < r->nranges; i++)
			left += r->ranges[i].hi - r->ranges[i].lo;
		FUZZ_CHECK(iter_remaining(&it) == left);
		while (iter_next(&it, &p)) {
			FUZZ_CHECK(p.pos >= lo && p.pos < hi);
			FUZZ_CHECK(p.host < hosts);
			FUZZ_CHECK(p.port >= 1 && p.port <= nports);
			walked++;
		}
		FUZZ_CHECK(walked == left);
		iter_plan_free(&plan);
	} else {
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(strncmp(err, NAME ": bad resume file: ",
		    strlen(NAME ": bad resume file: ")) == 0);
	}
	space_free(s);
	ports_free(ports);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	char err[512] = "";
	struct resume r;

	if (resume_parse_buf(buf, size, NAME, &r, err, sizeof(err)) == 0) {
		FUZZ_CHECK(r.order == ITER_RANDOM ||
		    r.order == ITER_SEQUENTIAL);
		check_shard(&r);
		check_ranges(&r);
		round_trip(&r);
		check_with_plan(&r);
		resume_free(&r);
	} else {
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0 ||
		    strcmp(err, "out of memory") == 0);
		FUZZ_CHECK(r.ranges == NULL && r.nranges == 0);
	}
	free(buf);
	return 0;
}
