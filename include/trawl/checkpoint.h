/*
 * Checkpoints: with --resume FILE, the scan saves itself while it runs,
 * not only when asked to stop, so that a death no handler sees (SIGKILL,
 * the OOM killer, a power cut) loses at most one interval of work.
 *
 * A checkpoint counts as done only what is in the output files: the
 * groups of the walk whose hosts the collector has handed to the outputs
 * (collect_written_below()).  Everything else -- hosts held until their
 * group is finished, probes in flight or waiting to retry, the walk not
 * dealt yet -- is left to do, whatever of it was probed.  The files are
 * flushed and synced first, and the resume file records each one's
 * identity, length and last bytes (resume.h): the run that continues cuts
 * them back to that length, so that results written after the checkpoint
 * are written again, once, and never twice.
 */
#ifndef TRAWL_CHECKPOINT_H
#define TRAWL_CHECKPOINT_H

#include <stdint.h>

struct collect;
struct compare;
struct outfiles;
struct work;

struct checkpoint;

/*
 * Checkpoints of w every interval_s seconds (0: none, NULL returned with
 * errno 0), of the groups col has written to f and, with cmp (--baseline;
 * may be NULL), of the open ports among them.  NULL with errno ENOMEM.
 */
struct checkpoint *checkpoint_new(unsigned interval_s, struct work *w,
    struct outfiles *f, const struct collect *col,
    const struct compare *cmp);
void checkpoint_free(struct checkpoint *ck);
/*
 * After each delivery to the collector, with its lock held: a checkpoint
 * when one is due and more is written than the last one counted.  0, or
 * -1 when it failed (said why; the resume file keeps the last one): the
 * scan stops rather than go on without the safety asked for.
 */
int checkpoint_tick(struct checkpoint *ck);
/* Checkpoints taken so far. */
uint64_t checkpoint_count(const struct checkpoint *ck);

#endif
