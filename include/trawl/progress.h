/*
 * Progress reports on stderr: a live line redrawn in place on a terminal,
 * or a plain line every N seconds for logs and the journal.
 */
#ifndef TRAWL_PROGRESS_H
#define TRAWL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct pace_stats;
struct progress;

/*
 * live: redraw one line at most 4 times a second, whatever the calls to
 * progress_update() and progress_clear(); every_s > 0: a plain
 * line at that interval instead.  NULL when neither, or out of memory.
 */
struct progress *progress_new(bool live, unsigned every_s, uint64_t total);
void progress_free(struct progress *p);
/* The scan moved on: done probes finished, open of them open. */
/* More work joined the scan (names resolved while it runs). */
void progress_add_total(struct progress *p, uint64_t more);
void progress_update(struct progress *p, uint64_t done, uint64_t open,
    const struct pace_stats *path);
/*
 * Take the live line off the screen (before other output to the tty); it
 * comes back with the next report.  progress_clear_cb() is the same, for
 * wbuf_before_write().
 */
void progress_clear(struct progress *p);
void progress_clear_cb(void *p);

#endif
