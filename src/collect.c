/*
 * Collector.  Hosts with reported ports live in a hash map (by host
 * index) and in a heap ordered by walk group, so that finishing the groups
 * below done_below costs only the hosts that are actually finished.  A host
 * with nothing to report costs nothing: most of a sweep is silence.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/collect.h"
#include "trawl/heap.h"
#include "trawl/space.h"
#include "trawl/target.h"
#include "trawl/u64map.h"
#include "trawl/vec.h"
#include "trawl/wbuf.h"

#define MAX_OUTPUTS 8

struct record {
	struct heap_node node;		/* first: heap nodes cast back */
	uint64_t host;
	struct out_port *ports;
	size_t nports, cap;
};

struct service {
	char *name;
};

struct collect {
	const struct space *space;
	const struct out_run *run;
	unsigned report;		/* states the outputs get */
	unsigned keep;			/* states held: report, and the hook's */
	collect_hook_fn *hook;
	void *hook_ctx;
	struct out_port *shown;		/* a host's reported ports */
	size_t shown_cap;
	uint64_t count[STATE_COUNT];
	uint64_t emitted;		/* hosts handed to the outputs */
	uint64_t changes;		/* change records written */
	int begun;			/* the formats' begin was called */

	struct u64map held;		/* host -> its struct record */
	struct heap *byg;

	struct record **batch;		/* hosts being emitted */
	size_t bcap;

	struct service *services;	/* by port, read once */
	bool services_read;

	struct {
		const struct out_format *fmt;
		struct wbuf *w;
	} out[MAX_OUTPUTS];
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

static void
record_free(struct collect *c, struct record *r)
{
	u64map_del(&c->held, r->host);
	free(r->ports);
	free(r);
}

struct collect *
collect_new(const struct space *space, unsigned report)
{
	struct collect *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->space = space;
	c->report = c->keep = report;
	c->byg = heap_new(64);
	c->services = calloc(65536, sizeof(*c->services));
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

			free(r->ports);
			free(r);
		}
	}
	u64map_free(&c->held);
	if (c->services != NULL)
		for (size_t i = 0; i < 65536; i++)
			free(c->services[i].name);
	free(c->services);
	free(c->batch);
	heap_free(c->byg);
	free(c);
}

int
collect_add_output(struct collect *c, const struct out_format *fmt,
    struct wbuf *w)
{
	if (c->nout == MAX_OUTPUTS) {
		errno = E2BIG;
		return -1;
	}
	c->out[c->nout].fmt = fmt;
	c->out[c->nout].w = w;
	c->nout++;
	return 0;
}

void
collect_set_run(struct collect *c, const struct out_run *run)
{
	c->run = run;
}

/*
 * The services database, read whole the first time a name is needed:
 * getservbyport() reads /etc/services from the top at every call, which
 * made a scan that reports every port spend most of its time there.  The
 * first entry for a port wins, as with getservbyport().
 */
static void
services_read(struct collect *c)
{
	struct servent *se;

	c->services_read = true;
	setservent(1);
	while ((se = getservent()) != NULL) {
		struct service *s;

		if (se->s_proto == NULL || strcmp(se->s_proto, "tcp") != 0 ||
		    se->s_name == NULL)
			continue;
		s = &c->services[ntohs((uint16_t)se->s_port)];
		if (s->name == NULL)
			s->name = strdup(se->s_name);
	}
	endservent();
}

static const char *
service_name(struct collect *c, uint16_t port)
{
	if (!c->services_read)
		services_read(c);
	return c->services[port].name;
}

static int
cmp_port(const void *a, const void *b)
{
	const struct out_port *x = a, *y = b;

	return (x->port > y->port) - (x->port < y->port);
}

static void
emit(struct collect *c, struct record *r)
{
	target_u128 addr;
	char text[64];
	struct out_host h;
	int family = space_host(c->space, r->host, &addr);

	collect_begin(c);
	qsort(r->ports, r->nports, sizeof(*r->ports), cmp_port);
	for (size_t i = 0; i < r->nports; i++)
		r->ports[i].service = service_name(c, r->ports[i].port);
	h.family = family;
	h.addr = target_ntop(family, addr, text, sizeof(text));
	h.nnames = space_names(c->space, r->host, &h.names);
	h.ports = r->ports;
	h.nports = r->nports;
	if (c->hook != NULL)
		c->hook(c->hook_ctx, &h, addr);
	if (c->keep != c->report) {
		/* Held for the hook only: the outputs see what they asked. */
		size_t n = 0;

		if (vec_reserve(&c->shown, &c->shown_cap, r->nports,
		    sizeof(*c->shown)) != 0) {
			c->oom = 1;
			return;
		}
		for (size_t i = 0; i < r->nports; i++)
			if (c->report & STATE_BIT(r->ports[i].state))
				c->shown[n++] = r->ports[i];
		if (n == 0)
			return;
		h.ports = c->shown;
		h.nports = n;
	}
	for (size_t i = 0; i < c->nout; i++)
		c->out[i].fmt->host(c->out[i].w, &h);
	c->emitted++;
}

void
collect_set_hook(struct collect *c, unsigned states, collect_hook_fn *fn,
    void *ctx)
{
	c->keep = c->report | states;
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
	for (size_t i = 0; i < n; i++) {
		struct record *r = c->batch[i];

		emit(c, r);
		record_free(c, r);
	}
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

int
collect_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below)
{
	struct collect *c = ctx;

	for (size_t i = 0; i < n; i++) {
		struct record *r;
		struct out_port *p;

		c->count[ev[i].state]++;
		if (!(c->keep & STATE_BIT(ev[i].state)))
			continue;
		r = record_of(c, ev[i].host, ev[i].group, true);
		if (r == NULL) {
			c->oom = 1;
			return -1;
		}
		if (vec_reserve(&r->ports, &r->cap, r->nports + 1,
		    sizeof(*r->ports)) != 0) {
			c->oom = 1;
			return -1;
		}
		p = &r->ports[r->nports++];
		p->port = ev[i].port;
		p->state = ev[i].state;
		p->err = ev[i].err;
		p->rtt_ns = ev[i].rtt_ns;
		p->service = NULL;
	}
	release(c, done_below);
	return outputs_flush(c);
}

void
collect_unresolved(struct collect *c, const char *name, const char *why)
{
	c->count[STATE_UNRESOLVED]++;
	if (!(c->report & STATE_BIT(STATE_UNRESOLVED)))
		return;
	collect_begin(c);
	for (size_t i = 0; i < c->nout; i++)
		if (c->out[i].fmt->unresolved != NULL)
			c->out[i].fmt->unresolved(c->out[i].w, name, why);
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
	for (size_t i = 0; i < c->nout; i++)
		c->out[i].fmt->begin(c->out[i].w, c->run);
}

void
collect_drain(struct collect *c)
{
	collect_begin(c);
	release(c, UINT64_MAX);
	/* A group of UINT64_MAX cannot exist, but do not leave one behind. */
	while (heap_peek(c->byg) != NULL) {
		struct record *r = (struct record *)heap_pop(c->byg);

		emit(c, r);
		record_free(c, r);
	}
}

void
collect_change(struct collect *c, const struct out_change *ch)
{
	collect_begin(c);
	for (size_t i = 0; i < c->nout; i++)
		if (c->out[i].fmt->change != NULL)
			c->out[i].fmt->change(c->out[i].w, ch, c->changes == 0);
	c->changes++;
}

void
collect_end(struct collect *c, const struct out_stats *st)
{
	struct out_stats all = *st;

	collect_drain(c);
	/* Only now: the hosts still held above are shown too. */
	all.hosts_up = c->emitted;
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
