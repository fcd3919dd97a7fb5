/*
 * Changes since the last run; see compare.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/baseline.h"
#include "trawl/collect.h"
#include "trawl/compare.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/output.h"
#include "trawl/readfile.h"
#include "trawl/resume.h"
#include "trawl/state.h"

/*
 * The most a side file may hold when read back whole: far more than the
 * open ports of any scan (a baseline line is under 64 bytes).
 */
#define FOUND_MAX ((size_t)1 << 36)

struct compare {
	const char *path;
	struct baseline *old, *now;
	struct collect *col;	/* where changes go, while diffing */
	int failed;		/* errno of a failed baseline_add() */
	bool partial;		/* resumed, without what the runs before found */
	bool complete;		/* compared: to be the next baseline */
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
compare_resume(struct compare *cmp, const char *path, uint64_t hash,
    uint64_t length)
{
	struct baseline *b;
	char err[512], *buf;
	size_t len;

	if (cmp == NULL)
		return 0;
	if (path == NULL) {
		cmp->partial = true;
		return 0;
	}
	/*
	 * Refused, never mended: without the ports of the work done, the
	 * changes reported at the end would be wrong, and the baseline too.
	 */
	if (readfile(path, FOUND_MAX, &buf, &len) != 0) {
		log_error("cannot read '%s', the open ports the scan found "
		    "before it stopped: %s; put it back, or remove the resume "
		    "file to start afresh", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (len != length || resume_tail_hash(buf, len) != hash) {
		log_error("'%s' is not the file the resume file saved with it "
		    "(it was edited or replaced): put it back, or remove the "
		    "resume file to start afresh", path);
		free(buf);
		return EXIT_USAGE;
	}
	if (baseline_parse_buf(buf, len, path, &b, err, sizeof(err)) != 0) {
		free(buf);
		log_error("%s", err);
		return EXIT_USAGE;
	}
	free(buf);
	if (baseline_fingerprint(b) != baseline_fingerprint(cmp->now)) {
		log_error("'%s' holds the open ports of another scan: remove "
		    "the resume file to start afresh", path);
		baseline_free(b);
		return EXIT_USAGE;
	}
	baseline_free(cmp->now);
	cmp->now = b;
	return 0;
}

int
compare_keep(const struct compare *cmp, const char *path, uint64_t *hash,
    uint64_t *length, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	if (cmp == NULL || cmp->partial)
		return 0;
	if (cmp->failed != 0) {
		snprintf(err, errlen, "cannot keep the open ports found: %s",
		    strerror(cmp->failed));
		return -1;
	}
	if (baseline_save(cmp->now, path, err, errlen) != 0)
		return -1;
	/* What is on the disk is what the resume file vouches for. */
	if (readfile(path, FOUND_MAX, &buf, &len) != 0) {
		snprintf(err, errlen, "cannot read '%s' back: %s", path,
		    strerror(errno));
		return -1;
	}
	*hash = resume_tail_hash(buf, len);
	*length = len;
	free(buf);
	return 1;
}

int
compare_finish(struct compare *cmp, struct collect *col,
    bool fail_on_change, int status)
{
	ssize_t n = 0;

	if (cmp == NULL)
		return status;
	if (cmp->partial) {
		log_warn("a resumed scan saw only part of the targets, and "
		    "its resume file keeps no open ports of the runs before "
		    "(saved without --baseline): '%s' is neither compared nor "
		    "replaced", cmp->path);
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
	cmp->complete = true;
	if (n > 0 && fail_on_change && status == EXIT_DONE)
		return EXIT_CHANGED;
	return status;
}

int
compare_save(const struct compare *cmp)
{
	char err[512];

	if (cmp == NULL || !cmp->complete)
		return 0;
	if (baseline_save(cmp->now, cmp->path, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
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
