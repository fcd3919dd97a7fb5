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
 *
 * "port" and "proto" only for port changes, "names" only when there are
 * any (an array: an address may have many, and a change is one object).
 * A run with nothing to compare (the first; a resumed one whose resume
 * file keeps no open ports) writes nothing.
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

static void
changes_change(struct wbuf *w, const struct out_change *c, bool first)
{
	(void)first;
	wbuf_printf(w, "{\"change\":\"%s\",\"ip\":\"%s\"",
	    output_change_name(c->kind), c->addr);
	if (c->kind == OUT_PORT_OPENED || c->kind == OUT_PORT_CLOSED)
		wbuf_printf(w, ",\"port\":%u,\"proto\":\"tcp\"", c->port);
	for (size_t i = 0; i < c->nnames; i++) {
		wbuf_puts(w, i == 0 ? ",\"names\":[\"" : ",\"");
		textesc_json(w, c->names[i]);
		wbuf_putc(w, '"');
	}
	if (c->nnames > 0)
		wbuf_putc(w, ']');
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
