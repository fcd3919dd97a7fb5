/* The table of output formats, and what the formats share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trawl/output.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

#ifndef TRAWL_VERSION
#define TRAWL_VERSION "unknown"
#endif

static const struct out_format *const formats[] = {
	&out_text,
	&out_ndjson,
	&out_csv,
	&out_grep,
	&out_xml,
	&out_changes,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct out_format *
output_find(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const char *
output_names(void)
{
	/* The table's names, joined once: the table never changes. */
	static char names[NFORMATS * 16];

	if (names[0] == '\0') {
		for (size_t i = 0; i < NFORMATS; i++) {
			size_t used = strlen(names);

			snprintf(names + used, sizeof(names) - used, "%s%s",
			    i > 0 ? ", " : "", formats[i]->name);
		}
	}
	return names;
}

bool
output_carries_changes(const struct out_format *fmt, bool changes_output)
{
	return fmt->change != NULL && (!changes_output || fmt->changes_only);
}

const char *
output_change_name(enum out_change_kind kind)
{
	static const char *const names[] = {
		[OUT_HOST_UP] = "host-up",
		[OUT_HOST_DOWN] = "host-down",
		[OUT_PORT_OPENED] = "port-opened",
		[OUT_PORT_CLOSED] = "port-closed",
		[OUT_SERVICE_CHANGED] = "service-changed",
		[OUT_CERT_CHANGED] = "cert-changed",
		[OUT_CERT_EXPIRING] = "cert-expiring",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ?
	    names[kind] : "?";
}

void
output_rows(struct wbuf *w, const struct out_host *h, out_row_fn *row)
{
	for (size_t i = 0; i < h->nports; i++) {
		if (h->nnames == 0)
			row(w, h, NULL, &h->ports[i]);
		for (size_t j = 0; j < h->nnames; j++)
			row(w, h, h->names[j], &h->ports[i]);
	}
}

void
output_run_fill(const struct out_run *run, struct out_run *out)
{
	if (run != NULL)
		*out = *run;
	else
		memset(out, 0, sizeof(*out));
	if (out->args == NULL)
		out->args = "trawl";
	if (out->version == NULL)
		out->version = TRAWL_VERSION;
	/* Without a start, the format's beginning is the nearest one. */
	if (run == NULL)
		out->start = time(NULL);
}

void
output_timestr(time_t t, char buf[OUTPUT_TIMESTR_SIZE])
{
	struct tm tm;

	/* ctime()'s layout, without its newline and its static buffer. */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, OUTPUT_TIMESTR_SIZE, "%a %b %e %H:%M:%S %Y",
	    &tm) == 0)
		snprintf(buf, OUTPUT_TIMESTR_SIZE, "unknown time");
}

static bool
change_up(enum out_change_kind kind)
{
	return kind == OUT_HOST_UP || kind == OUT_PORT_OPENED;
}

/* A certificate's expiry as a date; the time of day says little here. */
static void
put_date(struct wbuf *w, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm) == 0)
		wbuf_puts(w, "unknown");
	else
		wbuf_puts(w, buf);
}

static bool
same(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/*
 * One side of a service change.  Where both sides name the same service,
 * product and version say what changed; where the service itself
 * changed, it comes first ("ssh OpenSSH 9.2p1 -> http nginx 1.24.0").
 */
static void
put_service(struct wbuf *w, const struct out_answer *a, bool with_name,
    void (*esc)(struct wbuf *w, const char *s))
{
	const char *sep = "";

	if (with_name || a->product == NULL) {
		if (a->tunnel_ssl)
			wbuf_puts(w, "ssl/");
		esc(w, a->service != NULL ? a->service : "unknown");
		sep = " ";
	}
	if (a->product != NULL) {
		wbuf_puts(w, sep);
		esc(w, a->product);
		sep = " ";
	}
	if (a->version != NULL) {
		wbuf_puts(w, sep);
		esc(w, a->version);
	}
}

/* What follows "port 443/tcp" for the changes of what answered. */
static void
answer_line(struct wbuf *w, const struct out_change *c,
    void (*esc)(struct wbuf *w, const char *s))
{
	const struct out_answer *was = c->was, *now = c->now;

	switch (c->kind) {
	case OUT_SERVICE_CHANGED: {
		bool names = !same(was->service, now->service) ||
		    was->tunnel_ssl != now->tunnel_ssl;

		wbuf_puts(w, " service ");
		put_service(w, was, names, esc);
		wbuf_puts(w, " -> ");
		put_service(w, now, names, esc);
		break;
	}
	case OUT_CERT_CHANGED:
		wbuf_puts(w, " certificate replaced (not after ");
		put_date(w, was->not_after);
		wbuf_puts(w, " -> ");
		put_date(w, now->not_after);
		wbuf_putc(w, ')');
		break;
	default:
		if (c->days_left < 0)
			wbuf_printf(w, " certificate expired %lld day%s ago",
			    -c->days_left, c->days_left == -1 ? "" : "s");
		else if (c->days_left == 0)
			wbuf_puts(w, " certificate expires within a day");
		else
			wbuf_printf(w, " certificate expires in %lld day%s",
			    c->days_left, c->days_left == 1 ? "" : "s");
		wbuf_puts(w, " (not after ");
		put_date(w, now->not_after);
		if (now->subject != NULL) {
			wbuf_puts(w, ", ");
			esc(w, now->subject);
		}
		wbuf_putc(w, ')');
		break;
	}
}

void
output_change_line(struct wbuf *w, const struct out_change *c,
    void (*esc)(struct wbuf *w, const char *s))
{
	bool host = c->kind == OUT_HOST_UP || c->kind == OUT_HOST_DOWN;
	bool answer = c->kind == OUT_SERVICE_CHANGED ||
	    c->kind == OUT_CERT_CHANGED || c->kind == OUT_CERT_EXPIRING;

	wbuf_puts(w, answer ? (c->kind == OUT_CERT_EXPIRING ? "! " : "~ ") :
	    change_up(c->kind) ? "+ " : "- ");
	if (host)
		wbuf_puts(w, "host ");
	wbuf_puts(w, c->addr);
	for (size_t i = 0; i < c->nnames; i++) {
		wbuf_puts(w, i == 0 ? " (" : ", ");
		esc(w, c->names[i]);
	}
	if (c->nnames > 0)
		wbuf_putc(w, ')');
	if (host) {
		wbuf_puts(w, change_up(c->kind) ? " up" : " down");
	} else if (answer) {
		wbuf_printf(w, " port %u/tcp", c->port);
		answer_line(w, c, esc);
	} else {
		wbuf_printf(w, " port %u/tcp %s", c->port,
		    change_up(c->kind) ? "open" : "no longer open");
	}
}

static int
cmp_extra(const void *a, const void *b)
{
	const struct out_extra *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->state > y->state) - (x->state < y->state);
}

void
output_sort_extra(struct out_extra *e, size_t n)
{
	qsort(e, n, sizeof(*e), cmp_extra);
}

size_t
output_nmap_extra(const struct out_host *h, struct out_extra out[STATE_COUNT])
{
	size_t n = 0, filtered = STATE_COUNT;

	for (size_t i = 0; i < h->nextra; i++) {
		struct out_extra e = h->extra[i];

		if (e.state == STATE_UNREACHABLE)
			e.state = STATE_FILTERED;
		if (e.state != STATE_FILTERED || filtered == STATE_COUNT) {
			if (e.state == STATE_FILTERED)
				filtered = n;
			out[n++] = e;
			continue;
		}
		/* The second of filtered and unreachable joins the first. */
		out[filtered].count += e.count;
		for (size_t k = 0; k < e.nwhy &&
		    out[filtered].nwhy < OUT_REASONS; k++)
			out[filtered].why[out[filtered].nwhy++] = e.why[k];
	}
	output_sort_extra(out, n);
	return n;
}

const char *
output_nmap_service(const struct out_port *p)
{
	if (p->svc != NULL && p->svc->identified && p->svc->name[0] != '\0')
		return p->svc->name;
	return p->service != NULL ? p->service : "unknown";
}

void
output_json_field(struct wbuf *w, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	wbuf_printf(w, ",\"%s\":\"", key);
	textesc_json(w, value);
	wbuf_putc(w, '"');
}

bool
output_probed(const struct out_port *p)
{
	return p->svc != NULL && p->svc->identified &&
	    p->svc->name[0] != '\0';
}

void
output_svc_version(const struct svc *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (s == NULL)
		return;
	if (s->product[0] != '\0')
		n += (size_t)snprintf(buf + n, size - n, "%s", s->product);
	if (s->version[0] != '\0' && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
		    n > 0 ? " " : "", s->version);
	if (s->extrainfo[0] != '\0' && n < size)
		(void)snprintf(buf + n, size - n, "%s(%s)", n > 0 ? " " : "",
		    s->extrainfo);
}

void
output_isotime(int64_t t, char buf[OUTPUT_ISOTIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, OUTPUT_ISOTIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, OUTPUT_ISOTIME_SIZE, "%lld", (long long)t);
}

long long
output_days_left(int64_t not_after, time_t now)
{
	int64_t d = not_after - (int64_t)now;

	/* Whole days, rounded down: -1 on the day after it expired. */
	return (long long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

const char *
output_stylesheet(void)
{
	/* Where Debian's nmap and a source build of it put it. */
	static const char *const where[] = {
		"/usr/share/nmap/nmap.xsl",
		"/usr/local/share/nmap/nmap.xsl",
	};
	static char url[64];

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		if (access(where[i], R_OK) == 0) {
			snprintf(url, sizeof(url), "file://%s", where[i]);
			return url;
		}
	}
	return NULL;
}
