/*
 * The changes format: what changed since the last run (--baseline), one
 * NDJSON object a line, and nothing else.  A scheduled run keeps its
 * results in one file and its changes in another, so that a program
 * reading either meets one kind of record: jq over the results never
 * counts a change as a port, and an alert reads the changes file whole.
 * While a run has an output of this format, no other output gets a change
 * (output_carries_changes()).
 *
 *	{"change":"port-opened","ip":"192.0.2.9","port":443,"proto":"tcp",
 *	    "names":["www.example.com"]}
 *	{"change":"host-down","ip":"192.0.2.4"}
 *	{"change":"service-changed","ip":"192.0.2.9","port":8080,
 *	    "proto":"tcp","was":{"service":"http","product":"nginx",
 *	    "version":"1.22.1"},"now":{"service":"http","product":"nginx",
 *	    "version":"1.24.0"}}
 *	{"change":"cert-changed","ip":"192.0.2.9","port":443,"proto":"tcp",
 *	    "was":{"sha256":"9f86...","not_after":"2026-12-12T00:00:00Z",
 *	    "subject":"CN=www.example.com"},"now":{...}}
 *	{"change":"cert-expiring","ip":"192.0.2.9","port":443,"proto":"tcp",
 *	    "days_left":4,"sha256":"9f86...",
 *	    "not_after":"2026-12-12T00:00:00Z","subject":"CN=www.example.com"}
 *
 * "port" and "proto" only for port changes, "names" only when there are
 * any (an array: an address may have many, and a change is one object).
 * What answered keeps the keys of the NDJSON results ("service",
 * "tunnel", "product", "version"; the certificate's "sha256", "not_after",
 * "subject"), each only when known: a change record and a result read
 * alike.  A change of what answered has the old side in "was" and the new
 * in "now"; an expiring certificate is this run's, its keys at the top.
 * A run with nothing to compare (the first; a resumed one whose resume
 * file keeps no open ports) writes no change but the certificates
 * expiring (--cert-expiry), which need no baseline.
 */
#include "trawl/output.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
changes_begin(struct wbuf *w, const struct out_run *run)
{
	(void)w;
	(void)run;
}

/* Never called: the collector lists no host here (no states). */
static void
changes_host(struct wbuf *w, const struct out_host *h)
{
	(void)w;
	(void)h;
}

static void
changes_end(struct wbuf *w, const struct out_stats *st)
{
	(void)w;
	(void)st;
}

/* A certificate's keys after "sha256", which is always known. */
static void
cert_rest(struct wbuf *w, const struct out_answer *a)
{
	char when[OUTPUT_ISOTIME_SIZE];

	if (a->not_after != 0) {
		output_isotime(a->not_after, when);
		wbuf_printf(w, ",\"not_after\":\"%s\"", when);
	}
	output_json_field(w, "subject", a->subject);
}

/* "was" or "now": one side of a change of what answered, as an object. */
static void
side(struct wbuf *w, const char *key, const struct out_answer *a,
    enum out_change_kind kind)
{
	wbuf_printf(w, ",\"%s\":{", key);
	if (kind == OUT_SERVICE_CHANGED) {
		wbuf_puts(w, "\"service\":\"");
		textesc_json(w, a->service != NULL ? a->service : "unknown");
		wbuf_putc(w, '"');
		if (a->tunnel_ssl)
			wbuf_puts(w, ",\"tunnel\":\"ssl\"");
		output_json_field(w, "product", a->product);
		output_json_field(w, "version", a->version);
	} else {
		wbuf_puts(w, "\"sha256\":\"");
		textesc_json(w, a->sha256 != NULL ? a->sha256 : "");
		wbuf_putc(w, '"');
		cert_rest(w, a);
	}
	wbuf_putc(w, '}');
}

static void
changes_change(struct wbuf *w, const struct out_change *c, bool first)
{
	(void)first;
	wbuf_printf(w, "{\"change\":\"%s\",\"ip\":\"%s\"",
	    output_change_name(c->kind), c->addr);
	if (c->kind != OUT_HOST_UP && c->kind != OUT_HOST_DOWN)
		wbuf_printf(w, ",\"port\":%u,\"proto\":\"tcp\"", c->port);
	for (size_t i = 0; i < c->nnames; i++) {
		wbuf_puts(w, i == 0 ? ",\"names\":[\"" : ",\"");
		textesc_json(w, c->names[i]);
		wbuf_putc(w, '"');
	}
	if (c->nnames > 0)
		wbuf_putc(w, ']');
	if (c->kind == OUT_SERVICE_CHANGED || c->kind == OUT_CERT_CHANGED) {
		side(w, "was", c->was, c->kind);
		side(w, "now", c->now, c->kind);
	} else if (c->kind == OUT_CERT_EXPIRING) {
		wbuf_printf(w, ",\"days_left\":%lld", c->days_left);
		output_json_field(w, "sha256", c->now->sha256);
		cert_rest(w, c->now);
	}
	wbuf_puts(w, "}\n");
}

const struct out_format out_changes = {
	.name = "changes",
	.states = 0,
	.nmap_picture = false,
	.begin = changes_begin,
	.host = changes_host,
	.end = changes_end,
	.unresolved = NULL,
	.change = changes_change,
	.changes_only = true,
};
