/*
 * CSV (RFC 4180) for spreadsheets and for scripts without a JSON parser:
 * a header, then the records of NDJSON, field for field and row for row
 * (one per reported port and name), an absent value an empty field.  Rows
 * end in CRLF as the RFC says; no field ever holds a raw line break, so a
 * line-by-line reader works too.  With --rdns a last column, ptr, follows,
 * in every row (empty for a host without a PTR name, and for a name that
 * gave no address): the columns before it keep their places.
 */
#include "trawl/output.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
csv_begin(struct wbuf *w, const struct out_run *run)
{
	if (run == NULL || !run->appending)
		wbuf_puts(w, run != NULL && run->rdns ?
		    "ip,port,proto,state,host,service,rtt_ms,reason,ptr\r\n" :
		    "ip,port,proto,state,host,service,rtt_ms,reason\r\n");
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
	if (p->service != NULL)
		textesc_csv(w, p->service);
	wbuf_putc(w, ',');
	if (p->state == STATE_OPEN || p->state == STATE_CLOSED)
		wbuf_printf(w, "%.3f", (double)p->rtt_ns / 1e6);
	wbuf_printf(w, ",%s", state_reason(p->err, (enum state)p->state));
	if (h->rdns)
		wbuf_putc(w, ',');
	if (h->ptr != NULL)
		textesc_csv(w, h->ptr);
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
	wbuf_printf(w, ",,,%s%s\r\n", why, run != NULL && run->rdns ? "," :
	    "");
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
