/*
 * Checkpoints; see checkpoint.h.
 *
 * When.  Every interval, but only once more has been written since the
 * last one: with random order a group is a window of at least 64 hosts,
 * whose hosts are written together when its last probe is done, so a
 * checkpoint falls at the end of a window (or of a host, in sequential
 * order).  A window that takes longer than the interval puts the next
 * checkpoint off to its end: nothing of it could be counted before.
 *
 * Cost.  A checkpoint runs in the thread that delivered the events, with
 * the hub's lock held, so that nothing is written to the outputs while
 * they are synced and measured; the engines' own loops go on meanwhile
 * and only wait to deliver.  It costs an fsync per output and one for
 * the resume file and its directory: at the default minute, nothing that
 * shows (bench/RESULTS.md).  With --baseline, the open ports found so far
 * are written out too, whole each time: a few bytes per open port.
 */
#include <errno.h>
#include <stdlib.h>

#include "trawl/checkpoint.h"
#include "trawl/collect.h"
#include "trawl/log.h"
#include "trawl/outfiles.h"
#include "trawl/reactor.h"
#include "trawl/resume.h"
#include "trawl/work.h"

struct checkpoint {
	uint64_t interval_ns;
	uint64_t due;			/* reactor_clock() */
	uint64_t written;		/* what the last one counted */
	uint64_t count;
	struct work *work;
	struct outfiles *out;
	const struct collect *col;
	const struct compare *cmp;	/* NULL: no --baseline */
};

struct checkpoint *
checkpoint_new(unsigned interval_s, struct work *w, struct outfiles *f,
    const struct collect *col, const struct compare *cmp)
{
	struct checkpoint *ck;

	if (interval_s == 0) {
		errno = 0;
		return NULL;
	}
	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return NULL;
	ck->interval_ns = (uint64_t)interval_s * REACTOR_NS_PER_S;
	ck->due = reactor_clock() + ck->interval_ns;
	ck->work = w;
	ck->out = f;
	ck->col = col;
	ck->cmp = cmp;
	return ck;
}

void
checkpoint_free(struct checkpoint *ck)
{
	free(ck);
}

int
checkpoint_tick(struct checkpoint *ck)
{
	uint64_t written = collect_written_below(ck->col);
	struct resume_output *o;
	size_t n;
	char err[1024];
	int rc;

	if (written <= ck->written || reactor_clock() < ck->due)
		return 0;
	if (outfiles_state(ck->out, OUTFILES_NOW, &o, &n, err,
	    sizeof(err)) != 0) {
		log_error("cannot take a checkpoint: %s; '%s' keeps the last "
		    "one", err, ck->work->resume_path);
		return -1;
	}
	rc = work_checkpoint(ck->work, ck->cmp, written, o, n, err,
	    sizeof(err));
	outfiles_state_free(o, n);
	if (rc != 0) {
		log_error("cannot take a checkpoint: %s; '%s' keeps the last "
		    "one", err, ck->work->resume_path);
		return -1;
	}
	ck->written = written;
	ck->count++;
	/* From now: a slow disk must not make checkpoints back to back. */
	ck->due = reactor_clock() + ck->interval_ns;
	return 0;
}

uint64_t
checkpoint_count(const struct checkpoint *ck)
{
	return ck != NULL ? ck->count : 0;
}
