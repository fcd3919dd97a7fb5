/*
 * Names into a running scan; see namefeed.h.
 *
 * Answers arrive one name at a time.  Turning each into its own part of
 * the space would cost a part per name (parts are few, see space.c), so
 * addresses wait in a batch that a reactor timer flushes every FLUSH_NS, or
 * at once when it grows large or when the last answer is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/collect.h"
#include "trawl/hub.h"
#include "trawl/iter.h"
#include "trawl/log.h"
#include "trawl/namefeed.h"
#include "trawl/reactor.h"
#include "trawl/space.h"

#define FLUSH_NS (20 * REACTOR_NS_PER_MS)
#define FLUSH_ADDRS 4096

struct namefeed {
	struct namefeed_config cfg;
	struct reactor *reactor;
	struct dns *dns;
	struct reactor_timer timer;
	struct space_addr *batch;
	size_t nbatch, cap;
	struct namefeed_stats st;
	bool input_done;	/* every name submitted */
	bool closed;
	int error;
	/* For the unresolved record written under the hub's lock. */
	const char *why_name, *why;
};

static int
grow(void *ctx, uint64_t *lo, uint64_t *hi)
{
	struct namefeed *f = ctx;
	uint64_t added, first;

	if (space_extend(f->cfg.space, f->batch, f->nbatch, &added) != 0)
		return -1;
	f->nbatch = 0;
	if (added == 0)
		return 0;
	first = space_hosts(f->cfg.space) - added;
	if (iter_plan_extend(f->cfg.plan, first, added, lo, hi) != 0)
		return -1;
	f->st.hosts += added;
	if (f->cfg.grew != NULL)
		f->cfg.grew(f->cfg.ctx, *hi - *lo);
	return 0;
}

static void
flush(struct namefeed *f)
{
	if (f->nbatch == 0 || f->error != 0)
		return;
	if (hub_grow(f->cfg.hub, grow, f) != 0) {
		/* The scan goes on with what it has; the user is told. */
		f->error = errno;
		log_error("cannot add resolved addresses to the scan: %s",
		    strerror(errno));
		f->nbatch = 0;
	}
}

static int
seal(void *ctx)
{
	struct namefeed *f = ctx;

	return space_seal_names(f->cfg.space);
}

/* The last answer is in: every name the scan will ever have is known. */
static void
close_feed(struct namefeed *f)
{
	if (f->closed)
		return;
	flush(f);
	reactor_timer_stop(f->reactor, &f->timer);
	if (hub_close(f->cfg.hub, seal, f) != 0 && f->error == 0) {
		f->error = ENOMEM;
		log_error("out of memory");
	}
	f->closed = true;
}

static void
on_timer(struct reactor_timer *t)
{
	struct namefeed *f = (struct namefeed *)((char *)t -
	    offsetof(struct namefeed, timer));

	flush(f);
	if (dns_pending(f->dns) > 0)
		(void)reactor_timer_start(f->reactor, &f->timer,
		    reactor_now(f->reactor) + FLUSH_NS);
}

static int
record_unresolved(void *ctx, uint64_t *lo, uint64_t *hi)
{
	struct namefeed *f = ctx;

	(void)lo;
	(void)hi;
	collect_unresolved(f->cfg.col, f->why_name, f->why);
	return 0;
}

static void
on_answer(void *ctx, const struct dns_answer *a)
{
	struct namefeed *f = ctx;

	if (a->status != DNS_RESOLVED || a->naddrs == 0) {
		f->st.unresolved++;
		log_warn("cannot resolve '%s': %s", a->name,
		    a->error != NULL ? a->error : dns_status_str(a->status));
		f->why_name = a->name;
		f->why = dns_status_reason(a->status);
		(void)hub_grow(f->cfg.hub, record_unresolved, f);
	} else {
		f->st.resolved++;
		for (size_t i = 0; i < a->naddrs && f->error == 0; i++) {
			struct space_addr *sa;

			if (space_add_name(f->cfg.space, a->addrs[i].family,
			    a->addrs[i].addr, a->name) != 0) {
				f->error = ENOMEM;
				log_error("out of memory");
				break;
			}
			if (f->nbatch == f->cap) {
				size_t cap = f->cap ? f->cap * 2 : 256;
				void *nb = reallocarray(f->batch, cap,
				    sizeof(*f->batch));

				if (nb == NULL) {
					f->error = ENOMEM;
					log_error("out of memory");
					break;
				}
				f->batch = nb;
				f->cap = cap;
			}
			sa = &f->batch[f->nbatch++];
			sa->family = a->addrs[i].family;
			sa->addr = a->addrs[i].addr;
		}
		if (f->nbatch >= FLUSH_ADDRS)
			flush(f);
	}
	if (f->input_done && dns_pending(f->dns) == 0)
		close_feed(f);
}

struct namefeed *
namefeed_new(const struct namefeed_config *cfg, char *err, size_t errlen)
{
	struct namefeed *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->cfg = *cfg;
	f->reactor = hub_reactor(cfg->hub);
	reactor_timer_init(&f->timer, on_timer);
	f->dns = dns_new(f->reactor, cfg->dns, err, errlen);
	if (f->dns == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

int
namefeed_add(struct namefeed *f, const char *name)
{
	f->st.names++;
	if (dns_submit(f->dns, name, on_answer, f) != 0)
		return -1;
	if (!f->closed && !reactor_timer_pending(&f->timer))
		(void)reactor_timer_start(f->reactor, &f->timer,
		    reactor_clock() + FLUSH_NS);
	return 0;
}

void
namefeed_input_done(struct namefeed *f)
{
	f->input_done = true;
	if (dns_pending(f->dns) == 0)
		close_feed(f);
}

int
namefeed_finish(struct namefeed *f)
{
	if (!f->closed) {
		/* Stopped early: seal what came, for the output. */
		flush(f);
		f->closed = true;
		return hub_close(f->cfg.hub, seal, f);
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
	if (reactor_timer_pending(&f->timer))
		reactor_timer_stop(f->reactor, &f->timer);
	dns_free(f->dns);
	free(f->batch);
	free(f);
}
