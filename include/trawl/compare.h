/*
 * Changes since the last run (--baseline): the open ports of this run and
 * what answered on them (--banners), kept as the collector hands out each
 * finished host, compared at the end with the baseline file; the changes
 * go to the outputs that carry them (output_carries_changes()), and this
 * run becomes the next baseline.  The certificates near their end
 * (--cert-expiry) are told the same way, with or without a baseline.
 */
#ifndef TRAWL_COMPARE_H
#define TRAWL_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/runconf.h"

struct collect;
struct compare;

/*
 * Load the baseline at path before the scan (a damaged file is the user's
 * to see before a long scan, not after) and watch col's hosts.  path may
 * be NULL when cert_expiry (days, 0 for none) asks for the certificates
 * expiring alone.  fingerprint tells this scan from others (targets,
 * ports, shard).  When none of outputs would get the changes, says so.
 * Returns 0 with *out set (NULL when there is nothing to do: no path, no
 * cert_expiry), or the exit status, the reason said.
 */
int compare_start(const char *path, unsigned cert_expiry,
    uint64_t fingerprint, const struct runconf_output *outputs,
    size_t noutputs, struct collect *col, struct compare **out);
/*
 * A resumed scan: the runs before it kept the open ports of the work they
 * did in path (compare_keep()), which must still be hash and length
 * bytes long: this run starts from them, so that the run that completes
 * the scan compares all of it.  path NULL: they kept none (no --baseline
 * then, or an older trawl), and this run, which sees only part of the
 * targets, will neither compare nor replace the baseline.  Returns 0, or
 * the exit status (EXIT_USAGE for a side file missing, damaged or edited:
 * the message names it).
 */
int compare_resume(struct compare *cmp, const char *path, uint64_t hash,
    uint64_t length);
/*
 * Before a resume file is saved: the open ports of every host written so
 * far, atomically to path in the baseline format, and that file's hash
 * (resume_tail_hash() of all of it) and length, for the resume file to
 * name.  Returns 1 when kept, 0 when there is nothing to keep (cmp NULL,
 * or a resumed scan whose runs before kept nothing), -1 with a message in
 * err.
 */
int compare_keep(const struct compare *cmp, const char *path, uint64_t *hash,
    uint64_t *length, char *err, size_t errlen);
/*
 * After a scan that ran to its end: the changes to col's outputs, after
 * every host (collect_drain()) and before their end, with the work of the
 * runs it resumed (compare_resume()), then the certificates expiring.  A
 * resumed scan whose runs before kept nothing saw only part of the
 * targets: it is not compared (its certificates are still told).  What
 * answered on a port that this run did not learn is carried over from the
 * baseline (baseline_carry()).  Returns status, EXIT_CHANGED when
 * something changed (or a certificate expires) and fail_on_change, or
 * EXIT_FAILED (said why).
 */
int compare_finish(struct compare *cmp, struct collect *col,
    bool fail_on_change, int status);
/*
 * The scan compared (compare_finish()) becomes the baseline.  Last, once
 * the changes are in the outputs and the resume file is gone: a crash
 * before leaves the old baseline, and the next run compares with it again
 * rather than with this one, which would find no change.  0 (also when
 * there is nothing to save), or -1 (said why).
 */
int compare_save(const struct compare *cmp);
void compare_free(struct compare *cmp);

#endif
