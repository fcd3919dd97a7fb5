/*
 * Shard arithmetic.  Slice boundaries are floor(total * k / n), computed in
 * 128 bits: consecutive slices share their boundary, so nothing falls
 * between two of them and nothing is in both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/num.h"
#include "trawl/shard.h"

#define SHARD_MAX 1000000

int
shard_parse(const char *s, unsigned *i, unsigned *n, char *err,
    size_t errlen)
{
	const char *slash = strchr(s, '/');
	uint64_t vi, vn;

	if (slash == NULL ||
	    num_parse(s, (size_t)(slash - s), 1, SHARD_MAX, &vi) != 0 ||
	    num_parse_str(slash + 1, 1, SHARD_MAX, &vn) != 0 || vi > vn) {
		snprintf(err, errlen, "bad shard '%s' (I/N, 1 <= I <= N)", s);
		return -1;
	}
	*i = (unsigned)vi;
	*n = (unsigned)vn;
	return 0;
}

static int
env_number(const char *name, uint64_t *v, char *err, size_t errlen)
{
	const char *s = getenv(name);

	if (s == NULL)
		return 1;
	if (num_parse_str(s, 0, SHARD_MAX, v) != 0) {
		snprintf(err, errlen, "bad %s '%s'", name, s);
		return -1;
	}
	return 0;
}

int
shard_from_env(unsigned n, unsigned *i, char *err, size_t errlen)
{
	uint64_t idx, min = 0;
	const char *from = "JOB_COMPLETION_INDEX";
	int rc = env_number(from, &idx, err, errlen);

	if (rc == 1) {
		from = "SLURM_ARRAY_TASK_ID";
		rc = env_number(from, &idx, err, errlen);
		if (rc == 0 && env_number("SLURM_ARRAY_TASK_MIN", &min, err,
		    errlen) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (rc == 1) {
		snprintf(err, errlen, "--shards %u needs --shard I/N, or "
		    "JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID set", n);
		return -1;
	}
	if (idx < min || idx - min >= n) {
		snprintf(err, errlen, "%s %llu is outside the %u shards",
		    from, (unsigned long long)idx, n);
		return -1;
	}
	*i = (unsigned)(idx - min) + 1;
	return 0;
}

void
shard_range(uint64_t total, unsigned i, unsigned n, uint64_t *lo,
    uint64_t *hi)
{
	unsigned __int128 t = total;

	*lo = (uint64_t)(t * (i - 1) / n);
	*hi = (uint64_t)(t * i / n);
}
