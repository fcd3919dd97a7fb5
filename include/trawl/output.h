/*
 * Output formats.  A format is a table of functions that turn finished hosts
 * into bytes in a wbuf; it knows nothing of sockets or of the scan loop.
 * Results arrive a host at a time, when every probe of that host is done,
 * with the host's reported ports in ascending order.
 */
#ifndef TRAWL_OUTPUT_H
#define TRAWL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "trawl/state.h"

struct ports;
struct wbuf;

/*
 * The run as a whole, for the headers of the formats that have one (nmap's
 * XML and grepable output).  A format given none says "trawl" for the
 * command line and takes the time it begins as the start.
 */
struct out_run {
	const char *args;		/* argv joined by spaces, as nmap's */
	time_t start;			/* wall clock: only ever shown */
	const char *version;		/* trawl's */
	const struct ports *ports;	/* the port table; NULL: not said */
	/*
	 * The output already holds the start of this scan (a resumed run adds
	 * to the output of the one it continues): no second header.
	 */
	bool appending;
};

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
	/*
	 * Hosts handed to the outputs, those with a reported port: nmap's
	 * hosts up, the ones it shows.  Filled in by collect_end().
	 */
	uint64_t hosts_up;
	uint64_t count[STATE_COUNT];
	double elapsed_s;
	int interrupted;		/* stopped by the user (a signal) */
	/* Stopped by an error, in a few words ("output failed"); or NULL. */
	const char *failed;
};

struct out_format {
	const char *name;
	/* run may be NULL. */
	void (*begin)(struct wbuf *w, const struct out_run *run);
	void (*host)(struct wbuf *w, const struct out_host *h);
	/*
	 * Called on every way out, a scan stopped by a signal too, so that
	 * what a format opened in begin is closed.
	 */
	void (*end)(struct wbuf *w, const struct out_stats *st);
	/*
	 * A name that gave no address, and why ("nxdomain", "no-address",
	 * "dns-error").  NULL: the format has no way to say it.
	 */
	void (*unresolved)(struct wbuf *w, const char *name, const char *why);
};

/* NULL for an unknown name. */
const struct out_format *output_find(const char *name);
/* "text, ndjson, ...": for messages and --help. */
const char *output_names(void);

/* For the formats: run's fields, or what to say without them. */
void output_run_fill(const struct out_run *run, struct out_run *out);
/* A time as nmap shows it, "Wed Nov 25 10:21:12 2026" (local time). */
#define OUTPUT_TIMESTR_SIZE 64
void output_timestr(time_t t, char buf[OUTPUT_TIMESTR_SIZE]);

extern const struct out_format out_text;
extern const struct out_format out_ndjson;
extern const struct out_format out_csv;
extern const struct out_format out_grep;
extern const struct out_format out_xml;

#endif
