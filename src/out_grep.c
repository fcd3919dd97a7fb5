/*
 * nmap's grepable output (-oG): a comment line at each end, and per host a
 * Status line and a Ports line, each a single line whatever a name holds,
 * so that grep, awk and cut take it apart.  A host reached by several names
 * gets its lines once per name, as nmap writes a host given twice, so that
 * grepping for a name never misses a port.
 *
 * Ports read "22/open/tcp//ssh///": port, state, protocol, owner, service,
 * RPC information, version.  As in the XML, an unreachable port is
 * nmap's "filtered", a port with no service name "unknown", and the
 * ports of a state with more than OUT_FEW ports on the host are not
 * listed: when they are all of one state, the Ports line ends with
 * "Ignored State: closed (98)", as nmap's does (nmap says nothing when
 * they are of several states).
 *
 * nmap puts one name in the parentheses of "Host: 192.0.2.1 (name)"; a
 * host given by address shows its PTR name there (--rdns), as nmap's does.
 * A host given by name keeps the names given: its lines are one per name.
 */
#include <string.h>
#include <time.h>

#include "trawl/output.h"
#include "trawl/svc.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
grep_begin(struct wbuf *w, const struct out_run *given)
{
	struct out_run run;
	char when[OUTPUT_TIMESTR_SIZE];

	if (given != NULL && given->appending)
		return;
	output_run_fill(given, &run);
	output_timestr(run.start, when);
	wbuf_puts(w, "# trawl ");
	textesc_text(w, run.version);
	wbuf_printf(w, " scan initiated %s as: ", when);
	textesc_text(w, run.args);
	wbuf_putc(w, '\n');
}

static void
grep_line_start(struct wbuf *w, const struct out_host *h, const char *name)
{
	wbuf_printf(w, "Host: %s (", h->addr);
	if (name != NULL)
		textesc_grep(w, name);
	wbuf_puts(w, ")\t");
}

static void
grep_lines(struct wbuf *w, const struct out_host *h, const char *name)
{
	struct out_extra ex[STATE_COUNT];
	size_t nex = output_nmap_extra(h, ex);

	grep_line_start(w, h, name);
	wbuf_puts(w, h->up ? "Status: Up\n" : "Status: Down\n");
	grep_line_start(w, h, name);
	wbuf_puts(w, "Ports: ");
	for (size_t i = 0; i < h->nports; i++) {
		const struct out_port *p = &h->ports[i];

		wbuf_printf(w, "%s%u/%s/tcp//", i > 0 ? ", " : "", p->port,
		    p->state == STATE_UNREACHABLE ? "filtered" :
		    state_name(p->state));
		if (p->svc != NULL && p->svc->tunnel_ssl)
			wbuf_puts(w, "ssl|");
		textesc_grep(w, output_nmap_service(p));
		wbuf_puts(w, "//");
		if (p->svc != NULL) {
			char version[256];

			/* nmap's version field keeps its parentheses. */
			output_svc_version(p->svc, version, sizeof(version));
			textesc_bytes(w, TEXTESC_GREP_VERSION, version,
			    strlen(version));
		}
		wbuf_puts(w, "/");
	}
	if (nex == 1)
		wbuf_printf(w, "\tIgnored State: %s (%u)",
		    state_name(ex[0].state), ex[0].count);
	wbuf_putc(w, '\n');
}

static void
grep_host(struct wbuf *w, const struct out_host *h)
{
	if (h->nnames == 0)
		grep_lines(w, h, h->ptr);
	for (size_t i = 0; i < h->nnames; i++)
		grep_lines(w, h, h->names[i]);
}

static void
grep_end(struct wbuf *w, const struct out_stats *st)
{
	char when[OUTPUT_TIMESTR_SIZE];
	uint64_t total = st->hosts > st->hosts_up ? st->hosts : st->hosts_up;

	output_timestr(time(NULL), when);
	if (st->interrupted)
		wbuf_puts(w, "# trawl was interrupted: the scan is not "
		    "complete\n");
	else if (st->failed != NULL)
		wbuf_printf(w, "# trawl stopped (%s): the scan is not "
		    "complete\n", st->failed);
	wbuf_printf(w, "# trawl done at %s -- %llu IP address%s (%llu host%s "
	    "up) scanned in %.2f seconds\n", when, (unsigned long long)total,
	    total == 1 ? "" : "es", (unsigned long long)st->hosts_up,
	    st->hosts_up == 1 ? "" : "s", st->elapsed_s);
}

static void
grep_unresolved(struct wbuf *w, const struct out_run *run, const char *name,
    const char *why)
{
	(void)run;
	/* A comment: nmap's lines have no place for a host without address. */
	wbuf_puts(w, "# ");
	textesc_text(w, name);
	wbuf_printf(w, ": unresolved (%s)\n", why);
}

/* A comment, as nmap's readers skip them: "# Change: + 192.0.2.9 ...". */
static void
grep_change(struct wbuf *w, const struct out_change *c, bool first)
{
	(void)first;
	wbuf_puts(w, "# Change: ");
	output_change_line(w, c, textesc_text);
	wbuf_putc(w, '\n');
}

const struct out_format out_grep = {
	.name = "grep",
	.states = STATE_ALL,
	.nmap_picture = true,
	.begin = grep_begin,
	.host = grep_host,
	.end = grep_end,
	.unresolved = grep_unresolved,
	.change = grep_change,
};
