/*
 * Resume files: the work an interrupted scan had left, as position ranges of
 * its walk, with what it takes to rebuild the same walk (seed, order,
 * shard) and a fingerprint of the space that refuses any other scan.
 */
#ifndef TRAWL_RESUME_H
#define TRAWL_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/iter.h"

struct resume {
	uint64_t fingerprint;
	uint64_t seed;
	enum iter_order order;
	unsigned shard_i, shard_n;
	struct iter_range *ranges;	/* ascending, disjoint */
	size_t nranges;
};

/*
 * Parse len bytes of buf as a resume file (a state file, statefile.h) into
 * r; name is the file name for messages.  Returns 0, or -1 with a message
 * "NAME:LINE: bad resume file: ..." in err and r holding no ranges.
 */
int resume_parse_buf(const char *buf, size_t len, const char *name,
    struct resume *r, char *err, size_t errlen);
/*
 * Load path into r.  Returns 1 when loaded, 0 when path does not exist, -1
 * with a message in err (unreadable or malformed file).
 */
int resume_load(const char *path, struct resume *r, char *err, size_t errlen);
/*
 * Whether r's ranges lie within positions [lo, hi), the slice of the scan
 * it claims to continue (shard_range()): a file edited or damaged past
 * the end of the walk must not reach iter_next().  0, or -1 with a
 * message "NAME: bad resume file: ..." in err.
 */
int resume_fits(const struct resume *r, uint64_t lo, uint64_t hi,
    const char *name, char *err, size_t errlen);
/*
 * Replace path with r atomically, as statefile_save() does (a temporary
 * file under a name no other run picks, fsync, rename, fsync of the
 * directory; the mode of the file replaced is kept).  Returns 0, or -1
 * with errno and a message in err (errlen 0: errno only); on failure path
 * is untouched and no temporary file is left.
 */
int resume_save(const char *path, const struct resume *r, char *err,
    size_t errlen);
void resume_free(struct resume *r);
/*
 * Sort and merge ranges in place (the walk's rest and single pending
 * positions); returns the new count.
 */
size_t resume_normalize(struct iter_range *ranges, size_t n);

#endif
