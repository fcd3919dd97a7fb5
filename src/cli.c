/*
 * The command line, and the --config file, to a run configuration
 * (runconf.h).  Every mistake gets one line naming the word that is wrong,
 * and exit status 2; nothing is half-applied.
 *
 * Every option is one row of the table below (opttab.h): its names, its
 * value, its help text and how it is parsed.  getopt_long()'s arrays,
 * --help, the keys a config file may use and the man page's check
 * (tests/man_options.py reads --help) all come from it, so an option is
 * added in one place: a row, and a parser when no common kind fits.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "trawl/config.h"
#include "trawl/dns.h"
#include "trawl/log.h"
#include "trawl/names.h"
#include "trawl/num.h"
#include "trawl/opttab.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/shard.h"
#include "trawl/state.h"

#define DEFAULT_CONCURRENCY 1024
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 1
#define DEFAULT_TOP_PORTS 100
/* A minute of a sweep at most is lost to a crash; its cost does not show. */
#define DEFAULT_CHECKPOINT_S 60
/* grab.h: GRAB_TIMEOUT_MS, spelled for --help. */
#define DEFAULT_BANNER_TIMEOUT_MS 5000

/* For the defaults in the help text, from the numbers themselves. */
#define STR(x) STR_(x)
#define STR_(x) #x

struct cli {
	struct runconf rc;

	struct ports *ports;
	struct opttab_list excludes, exclude_files, input_files, resolvers,
	    domains, output_args;
	struct runconf_output *outputs;
	const struct out_format *format;	/* -f: for -o FILE and stdout */
	unsigned top;				/* --top-ports */
	bool ports_given, ports_from_config;
	unsigned shards_env;			/* --shards N */
	unsigned banner_timeout;		/* 0: not given */

	/* The config file: its words come before argv's. */
	const char *config;
	struct config_args config_args;
	bool in_config;			/* getopt is in the config's words */
	char **words;
	char *args;			/* argv joined, for outputs */
};

/* --- the parsers the table names ---------------------------------------- */

/* Each gets the struct cli as obj, its row, and the value (NULL: none). */
#define PARSER(name) \
	static int name(void *obj, const struct opttab_opt *o, const char *arg)

PARSER(parse_ports)
{
	struct cli *c = obj;
	char err[256];

	(void)o;
	/* The command line's ports replace the config's. */
	if (c->ports_from_config && !c->in_config) {
		ports_free(c->ports);
		if ((c->ports = ports_new()) == NULL)
			return OPTTAB_NOMEM;
		c->ports_from_config = false;
	}
	c->ports_from_config |= c->in_config;
	if (ports_parse(c->ports, arg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return OPTTAB_USAGE;
	}
	c->ports_given = true;
	return 0;
}

PARSER(parse_family)
{
	struct cli *c = obj;
	int family = o->letter == '4' ? AF_INET : AF_INET6;

	(void)arg;
	/* Both would scan nothing: the last one must not win. */
	if (c->rc.targets.family != AF_UNSPEC &&
	    c->rc.targets.family != family) {
		log_error("-4 and -6 exclude each other");
		return OPTTAB_USAGE;
	}
	c->rc.targets.family = family;
	return 0;
}

PARSER(parse_subdomains)
{
	struct cli *c = obj;
	char clean[NAMES_BUFSIZE];

	if (names_clean(arg, strlen(arg), NULL, clean, sizeof(clean)) !=
	    NAMES_OK || strchr(clean, '.') == NULL) {
		log_error("bad domain '%s'", arg);
		return OPTTAB_USAGE;
	}
	return opttab_apply(&(struct opttab_opt){ .kind = OPTTAB_LIST,
	    .off = o->off }, c, arg);
}

PARSER(parse_resolver)
{
	struct dns_resolver res;
	char err[256];

	if (dns_resolver_parse(arg, &res, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return OPTTAB_USAGE;
	}
	return opttab_apply(&(struct opttab_opt){ .kind = OPTTAB_LIST,
	    .off = o->off }, obj, arg);
}

PARSER(parse_ct_url)
{
	struct cli *c = obj;

	(void)o;
	if (strncmp(arg, "http://", 7) != 0 &&
	    strncmp(arg, "https://", 8) != 0) {
		log_error("bad certificate log URL '%s' (http:// or https://)",
		    arg);
		return OPTTAB_USAGE;
	}
	c->rc.names.ct_url = arg;
	return 0;
}

PARSER(parse_order)
{
	struct cli *c = obj;

	(void)o;
	if (iter_order_parse(arg, &c->rc.work.order) != 0) {
		log_error("bad order '%s' (%s or %s)", arg,
		    iter_order_name(ITER_RANDOM),
		    iter_order_name(ITER_SEQUENTIAL));
		return OPTTAB_USAGE;
	}
	return 0;
}

PARSER(parse_seed)
{
	struct cli *c = obj;

	(void)o;
	if (num_parse_str(arg, 0, UINT64_MAX, &c->rc.work.seed) != 0) {
		log_error("bad seed '%s'", arg);
		return OPTTAB_USAGE;
	}
	c->rc.work.seed_given = true;
	return 0;
}

PARSER(parse_shard)
{
	struct cli *c = obj;
	char err[256];

	(void)o;
	if (shard_parse(arg, &c->rc.work.shard_i, &c->rc.work.shard_n, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return OPTTAB_USAGE;
	}
	return 0;
}

/* Given, the number of retries is fixed: the path changes nothing. */
PARSER(parse_retries)
{
	struct cli *c = obj;
	int rc = opttab_apply(&(struct opttab_opt){ .name = o->name,
	    .kind = OPTTAB_UINT, .off = offsetof(struct cli, rc.scan.retries),
	    .min = 0, .max = 10 }, c, arg);

	c->rc.scan.retries_fixed = rc == 0;
	return rc;
}

/* The one number too large for an unsigned. */
PARSER(parse_rate)
{
	struct cli *c = obj;

	if (num_parse_str(arg, o->min, o->max, &c->rc.scan.rate) != 0) {
		log_error("bad %s '%s' (%llu..%llu)", o->name, arg,
		    (unsigned long long)o->min, (unsigned long long)o->max);
		return OPTTAB_USAGE;
	}
	return 0;
}

PARSER(parse_format)
{
	struct cli *c = obj;

	(void)o;
	if ((c->format = output_find(arg)) == NULL) {
		log_error("bad format '%s' (%s)", arg, output_names());
		return OPTTAB_USAGE;
	}
	return 0;
}

PARSER(parse_states)
{
	struct cli *c = obj;
	char err[256];

	(void)o;
	if (state_parse_list(arg, &c->rc.report, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return OPTTAB_USAGE;
	}
	return 0;
}

PARSER(parse_progress)
{
	struct cli *c = obj;

	(void)arg;
	c->rc.progress = strcmp(o->name, "progress") == 0;
	return 0;
}

static const char *
expand(const char *word)
{
	return strcmp(word, "formats") == 0 ? output_names() : word;
}

static const struct opttab *table(void);

PARSER(parse_help)
{
	(void)obj;
	(void)o;
	(void)arg;
	printf(
"usage: trawl [-46hqV] [-c N] [-f FORMAT] [-i FILE] [-o FILE] [-p PORTS]\n"
"             [-T N] [-t MS] [-x LIST] [long options] [TARGET...]\n"
"\n"
"Find the open TCP ports of many hosts with non-blocking connect().\n"
"\n"
"Targets: 192.0.2.1  2001:db8::1  192.0.2.0/24  2001:db8::/120\n"
"         192.0.2.1-192.0.2.99  192.0.2.1-99  host.example.com\n"
"\n");
	opttab_usage(table(), stdout, expand);
	printf("\nScan only hosts you are allowed to scan.  See trawl(1).\n");
	return OPTTAB_DONE;
}

PARSER(parse_version)
{
	(void)obj;
	(void)o;
	(void)arg;
	printf("trawl %s\n", TRAWL_VERSION);
	return OPTTAB_DONE;
}

/* Read before the parse (config_merge()). */
PARSER(parse_config)
{
	(void)obj;
	(void)o;
	(void)arg;
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define AT(field) offsetof(struct cli, field)
/* Rows by kind: section, long name, letter, value, help, and the rest. */
#define FLAG(sec, name, letter, field, help) \
	{ sec, name, letter, NULL, help, OPTTAB_FLAG, AT(field), 0, 0, NULL }
#define UINT(sec, name, letter, arg, field, min, max, help) \
	{ sec, name, letter, arg, help, OPTTAB_UINT, AT(field), min, max, NULL }
#define STRING(sec, name, letter, arg, field, help) \
	{ sec, name, letter, arg, help, OPTTAB_STR, AT(field), 0, 0, NULL }
#define LIST(sec, name, letter, arg, field, help) \
	{ sec, name, letter, arg, help, OPTTAB_LIST, AT(field), 0, 0, NULL }
#define FN(sec, name, letter, arg, fn, help) \
	{ sec, name, letter, arg, help, OPTTAB_FN, 0, 0, 0, fn }

static const struct opttab_opt opts[] = {
	FN("Ports", "ports", 'p', "LIST", parse_ports,
	    "ports to scan: 22,80,8000-8100  -1024  60000-  - or all"),
	UINT(NULL, "top-ports", 0, "N", top, 1, PORTS_TOP_MAX,
	    "the N most common ports, 1..1000 (default "
	    STR(DEFAULT_TOP_PORTS) ")"),
	LIST("Targets", "input-file", 'i', "FILE", input_files,
	    "read targets from FILE, one a line (- for stdin)"),
	LIST(NULL, "exclude", 'x', "LIST", excludes,
	    "never touch these addresses, CIDRs or ranges"),
	LIST(NULL, "exclude-file", 0, "FILE", exclude_files,
	    "exclusions from FILE, one a line"),
	FN(NULL, NULL, '4', NULL, parse_family, "IPv4 addresses only"),
	FN(NULL, NULL, '6', NULL, parse_family, "IPv6 addresses only"),
	{ "Names", "subdomains", 0, "DOMAIN",
	    "find names under DOMAIN (certificate logs, and\n"
	    "--wordlist) and scan them; repeatable",
	    OPTTAB_FN, AT(domains), 0, 0, parse_subdomains },
	STRING(NULL, "wordlist", 0, "FILE", rc.names.wordlist,
	    "also try WORD.DOMAIN for each word of FILE"),
	FN(NULL, "ct-url", 0, "URL", parse_ct_url,
	    "certificate log server (default https://crt.sh/)"),
	FLAG(NULL, "list-names", 0, rc.names.list_names,
	    "print the names resolved and their addresses, exit"),
	{ NULL, "resolver", 0, "ADDR[:PORT]",
	    "DNS server to ask (repeatable; default\n/etc/resolv.conf)",
	    OPTTAB_FN, AT(resolvers), 0, 0, parse_resolver },
	UINT(NULL, "dns-concurrency", 0, "N", rc.names.dns.concurrency,
	    1, 100000, "names (and --rdns PTR names) resolved at once\n"
	    "(default " STR(DNS_DEFAULT_CONCURRENCY) ")"),
	FLAG(NULL, "rdns", 0, rc.names.rdns,
	    "the PTR name of each host with open ports,\n"
	    "asked during the scan (of --resolver's servers)"),
	FN("Order and shards", "order", 0, "ORDER", parse_order,
	    "random (default) or sequential"),
	FN(NULL, "seed", 0, "N", parse_seed,
	    "seed of the random order, for a reproducible one"),
	FN(NULL, "shard", 0, "I/N", parse_shard,
	    "scan slice I of N of the whole space"),
	UINT(NULL, "shards", 0, "N", shards_env, 1, 1000000,
	    "N slices; I from JOB_COMPLETION_INDEX (Kubernetes)\n"
	    "or SLURM_ARRAY_TASK_ID (Slurm)"),
	FLAG(NULL, "dry-run", 0, rc.work.dry_run,
	    "print the number of probes and exit"),
	UINT("Speed", "concurrency", 'c', "N", rc.scan.concurrency, 1, 1000000,
	    "sockets in flight at most (default " STR(DEFAULT_CONCURRENCY)
	    ")"),
	UINT(NULL, "host-concurrency", 0, "N", rc.scan.host_concurrency,
	    1, 1000000, "sockets in flight to one address at most"),
	{ NULL, "rate", 0, "N", "connection attempts per second at most",
	    OPTTAB_FN, 0, 1, 100000000, parse_rate },
	UINT(NULL, "threads", 'T', "N", rc.threads, 1, 1024,
	    "reactors, one per thread (default: one per CPU)"),
	UINT(NULL, "timeout", 't', "MS", rc.scan.timeout_ms, 1, 3600000,
	    "longest wait for a connect attempt, milliseconds\n(default "
	    STR(DEFAULT_TIMEOUT_MS) "; shorter as the round trips allow)"),
	FN(NULL, "retries", 0, "N", parse_retries,
	    "extra attempts when no answer came (default "
	    STR(DEFAULT_RETRIES) ",\nmore when the path loses packets)"),
	FLAG("Services", "banners", 0, rc.scan.banners,
	    "what answers on each open port: its greeting,\n"
	    "HTTP head, TLS certificate; service, product, version"),
	UINT(NULL, "banner-timeout", 0, "MS", banner_timeout, 100, 600000,
	    "longest time for one port's --banners, milliseconds\n"
	    "(default " STR(DEFAULT_BANNER_TIMEOUT_MS) ")"),
	UINT(NULL, "cert-expiry", 0, "DAYS", rc.cert_expiry, 1, 36500,
	    "a change for each certificate --banners finds that\n"
	    "expires within DAYS (or has expired)"),
	FN("Output", "format", 'f', "FORMAT", parse_format,
	    "{formats} (default text;\n"
	    "changes: only what --baseline found changed)"),
	LIST(NULL, "output", 'o', "[FORMAT:]FILE", output_args,
	    "write results to FILE (- for standard output);\n"
	    "repeatable, each in its own format"),
	FN(NULL, "states", 0, "LIST", parse_states,
	    "states to report: open,closed,filtered,unreachable,\n"
	    "unresolved or all (default open; xml and grep: all,\n"
	    "as nmap shows them)"),
	STRING(NULL, "stylesheet", 0, "URL", rc.stylesheet,
	    "xml: the stylesheet to show it with (default\n"
	    "nmap.xsl where it is installed)"),
	FLAG(NULL, "no-stylesheet", 0, rc.no_stylesheet,
	    "xml: no stylesheet"),
	FN(NULL, "progress", 0, NULL, parse_progress,
	    "live progress line on stderr (default on a terminal)"),
	FN(NULL, "no-progress", 0, NULL, parse_progress,
	    "no live progress line"),
	UINT(NULL, "stats-every", 0, "SECONDS", rc.stats_every, 1, 86400,
	    "a plain progress line at this interval"),
	FLAG(NULL, "quiet", 'q', rc.quiet, "no summary line and no warnings"),
	STRING("Changes since the last run", "baseline", 0, "FILE",
	    rc.baseline, "report what changed since the results in FILE,\n"
	    "then keep this run's results there; the changes go\n"
	    "to -o changes:FILE when given, else after the text,\n"
	    "grep and xml results"),
	FLAG(NULL, "fail-on-change", 0, rc.fail_on_change,
	    "exit 3 when something changed, or a certificate\n"
	    "expires (--cert-expiry)"),
	FN("Configuration", "config", 0, "FILE", parse_config,
	    "read long options from FILE, NAME = VALUE a line;\n"
	    "the command line wins"),
	STRING("Interruption", "resume", 0, "FILE", rc.work.resume,
	    "continue the scan saved in FILE; save it there when\n"
	    "interrupted (default file: trawl.resume)"),
	UINT(NULL, "checkpoint", 0, "SECONDS", rc.work.checkpoint_s, 0, 86400,
	    "with --resume, also save the scan every SECONDS\n"
	    "(default " STR(DEFAULT_CHECKPOINT_S) "; 0: only when stopped)"),
	FN(NULL, "help", 'h', NULL, parse_help, "this text"),
	FN(NULL, "version", 'V', NULL, parse_version, "the version"),
};

static struct opttab tab;

static const struct opttab *
table(void)
{
	return &tab;
}

/* --- the config file ------------------------------------------------------- */

/*
 * Put the words of the --config file before the command line's, so that
 * getopt_long() reads both the same way and the command line comes last:
 * for an option given once the command line wins, repeatable ones add up.
 * Every spelling of --config that the command line takes reads the file
 * ("--conf FILE"), and a word that is another option's value ("-o
 * --config") is not taken for it.  In the file, names are spelled in full
 * (getopt would take "thr" for "threads").
 */
static enum cli_result
config_merge(struct cli *c, int *argc, char ***argv)
{
	const struct opttab_opt *config = opttab_named(&tab, "config", 6);
	struct config_args *a = &c->config_args;
	char err[512], **words;

	switch (opttab_find(&tab, *argc, *argv, config, &c->config, 1)) {
	case 0:
		return CLI_RUN;
	case 1:
		break;
	default:
		log_error("--config given twice");
		return CLI_USAGE;
	}
	if (config_load(c->config, a, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < a->argc; i++) {
		if (opttab_check_word(&tab, a->argv[i], config, err,
		    sizeof(err)) != 0) {
			log_error("%s:%zu: %s", c->config, a->lines[i], err);
			return CLI_USAGE;
		}
	}
	words = calloc((size_t)*argc + a->argc + 1, sizeof(*words));
	if (words == NULL)
		return CLI_FAIL;
	words[0] = (*argv)[0];
	for (size_t i = 0; i < a->argc; i++)
		words[1 + i] = a->argv[i];
	for (int i = 1; i < *argc; i++)
		words[a->argc + (size_t)i] = (*argv)[i];
	c->words = words;
	*argc += (int)a->argc;
	*argv = words;
	return CLI_RUN;
}

/* --- after the options ------------------------------------------------------ */

/*
 * -o [FORMAT:]FILE words to outputs, once -f is known wherever it was
 * given.  A prefix is a format only when it names one, so "./a:b" is a
 * file.
 */
static enum cli_result
outputs_resolve(struct cli *c)
{
	size_t n = c->output_args.n > 0 ? c->output_args.n : 1;

	if ((c->outputs = calloc(n, sizeof(*c->outputs))) == NULL)
		return CLI_FAIL;
	c->rc.outputs = c->outputs;
	c->rc.noutputs = n;
	if (c->output_args.n == 0) {
		c->outputs[0].format = c->format;
		c->outputs[0].path = "-";
		return CLI_RUN;
	}
	for (size_t i = 0; i < n; i++) {
		const char *arg = c->output_args.v[i], *colon = strchr(arg, ':');
		struct runconf_output *o = &c->outputs[i];
		char name[16];

		o->format = c->format;
		o->path = arg;
		if (colon != NULL && (size_t)(colon - arg) < sizeof(name)) {
			memcpy(name, arg, (size_t)(colon - arg));
			name[colon - arg] = '\0';
			if (output_find(name) != NULL) {
				o->format = output_find(name);
				o->path = colon + 1;
			}
		}
		if (o->path[0] == '\0') {
			log_error("bad output '%s': no file name", arg);
			return CLI_USAGE;
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(c->outputs[k].path, o->path) == 0) {
				log_error("output '%s' given twice", o->path);
				return CLI_USAGE;
			}
		}
	}
	return CLI_RUN;
}

/*
 * Changes are against the last run's results: an output of them without
 * --baseline would be empty for good, which is a mistake to say at once
 * (unless the certificates expiring are asked for: they are changes too).
 */
static enum cli_result
changes_need_baseline(const struct cli *c)
{
	if (c->rc.baseline != NULL || c->rc.cert_expiry > 0)
		return CLI_RUN;
	for (size_t i = 0; i < c->rc.noutputs; i++) {
		const struct runconf_output *o = &c->outputs[i];

		if (!o->format->changes_only)
			continue;
		if (c->output_args.n > 0 && o->format != c->format)
			log_error("-o %s needs --baseline FILE, the last run "
			    "to compare with", c->output_args.v[i]);
		else
			log_error("-f %s needs --baseline FILE, the last run "
			    "to compare with", o->format->name);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

/* What no single option can check, and the run configuration. */
static enum cli_result
finish(struct cli *c, int argc, char **argv)
{
	struct runconf *rc = &c->rc;
	enum cli_result r;
	char err[256];

	if (optind == argc && c->input_files.n == 0 && c->domains.n == 0) {
		log_error("no target given (see trawl --help)");
		return CLI_USAGE;
	}
	if (rc->fail_on_change && rc->baseline == NULL &&
	    rc->cert_expiry == 0) {
		log_error("--fail-on-change needs --baseline FILE or "
		    "--cert-expiry DAYS");
		return CLI_USAGE;
	}
	if (c->banner_timeout > 0 && !rc->scan.banners) {
		log_error("--banner-timeout needs --banners");
		return CLI_USAGE;
	}
	/* The certificates are what --banners finds: none without it. */
	if (rc->cert_expiry > 0 && !rc->scan.banners) {
		log_error("--cert-expiry needs --banners");
		return CLI_USAGE;
	}
	rc->scan.banner_timeout_ms = c->banner_timeout > 0 ?
	    c->banner_timeout : DEFAULT_BANNER_TIMEOUT_MS;
	if (rc->names.wordlist != NULL && c->domains.n == 0) {
		log_error("--wordlist needs --subdomains DOMAIN");
		return CLI_USAGE;
	}
	if (c->shards_env > 0) {
		if (rc->work.shard_n > 0 && rc->work.shard_n != c->shards_env) {
			log_error("--shard %u/%u disagrees with --shards %u",
			    rc->work.shard_i, rc->work.shard_n, c->shards_env);
			return CLI_USAGE;
		}
		if (rc->work.shard_n == 0) {
			if (shard_from_env(c->shards_env, &rc->work.shard_i,
			    err, sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			rc->work.shard_n = c->shards_env;
		}
	}
	if (rc->work.shard_n == 0)
		rc->work.shard_i = rc->work.shard_n = 1;
	/* --top-ports adds to -p; with neither, the 100 most common. */
	if (c->top == 0 && !c->ports_given)
		c->top = DEFAULT_TOP_PORTS;
	if (c->top > 0 && ports_add_top(c->ports, c->top, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return CLI_USAGE;
	}
	rc->ports = c->ports;
	rc->targets.words = (const char *const *)argv + optind;
	rc->targets.nwords = (size_t)(argc - optind);
	rc->targets.files = c->input_files.v;
	rc->targets.nfiles = c->input_files.n;
	rc->targets.excludes = c->excludes.v;
	rc->targets.nexcludes = c->excludes.n;
	rc->targets.exclude_files = c->exclude_files.v;
	rc->targets.nexclude_files = c->exclude_files.n;
	rc->names.domains = c->domains.v;
	rc->names.ndomains = c->domains.n;
	rc->names.dns.family = rc->targets.family;
	rc->names.dns.resolvers = c->resolvers.v;
	rc->names.dns.nresolvers = c->resolvers.n;
	if ((r = outputs_resolve(c)) != CLI_RUN)
		return r;
	return changes_need_baseline(c);
}

/* argv as one string, words separated by blanks; NULL without memory. */
static char *
join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	*p = '\0';
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		memcpy(p, argv[i], n);
		p += n;
		*p++ = i + 1 < argc ? ' ' : '\0';
	}
	return s;
}

static enum cli_result
parse(struct cli *c, int argc, char **argv)
{
	/* Static: log.c keeps a pointer to it until the parse is over. */
	static char where[300];
	const struct opttab_opt *o;
	const char *arg;
	enum cli_result r;
	int rc;

	if ((r = config_merge(c, &argc, &argv)) != CLI_RUN)
		return r;
	optind = 1;
	for (;;) {
		/*
		 * The config's words come first and one word each: while
		 * getopt is in them, messages say which line.
		 */
		c->in_config = c->config != NULL && optind >= 1 &&
		    (size_t)optind <= c->config_args.argc;
		if (c->in_config) {
			snprintf(where, sizeof(where), "%s:%zu", c->config,
			    c->config_args.lines[optind - 1]);
			log_set_context(where);
		} else {
			log_set_context(NULL);
		}
		if ((rc = opttab_next(&tab, argc, argv, &o, &arg)) == 0)
			break;
		if (rc == 1)
			rc = opttab_apply(o, c, arg);
		if (rc != 0)
			return rc == OPTTAB_DONE ? CLI_DONE :
			    rc == OPTTAB_NOMEM ? CLI_FAIL : CLI_USAGE;
	}
	log_set_context(NULL);
	return finish(c, argc, argv);
}

enum cli_result
cli_parse(int argc, char **argv, struct cli **out)
{
	struct cli *c = calloc(1, sizeof(*c));

	*out = c;
	if (c == NULL)
		return CLI_FAIL;
	c->rc.scan.concurrency = DEFAULT_CONCURRENCY;
	c->rc.scan.timeout_ms = DEFAULT_TIMEOUT_MS;
	c->rc.scan.retries = DEFAULT_RETRIES;
	c->rc.report = 0;	/* each format's own (output.h) */
	c->rc.targets.family = AF_UNSPEC;
	c->rc.work.order = ITER_RANDOM;
	c->rc.work.checkpoint_s = DEFAULT_CHECKPOINT_S;
	c->rc.progress = -1;
	c->rc.names.dns.hosts_file = true;
	c->format = &out_text;
	/* Before getopt permutes argv: the command line as typed. */
	c->args = join_args(argc, argv);
	c->rc.args = c->args;
	c->ports = ports_new();
	if (c->args == NULL || c->ports == NULL ||
	    (tab.opts == NULL && opttab_init(&tab, opts,
	    sizeof(opts) / sizeof(opts[0])) != 0))
		return CLI_FAIL;
	return parse(c, argc, argv);
}

const struct runconf *
cli_runconf(const struct cli *c)
{
	return &c->rc;
}

void
cli_free(struct cli *c)
{
	if (c == NULL)
		return;
	log_set_context(NULL);
	ports_free(c->ports);
	free(c->excludes.v);
	free(c->exclude_files.v);
	free(c->input_files.v);
	free(c->resolvers.v);
	free(c->domains.v);
	free(c->output_args.v);
	free(c->outputs);
	config_args_free(&c->config_args);
	free(c->words);
	free(c->args);
	free(c);
	opttab_free(&tab);
}
