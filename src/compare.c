/*
 * Changes since the last run; see compare.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/baseline.h"
#include "trawl/collect.h"
#include "trawl/compare.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/output.h"
#include "trawl/state.h"

struct compare {
	const char *path;
	struct baseline *old, *now;
	struct collect *col;	/* where changes go, while diffing */
	int failed;		/* errno of a failed baseline_add() */
};

static void
on_host(void *ctx, const struct out_host *h, target_u128 addr)
{
	struct compare *cmp = ctx;

	for (size_t i = 0; i < h->nports && cmp->failed == 0; i++)
		if (h->ports[i].state == STATE_OPEN &&
		    baseline_add(cmp->now, h->family, addr, h->ports[i].port,
		    h->names, h->nnames) != 0)
			cmp->failed = errno;
}

static void
on_change(void *ctx, const struct baseline_change *ch)
{
	struct compare *cmp = ctx;

	collect_change(cmp->col, &ch->out);
}

/* Whether some output gets the changes (output_carries_changes()). */
static bool
changes_written(const struct runconf_output *outputs, size_t noutputs)
{
	bool separate = false;

	for (size_t i = 0; i < noutputs; i++)
		separate |= outputs[i].format->changes_only;
	for (size_t i = 0; i < noutputs; i++)
		if (output_carries_changes(outputs[i].format, separate))
			return true;
	return false;
}

int
compare_start(const char *path, uint64_t fingerprint,
    const struct runconf_output *outputs, size_t noutputs,
    struct collect *col, struct compare **out)
{
	struct compare *cmp;
	char err[512];

	*out = NULL;
	if (path == NULL)
		return 0;
	if ((cmp = calloc(1, sizeof(*cmp))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	cmp->path = path;
	if (baseline_load(path, &cmp->old, err, sizeof(err)) < 0) {
		log_error("%s", err);
		compare_free(cmp);
		return EXIT_USAGE;
	}
	if ((cmp->now = baseline_new(fingerprint)) == NULL) {
		log_error("out of memory");
		compare_free(cmp);
		return EXIT_FAILED;
	}
	if (!changes_written(outputs, noutputs))
		log_warn("changes since the last run are written to no output "
		    "(ndjson and csv hold results only): -o changes:FILE "
		    "keeps them");
	collect_set_hook(col, STATE_BIT(STATE_OPEN), on_host, cmp);
	*out = cmp;
	return 0;
}

int
compare_finish(struct compare *cmp, struct collect *col, bool resumed,
    bool fail_on_change, int status)
{
	char err[512];
	ssize_t n = 0;

	if (cmp == NULL)
		return status;
	if (resumed) {
		log_warn("a resumed scan saw only part of the targets: '%s' "
		    "is neither compared nor replaced", cmp->path);
		return status;
	}
	if (cmp->failed != 0) {
		log_error("cannot keep the results for '%s': %s", cmp->path,
		    strerror(cmp->failed));
		return EXIT_FAILED;
	}
	if (cmp->old != NULL) {
		if (baseline_fingerprint(cmp->old) !=
		    baseline_fingerprint(cmp->now))
			log_warn("'%s' holds the results of another scan "
			    "(targets, ports or shard): what lies outside "
			    "this one shows as gone", cmp->path);
		cmp->col = col;
		collect_drain(col);
		if ((n = baseline_diff(cmp->old, cmp->now, on_change,
		    cmp)) < 0) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		log_info("%zd change%s since the last run", n,
		    n == 1 ? "" : "s");
	}
	if (baseline_save(cmp->now, cmp->path, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if (n > 0 && fail_on_change && status == EXIT_DONE)
		return EXIT_CHANGED;
	return status;
}

void
compare_free(struct compare *cmp)
{
	if (cmp == NULL)
		return;
	baseline_free(cmp->old);
	baseline_free(cmp->now);
	free(cmp);
}
