/*
 * nmap's XML (-oX), valid against its DTD, so that what reads nmap's scans
 * (ndiff, report generators, importers) reads ours.
 *
 * The document streams like the other formats: the prologue in begin, one
 * <host> element per host as it finishes, and runstats with the closing tag
 * in end, which runs on every way out, so that a scan stopped by a signal
 * still leaves a whole document behind.
 *
 * Where nmap's vocabulary is narrower than ours, we speak nmap's:
 *   - scanner is "nmap": the DTD allows no other value.  The command line
 *     and a comment say who wrote the file.
 *   - An unreachable port is "filtered", as nmap calls a port whose probe
 *     met an ICMP unreachable; the reason ("host-unreach", ...) still
 *     tells the two apart.
 *   - A host is up when it answered on some port (syn-ack, conn-refused);
 *     one that never did is down (no-response), and shown only when the
 *     user asked for filtered ports.  nmap -Pn calls every host up.
 *   - The ports of a state with more than OUT_FEW ports on a host are one
 *     <extraports> element, as nmap writes them, so that ndiff, nmap.xsl
 *     and nmap's parsers see nmap's picture of the same scan.  A port
 *     with no service name is "unknown", as nmap names it.
 *   - A name that gave no address is a <target status="skipped">, as nmap
 *     writes a target it cannot resolve.
 *   - A PTR name (--rdns) is a <hostname type="PTR"> after the names the
 *     user gave (type="user"), as nmap writes them.
 *   - What answers (--banners) is nmap -sV's <service method="probed">
 *     with product, version, extrainfo and tunnel="ssl", and the scripts
 *     nmap would have run for the rest: banner (for a service nobody
 *     named), ssl-cert, http-title and http-server-header, each with its
 *     output text and its elements, as nmap.xsl and nmap's parsers read
 *     them.
 */
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "trawl/output.h"
#include "trawl/pace.h"
#include "trawl/ports.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

/* The port table as nmap's services attribute: sorted ranges, "22,80-81". */
static void
xml_services(struct wbuf *w, const struct ports *ports)
{
	uint64_t bits[65536 / 64];
	const char *sep = "";
	size_t n = ports != NULL ? ports_count(ports) : 0;

	memset(bits, 0, sizeof(bits));
	for (size_t i = 0; i < n; i++) {
		uint16_t p = ports_at(ports, i);

		bits[p / 64] |= UINT64_C(1) << (p % 64);
	}
	wbuf_printf(w, " numservices=\"%zu\" services=\"", n);
	for (unsigned p = 0; p < 65536; p++) {
		unsigned last = p;

		if (!(bits[p / 64] & UINT64_C(1) << (p % 64)))
			continue;
		while (last + 1 < 65536 &&
		    bits[(last + 1) / 64] & UINT64_C(1) << ((last + 1) % 64))
			last++;
		if (last == p)
			wbuf_printf(w, "%s%u", sep, p);
		else
			wbuf_printf(w, "%s%u-%u", sep, p, last);
		sep = ",";
		p = last;
	}
	wbuf_putc(w, '"');
}

static void
xml_begin(struct wbuf *w, const struct out_run *given)
{
	struct out_run run;
	char when[OUTPUT_TIMESTR_SIZE];

	/*
	 * A resumed run continues the document its file was cut back to
	 * (checkpoint.h): inside <nmaprun>, before <runstats>.
	 */
	if (given != NULL && given->appending)
		return;
	output_run_fill(given, &run);
	output_timestr(run.start, when);
	wbuf_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE nmaprun>\n");
	/* A browser shows the document as nmap.xsl's report. */
	if (run.stylesheet != NULL) {
		wbuf_puts(w, "<?xml-stylesheet href=\"");
		textesc_xml(w, run.stylesheet);
		wbuf_puts(w, "\" type=\"text/xsl\"?>\n");
	}
	wbuf_puts(w, "<!-- trawl");
	/* "--" would end the comment too soon (XML forbids it there). */
	if (strstr(run.version, "--") == NULL) {
		wbuf_putc(w, ' ');
		textesc_xml(w, run.version);
	}
	wbuf_printf(w, " scan initiated %s -->\n<nmaprun scanner=\"nmap\" "
	    "args=\"", when);
	textesc_xml(w, run.args);
	wbuf_printf(w, "\" start=\"%lld\" startstr=\"%s\" version=\"",
	    (long long)run.start, when);
	textesc_xml(w, run.version);
	wbuf_puts(w, "\" xmloutputversion=\"1.05\">\n"
	    "<scaninfo type=\"connect\" protocol=\"tcp\"");
	xml_services(w, run.ports);
	wbuf_puts(w, "/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");
}

static const char *
xml_state(enum state s)
{
	return s == STATE_UNREACHABLE ? "filtered" : state_name(s);
}

/* Why a host is up or down, in nmap's words. */
static const char *
xml_host_reason(const struct out_host *h)
{
	if (!h->up)
		return "no-response";
	for (size_t i = 0; i < h->nports; i++)
		if (h->ports[i].state == STATE_OPEN)
			return "syn-ack";
	for (size_t i = 0; i < h->nextra; i++)
		if (h->extra[i].state == STATE_OPEN)
			return "syn-ack";
	return "conn-refused";
}

static void
xml_extra(struct wbuf *w, const struct out_host *h)
{
	struct out_extra ex[STATE_COUNT];
	size_t n = output_nmap_extra(h, ex);

	for (size_t i = 0; i < n; i++) {
		wbuf_printf(w, "<extraports state=\"%s\" count=\"%u\">\n",
		    state_name(ex[i].state), ex[i].count);
		for (size_t k = 0; k < ex[i].nwhy; k++)
			wbuf_printf(w, "<extrareasons reason=\"%s\" "
			    "count=\"%u\" proto=\"tcp\"/>\n",
			    ex[i].why[k].reason, ex[i].why[k].count);
		wbuf_puts(w, "</extraports>\n");
	}
}

/* attr="value", when the value is not empty. */
static void
xml_attr(struct wbuf *w, const char *name, const char *value)
{
	if (value[0] == '\0')
		return;
	wbuf_printf(w, " %s=\"", name);
	textesc_xml(w, value);
	wbuf_putc(w, '"');
}

/* One script element with one line of output and one element. */
static void
xml_script1(struct wbuf *w, const char *id, const char *key,
    const char *value)
{
	wbuf_printf(w, "<script id=\"%s\" output=\"", id);
	textesc_xml(w, value);
	wbuf_printf(w, "\"><elem key=\"%s\">", key);
	textesc_xml(w, value);
	wbuf_puts(w, "</elem></script>");
}

/* nmap's ssl-cert script: its output lines, then its elements. */
static void
xml_cert(struct wbuf *w, const struct svc_tls *t)
{
	char before[OUTPUT_ISOTIME_SIZE], after[OUTPUT_ISOTIME_SIZE];

	output_isotime(t->not_before, before);
	output_isotime(t->not_after, after);
	wbuf_puts(w, "<script id=\"ssl-cert\" output=\"Subject: ");
	textesc_xml(w, t->subject);
	if (t->nsans > 0) {
		wbuf_puts(w, "&#xa;Subject Alternative Name: ");
		for (size_t i = 0; i < t->nsans; i++) {
			wbuf_puts(w, i > 0 ? ", " : "");
			wbuf_puts(w, strchr(t->sans[i], ':') != NULL ||
			    strspn(t->sans[i], "0123456789.") ==
			    strlen(t->sans[i]) ? "IP Address:" : "DNS:");
			textesc_xml(w, t->sans[i]);
		}
	}
	wbuf_puts(w, "&#xa;Issuer: ");
	textesc_xml(w, t->issuer);
	wbuf_printf(w, "&#xa;Not valid before: %s&#xa;Not valid after:  %s"
	    "&#xa;SHA-256: %s\">", before, after, t->sha256);
	wbuf_puts(w, "<elem key=\"subject\">");
	textesc_xml(w, t->subject);
	wbuf_puts(w, "</elem><elem key=\"issuer\">");
	textesc_xml(w, t->issuer);
	wbuf_puts(w, "</elem><table key=\"extensions\"><table>"
	    "<elem key=\"name\">X509v3 Subject Alternative Name</elem>"
	    "<elem key=\"value\">");
	for (size_t i = 0; i < t->nsans; i++) {
		wbuf_puts(w, i > 0 ? ", " : "");
		textesc_xml(w, t->sans[i]);
	}
	wbuf_printf(w, "</elem></table></table><table key=\"validity\">"
	    "<elem key=\"notBefore\">%s</elem><elem key=\"notAfter\">%s"
	    "</elem></table><elem key=\"sha256\">%s</elem>"
	    "<elem key=\"self_signed\">%s</elem>"
	    "<elem key=\"tls_version\">", before, after, t->sha256,
	    t->self_signed ? "true" : "false");
	textesc_xml(w, t->version);
	wbuf_puts(w, "</elem></script>");
}

/*
 * The rest of a port's <service> (the name is written) and the scripts of
 * what answered, up to the end of the port.
 */
static void
xml_svc(struct wbuf *w, const struct out_port *p)
{
	const struct svc *s = p->svc;

	wbuf_putc(w, '"');
	xml_attr(w, "product", s->product);
	xml_attr(w, "version", s->version);
	xml_attr(w, "extrainfo", s->extrainfo);
	if (s->tunnel_ssl)
		wbuf_puts(w, " tunnel=\"ssl\"");
	wbuf_puts(w, output_probed(p) ? " method=\"probed\" conf=\"10\"/>" :
	    " method=\"table\" conf=\"3\"/>");
	if (s->banner_len > 0) {
		wbuf_puts(w, "<script id=\"banner\" output=\"");
		textesc_bytes(w, TEXTESC_XML, s->banner, s->banner_len);
		wbuf_puts(w, "\"/>");
	}
	if (s->has_tls)
		xml_cert(w, &s->tls);
	if (s->has_http && s->http.title[0] != '\0')
		xml_script1(w, "http-title", "title", s->http.title);
	if (s->has_http && s->http.server[0] != '\0')
		xml_script1(w, "http-server-header", "Server", s->http.server);
	wbuf_puts(w, "</port>\n");
}

static void
xml_host(struct wbuf *w, const struct out_host *h)
{
	wbuf_printf(w, "<host starttime=\"%lld\" endtime=\"%lld\">"
	    "<status state=\"%s\" reason=\"%s\" reason_ttl=\"0\"/>\n"
	    "<address addr=\"%s\" addrtype=\"%s\"/>\n<hostnames>\n",
	    (long long)h->start, (long long)h->end, h->up ? "up" : "down",
	    xml_host_reason(h), h->addr, h->family == AF_INET6 ? "ipv6" :
	    "ipv4");
	for (size_t i = 0; i < h->nnames; i++) {
		wbuf_puts(w, "<hostname name=\"");
		textesc_xml(w, h->names[i]);
		wbuf_puts(w, "\" type=\"user\"/>\n");
	}
	/* After the names typed, as nmap orders them. */
	if (h->ptr != NULL) {
		wbuf_puts(w, "<hostname name=\"");
		textesc_xml(w, h->ptr);
		wbuf_puts(w, "\" type=\"PTR\"/>\n");
	}
	wbuf_puts(w, "</hostnames>\n<ports>");
	xml_extra(w, h);
	for (size_t i = 0; i < h->nports; i++) {
		const struct out_port *p = &h->ports[i];

		wbuf_printf(w, "<port protocol=\"tcp\" portid=\"%u\">"
		    "<state state=\"%s\" reason=\"%s\" reason_ttl=\"0\"/>"
		    "<service name=\"", p->port, xml_state((enum state)p->state),
		    state_reason(p->err, (enum state)p->state));
		textesc_xml(w, output_nmap_service(p));
		if (p->svc != NULL) {
			xml_svc(w, p);
			continue;
		}
		wbuf_puts(w, "\" method=\"table\" conf=\"3\"/></port>\n");
	}
	wbuf_puts(w, "</ports>\n");
	/*
	 * nmap's timing of the host, in microseconds: its round trips, and
	 * the timeout they give (RFC 6298, at the shortest trawl waits).
	 */
	if (h->srtt_ns > 0) {
		uint64_t to = h->srtt_ns + 4 * h->rttvar_ns;

		if (to < PACE_MIN_TIMEOUT_NS)
			to = PACE_MIN_TIMEOUT_NS;
		wbuf_printf(w, "<times srtt=\"%llu\" rttvar=\"%llu\" "
		    "to=\"%llu\"/>\n", (unsigned long long)(h->srtt_ns / 1000),
		    (unsigned long long)(h->rttvar_ns / 1000),
		    (unsigned long long)(to / 1000));
	}
	wbuf_puts(w, "</host>\n");
}

static void
xml_end(struct wbuf *w, const struct out_stats *st)
{
	time_t now = time(NULL);
	char when[OUTPUT_TIMESTR_SIZE];
	uint64_t total = st->hosts > st->hosts_up ? st->hosts : st->hosts_up;

	output_timestr(now, when);
	wbuf_printf(w, "<runstats><finished time=\"%lld\" timestr=\"%s\" "
	    "summary=\"trawl done at %s; %llu IP address%s (%llu host%s up) "
	    "scanned in %.2f seconds\" elapsed=\"%.2f\" ", (long long)now,
	    when, when, (unsigned long long)total, total == 1 ? "" : "es",
	    (unsigned long long)st->hosts_up, st->hosts_up == 1 ? "" : "s",
	    st->elapsed_s, st->elapsed_s);
	if (st->interrupted || st->failed != NULL)
		wbuf_printf(w, "exit=\"error\" errormsg=\"%s\"/>",
		    st->interrupted ? "interrupted" : st->failed);
	else
		wbuf_puts(w, "exit=\"success\"/>");
	wbuf_printf(w, "<hosts up=\"%llu\" down=\"%llu\" total=\"%llu\"/>\n"
	    "</runstats>\n</nmaprun>\n", (unsigned long long)st->hosts_up,
	    (unsigned long long)(total - st->hosts_up),
	    (unsigned long long)total);
}

static void
xml_unresolved(struct wbuf *w, const struct out_run *run, const char *name,
    const char *why)
{
	/* The DTD has one reason, "invalid"; the finer one has no place. */
	(void)run;
	(void)why;
	wbuf_puts(w, "<target specification=\"");
	textesc_xml(w, name);
	wbuf_puts(w, "\" status=\"skipped\" reason=\"invalid\"/>\n");
}

/*
 * nmap's DTD has one element for free text inside a run, <output>: a
 * change is one, before runstats, as its line for people.
 */
static void
xml_change(struct wbuf *w, const struct out_change *c, bool first)
{
	(void)first;
	wbuf_puts(w, "<output type=\"interactive\">");
	output_change_line(w, c, textesc_xml);
	wbuf_puts(w, "</output>\n");
}

const struct out_format out_xml = {
	.name = "xml",
	.states = STATE_ALL,
	.nmap_picture = true,
	.begin = xml_begin,
	.host = xml_host,
	.end = xml_end,
	.unresolved = xml_unresolved,
	.change = xml_change,
};
