/*
 * Shards: one sweep split into N disjoint slices, so that N machines (a
 * Kubernetes Indexed Job, a Slurm array, systemd template units) share it.
 * Slice I of N is a contiguous run of positions of the walk; with the same
 * plan (same space, order and seed) the slices are disjoint and together
 * cover every position exactly once.
 */
#ifndef TRAWL_SHARD_H
#define TRAWL_SHARD_H

#include <stddef.h>
#include <stdint.h>

/* "I/N" with 1 <= I <= N.  0, or -1 with a message in err. */
int shard_parse(const char *s, unsigned *i, unsigned *n, char *err,
    size_t errlen);
/*
 * The index of this process in a job of n shards, from the environment:
 * JOB_COMPLETION_INDEX (Kubernetes, 0-based) or SLURM_ARRAY_TASK_ID (minus
 * SLURM_ARRAY_TASK_MIN when set).  Sets *i (1-based).  0, or -1 with a
 * message in err.
 */
int shard_from_env(unsigned n, unsigned *i, char *err, size_t errlen);
/* Positions [*lo, *hi) of slice i of n over total positions. */
void shard_range(uint64_t total, unsigned i, unsigned n, uint64_t *lo,
    uint64_t *hi);

#endif
