/*
 * The collector: the one place where probe outcomes become results.  It
 * counts every outcome, keeps the reported ones of hosts still being
 * scanned, and hands each host to the outputs once the engine says the
 * host is done (scan.h: done_below), so output streams during the scan.
 */
#ifndef TRAWL_COLLECT_H
#define TRAWL_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/output.h"
#include "trawl/scan.h"

struct space;
struct wbuf;
struct collect;

/* NULL with errno on failure.  report is a mask of STATE_BIT()s. */
struct collect *collect_new(const struct space *space, unsigned report);
void collect_free(struct collect *c);
/* Add an output; both must outlive c.  0, or -1 with errno. */
int collect_add_output(struct collect *c, const struct out_format *fmt,
    struct wbuf *w);

/* A scan_sink delivery function; ctx is the collector. */
int collect_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below);
void collect_begin(struct collect *c);
/* Emit every host still held (an interrupted scan too) and close formats. */
void collect_end(struct collect *c, const struct out_stats *st);
/* A name that gave no address: to the outputs, if that state is asked. */
void collect_unresolved(struct collect *c, const char *name, const char *why);
/* Outcomes per state so far. */
void collect_counts(const struct collect *c, uint64_t count[STATE_COUNT]);
/* First output that failed, and its errno; NULL when none did. */
struct wbuf *collect_failed(const struct collect *c, int *err);

#endif
