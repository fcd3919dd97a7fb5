/*
 * Collector.  Hosts being scanned live in a hash map (by host index) and in
 * a heap ordered by walk group, so that finishing the groups below
 * done_below costs only the hosts that are actually finished.
 *
 * Every host with a result has a record: its counts per state (whether it
 * answered, nmap's "up"; the <extraports> of the states not listed), the
 * reasons of those results, when they came, and its round trips.  The
 * ports themselves are held only in the states some output lists; and for
 * an output with nmap's picture (out_format.nmap_picture), which lists a
 * state other than open only when a host has few ports in it, no more than
 * OUT_FEW + 1 of them: a host of 65535 closed ports holds a count, not
 * 65535 ports.
 *
 * With PTR names asked for (--rdns), a host asks for its name at its first
 * open port, so that the answer is usually in before the host's group is
 * finished.  A finished host goes to a queue in scan order, not straight
 * to the outputs; the queue is written from its head up to the first host
 * still waiting for its answer.  Without --rdns nothing waits, and hosts
 * go through the queue at once, exactly as before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trawl/collect.h"
#include "trawl/heap.h"
#include "trawl/services.h"
#include "trawl/space.h"
#include "trawl/svc.h"
#include "trawl/target.h"
#include "trawl/u64map.h"
#include "trawl/vec.h"
#include "trawl/wbuf.h"

#define MAX_OUTPUTS 8
/* Distinct (state, errno) pairs a host's record counts. */
#define WHY_MAX 8

struct record {
	struct heap_node node;		/* first: heap nodes cast back */
	struct record *next;		/* in the ready queue */
	uint64_t host;
	char *ptr;			/* its PTR name, or NULL */
	bool asked;			/* for its PTR name */
	bool ptr_wait;			/* the answer has not come */
	struct out_port *ports;		/* held: see keep_all, keep_few */
	size_t nports, cap;
	uint32_t count[STATE_COUNT];
	struct {
		uint8_t state;
		int err;
		uint32_t n;
	} why[WHY_MAX];
	size_t nwhy;
	time_t start, end;
	struct {
		uint64_t srtt, rttvar;
		uint32_t samples;
	} rtt;
};

struct collect {
	const struct space *space;
	const struct out_run *run;
	unsigned report;		/* --states; 0: each format's own */
	/*
	 * Ports held: every one in keep_all's states (outputs that list
	 * every port, the hook); in keep_few's (nmap's picture), open ones
	 * and the first OUT_FEW + 1 of each other state.
	 */
	unsigned keep_all, keep_few;
	collect_hook_fn *hook;
	void *hook_ctx;
	collect_ask_fn *ask;		/* --rdns */
	void *ask_ctx;
	/* Finished hosts in scan order, written up to the first waiting. */
	struct record *ready, **ready_tail;
	struct out_port *shown;		/* a host's reported ports */
	size_t shown_cap;
	uint64_t count[STATE_COUNT];
	uint64_t up;			/* hosts that answered */
	uint64_t changes;		/* change records written */
	size_t changes_out;		/* outputs of the changes format */
	time_t now;			/* of the batch being delivered */
	int begun;			/* the formats' begin was called */
	/* Every host of a group below this has been handed to the outputs. */
	uint64_t written_below;
	uint64_t released_below;	/* release()'s highest done */

	struct u64map held;		/* host -> its struct record */
	struct heap *byg;

	struct record **batch;		/* hosts being emitted */
	size_t bcap;

	struct services *services;

	struct {
		const struct out_format *fmt;
		struct wbuf *w;
		unsigned states;	/* it lists */
		bool down;		/* shows hosts that never answered */
		int appending;		/* -1: as the run says */
	} out[MAX_OUTPUTS];
	struct out_extra extra[STATE_COUNT];	/* a host's, being emitted */
	size_t nout;
	int oom;
};

/* The record of a host, made when create and the host has none yet. */
static struct record *
record_of(struct collect *c, uint64_t host, uint64_t group, bool create)
{
	uint64_t *v = u64map_get(&c->held, host);
	struct record *r;

	if (v != NULL)
		return (struct record *)(uintptr_t)*v;
	if (!create || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->host = host;
	heap_node_init(&r->node);
	if (heap_push(c->byg, &r->node, group) != 0 ||
	    (v = u64map_put(&c->held, host)) == NULL) {
		if (heap_node_queued(&r->node))
			heap_remove(c->byg, &r->node);
		free(r);
		return NULL;
	}
	*v = (uintptr_t)r;
	return r;
}

/* A record's ports, and what answered on them (--banners). */
static void
ports_free(struct record *r)
{
	for (size_t i = 0; i < r->nports; i++)
		svc_free((struct svc *)r->ports[i].svc);
	free(r->ports);
}

static void
record_free(struct collect *c, struct record *r)
{
	u64map_del(&c->held, r->host);
	ports_free(r);
	free(r->ptr);
	free(r);
}

struct collect *
collect_new(const struct space *space, unsigned report)
{
	struct collect *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->space = space;
	c->report = report;
	c->ready_tail = &c->ready;
	c->byg = heap_new(64);
	c->services = services_new();
	if (c->byg == NULL || c->services == NULL) {
		collect_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void
collect_free(struct collect *c)
{
	if (c == NULL)
		return;
	free(c->shown);
	for (size_t i = 0; i < c->held.cap; i++) {
		if (c->held.slots[i].key != U64MAP_EMPTY) {
			struct record *r = (struct record *)(uintptr_t)
			    c->held.slots[i].value;

			ports_free(r);
			free(r->ptr);
			free(r);
		}
	}
	u64map_free(&c->held);
	services_free(c->services);
	free(c->batch);
	heap_free(c->byg);
	free(c);
}

int
collect_add_output(struct collect *c, const struct out_format *fmt,
    struct wbuf *w)
{
	/* A format of changes alone lists no port: none held for it. */
	unsigned states = fmt->changes_only ? 0 : c->report != 0 ? c->report :
	    fmt->states;

	if (c->nout == MAX_OUTPUTS) {
		errno = E2BIG;
		return -1;
	}
	c->out[c->nout].fmt = fmt;
	c->out[c->nout].w = w;
	c->out[c->nout].states = states;
	c->out[c->nout].appending = -1;
	/*
	 * A host that never answered is down: shown only when the user
	 * asked for the states it has (nmap would not show it at all).
	 */
	c->out[c->nout].down = c->report & (STATE_BIT(STATE_FILTERED) |
	    STATE_BIT(STATE_UNREACHABLE));
	if (fmt->nmap_picture)
		c->keep_few |= states;
	else
		c->keep_all |= states;
	c->changes_out += fmt->changes_only;
	c->nout++;
	return 0;
}

void
collect_set_run(struct collect *c, const struct out_run *run)
{
	c->run = run;
}

void
collect_set_appending(struct collect *c, const struct wbuf *w,
    bool appending)
{
	for (size_t i = 0; i < c->nout; i++)
		if (c->out[i].w == w)
			c->out[i].appending = appending;
}

static int
cmp_port(const void *a, const void *b)
{
	const struct out_port *x = a, *y = b;

	return (x->port > y->port) - (x->port < y->port);
}

/* The unlisted ports of r in state st, with their reasons, into e. */
static void
extra_fill(const struct record *r, enum state st, struct out_extra *e)
{
	memset(e, 0, sizeof(*e));
	e->state = (uint8_t)st;
	e->count = r->count[st];
	for (size_t i = 0; i < r->nwhy; i++) {
		const char *why;
		size_t k;

		if (r->why[i].state != st)
			continue;
		why = state_reason(r->why[i].err, st);
		for (k = 0; k < e->nwhy; k++)
			if (strcmp(e->why[k].reason, why) == 0)
				break;
		if (k == e->nwhy) {
			if (e->nwhy == OUT_REASONS)
				continue;	/* the rarest go unnamed */
			e->why[e->nwhy++].reason = why;
		}
		e->why[k].count += r->why[i].n;
	}
	/* The most common reason first. */
	for (size_t i = 1; i < e->nwhy; i++)
		for (size_t k = i; k > 0 &&
		    e->why[k].count > e->why[k - 1].count; k--) {
			const char *t = e->why[k].reason;
			uint32_t n = e->why[k].count;

			e->why[k] = e->why[k - 1];
			e->why[k - 1].reason = t;
			e->why[k - 1].count = n;
		}
}

/*
 * h as output o shows it: the ports it lists, the states it counts
 * instead.  Whether o shows the host at all; -1 out of memory.
 */
static int
host_for(struct collect *c, size_t o, const struct record *r,
    struct out_host *h)
{
	const struct out_format *fmt = c->out[o].fmt;
	unsigned states = c->out[o].states, listed = 0;
	size_t n = 0;

	for (int s = 0; s < STATE_UNRESOLVED; s++)
		if ((states & STATE_BIT(s)) && (!fmt->nmap_picture ||
		    s == STATE_OPEN || r->count[s] <= OUT_FEW))
			listed |= STATE_BIT(s);
	if (vec_reserve(&c->shown, &c->shown_cap, r->nports,
	    sizeof(*c->shown)) != 0)
		return -1;
	for (size_t i = 0; i < r->nports; i++)
		if (listed & STATE_BIT(r->ports[i].state))
			c->shown[n++] = r->ports[i];
	h->ports = c->shown;
	h->nports = n;
	h->extra = c->extra;
	h->nextra = 0;
	if (!fmt->nmap_picture)
		return n > 0;
	for (int s = 0; s < STATE_UNRESOLVED; s++)
		if (r->count[s] > 0 && !(listed & STATE_BIT(s)))
			extra_fill(r, (enum state)s, &c->extra[h->nextra++]);
	output_sort_extra(c->extra, h->nextra);
	return h->up || n > 0 || (c->out[o].down &&
	    r->count[STATE_FILTERED] + r->count[STATE_UNREACHABLE] > 0);
}

static void
emit(struct collect *c, struct record *r)
{
	target_u128 addr;
	char text[64];
	struct out_host h;
	int family = space_host(c->space, r->host, &addr);

	/* The header comes before the hook sees a host it may show. */
	if (r->nports > 0 || r->count[STATE_OPEN] + r->count[STATE_CLOSED] > 0)
		collect_begin(c);
	/* A host without a port held has none to sort: qsort(NULL) is UB. */
	if (r->nports > 1)
		qsort(r->ports, r->nports, sizeof(*r->ports), cmp_port);
	for (size_t i = 0; i < r->nports; i++)
		r->ports[i].service = services_name(c->services, r->ports[i].port);
	memset(&h, 0, sizeof(h));
	h.family = family;
	h.addr = target_ntop(family, addr, text, sizeof(text));
	h.nnames = space_names(c->space, r->host, &h.names);
	h.rdns = c->ask != NULL;
	h.banners = c->run != NULL && c->run->banners;
	h.ptr = r->ptr;
	h.up = r->count[STATE_OPEN] + r->count[STATE_CLOSED] > 0;
	h.start = r->start;
	h.end = r->end;
	h.srtt_ns = r->rtt.srtt;
	h.rttvar_ns = r->rtt.rttvar;
	c->up += h.up;
	if (c->hook != NULL && r->nports > 0) {
		/* Every port held: the hook's states are among them. */
		h.ports = r->ports;
		h.nports = r->nports;
		c->hook(c->hook_ctx, &h, addr);
	}
	for (size_t i = 0; i < c->nout; i++) {
		int shown = host_for(c, i, r, &h);

		if (shown < 0) {
			c->oom = 1;
			return;
		}
		if (shown) {
			collect_begin(c);
			c->out[i].fmt->host(c->out[i].w, &h);
		}
	}
}

void
collect_set_hook(struct collect *c, unsigned states, collect_hook_fn *fn,
    void *ctx)
{
	c->keep_all |= states;
	c->hook = fn;
	c->hook_ctx = ctx;
}

static int
cmp_record(const void *a, const void *b)
{
	const struct record *x = *(struct record *const *)a;
	const struct record *y = *(struct record *const *)b;

	if (x->node.key != y->node.key)
		return x->node.key > y->node.key ? 1 : -1;
	return (x->host > y->host) - (x->host < y->host);
}

/*
 * Write the ready hosts of the groups before the first group with a host
 * waiting for its PTR name; all: every one.  Groups are written whole,
 * so that a checkpoint's "every group below written_below is in the
 * files" stays true while names are out.
 */
static void
ready_go(struct collect *c, bool all)
{
	struct record *r;
	uint64_t stop = UINT64_MAX, below;

	if (!all)
		for (r = c->ready; r != NULL; r = r->next)
			if (r->ptr_wait) {
				stop = r->node.key;
				break;
			}
	while ((r = c->ready) != NULL && (all || r->node.key < stop)) {
		if ((c->ready = r->next) == NULL)
			c->ready_tail = &c->ready;
		emit(c, r);
		record_free(c, r);
	}
	below = c->ready != NULL && c->ready->node.key < c->released_below ?
	    c->ready->node.key : c->released_below;
	if (!c->oom && below > c->written_below)
		c->written_below = below;
}

static void
ready_push(struct collect *c, struct record *r)
{
	r->next = NULL;
	*c->ready_tail = r;
	c->ready_tail = &r->next;
}

/* Emit, in walk order, the held hosts whose group is below done. */
static void
release(struct collect *c, uint64_t done)
{
	size_t n = 0;
	struct heap_node *top;

	while ((top = heap_peek(c->byg)) != NULL && top->key < done) {
		if (vec_reserve(&c->batch, &c->bcap, n + 1,
		    sizeof(*c->batch)) != 0) {
			c->oom = 1;
			break;
		}
		heap_pop(c->byg);
		c->batch[n++] = (struct record *)top;
	}
	if (n > 1)
		qsort(c->batch, n, sizeof(*c->batch), cmp_record);
	if (done > c->released_below)
		c->released_below = done;
	for (size_t i = 0; i < n; i++)
		ready_push(c, c->batch[i]);
	ready_go(c, false);
}

static int
outputs_flush(struct collect *c)
{
	int failed = 0;

	for (size_t i = 0; i < c->nout; i++)
		if (wbuf_flush(c->out[i].w) != 0)
			failed = 1;
	return failed || c->oom ? -1 : 0;
}

/* RFC 6298's estimator, as pace.c keeps it, for nmap's <times>. */
static void
rtt_add(struct record *r, uint64_t rtt)
{
	if (r->rtt.samples++ == 0) {
		r->rtt.srtt = rtt;
		r->rtt.rttvar = rtt / 2;
		return;
	}
	r->rtt.rttvar = (3 * r->rtt.rttvar + (r->rtt.srtt > rtt ?
	    r->rtt.srtt - rtt : rtt - r->rtt.srtt)) / 4;
	r->rtt.srtt = (7 * r->rtt.srtt + rtt) / 8;
}

static void
why_add(struct record *r, enum state st, int err)
{
	size_t i;

	for (i = 0; i < r->nwhy; i++)
		if (r->why[i].state == st && r->why[i].err == err)
			break;
	if (i == r->nwhy) {
		/* Full: the last of the same state takes it, roughly. */
		if (r->nwhy == WHY_MAX) {
			for (i = WHY_MAX; i > 0 && r->why[i - 1].state != st;)
				i--;
			if (i-- == 0)
				return;
		} else {
			r->why[r->nwhy].state = (uint8_t)st;
			r->why[r->nwhy].err = err;
			r->why[r->nwhy].n = 0;
			r->nwhy++;
		}
	}
	r->why[i].n++;
}

/* The held ports of r in state st let go: they will be counted, not shown. */
static void
purge(struct record *r, enum state st)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nports; i++)
		if (r->ports[i].state != st)
			r->ports[n++] = r->ports[i];
		else
			svc_free((struct svc *)r->ports[i].svc);
	r->nports = n;
}

/* The PTR name of r's host, asked for once. */
static void
ask(struct collect *c, struct record *r)
{
	target_u128 addr;
	int family = space_host(c->space, r->host, &addr);

	r->asked = true;
	r->ptr_wait = c->ask(c->ask_ctx, r->host, family, addr) == 0;
}

/* What answered on ports that will not be kept (scan.h: owned here). */
static void
events_drop(const struct scan_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		svc_free(ev[i].svc);
}

int
collect_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below)
{
	struct collect *c = ctx;

	c->now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		enum state st = (enum state)ev[i].state;
		unsigned bit = STATE_BIT(st);
		struct record *r;
		struct out_port *p;

		c->count[st]++;
		r = record_of(c, ev[i].host, ev[i].group, true);
		if (r == NULL) {
			c->oom = 1;
			events_drop(ev + i, n - i);
			return -1;
		}
		if (st == STATE_OPEN && c->ask != NULL && !r->asked)
			ask(c, r);
		if (r->start == 0)
			r->start = c->now;
		r->end = c->now;
		r->count[st]++;
		why_add(r, st, ev[i].err);
		if ((st == STATE_OPEN || st == STATE_CLOSED) && ev[i].rtt_ns > 0)
			rtt_add(r, ev[i].rtt_ns);
		if (!(c->keep_all & bit) && (!(c->keep_few & bit) ||
		    (st != STATE_OPEN && r->count[st] > OUT_FEW))) {
			/* One too many to list: the ones held go too. */
			if ((c->keep_few & bit) && r->count[st] == OUT_FEW + 1)
				purge(r, st);
			svc_free(ev[i].svc);
			continue;
		}
		if (vec_reserve(&r->ports, &r->cap, r->nports + 1,
		    sizeof(*r->ports)) != 0) {
			c->oom = 1;
			events_drop(ev + i, n - i);
			return -1;
		}
		p = &r->ports[r->nports++];
		p->port = ev[i].port;
		p->state = ev[i].state;
		p->err = ev[i].err;
		p->rtt_ns = ev[i].rtt_ns;
		p->service = NULL;
		p->svc = ev[i].svc;
	}
	release(c, done_below);
	return outputs_flush(c);
}

void
collect_set_ptr(struct collect *c, collect_ask_fn *fn, void *ctx)
{
	c->ask = fn;
	c->ask_ctx = ctx;
}

int
collect_ptr(struct collect *c, uint64_t host, const char *name)
{
	uint64_t *v = u64map_get(&c->held, host);
	struct record *r = v != NULL ? (struct record *)(uintptr_t)*v : NULL;

	/* Gone already: written without it (collect_drain()). */
	if (r == NULL || !r->ptr_wait)
		return 0;
	r->ptr_wait = false;
	if (name != NULL && (r->ptr = strdup(name)) == NULL)
		c->oom = 1;
	ready_go(c, false);
	return outputs_flush(c);
}

void
collect_unresolved(struct collect *c, const char *name, const char *why)
{
	c->count[STATE_UNRESOLVED]++;
	for (size_t i = 0; i < c->nout; i++) {
		if (c->out[i].fmt->unresolved != NULL &&
		    (c->out[i].states & STATE_BIT(STATE_UNRESOLVED))) {
			collect_begin(c);
			c->out[i].fmt->unresolved(c->out[i].w, c->run, name,
			    why);
		}
	}
}

/*
 * Once, and before anything else reaches the outputs: a name the resolver
 * answers at once (from /etc/hosts, or a DNS server it cannot reach) may be
 * reported unresolved before the scan starts, and a document's header must
 * still come first.
 */
void
collect_begin(struct collect *c)
{
	if (c->begun)
		return;
	c->begun = 1;
	for (size_t i = 0; i < c->nout; i++) {
		struct out_run run;

		if (c->out[i].appending < 0 || c->run == NULL) {
			c->out[i].fmt->begin(c->out[i].w, c->run);
			continue;
		}
		/* This output's own: one continues a document, one begins. */
		run = *c->run;
		run.appending = c->out[i].appending;
		c->out[i].fmt->begin(c->out[i].w, &run);
	}
}

uint64_t
collect_written_below(const struct collect *c)
{
	return c->written_below;
}

void
collect_drain(struct collect *c)
{
	collect_begin(c);
	release(c, UINT64_MAX);
	/* A group of UINT64_MAX cannot exist, but do not leave one behind. */
	while (heap_peek(c->byg) != NULL)
		ready_push(c, (struct record *)heap_pop(c->byg));
	/* PTR answers still out (an interrupted scan): without them. */
	ready_go(c, true);
}

void
collect_change(struct collect *c, const struct out_change *ch)
{
	collect_begin(c);
	for (size_t i = 0; i < c->nout; i++)
		if (output_carries_changes(c->out[i].fmt, c->changes_out > 0))
			c->out[i].fmt->change(c->out[i].w, ch, c->changes == 0);
	c->changes++;
}

void
collect_end(struct collect *c, const struct out_stats *st)
{
	struct out_stats all = *st;

	collect_drain(c);
	/* Only now: the hosts still held above are counted too. */
	all.hosts_up = c->up;
	for (size_t i = 0; i < c->nout; i++) {
		c->out[i].fmt->end(c->out[i].w, &all);
		wbuf_flush(c->out[i].w);
	}
}

void
collect_counts(const struct collect *c, uint64_t count[STATE_COUNT])
{
	memcpy(count, c->count, sizeof(c->count));
}

struct wbuf *
collect_failed(const struct collect *c, int *err)
{
	for (size_t i = 0; i < c->nout; i++) {
		if (wbuf_error(c->out[i].w) != 0) {
			*err = wbuf_error(c->out[i].w);
			return c->out[i].w;
		}
	}
	*err = c->oom ? ENOMEM : 0;
	return NULL;
}
