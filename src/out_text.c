/*
 * Text for people: one block per host that has something to show, its name
 * and address on top, one port a line under it.  The same shape reads well
 * for one host and for ten thousand (grep for a port, or for a host line).
 */
#include <stdio.h>
#include <string.h>

#include "trawl/output.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static void
text_begin(struct wbuf *w, const struct out_run *run)
{
	(void)w;
	(void)run;
}

static void
text_host(struct wbuf *w, const struct out_host *h)
{
	if (h->nports == 0)
		return;
	for (size_t i = 0; i < h->nnames; i++) {
		if (i > 0)
			wbuf_puts(w, ", ");
		textesc_text(w, h->names[i]);
	}
	if (h->nnames > 0)
		wbuf_printf(w, " (%s)\n", h->addr);
	else
		wbuf_printf(w, "%s\n", h->addr);
	for (size_t i = 0; i < h->nports; i++) {
		const struct out_port *p = &h->ports[i];
		char port[16];

		snprintf(port, sizeof(port), "%u/tcp", p->port);
		wbuf_printf(w, "  %-9s %s", port, state_name(p->state));
		if (p->service != NULL) {
			/*
			 * The state column is 8 wide like nmap's; the one
			 * longer name, unreachable, keeps a single space.
			 */
			int pad = 8 - (int)strlen(state_name(p->state));

			wbuf_printf(w, "%*s", pad < 1 ? 1 : pad, "");
			textesc_text(w, p->service);
		}
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
	if (first)
		wbuf_puts(w, "Changes since the last run:\n");
	output_change_line(w, c, textesc_text);
	wbuf_putc(w, '\n');
}

const struct out_format out_text = {
	.name = "text",
	.begin = text_begin,
	.host = text_host,
	.end = text_end,
	.change = text_change,
};
