/*
 * The configuration of one run: what to scan, in which order, how fast,
 * and where the results go.  cli.c builds it from the command line and
 * the --config file; each module of the program takes the part it needs,
 * never the whole, and none of them knows how the options were spelled.
 *
 * Strings and arrays belong to whoever built the configuration and live
 * as long as it does.
 */
#ifndef TRAWL_RUNCONF_H
#define TRAWL_RUNCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/dns.h"
#include "trawl/iter.h"
#include "trawl/scan.h"

struct out_format;
struct ports;

/* What to scan: targets.c turns it into the target space. */
struct runconf_targets {
	const char *const *words;	/* TARGET arguments */
	size_t nwords;
	const char *const *files;	/* -i: one target a line; "-" stdin */
	size_t nfiles;
	const char *const *excludes;	/* -x: comma-separated lists */
	size_t nexcludes;
	const char *const *exclude_files;
	size_t nexclude_files;
	int family;			/* AF_UNSPEC, AF_INET or AF_INET6 */
};

/* Names found before the scan (nameprep.c) and how names resolve. */
struct runconf_names {
	const char *const *domains;	/* --subdomains */
	size_t ndomains;
	const char *wordlist;		/* NULL: none */
	const char *ct_url;		/* NULL: crt.sh */
	bool list_names;		/* print them, scan nothing */
	bool rdns;			/* PTR names of hosts with open ports */
	struct dns_config dns;
};

/* Which positions of the scan order this run covers (work.c). */
struct runconf_work {
	enum iter_order order;
	uint64_t seed;
	bool seed_given;
	unsigned shard_i, shard_n;	/* 1/1: not sharded */
	const char *resume;		/* --resume FILE, or NULL */
	unsigned checkpoint_s;		/* with resume; 0: none */
	bool dry_run;
};

/* One -o [FORMAT:]FILE; path "-" is the standard output. */
struct runconf_output {
	const struct out_format *format;
	const char *path;
};

struct runconf {
	struct runconf_targets targets;
	const struct ports *ports;
	struct runconf_names names;
	struct runconf_work work;
	struct scan_config scan;	/* concurrency: as asked, before the
					   open file limit */
	unsigned threads;		/* 0: one per CPU */

	const struct runconf_output *outputs;	/* at least one */
	size_t noutputs;
	/* --states, STATE_BIT()s; 0: not given, each format's own. */
	unsigned report;
	bool quiet;
	int progress;			/* -1: on a terminal, 0 off, 1 on */
	unsigned stats_every;		/* seconds; 0: none */

	/* The XML's stylesheet: NULL for nmap.xsl where it is installed. */
	const char *stylesheet;
	bool no_stylesheet;

	const char *baseline;		/* --baseline FILE, or NULL */
	bool fail_on_change;
	/* --cert-expiry DAYS: certificates expiring are changes; 0: not. */
	unsigned cert_expiry;

	const char *args;		/* the command line, for outputs */
};

#endif
