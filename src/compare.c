/*
 * Changes since the last run; see compare.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "trawl/baseline.h"
#include "trawl/collect.h"
#include "trawl/compare.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/output.h"
#include "trawl/readfile.h"
#include "trawl/resume.h"
#include "trawl/state.h"
#include "trawl/svc.h"

/*
 * The most a side file may hold when read back whole: far more than the
 * open ports of any scan (a baseline line is under 64 bytes).
 */
#define FOUND_MAX ((size_t)1 << 36)

struct compare {
	const char *path;	/* NULL: no baseline, certificates only */
	unsigned cert_expiry;	/* days; 0: not asked */
	struct baseline *old, *now;
	struct collect *col;	/* where changes go, while diffing */
	int failed;		/* errno of a failed baseline_add() */
	bool partial;		/* resumed, without what the runs before found */
	bool complete;		/* compared: to be the next baseline */
};

/*
 * What answered on a port (--banners), as a baseline keeps it: the
 * service when one was identified from an answer (a name the port alone
 * gave says nothing about this run), the certificate when there was one.
 */
static void
answer_from(const struct svc *s, struct out_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (s->identified && s->name[0] != '\0') {
		a->service = s->name;
		a->tunnel_ssl = s->tunnel_ssl;
		a->product = s->product;
		a->version = s->version;
	}
	if (s->has_tls && s->tls.sha256[0] != '\0') {
		a->sha256 = s->tls.sha256;
		a->not_after = s->tls.not_after;
		a->subject = s->tls.subject;
	}
}

static void
on_host(void *ctx, const struct out_host *h, target_u128 addr)
{
	struct compare *cmp = ctx;
	struct out_answer a;

	for (size_t i = 0; i < h->nports && cmp->failed == 0; i++) {
		const struct out_port *p = &h->ports[i];

		if (p->state != STATE_OPEN)
			continue;
		if (baseline_add(cmp->now, h->family, addr, p->port, h->names,
		    h->nnames) != 0) {
			cmp->failed = errno;
			break;
		}
		if (p->svc == NULL)
			continue;
		answer_from(p->svc, &a);
		if (baseline_set_answer(cmp->now, h->family, addr, p->port,
		    &a) != 0 && errno != EINVAL)
			cmp->failed = errno;
	}
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
compare_start(const char *path, unsigned cert_expiry, uint64_t fingerprint,
    const struct runconf_output *outputs, size_t noutputs,
    struct collect *col, struct compare **out)
{
	struct compare *cmp;
	char err[512];

	*out = NULL;
	if (path == NULL && cert_expiry == 0)
		return 0;
	if ((cmp = calloc(1, sizeof(*cmp))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	cmp->path = path;
	cmp->cert_expiry = cert_expiry;
	if (path != NULL &&
	    baseline_load(path, &cmp->old, err, sizeof(err)) < 0) {
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
		log_warn("%s written to no output (ndjson and csv hold "
		    "results only): -o changes:FILE keeps them", path != NULL ?
		    "changes since the last run are" :
		    "certificates expiring are");
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

/* The certificates of this run near their end: to the outputs too. */
static ssize_t
expiring(struct compare *cmp, struct collect *col)
{
	ssize_t n;

	if (cmp->cert_expiry == 0)
		return 0;
	cmp->col = col;
	collect_drain(col);
	if ((n = baseline_expiring(cmp->now, time(NULL), cmp->cert_expiry,
	    on_change, cmp)) < 0)
		return -1;
	if (n > 0)
		log_info("%zd certificate%s expiring within %u day%s", n,
		    n == 1 ? "" : "s", cmp->cert_expiry,
		    cmp->cert_expiry == 1 ? "" : "s");
	return n;
}

int
compare_finish(struct compare *cmp, struct collect *col,
    bool fail_on_change, int status)
{
	ssize_t n = 0, e;

	if (cmp == NULL)
		return status;
	if (cmp->failed != 0) {
		log_error("cannot keep the results%s%s%s: %s",
		    cmp->path != NULL ? " for '" : "",
		    cmp->path != NULL ? cmp->path : "",
		    cmp->path != NULL ? "'" : "", strerror(cmp->failed));
		return EXIT_FAILED;
	}
	if (cmp->partial && cmp->path != NULL) {
		log_warn("a resumed scan saw only part of the targets, and "
		    "its resume file keeps no open ports of the runs before "
		    "(saved without --baseline): '%s' is neither compared nor "
		    "replaced", cmp->path);
	} else if (cmp->old != NULL) {
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
	/*
	 * A resumed scan whose runs before kept nothing still tells the
	 * certificates it saw itself: an expiring one is news either way.
	 */
	if ((e = expiring(cmp, col)) < 0) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	n += e;
	if (!cmp->partial && cmp->path != NULL) {
		/* Carried after the diff: what is carried is no news. */
		if (cmp->old != NULL && baseline_carry(cmp->now,
		    cmp->old) != 0) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		cmp->complete = true;
	}
	if (n > 0 && fail_on_change && status == EXIT_DONE)
		return EXIT_CHANGED;
	return status;
}

int
compare_save(const struct compare *cmp)
{
	char err[512];

	if (cmp == NULL || !cmp->complete || cmp->path == NULL)
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
