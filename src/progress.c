/*
 * Progress.  The rate is an exponentially weighted average over the last
 * few seconds, so the ETA follows the scan's present speed rather than its
 * start-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/log.h"
#include "trawl/pace.h"
#include "trawl/progress.h"
#include "trawl/reactor.h"

#define LIVE_INTERVAL_NS (250 * REACTOR_NS_PER_MS)

struct progress {
	bool live;
	bool shown;
	uint64_t every_ns;
	uint64_t total;
	uint64_t start;
	uint64_t last;		/* last report */
	uint64_t last_done;
	double rate;		/* probes per second, smoothed */
};

struct progress *
progress_new(bool live, unsigned every_s, uint64_t total)
{
	struct progress *p;

	if (!live && every_s == 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->live = every_s == 0 && live;
	p->every_ns = every_s > 0 ? every_s * REACTOR_NS_PER_S :
	    LIVE_INTERVAL_NS;
	p->total = total;
	p->start = p->last = reactor_clock();
	return p;
}

static void
format_eta(char *buf, size_t len, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (s < 0 || s > 1e9)
		snprintf(buf, len, "?");
	else if (t >= 3600)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
}

void
progress_add_total(struct progress *p, uint64_t more)
{
	if (p != NULL)
		p->total += more;
}

void
progress_update(struct progress *p, uint64_t done, uint64_t open,
    const struct pace_stats *path)
{
	uint64_t now = reactor_clock();
	double dt, inst, pct;
	char eta[32], line[256], lost[96];
	int n;

	if (p == NULL)
		return;
	/*
	 * At most one report an interval, however often the scan moves on: a
	 * line taken off for results comes back at the next one.
	 */
	if (now - p->last < p->every_ns)
		return;
	dt = (double)(now - p->last) / 1e9;
	inst = (double)(done - p->last_done) / dt;
	p->rate = p->rate == 0 ? inst : 0.7 * p->rate + 0.3 * inst;
	p->last = now;
	p->last_done = done;
	pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
	format_eta(eta, sizeof(eta), p->rate > 0 ?
	    (double)(p->total - done) / p->rate : -1);
	/* The path's losses: why the rate is what it is. */
	lost[0] = '\0';
	if (path != NULL)
		pace_describe(path, true, lost, sizeof(lost));
	n = snprintf(line, sizeof(line), "%llu/%llu probes (%.1f%%), "
	    "%.0f/s, %llu open, ETA %s%s%s", (unsigned long long)done,
	    (unsigned long long)p->total, pct, p->rate,
	    (unsigned long long)open, eta, lost[0] != '\0' ? "; " : "", lost);
	if (!p->live) {
		log_info("progress: %s", line);
		return;
	}
	if (n > 0) {
		char out[300];
		int m = snprintf(out, sizeof(out), "\r\033[Ktrawl: %s", line);

		(void)!write(STDERR_FILENO, out, (size_t)m);
		p->shown = true;
	}
}

void
progress_clear(struct progress *p)
{
	if (p == NULL || !p->shown)
		return;
	(void)!write(STDERR_FILENO, "\r\033[K", 4);
	p->shown = false;
}

void
progress_clear_cb(void *p)
{
	progress_clear(p);
}

void
progress_free(struct progress *p)
{
	progress_clear(p);
	free(p);
}
