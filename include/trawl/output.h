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
struct svc;
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
	/* XML: the stylesheet's address (nmap.xsl), or NULL for none. */
	const char *stylesheet;
	/* PTR names are asked for (--rdns): CSV has a column for them. */
	bool rdns;
	/* What answers is asked for (--banners): CSV has columns for it. */
	bool banners;
};

struct out_port {
	uint64_t rtt_ns;
	int err;		/* errno that decided it, 0 for open/silence */
	uint16_t port;
	uint8_t state;		/* enum state */
	const char *service;	/* NULL when the services database is silent */
	const struct svc *svc;	/* what answers (--banners), or NULL */
};

/*
 * The ports of a host in one state that are not listed (nmap's
 * <extraports>, "Not shown: 98 closed tcp ports"), and their reasons.
 */
#define OUT_REASONS 4
struct out_extra {
	uint8_t state;			/* enum state */
	uint32_t count;
	struct {
		const char *reason;	/* state_reason(): "conn-refused" */
		uint32_t count;
	} why[OUT_REASONS];		/* the most common first */
	size_t nwhy;
};

/*
 * A format that lists a state's ports only when a host has few of them
 * (nmap's formats) lists at most this many; more are one <extraports>.
 */
#define OUT_FEW 25

struct out_host {
	int family;
	const char *addr;			/* text form */
	const char *const *names;		/* names it was reached by */
	size_t nnames;
	const struct out_port *ports;		/* listed, ascending */
	size_t nports;
	/* Answered on some port (open or closed): nmap's "up". */
	bool up;
	time_t start, end;		/* its first and last result */
	/* Its answers' round trips (RFC 6298's estimator); 0: none. */
	uint64_t srtt_ns, rttvar_ns;
	/* The states not listed, most ports first; then by state. */
	const struct out_extra *extra;
	size_t nextra;
	/*
	 * Its PTR name (--rdns), a host name (dns.h: dns_ptr_name_clean()),
	 * or NULL; rdns: PTR names were asked for, so that CSV writes the
	 * column even when this host has none.
	 */
	const char *ptr;
	bool rdns;
	/* What answers was asked for (--banners): CSV's columns for it. */
	bool banners;
};

struct out_stats {
	uint64_t probes;
	uint64_t hosts;
	/*
	 * Hosts that answered on some port, open or closed: nmap's hosts
	 * up.  Filled in by collect_end().
	 */
	uint64_t hosts_up;
	uint64_t count[STATE_COUNT];
	double elapsed_s;
	int interrupted;		/* stopped by the user (a signal) */
	/* Stopped by an error, in a few words ("output failed"); or NULL. */
	const char *failed;
};

/* What changed since the last run (--baseline). */
enum out_change_kind {
	OUT_HOST_UP,		/* open ports now, none in the baseline */
	OUT_HOST_DOWN,		/* open ports in the baseline, none now */
	OUT_PORT_OPENED,	/* open now, not in the baseline */
	OUT_PORT_CLOSED,	/* in the baseline, not open now */
	/* Open in both runs, and both saw what answered (--banners): */
	OUT_SERVICE_CHANGED,	/* another service, product or version */
	OUT_CERT_CHANGED,	/* another TLS certificate */
	/* This run's certificate expires within --cert-expiry DAYS. */
	OUT_CERT_EXPIRING,
};

/*
 * What answered on an open port, as a baseline keeps it from one run to
 * the next: the service identified and the TLS certificate, each half
 * there or not.  Strings are the server's text (svc.h), never empty:
 * NULL for what is not known.
 */
struct out_answer {
	const char *service;	/* nmap's name, "http"; NULL: no service */
	bool tunnel_ssl;	/* inside TLS */
	const char *product;	/* "nginx" */
	const char *version;	/* "1.24.0" */
	const char *sha256;	/* the certificate's; NULL: no certificate */
	int64_t not_after;	/* seconds since the epoch; 0: not known */
	const char *subject;	/* RFC 2253 */
};

struct out_change {
	enum out_change_kind kind;
	int family;
	const char *addr;			/* text form */
	uint16_t port;				/* 0 for a host */
	const char *const *names;		/* sorted, distinct */
	size_t nnames;
	/*
	 * OUT_SERVICE_CHANGED and OUT_CERT_CHANGED: what answered in the
	 * baseline and now; OUT_CERT_EXPIRING: now alone, and days_left
	 * (output_days_left(), negative once expired).  NULL otherwise.
	 */
	const struct out_answer *was, *now;
	long long days_left;
};

struct out_format {
	const char *name;
	/* The states it lists when --states is not given (STATE_BIT()s). */
	unsigned states;
	/*
	 * nmap's picture: a host that answered is shown even with nothing
	 * listed, and a state other than open with more than OUT_FEW ports
	 * on a host is not listed but counted (out_host.extra).  Otherwise
	 * every port in a listed state is listed, and a host with none is
	 * not shown.
	 */
	bool nmap_picture;
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
	 * "dns-error"); run as begin got it (CSV: the ptr column), may be
	 * NULL.  NULL: the format has no way to say it.
	 */
	void (*unresolved)(struct wbuf *w, const struct out_run *run,
	    const char *name, const char *why);
	/*
	 * A change since the last run, after every host and before end;
	 * first: the run's first.  NULL: the format has no place for changes
	 * (NDJSON and CSV, whose every record is a result).  Which outputs
	 * get them: output_carries_changes().
	 */
	void (*change)(struct wbuf *w, const struct out_change *c, bool first);
	/*
	 * Change records and nothing else (the changes format): it lists no
	 * host, and while the run has an output of it, no other output gets
	 * a change, so that a results file holds results only.
	 */
	bool changes_only;
};

/* NULL for an unknown name. */
const struct out_format *output_find(const char *name);
/* "text, ndjson, ...": for messages and --help. */
const char *output_names(void);
/*
 * Whether an output of fmt gets the changes since the last run, in a run
 * with an output of the changes format (changes_output) or without one.
 * With one, the changes go there alone; without, to the formats that show
 * them as notes beside the results (text, grepable, XML).  Never to NDJSON
 * or CSV: a program reading results must not meet a record of another kind.
 */
bool output_carries_changes(const struct out_format *fmt,
    bool changes_output);
/*
 * "host-up", "host-down", "port-opened", "port-closed", "service-changed",
 * "cert-changed", "cert-expiring".
 */
const char *output_change_name(enum out_change_kind kind);
/*
 * A change as one line for people, names escaped with esc, no newline:
 *	+ host 192.0.2.9 (www.example.com) up
 *	+ 192.0.2.9 (www.example.com) port 443/tcp open
 *	- 192.0.2.4 port 22/tcp no longer open
 *	- host 192.0.2.4 down
 *	~ 192.0.2.9 port 8080/tcp service nginx 1.22.1 -> nginx 1.24.0
 *	~ 192.0.2.9 port 443/tcp certificate replaced (not after
 *	    2026-12-12 -> 2027-03-01)
 *	! 192.0.2.9 port 443/tcp certificate expires in 4 days (not after
 *	    2026-12-12, CN=www.example.com)
 * Server text (product, version, subject) is escaped with esc too.
 */
void output_change_line(struct wbuf *w, const struct out_change *c,
    void (*esc)(struct wbuf *w, const char *s));

/*
 * For the formats of one record per port and name (NDJSON, CSV): row for
 * each reported port of h, in order, once per name it was reached by, or
 * once with name NULL for a host reached by address.
 */
typedef void out_row_fn(struct wbuf *w, const struct out_host *h,
    const char *name, const struct out_port *p);
void output_rows(struct wbuf *w, const struct out_host *h, out_row_fn *row);

/*
 * For nmap's formats, which know no "unreachable" (they call it filtered):
 * h's extra states with unreachable counted as filtered, most ports first.
 * The count of out[].
 */
/* Sort extras as nmap lists them: the biggest count first, then by state. */
void output_sort_extra(struct out_extra *e, size_t n);
size_t output_nmap_extra(const struct out_host *h,
    struct out_extra out[STATE_COUNT]);
/*
 * nmap's stylesheet, nmap.xsl, as a file: URL where nmap installed it;
 * NULL when it is nowhere to be found.
 */
const char *output_stylesheet(void);
/*
 * A port's service name as nmap's formats say it: what answered on it
 * (--banners), else the table's; "unknown" for none.
 */
const char *output_nmap_service(const struct out_port *p);
/* For the JSON formats: ,"key":"value", nothing for NULL or "". */
void output_json_field(struct wbuf *w, const char *key, const char *value);
/* Whether that name came from what answered (nmap's method="probed"). */
bool output_probed(const struct out_port *p);
/* nmap's VERSION column: "OpenSSH 9.2p1 (protocol 2.0)"; "" for none. */
void output_svc_version(const struct svc *s, char *buf, size_t size);
/* A certificate's time as ISO 8601 in UTC: "2026-12-12T00:00:00Z". */
#define OUTPUT_ISOTIME_SIZE 32
void output_isotime(int64_t t, char buf[OUTPUT_ISOTIME_SIZE]);
/* Whole days from now to not_after; negative once it has passed. */
long long output_days_left(int64_t not_after, time_t now);

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
extern const struct out_format out_changes;

#endif
