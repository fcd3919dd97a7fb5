/*
 * The collector: the one place where probe outcomes become results.  It
 * counts every outcome, keeps the reported ones of hosts still being
 * scanned, and hands each host to the outputs once the engine says the
 * host is done (scan.h: done_below), so output streams during the scan.
 */
#ifndef TRAWL_COLLECT_H
#define TRAWL_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/output.h"
#include "trawl/scan.h"
#include "trawl/target.h"

struct space;
struct wbuf;
struct collect;

/* NULL with errno on failure.  report is a mask of STATE_BIT()s. */
struct collect *collect_new(const struct space *space, unsigned report);
void collect_free(struct collect *c);
/* Add an output; both must outlive c.  0, or -1 with errno. */
int collect_add_output(struct collect *c, const struct out_format *fmt,
    struct wbuf *w);

/*
 * What the formats' headers say about the run (output.h); run must outlive
 * c.  Without it, formats fall back to what they can say on their own.
 */
void collect_set_run(struct collect *c, const struct out_run *run);
/*
 * Whether output w continues a document this scan began (out_run's
 * appending), for this output alone: a resumed run continues the files it
 * was saved with and begins new ones.  Before collect_begin().
 */
void collect_set_appending(struct collect *c, const struct wbuf *w,
    bool appending);

/* A scan_sink delivery function; ctx is the collector. */
int collect_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below);
/*
 * Begin the formats (once; a name reported unresolved or the end begins
 * them if need be).  After collect_set_run().
 */
void collect_begin(struct collect *c);
/* Emit every host still held (an interrupted scan too). */
void collect_drain(struct collect *c);
/*
 * A change since the last run, to the outputs that carry changes
 * (output_carries_changes(): those of the changes format when there are
 * any): after collect_drain(), before collect_end().
 */
void collect_change(struct collect *c, const struct out_change *ch);
/* collect_drain(), then close the formats. */
void collect_end(struct collect *c, const struct out_stats *st);
/*
 * Every finished host, with its ports in the reported states and in
 * states (STATE_BIT()s) held for the hook alone, before the outputs get
 * it: for comparing runs (--baseline).  addr is the host's address.
 */
typedef void collect_hook_fn(void *ctx, const struct out_host *h,
    target_u128 addr);
void collect_set_hook(struct collect *c, unsigned states, collect_hook_fn *fn,
    void *ctx);
/*
 * PTR names (--rdns).  ask(ctx, host, family, addr) is called once for
 * each host, at its first open port, under whatever lock collect_deliver()
 * is called with; 0 when the answer will come through collect_ptr(),
 * -1 when it will not (the host then has no PTR name).  A finished host
 * whose answer has not come waits, and the hosts finished after it wait
 * behind it: output keeps the scan's order.  collect_drain() lets every
 * host go, answered or not.
 */
typedef int collect_ask_fn(void *ctx, uint64_t host, int family,
    target_u128 addr);
void collect_set_ptr(struct collect *c, collect_ask_fn *ask, void *ctx);
/*
 * The answer for host: its PTR name (copied), or NULL for none; the hosts
 * that waited for it are written.  Under the lock of collect_deliver().
 * 0, or -1 when an output failed or memory ran out (collect_failed()).
 */
int collect_ptr(struct collect *c, uint64_t host, const char *name);
/* A name that gave no address: to the outputs, if that state is asked. */
void collect_unresolved(struct collect *c, const char *name, const char *why);
/*
 * Every host of a walk group below this has been handed to the outputs
 * (the largest done_below delivered so far): what a checkpoint may count
 * as done once the outputs are flushed.  0 before any.
 */
uint64_t collect_written_below(const struct collect *c);
/* Outcomes per state so far. */
void collect_counts(const struct collect *c, uint64_t count[STATE_COUNT]);
/* First output that failed, and its errno; NULL when none did. */
struct wbuf *collect_failed(const struct collect *c, int *err);

#endif
