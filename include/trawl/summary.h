/*
 * The summary line a scan ends with, on stderr: what it found, how fast,
 * what became of the names, what the path lost, and whether it was
 * stopped.
 */
#ifndef TRAWL_SUMMARY_H
#define TRAWL_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "trawl/namefeed.h"
#include "trawl/output.h"
#include "trawl/pace.h"

struct summary_names {
	const struct namefeed_stats *before;	/* resolved before the scan */
	const struct namefeed_stats *during;	/* resolved during it */
	bool discovering;			/* --subdomains */
	size_t discovered;			/* certificate names too */
	size_t from_certs;			/* of them (sanfeed.h) */
};

/* Log the line (log_info(): -q silences it). */
void summary_log(const struct out_stats *st, const struct summary_names *n,
    const struct pace_stats *path);

#endif
