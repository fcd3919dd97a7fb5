/*
 * NDJSON: one object per line and per reported port, so that jq, grep and
 * a line-by-line reader all work on a file still being written.  An address
 * reached by several names gets one line per name, so that selecting on
 * "host" never misses a port.  A PTR name (--rdns) is the last key, "ptr",
 * in every line of its host, and absent when there is none: the keys
 * before it keep their places.
 */
#include "trawl/output.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
ndjson_begin(struct wbuf *w, const struct out_run *run)
{
	(void)w;
	(void)run;
}

static void
ndjson_port(struct wbuf *w, const struct out_host *h, const char *name,
    const struct out_port *p)
{
	wbuf_printf(w, "{\"ip\":\"%s\",\"port\":%u,\"proto\":\"tcp\","
	    "\"state\":\"%s\"", h->addr, p->port, state_name(p->state));
	if (name != NULL) {
		wbuf_puts(w, ",\"host\":\"");
		textesc_json(w, name);
		wbuf_putc(w, '"');
	}
	if (p->service != NULL) {
		wbuf_puts(w, ",\"service\":\"");
		textesc_json(w, p->service);
		wbuf_putc(w, '"');
	}
	if (p->state == STATE_OPEN || p->state == STATE_CLOSED)
		wbuf_printf(w, ",\"rtt_ms\":%.3f", (double)p->rtt_ns / 1e6);
	wbuf_printf(w, ",\"reason\":\"%s\"",
	    state_reason(p->err, (enum state)p->state));
	if (h->ptr != NULL) {
		wbuf_puts(w, ",\"ptr\":\"");
		textesc_json(w, h->ptr);
		wbuf_putc(w, '"');
	}
	wbuf_puts(w, "}\n");
}

static void
ndjson_host(struct wbuf *w, const struct out_host *h)
{
	output_rows(w, h, ndjson_port);
}

static void
ndjson_end(struct wbuf *w, const struct out_stats *st)
{
	(void)w;
	(void)st;
}

static void
ndjson_unresolved(struct wbuf *w, const struct out_run *run, const char *name,
    const char *why)
{
	(void)run;
	wbuf_puts(w, "{\"host\":\"");
	textesc_json(w, name);
	wbuf_printf(w, "\",\"proto\":\"tcp\",\"state\":\"unresolved\","
	    "\"reason\":\"%s\"}\n", why);
}

const struct out_format out_ndjson = {
	.name = "ndjson",
	.states = STATE_BIT(STATE_OPEN),
	.nmap_picture = false,
	.begin = ndjson_begin,
	.host = ndjson_host,
	.end = ndjson_end,
	.unresolved = ndjson_unresolved,
	/* Results only: changes go to the changes format (out_changes.c). */
	.change = NULL,
};
