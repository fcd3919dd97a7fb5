/*
 * Names to a sink, answer by answer; see namefeed.h.
 *
 * Answers arrive one name at a time.  The sink may want them in batches
 * (a part of the space per name would cost too much, see space.c), so a
 * reactor timer tells it to flush every FLUSH_NS while answers come.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/log.h"
#include "trawl/namefeed.h"
#include "trawl/reactor.h"

#define FLUSH_NS (20 * REACTOR_NS_PER_MS)

struct namefeed {
	struct namefeed_sink sink;
	struct reactor *reactor;	/* NULL: resolving all, no timer */
	struct dns *dns;		/* the scan's: PTR queries share it */
	struct reactor_timer timer;
	struct namefeed_stats st;
	size_t pending;		/* names submitted, not yet answered */
	bool input_done;	/* every name submitted */
	bool closed;		/* done() has run */
	int error;
};

/*
 * A sink failed: stop taking answers.  During a scan the scan goes on with
 * what it has, and the user is told now; namefeed_resolve_all() says it
 * in its err.
 */
static void
fail(struct namefeed *f, int err)
{
	if (f->error != 0)
		return;
	f->error = err;
	if (f->reactor != NULL)
		log_error("cannot add resolved addresses to the scan: %s",
		    strerror(err));
}

static void
flush(struct namefeed *f)
{
	if (f->error == 0 && f->sink.flush != NULL && f->sink.flush(f->sink.ctx)
	    != 0)
		fail(f, errno);
}

/* The last answer is in (or the feed stops): every name is known. */
static void
close_feed(struct namefeed *f)
{
	if (f->closed)
		return;
	flush(f);
	if (f->reactor != NULL)
		reactor_timer_stop(f->reactor, &f->timer);
	if (f->sink.done != NULL && f->sink.done(f->sink.ctx) != 0)
		fail(f, errno);
	f->closed = true;
}

static void
on_timer(struct reactor_timer *t)
{
	struct namefeed *f = (struct namefeed *)((char *)t -
	    offsetof(struct namefeed, timer));

	flush(f);
	if (f->pending > 0)
		(void)reactor_timer_start(f->reactor, &f->timer,
		    reactor_now(f->reactor) + FLUSH_NS);
}

static void
on_answer(void *ctx, const struct dns_answer *a)
{
	struct namefeed *f = ctx;

	f->pending--;
	if (a->status != DNS_RESOLVED || a->naddrs == 0) {
		f->st.unresolved++;
		log_warn("cannot resolve '%s': %s", a->name,
		    a->error != NULL ? a->error : dns_status_str(a->status));
		f->sink.unresolved(f->sink.ctx, a->name,
		    dns_status_reason(a->status));
	} else {
		f->st.resolved++;
		if (f->error == 0 && f->sink.resolved(f->sink.ctx, a->name,
		    a->addrs, a->naddrs) != 0)
			fail(f, errno);
	}
	if (f->input_done && f->pending == 0)
		close_feed(f);
}

struct namefeed *
namefeed_new(struct reactor *r, struct dns *dns,
    const struct namefeed_sink *sink)
{
	struct namefeed *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->sink = *sink;
	f->reactor = r;
	f->dns = dns;
	reactor_timer_init(&f->timer, on_timer);
	return f;
}

int
namefeed_add(struct namefeed *f, const char *name)
{
	f->st.names++;
	/* Before: an answer may come from inside the call. */
	f->pending++;
	if (dns_submit(f->dns, name, on_answer, f) != 0) {
		f->pending--;
		return -1;
	}
	if (!f->closed && !reactor_timer_pending(&f->timer))
		(void)reactor_timer_start(f->reactor, &f->timer,
		    reactor_clock() + FLUSH_NS);
	return 0;
}

size_t
namefeed_pending(const struct namefeed *f)
{
	return f->pending + (reactor_timer_pending(&f->timer) ? 1 : 0);
}

void
namefeed_input_done(struct namefeed *f)
{
	f->input_done = true;
	if (f->pending == 0)
		close_feed(f);
}

int
namefeed_finish(struct namefeed *f)
{
	close_feed(f);
	if (f->error != 0) {
		errno = f->error;
		return -1;
	}
	return 0;
}

int
namefeed_error(const struct namefeed *f)
{
	return f->error;
}

void
namefeed_get_stats(const struct namefeed *f, struct namefeed_stats *st)
{
	*st = f->st;
}

void
namefeed_free(struct namefeed *f)
{
	if (f == NULL)
		return;
	if (f->reactor != NULL && reactor_timer_pending(&f->timer))
		reactor_timer_stop(f->reactor, &f->timer);
	free(f);
}

int
namefeed_resolve_all(const struct dns_config *dns,
    const char *const *names, size_t n, const struct namefeed_sink *sink,
    struct namefeed_stats *st, char *err, size_t errlen)
{
	struct namefeed f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.sink = *sink;
	f.st.names = n;
	f.pending = n;
	rc = dns_resolve_all(dns, names, n, on_answer, &f, err, errlen);
	close_feed(&f);
	st->names += f.st.names;
	st->resolved += f.st.resolved;
	st->unresolved += f.st.unresolved;
	if (rc == 0 && f.error != 0) {
		snprintf(err, errlen, "cannot add resolved addresses: %s",
		    strerror(f.error));
		rc = -1;
	}
	return rc;
}
