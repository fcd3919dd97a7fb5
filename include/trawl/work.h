/*
 * The work of one run: which positions of the scan order it covers, and
 * what becomes of those it leaves.  A run covers its shard of the order,
 * or what a resume file says is left of it; when it stops early, what is
 * left goes back to a resume file, and when it completes, the resume file
 * goes away.
 */
#ifndef TRAWL_WORK_H
#define TRAWL_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "trawl/iter.h"
#include "trawl/resume.h"
#include "trawl/runconf.h"

struct compare;
struct hub;
struct space;

struct work {
	struct iter_plan plan;
	struct resume state;		/* what a resume file would hold */
	bool resumed;			/* state came from a resume file */
	const char *resume_path;	/* where to save what is left */
	bool resume_given;		/* --resume: remove it when done */
	char *found_path[2];		/* its side files (resume.h) */
};

/*
 * Plan the run over a finished space: the seed (given, derived from the
 * space for shards so that they agree, or fresh), the shard's positions
 * or those a resume file left (checked: the same scan, ranges inside the
 * shard).  0, or the exit status, the reason said.
 */
int work_plan(struct work *w, const struct runconf_work *cfg,
    const struct space *s);
void work_free(struct work *w);
/* Probes this run has to make. */
uint64_t work_size(const struct work *w);
/* "N probes (H hosts x P ports[, shard I/N][, resumed])" to stdout. */
void work_print(const struct work *w, const struct space *s);
/*
 * After hub_run() stopped early: whether it left anything undone (a
 * signal after the last probe stopped nothing), and save what it left,
 * with the output files as they are (outfiles_state()) and, with cmp
 * (--baseline), the open ports of every host written, first, to a side
 * file (compare_keep()).  work_save(): 0, or -1 (said why).
 */
bool work_left(const struct hub *h);
int work_save(struct work *w, const struct compare *cmp, const struct hub *h,
    const struct resume_output *o, size_t n);
/*
 * A checkpoint while the scan runs: what this run started with, less
 * every group below written_below (collect_written_below()), with the
 * output files (o[n]) whose contents are exactly those groups' results,
 * and cmp's open ports (as work_save()); cmp NULL keeps the side file
 * the resume file names now, if any.  0, or -1 with errno and a message
 * in err; the resume file is then as it was.
 */
int work_checkpoint(struct work *w, const struct compare *cmp,
    uint64_t written_below, const struct resume_output *o, size_t n,
    char *err, size_t errlen);
/* The run completed: its resume file and side files are done with. */
void work_complete(const struct work *w);

#endif
