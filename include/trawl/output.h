/*
 * Output formats.  A format is a table of functions that turn finished hosts
 * into bytes in a wbuf; it knows nothing of sockets or of the scan loop.
 * Results arrive a host at a time, when every probe of that host is done,
 * with the host's reported ports in ascending order.
 */
#ifndef TRAWL_OUTPUT_H
#define TRAWL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "trawl/state.h"

struct wbuf;

struct out_port {
	uint64_t rtt_ns;
	int err;		/* errno that decided it, 0 for open/silence */
	uint16_t port;
	uint8_t state;		/* enum state */
	const char *service;	/* NULL when the services database is silent */
};

struct out_host {
	int family;
	const char *addr;			/* text form */
	const char *const *names;		/* names it was reached by */
	size_t nnames;
	const struct out_port *ports;
	size_t nports;
};

struct out_stats {
	uint64_t probes;
	uint64_t hosts;
	uint64_t count[STATE_COUNT];
	double elapsed_s;
	int interrupted;
};

struct out_format {
	const char *name;
	void (*begin)(struct wbuf *w);
	void (*host)(struct wbuf *w, const struct out_host *h);
	void (*end)(struct wbuf *w, const struct out_stats *st);
	/*
	 * A name that gave no address, and why ("nxdomain", "no-address",
	 * "dns-error").  NULL: the format has no way to say it.
	 */
	void (*unresolved)(struct wbuf *w, const char *name, const char *why);
};

/* NULL for an unknown name. */
const struct out_format *output_find(const char *name);
/* "text, ndjson": for messages and --help. */
const char *output_names(void);

extern const struct out_format out_text;
extern const struct out_format out_ndjson;

#endif
