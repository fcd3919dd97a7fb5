/*
 * Resume files: the work an interrupted scan had left, as position ranges of
 * its walk, with what it takes to rebuild the same walk (seed, order,
 * shard) and a fingerprint of the space that refuses any other scan; and
 * the -o files the results went to, as they were when the file was saved,
 * so that a run that continues them can check they are the same files and
 * cut them back to where the saved work ends (checkpoints, see
 * checkpoint.h).
 */
#ifndef TRAWL_RESUME_H
#define TRAWL_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/iter.h"

/* Bytes before an output's saved length that its tail hash covers. */
#define RESUME_TAIL 4096

/*
 * An output file as a resume file knows it.  Saved at a checkpoint, the
 * file may have grown since (results of work the checkpoint counts as not
 * done): grown is allowed and cut back.  Saved when the scan stopped
 * (exact), nothing was written after: any other length is someone else's.
 */
struct resume_output {
	char *path;		/* absolute, as the run named it */
	uint64_t dev, ino;	/* the file's identity */
	uint64_t cut;		/* a continuing run truncates it here */
	uint64_t length;	/* its length when saved, >= cut */
	bool exact;		/* saved at a stop: length is the end */
	uint64_t tail;		/* resume_tail_hash() of the bytes before
				   length, RESUME_TAIL at most */
};

struct resume {
	uint64_t fingerprint;
	uint64_t seed;
	enum iter_order order;
	unsigned shard_i, shard_n;
	struct iter_range *ranges;	/* ascending, disjoint */
	size_t nranges;
	struct resume_output *outputs;	/* paths distinct */
	size_t noutputs;
	/*
	 * --baseline: the open ports of the work done so far, in a side file
	 * next to this one (work_found_path()), as the baseline it is to
	 * become; a line "found SLOT HASH LENGTH".  Two side files are taken
	 * in turn, so that the one a saved resume file names is never the
	 * one being replaced.  hash is resume_tail_hash() of all its bytes.
	 */
	bool found;
	unsigned found_slot;		/* 0 or 1 */
	uint64_t found_hash, found_length;
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

/* The tail hash of an output (64-bit FNV-1a: finds accidents, not forgers). */
uint64_t resume_tail_hash(const void *buf, size_t len);
/* The output of r saved under path, or NULL. */
const struct resume_output *resume_output_find(const struct resume *r,
    const char *path);
/*
 * Whether an output file as found now -- identity, size, and the tail
 * hash of its bytes before o->length (read only when size >= o->length;
 * pass 0 otherwise) -- is the one o describes, as a run that continues it
 * must find it.  0, or -1 with a message naming the file and resume_path
 * in err: replaced, shorter, grown after a stop, or edited.
 */
int resume_output_check(const struct resume_output *o, uint64_t dev,
    uint64_t ino, uint64_t size, uint64_t tail, const char *resume_path,
    char *err, size_t errlen);
/*
 * Sort and merge ranges in place (the walk's rest and single pending
 * positions); returns the new count.
 */
size_t resume_normalize(struct iter_range *ranges, size_t n);

#endif
