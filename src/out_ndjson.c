/*
 * NDJSON: one object per line and per reported port, so that jq, grep and
 * a line-by-line reader all work on a file still being written.  An address
 * reached by several names gets one line per name, so that selecting on
 * "host" never misses a port.  A PTR name (--rdns) is the last key, "ptr",
 * in every line of its host, and absent when there is none: the keys
 * before it keep their places.
 */
#include <time.h>

#include "trawl/output.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
ndjson_begin(struct wbuf *w, const struct out_run *run)
{
	(void)w;
	(void)run;
}

static void
ndjson_tls(struct wbuf *w, const struct svc_tls *t)
{
	char when[OUTPUT_ISOTIME_SIZE];

	wbuf_printf(w, ",\"tls\":{\"version\":\"");
	textesc_json(w, t->version);
	wbuf_putc(w, '"');
	output_json_field(w, "cipher", t->cipher);
	output_json_field(w, "subject", t->subject);
	output_json_field(w, "issuer", t->issuer);
	wbuf_puts(w, ",\"sans\":[");
	for (size_t i = 0; i < t->nsans; i++) {
		wbuf_puts(w, i > 0 ? ",\"" : "\"");
		textesc_json(w, t->sans[i]);
		wbuf_putc(w, '"');
	}
	wbuf_putc(w, ']');
	if (t->not_after != 0) {
		output_isotime(t->not_before, when);
		wbuf_printf(w, ",\"not_before\":\"%s\"", when);
		output_isotime(t->not_after, when);
		wbuf_printf(w, ",\"not_after\":\"%s\",\"days_left\":%lld",
		    when, output_days_left(t->not_after, time(NULL)));
	}
	wbuf_printf(w, ",\"self_signed\":%s",
	    t->self_signed ? "true" : "false");
	output_json_field(w, "sha256", t->sha256);
	wbuf_putc(w, '}');
}

/* What answered on an open port (--banners). */
static void
ndjson_svc(struct wbuf *w, const struct out_port *p)
{
	const struct svc *s = p->svc;

	wbuf_printf(w, ",\"method\":\"%s\"",
	    output_probed(p) ? "probed" : "table");
	if (s->tunnel_ssl)
		wbuf_puts(w, ",\"tunnel\":\"ssl\"");
	output_json_field(w, "product", s->product);
	output_json_field(w, "version", s->version);
	output_json_field(w, "extrainfo", s->extrainfo);
	if (s->banner_len > 0) {
		wbuf_puts(w, ",\"banner\":\"");
		textesc_bytes(w, TEXTESC_JSON, s->banner, s->banner_len);
		wbuf_putc(w, '"');
	}
	if (s->has_tls)
		ndjson_tls(w, &s->tls);
	if (s->has_http) {
		wbuf_printf(w, ",\"http\":{\"status\":%d", s->http.status);
		output_json_field(w, "server", s->http.server);
		output_json_field(w, "location", s->http.location);
		output_json_field(w, "title", s->http.title);
		wbuf_putc(w, '}');
	}
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
	if (p->service != NULL || output_probed(p)) {
		wbuf_puts(w, ",\"service\":\"");
		textesc_json(w, output_nmap_service(p));
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
	if (p->svc != NULL)
		ndjson_svc(w, p);
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
