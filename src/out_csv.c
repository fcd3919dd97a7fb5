/*
 * CSV (RFC 4180) for spreadsheets and for scripts without a JSON parser:
 * a header, then the records of NDJSON, field for field and row for row
 * (one per reported port and name), an absent value an empty field.  Rows
 * end in CRLF as the RFC says; no field ever holds a raw line break, so a
 * line-by-line reader works too.  With --rdns a last column, ptr, follows,
 * in every row (empty for a host without a PTR name, and for a name that
 * gave no address): the columns before it keep their places.  With
 * --banners the columns of what answered come last (CSV_SVC_COLUMNS),
 * empty for a port where nothing did.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trawl/output.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

#define CSV_SVC_COLUMNS "method,product,version,extrainfo,tunnel,banner," \
	"http_status,http_server,http_location,http_title,tls_version," \
	"tls_subject,tls_issuer,tls_sans,tls_not_after,tls_days_left," \
	"tls_self_signed,tls_sha256"
/* Its commas: the empty fields of a row with nothing that answered. */
#define CSV_SVC_EMPTY ",,,,,,,,,,,,,,,,,"

static void
csv_begin(struct wbuf *w, const struct out_run *run)
{
	if (run != NULL && run->appending)
		return;
	wbuf_puts(w, "ip,port,proto,state,host,service,rtt_ms,reason");
	if (run != NULL && run->rdns)
		wbuf_puts(w, ",ptr");
	if (run != NULL && run->banners)
		wbuf_puts(w, "," CSV_SVC_COLUMNS);
	wbuf_puts(w, "\r\n");
}

/* ,value (escaped; nothing for an empty one). */
static void
col(struct wbuf *w, const char *value)
{
	wbuf_putc(w, ',');
	textesc_csv(w, value);
}

/* What answered, in CSV_SVC_COLUMNS: one field each, names space-separated. */
static void
csv_svc(struct wbuf *w, const struct out_port *p)
{
	const struct svc *s = p->svc;
	char when[OUTPUT_ISOTIME_SIZE], num[32];

	if (s == NULL) {
		wbuf_puts(w, "," CSV_SVC_EMPTY);
		return;
	}
	col(w, output_probed(p) ? "probed" : "table");
	col(w, s->product);
	col(w, s->version);
	col(w, s->extrainfo);
	col(w, s->tunnel_ssl ? "ssl" : "");
	wbuf_putc(w, ',');
	textesc_bytes(w, TEXTESC_CSV, s->banner, s->banner_len);
	snprintf(num, sizeof(num), "%d", s->has_http ? s->http.status : 0);
	col(w, s->has_http ? num : "");
	col(w, s->has_http ? s->http.server : "");
	col(w, s->has_http ? s->http.location : "");
	col(w, s->has_http ? s->http.title : "");
	if (!s->has_tls) {
		wbuf_puts(w, ",,,,,,,,");
		return;
	}
	col(w, s->tls.version);
	col(w, s->tls.subject);
	col(w, s->tls.issuer);
	wbuf_putc(w, ',');
	if (s->tls.nsans > 0) {
		/* One field: a space cannot occur in a name or address. */
		wbuf_putc(w, '"');
		for (size_t i = 0; i < s->tls.nsans; i++) {
			if (i > 0)
				wbuf_putc(w, ' ');
			textesc_bytes(w, TEXTESC_CSV_INNER, s->tls.sans[i],
			    strlen(s->tls.sans[i]));
		}
		wbuf_putc(w, '"');
	}
	output_isotime(s->tls.not_after, when);
	col(w, when);
	wbuf_printf(w, ",%lld,%s", output_days_left(s->tls.not_after,
	    time(NULL)), s->tls.self_signed ? "true" : "false");
	col(w, s->tls.sha256);
}

static void
csv_port(struct wbuf *w, const struct out_host *h, const char *name,
    const struct out_port *p)
{
	wbuf_printf(w, "%s,%u,tcp,%s,", h->addr, p->port,
	    state_name(p->state));
	if (name != NULL)
		textesc_csv(w, name);
	wbuf_putc(w, ',');
	if (p->service != NULL || output_probed(p))
		textesc_csv(w, output_nmap_service(p));
	wbuf_putc(w, ',');
	if (p->state == STATE_OPEN || p->state == STATE_CLOSED)
		wbuf_printf(w, "%.3f", (double)p->rtt_ns / 1e6);
	wbuf_printf(w, ",%s", state_reason(p->err, (enum state)p->state));
	if (h->rdns)
		wbuf_putc(w, ',');
	if (h->ptr != NULL)
		textesc_csv(w, h->ptr);
	if (h->banners)
		csv_svc(w, p);
	wbuf_puts(w, "\r\n");
}

static void
csv_host(struct wbuf *w, const struct out_host *h)
{
	output_rows(w, h, csv_port);
}

static void
csv_end(struct wbuf *w, const struct out_stats *st)
{
	(void)w;
	(void)st;
}

static void
csv_unresolved(struct wbuf *w, const struct out_run *run, const char *name,
    const char *why)
{
	wbuf_puts(w, ",,tcp,unresolved,");
	textesc_csv(w, name);
	wbuf_printf(w, ",,,%s%s%s\r\n", why, run != NULL && run->rdns ? "," :
	    "", run != NULL && run->banners ? "," CSV_SVC_EMPTY : "");
}

/*
 * No change records: every row has NDJSON's port fields, and a change is
 * not a port's state.  They go to the changes format (out_changes.c).
 */
const struct out_format out_csv = {
	.name = "csv",
	.states = STATE_BIT(STATE_OPEN),
	.nmap_picture = false,
	.begin = csv_begin,
	.host = csv_host,
	.end = csv_end,
	.unresolved = csv_unresolved,
	.change = NULL,
};
