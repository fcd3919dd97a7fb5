/*
 * Names from certificates joining the scan; see sanfeed.h.
 *
 * Why a watcher rather than a count: a name joins the scan, its addresses
 * are probed, a TLS port among them shows a certificate with more names,
 * and so on.  Nothing counts that chain ahead, but its end is plain to
 * see: every engine idle with nothing dealt out, the feed with no name
 * pending, no certificate name waiting to be handed over.  Each engine
 * says it is idle only after its events are delivered, and the names of
 * those events are queued here within that delivery: so when the watcher
 * sees the engines idle and then the queue empty, no name can come any
 * more, and the feed is told its input is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/hub.h"
#include "trawl/log.h"
#include "trawl/namefeed.h"
#include "trawl/names.h"
#include "trawl/reactor.h"
#include "trawl/sanfeed.h"
#include "trawl/scan.h"
#include "trawl/svc.h"
#include "trawl/vec.h"

/* How often the watcher looks: as often as a waiting engine asks. */
#define WATCH_NS (5 * REACTOR_NS_PER_MS)

struct sanfeed {
	const char *const *domains;
	size_t ndomains;
	const struct names_set *known;	/* the names found before */
	struct names_set *seen;		/* from certificates, each once */
	/* Waiting to be handed to the feed: under the hub's lock. */
	char **queue;
	size_t nqueue, qcap;
	int oom;			/* a name lost: said once */
	bool told;

	struct hub *hub;
	struct reactor *reactor;
	struct namefeed *feed;
	struct reactor_timer timer;
	size_t count;
};

struct sanfeed *
sanfeed_new(const char *const *domains, size_t ndomains,
    const struct names_set *known)
{
	struct sanfeed *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->domains = domains;
	s->ndomains = ndomains;
	s->known = known;
	if ((s->seen = names_set_new()) == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

/* One name of a certificate: queued when it is new and under a domain. */
static void
take(struct sanfeed *s, const char *san)
{
	char clean[NAMES_BUFSIZE];
	char *copy;

	for (size_t d = 0; d < s->ndomains; d++) {
		if (names_clean(san, strlen(san), s->domains[d], clean,
		    sizeof(clean)) != NAMES_OK)
			continue;
		if (names_set_has(s->known, clean) ||
		    names_set_has(s->seen, clean))
			return;
		if (names_set_add(s->seen, clean) < 0 ||
		    vec_reserve(&s->queue, &s->qcap, s->nqueue + 1,
		    sizeof(*s->queue)) != 0 || (copy = strdup(clean)) == NULL) {
			s->oom = 1;
			return;
		}
		s->queue[s->nqueue++] = copy;
		s->count++;
		return;
	}
}

void
sanfeed_events(struct sanfeed *s, const struct scan_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct svc *v = ev[i].svc;

		if (v == NULL || !v->has_tls)
			continue;
		for (size_t k = 0; k < v->tls.nsans; k++)
			take(s, v->tls.sans[k]);
	}
}

static void
watch(struct reactor_timer *t)
{
	struct sanfeed *s = (struct sanfeed *)((char *)t -
	    offsetof(struct sanfeed, timer));
	char **names;
	size_t n;
	bool quiet;

	/* First the engines, then the queue: see the top of this file. */
	quiet = hub_quiescent(s->hub);
	hub_lock(s->hub);
	names = s->queue;
	n = s->nqueue;
	s->queue = NULL;
	s->nqueue = s->qcap = 0;
	if (s->oom && !s->told) {
		s->told = true;
		log_warn("out of memory: names from certificates were lost");
	}
	hub_unlock(s->hub);
	for (size_t i = 0; i < n; i++) {
		/* A name the feed cannot take is one name less, not an end. */
		(void)namefeed_add(s->feed, names[i]);
		free(names[i]);
	}
	free(names);
	if (quiet && n == 0 && namefeed_pending(s->feed) == 0) {
		namefeed_input_done(s->feed);
		return;
	}
	if (reactor_timer_start(s->reactor, &s->timer,
	    reactor_now(s->reactor) + WATCH_NS) != 0)
		namefeed_input_done(s->feed);	/* no memory: end here */
}

int
sanfeed_start(struct sanfeed *s, struct hub *hub, struct reactor *r,
    struct namefeed *feed)
{
	s->hub = hub;
	s->reactor = r;
	s->feed = feed;
	reactor_timer_init(&s->timer, watch);
	return reactor_timer_start(r, &s->timer, reactor_clock() + WATCH_NS);
}

size_t
sanfeed_count(const struct sanfeed *s)
{
	return s->count;
}

void
sanfeed_free(struct sanfeed *s)
{
	if (s == NULL)
		return;
	if (s->reactor != NULL && reactor_timer_pending(&s->timer))
		reactor_timer_stop(s->reactor, &s->timer);
	for (size_t i = 0; i < s->nqueue; i++)
		free(s->queue[i]);
	free(s->queue);
	names_set_free(s->seen);
	free(s);
}
