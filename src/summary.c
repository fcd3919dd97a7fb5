/*
 * The summary line; see summary.h.  Its words are a contract: scripts and
 * the tests read "N probes, N open, N closed, N filtered, N unreachable in
 * S s (R probes/s)" and the clauses after it.
 */
#include <stdio.h>

#include "trawl/log.h"
#include "trawl/state.h"
#include "trawl/summary.h"

void
summary_log(const struct out_stats *st, const struct summary_names *n,
    const struct pace_stats *path)
{
	size_t resolved = n->before->resolved + n->during->resolved;
	size_t unresolved = n->before->unresolved + n->during->unresolved;
	char names[200] = "", certs[64] = "", lost[200];

	if (n->from_certs > 0)
		snprintf(certs, sizeof(certs), " (%zu from certificates)",
		    n->from_certs);
	if (n->discovering)
		snprintf(names, sizeof(names), "; names: %zu discovered%s, %zu "
		    "resolved, %zu unresolved", n->discovered, certs, resolved,
		    unresolved);
	else if (resolved + unresolved > 0)
		snprintf(names, sizeof(names), "; names: %zu resolved, %zu "
		    "unresolved", resolved, unresolved);
	/* What the path lost: why the scan took the time it did. */
	pace_describe(path, false, lost, sizeof(lost));
	log_info("%llu probes, %llu open, %llu closed, %llu filtered, "
	    "%llu unreachable in %.2f s (%.0f probes/s)%s%s%s%s%s%s",
	    (unsigned long long)st->probes,
	    (unsigned long long)st->count[STATE_OPEN],
	    (unsigned long long)st->count[STATE_CLOSED],
	    (unsigned long long)st->count[STATE_FILTERED],
	    (unsigned long long)st->count[STATE_UNREACHABLE],
	    st->elapsed_s,
	    st->elapsed_s > 0 ? (double)st->probes / st->elapsed_s : 0.0,
	    names, lost[0] != '\0' ? "; " : "", lost,
	    st->interrupted ? ", interrupted" : "",
	    st->failed != NULL ? ", stopped: " : "",
	    st->failed != NULL ? st->failed : "");
}
