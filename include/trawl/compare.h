/*
 * Changes since the last run (--baseline): the open ports of this run,
 * kept as the collector hands out each finished host, compared at the end
 * with the baseline file; the changes go to the outputs that carry them
 * (output_carries_changes()), and this run becomes the next baseline.
 */
#ifndef TRAWL_COMPARE_H
#define TRAWL_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "trawl/runconf.h"

struct collect;
struct compare;

/*
 * Load the baseline at path before the scan (a damaged file is the user's
 * to see before a long scan, not after) and watch col's hosts.  fingerprint
 * tells this scan from others (targets, ports, shard).  When none of
 * outputs would get the changes, says so.  Returns 0 with *out set (NULL
 * when path is NULL: nothing to compare), or the exit status, the reason
 * said.
 */
int compare_start(const char *path, uint64_t fingerprint,
    const struct runconf_output *outputs, size_t noutputs,
    struct collect *col, struct compare **out);
/*
 * After a scan that ran to its end: the changes to col's outputs, after
 * every host (collect_drain()) and before their end, and this run saved as
 * the baseline.  A resumed scan saw only part of the targets: it is
 * neither compared nor kept.  Returns status, EXIT_CHANGED when something
 * changed and fail_on_change, or EXIT_FAILED (said why).
 */
int compare_finish(struct compare *cmp, struct collect *col, bool resumed,
    bool fail_on_change, int status);
void compare_free(struct compare *cmp);

#endif
