/*
 * Text for people: one block per host that answered, its name and address
 * on top, what is not shown in one line ("Not shown: 98 closed tcp ports
 * (conn-refused)", as nmap says it), one port a line under it.  The same
 * shape reads well for one host and for ten thousand (grep for a port, or
 * for a host line).
 *
 * A PTR name (--rdns) heads the block of a host given by address, as
 * nmap's "Nmap scan report for name (address)"; under the names a host
 * was given by, it has a line of its own ("rDNS record for ADDR: name",
 * nmap's words), unless it is one of them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "trawl/output.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
text_begin(struct wbuf *w, const struct out_run *run)
{
	(void)w;
	(void)run;
}

/*
 * What is not listed, as nmap says it: "Not shown: 98 closed tcp ports
 * (conn-refused), 2 filtered tcp ports (no-response)".
 */
static void
text_not_shown(struct wbuf *w, const struct out_host *h)
{
	wbuf_puts(w, "  Not shown: ");
	for (size_t i = 0; i < h->nextra; i++) {
		const struct out_extra *e = &h->extra[i];

		wbuf_printf(w, "%s%u %s tcp port%s (", i > 0 ? ", " : "",
		    e->count, state_name(e->state), e->count == 1 ? "" : "s");
		if (e->nwhy == 1)
			wbuf_puts(w, e->why[0].reason);
		for (size_t k = 0; e->nwhy > 1 && k < e->nwhy; k++)
			wbuf_printf(w, "%s%u %s", k > 0 ? ", " : "",
			    e->why[k].count, e->why[k].reason);
		wbuf_putc(w, ')');
	}
	wbuf_putc(w, '\n');
}

/* Is name one of those h was given by?  DNS names ignore case. */
static bool
named(const struct out_host *h, const char *name)
{
	for (size_t i = 0; i < h->nnames; i++)
		if (strcasecmp(h->names[i], name) == 0)
			return true;
	return false;
}

/*
 * What answered (--banners), as nmap -sV shows it: "ssl/http nginx 1.22.1",
 * then its scripts' lines: the page title, the certificate, and the first
 * line of a banner that named nothing.
 */
static void
text_svc(struct wbuf *w, const struct out_port *p)
{
	const struct svc *s = p->svc;
	const char *name = output_nmap_service(p);
	char version[256], after[OUTPUT_ISOTIME_SIZE];
	int width = (int)strlen(name) + (s->tunnel_ssl ? 4 : 0);

	if (s->tunnel_ssl)
		wbuf_puts(w, "ssl/");
	textesc_text(w, name);
	output_svc_version(s, version, sizeof(version));
	if (version[0] != '\0') {
		wbuf_printf(w, "%*s", width < 14 ? 14 - width : 1, "");
		textesc_text(w, version);
	}
	if (s->has_http && s->http.title[0] != '\0') {
		wbuf_puts(w, "\n  |   http-title: ");
		textesc_text(w, s->http.title);
	}
	if (s->has_http && s->http.location[0] != '\0') {
		wbuf_printf(w, "\n  |   http-location: %d ", s->http.status);
		textesc_text(w, s->http.location);
	}
	if (s->has_tls) {
		wbuf_puts(w, "\n  |   ssl-cert: ");
		textesc_text(w, s->tls.subject);
		for (size_t i = 0; i < s->tls.nsans; i++) {
			wbuf_puts(w, i == 0 ? "\n  |     names: " : ", ");
			textesc_text(w, s->tls.sans[i]);
		}
		output_isotime(s->tls.not_after, after);
		wbuf_printf(w, "\n  |     %s, not valid after %s (%lld days)",
		    s->tls.version, after,
		    output_days_left(s->tls.not_after, time(NULL)));
		if (s->tls.self_signed)
			wbuf_puts(w, ", self-signed");
	}
	if (!output_probed(p) && s->banner_len > 0) {
		size_t n = 0;

		/* Its first line is enough for people; the rest is in -o. */
		while (n < s->banner_len && s->banner[n] != '\n' &&
		    s->banner[n] != '\r')
			n++;
		wbuf_puts(w, "\n  |   banner: ");
		textesc_bytes(w, TEXTESC_TEXT, s->banner, n);
	}
}

static void
text_host(struct wbuf *w, const struct out_host *h)
{
	for (size_t i = 0; i < h->nnames; i++) {
		if (i > 0)
			wbuf_puts(w, ", ");
		textesc_text(w, h->names[i]);
	}
	if (h->nnames == 0 && h->ptr != NULL)
		textesc_text(w, h->ptr);
	if (h->nnames > 0 || h->ptr != NULL)
		wbuf_printf(w, " (%s)\n", h->addr);
	else
		wbuf_printf(w, "%s\n", h->addr);
	if (h->nnames > 0 && h->ptr != NULL && !named(h, h->ptr)) {
		wbuf_printf(w, "  rDNS record for %s: ", h->addr);
		textesc_text(w, h->ptr);
		wbuf_putc(w, '\n');
	}
	if (h->nextra > 0)
		text_not_shown(w, h);
	for (size_t i = 0; i < h->nports; i++) {
		const struct out_port *p = &h->ports[i];
		char port[16];
		/*
		 * The state column is 8 wide like nmap's; the one longer
		 * name, unreachable, keeps a single space.
		 */
		int pad = 8 - (int)strlen(state_name(p->state));

		snprintf(port, sizeof(port), "%u/tcp", p->port);
		wbuf_printf(w, "  %-9s %s%*s", port, state_name(p->state),
		    pad < 1 ? 1 : pad, "");
		if (p->svc != NULL)
			text_svc(w, p);
		else
			textesc_text(w, output_nmap_service(p));
		wbuf_putc(w, '\n');
	}
	wbuf_putc(w, '\n');
}

static void
text_end(struct wbuf *w, const struct out_stats *st)
{
	(void)w;
	(void)st;
}

static void
text_change(struct wbuf *w, const struct out_change *c, bool first)
{
	/*
	 * Expiring certificates come after every other change: first, they
	 * are all there is (--cert-expiry, maybe without --baseline).
	 */
	if (first)
		wbuf_puts(w, c->kind == OUT_CERT_EXPIRING ?
		    "Certificates near their end:\n" :
		    "Changes since the last run:\n");
	output_change_line(w, c, textesc_text);
	wbuf_putc(w, '\n');
}

const struct out_format out_text = {
	.name = "text",
	.states = STATE_BIT(STATE_OPEN),
	.nmap_picture = true,
	.begin = text_begin,
	.host = text_host,
	.end = text_end,
	.change = text_change,
};
