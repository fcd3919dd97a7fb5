/*
 * The command line, and the --config file, to a run configuration
 * (runconf.h).  Every mistake gets one line naming the word that is wrong,
 * and exit status 2; nothing is half-applied.
 *
 * One table holds every option: its names, its value, its help text and
 * how it is parsed.  getopt_long()'s arrays, --help, the keys a config
 * file may use and the check of the man page (tests/man_options.py reads
 * --help) all come from it, so an option is added in one place: a row,
 * and a parser when none of the common kinds fits.
 */
#include <getopt.h>
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
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/shard.h"
#include "trawl/state.h"
#include "trawl/vec.h"

#define DEFAULT_CONCURRENCY 1024
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 1
#define DEFAULT_TOP_PORTS 100

/* For the defaults in the help text, from the numbers themselves. */
#define STR(x) STR_(x)
#define STR_(x) #x

/* A repeatable option's values, in the order given. */
struct strlist {
	const char **v;
	size_t n, cap;
};

struct cli {
	struct runconf rc;

	struct ports *ports;
	struct strlist excludes, exclude_files, input_files, resolvers,
	    domains, output_args;
	struct runconf_output *outputs;
	const struct out_format *format;	/* -f: for -o FILE and stdout */
	unsigned top;				/* --top-ports */
	bool ports_given, ports_from_config;
	bool four, six;
	unsigned shards_env;			/* --shards N */
	uint64_t rate;

	/* The config file: its words come before argv's. */
	const char *config;
	struct config_args config_args;
	bool in_config;			/* getopt is in the config's words */
	char **words;
	char *args;			/* argv joined, for outputs */
};

/* --- the table ------------------------------------------------------------ */

enum opt_kind {
	OPT_FLAG,	/* a bool at off, set */
	OPT_UINT,	/* an unsigned at off, min..max */
	OPT_STR,	/* a string at off; the last one given wins */
	OPT_LIST,	/* a struct strlist at off; every one kept */
	OPT_FN,		/* fn() */
};

struct opt {
	const char *section;	/* a help heading before this row */
	const char *name;
	int letter;		/* a short option, or 0 */
	const char *arg;	/* the value's name in --help; NULL: none */
	/* '\n' starts a line of its own; "{formats}" is output_names(). */
	const char *help;
	enum opt_kind kind;
	size_t off;		/* in struct cli */
	uint64_t min, max;
	int (*fn)(struct cli *c, const char *arg);
};

#define AT(field) offsetof(struct cli, field)

static int parse_ports(struct cli *c, const char *arg);
static int parse_family(struct cli *c, const char *arg);
static int parse_subdomains(struct cli *c, const char *arg);
static int parse_resolver(struct cli *c, const char *arg);
static int parse_ct_url(struct cli *c, const char *arg);
static int parse_order(struct cli *c, const char *arg);
static int parse_seed(struct cli *c, const char *arg);
static int parse_shard(struct cli *c, const char *arg);
static int parse_rate(struct cli *c, const char *arg);
static int parse_format(struct cli *c, const char *arg);
static int parse_states(struct cli *c, const char *arg);
static int parse_progress(struct cli *c, const char *arg);
static int parse_help(struct cli *c, const char *arg);
static int parse_version(struct cli *c, const char *arg);
static int parse_config(struct cli *c, const char *arg);

static const struct opt opts[] = {
	{ "Ports", "ports", 'p', "LIST",
	    "ports to scan: 22,80,8000-8100  -1024  60000-  - or all",
	    OPT_FN, 0, 0, 0, parse_ports },
	{ NULL, "top-ports", 0, "N",
	    "the N most common ports, 1..1000 (default "
	    STR(DEFAULT_TOP_PORTS) ")",
	    OPT_UINT, AT(top), 1, PORTS_TOP_MAX, NULL },
	{ "Targets", "input-file", 'i', "FILE",
	    "read targets from FILE, one a line (- for stdin)",
	    OPT_LIST, AT(input_files), 0, 0, NULL },
	{ NULL, "exclude", 'x', "LIST",
	    "never touch these addresses, CIDRs or ranges",
	    OPT_LIST, AT(excludes), 0, 0, NULL },
	{ NULL, "exclude-file", 0, "FILE", "exclusions from FILE, one a line",
	    OPT_LIST, AT(exclude_files), 0, 0, NULL },
	{ NULL, NULL, '4', NULL, "IPv4 addresses only",
	    OPT_FN, 0, 0, 0, parse_family },
	{ NULL, NULL, '6', NULL, "IPv6 addresses only",
	    OPT_FN, 0, 0, 0, parse_family },
	{ "Names", "subdomains", 0, "DOMAIN",
	    "find names under DOMAIN (certificate logs, and\n"
	    "--wordlist) and scan them; repeatable",
	    OPT_FN, 0, 0, 0, parse_subdomains },
	{ NULL, "wordlist", 0, "FILE",
	    "also try WORD.DOMAIN for each word of FILE",
	    OPT_STR, AT(rc.names.wordlist), 0, 0, NULL },
	{ NULL, "ct-url", 0, "URL",
	    "certificate log server (default https://crt.sh/)",
	    OPT_FN, 0, 0, 0, parse_ct_url },
	{ NULL, "list-names", 0, NULL,
	    "print the names resolved and their addresses, exit",
	    OPT_FLAG, AT(rc.names.list_names), 0, 0, NULL },
	{ NULL, "resolver", 0, "ADDR[:PORT]",
	    "DNS server to ask (repeatable; default\n/etc/resolv.conf)",
	    OPT_FN, 0, 0, 0, parse_resolver },
	{ NULL, "dns-concurrency", 0, "N",
	    "names resolved at once (default " STR(DNS_DEFAULT_CONCURRENCY)
	    ")",
	    OPT_UINT, AT(rc.names.dns.concurrency), 1, 100000, NULL },
	{ "Order and shards", "order", 0, "ORDER",
	    "random (default) or sequential",
	    OPT_FN, 0, 0, 0, parse_order },
	{ NULL, "seed", 0, "N",
	    "seed of the random order, for a reproducible one",
	    OPT_FN, 0, 0, 0, parse_seed },
	{ NULL, "shard", 0, "I/N", "scan slice I of N of the whole space",
	    OPT_FN, 0, 0, 0, parse_shard },
	{ NULL, "shards", 0, "N",
	    "N slices; I from JOB_COMPLETION_INDEX (Kubernetes)\n"
	    "or SLURM_ARRAY_TASK_ID (Slurm)",
	    OPT_UINT, AT(shards_env), 1, 1000000, NULL },
	{ NULL, "dry-run", 0, NULL, "print the number of probes and exit",
	    OPT_FLAG, AT(rc.work.dry_run), 0, 0, NULL },
	{ "Speed", "concurrency", 'c', "N",
	    "sockets in flight at most (default " STR(DEFAULT_CONCURRENCY)
	    ")",
	    OPT_UINT, AT(rc.scan.concurrency), 1, 1000000, NULL },
	{ NULL, "host-concurrency", 0, "N",
	    "sockets in flight to one address at most",
	    OPT_UINT, AT(rc.scan.host_concurrency), 1, 1000000, NULL },
	{ NULL, "rate", 0, "N", "connection attempts per second at most",
	    OPT_FN, 0, 0, 0, parse_rate },
	{ NULL, "threads", 'T', "N",
	    "reactors, one per thread (default: one per CPU)",
	    OPT_UINT, AT(rc.threads), 1, 1024, NULL },
	{ NULL, "timeout", 't', "MS",
	    "per connect attempt, milliseconds (default "
	    STR(DEFAULT_TIMEOUT_MS) ")",
	    OPT_UINT, AT(rc.scan.timeout_ms), 1, 3600000, NULL },
	{ NULL, "retries", 0, "N",
	    "extra attempts when no answer came (default "
	    STR(DEFAULT_RETRIES) ")",
	    OPT_UINT, AT(rc.scan.retries), 0, 10, NULL },
	{ "Output", "format", 'f', "FORMAT", "{formats} (default text)",
	    OPT_FN, 0, 0, 0, parse_format },
	{ NULL, "output", 'o', "[FORMAT:]FILE",
	    "write results to FILE (- for standard output);\n"
	    "repeatable, each in its own format",
	    OPT_LIST, AT(output_args), 0, 0, NULL },
	{ NULL, "states", 0, "LIST",
	    "states to report: open,closed,filtered,unreachable,\n"
	    "unresolved or all (default open)",
	    OPT_FN, 0, 0, 0, parse_states },
	{ NULL, "progress", 0, NULL,
	    "live progress line on stderr (default on a terminal)",
	    OPT_FN, 0, 0, 0, parse_progress },
	{ NULL, "no-progress", 0, NULL, "no live progress line",
	    OPT_FN, 0, 0, 0, parse_progress },
	{ NULL, "stats-every", 0, "SECONDS",
	    "a plain progress line at this interval",
	    OPT_UINT, AT(rc.stats_every), 1, 86400, NULL },
	{ NULL, "quiet", 'q', NULL, "no summary line and no warnings",
	    OPT_FLAG, AT(rc.quiet), 0, 0, NULL },
	{ "Changes since the last run", "baseline", 0, "FILE",
	    "report what changed since the results in FILE,\n"
	    "then keep this run's results there",
	    OPT_STR, AT(rc.baseline), 0, 0, NULL },
	{ NULL, "fail-on-change", 0, NULL, "exit 3 when something changed",
	    OPT_FLAG, AT(rc.fail_on_change), 0, 0, NULL },
	{ "Configuration", "config", 0, "FILE",
	    "read long options from FILE, NAME = VALUE a line;\n"
	    "the command line wins",
	    OPT_FN, 0, 0, 0, parse_config },
	{ "Interruption", "resume", 0, "FILE",
	    "continue the scan saved in FILE; save it there when\n"
	    "interrupted (default file: trawl.resume)",
	    OPT_STR, AT(rc.work.resume), 0, 0, NULL },
	{ NULL, "help", 'h', NULL, "this text",
	    OPT_FN, 0, 0, 0, parse_help },
	{ NULL, "version", 'V', NULL, "the version",
	    OPT_FN, 0, 0, 0, parse_version },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* getopt_long()'s value for a row: its letter, or one past every byte. */
static int
opt_val(const struct opt *o)
{
	return o->letter != 0 ? o->letter : 256 + (int)(o - opts);
}

static const struct opt *
opt_by_val(int val)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opt_val(&opts[i]) == val)
			return &opts[i];
	return NULL;
}

/* The row named exactly name[0..len), or NULL. */
static const struct opt *
opt_named(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].name != NULL && strlen(opts[i].name) == len &&
		    memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static struct option longopts[NOPTS + 1];
/* ':' first: a missing value is told apart from an unknown option. */
static char shortopts[1 + 2 * NOPTS + 1];

static void
getopt_tables(void)
{
	size_t nl = 0, ns = 0;

	shortopts[ns++] = ':';
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];

		if (o->name != NULL) {
			longopts[nl].name = o->name;
			longopts[nl].has_arg = o->arg != NULL ?
			    required_argument : no_argument;
			longopts[nl].flag = NULL;
			longopts[nl].val = opt_val(o);
			nl++;
		}
		if (o->letter != 0) {
			shortopts[ns++] = (char)o->letter;
			if (o->arg != NULL)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	shortopts[ns] = '\0';
}

/* --- --help, from the table ----------------------------------------------- */

#define HELP_COLUMN 26

static void
usage(FILE *f)
{
	fprintf(f,
"usage: trawl [-46hqV] [-c N] [-f FORMAT] [-i FILE] [-o FILE] [-p PORTS]\n"
"             [-T N] [-t MS] [-x LIST] [long options] [TARGET...]\n"
"\n"
"Find the open TCP ports of many hosts with non-blocking connect().\n"
"\n"
"Targets: 192.0.2.1  2001:db8::1  192.0.2.0/24  2001:db8::/120\n"
"         192.0.2.1-192.0.2.99  192.0.2.1-99  host.example.com\n"
"\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		const char *h = o->help;
		char left[64];
		int n;

		if (o->section != NULL)
			fprintf(f, "%s:\n", o->section);
		if (o->letter != 0 && o->name != NULL)
			n = snprintf(left, sizeof(left), "  -%c, --%s%s%s",
			    o->letter, o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		else if (o->letter != 0)
			n = snprintf(left, sizeof(left), "  -%c", o->letter);
		else
			n = snprintf(left, sizeof(left), "      --%s%s%s",
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		/* A long left side pushes the text over, two blanks on. */
		fprintf(f, "%s%*s", left, n < HELP_COLUMN ?
		    HELP_COLUMN - n : 2, "");
		for (; *h != '\0'; h++) {
			if (strncmp(h, "{formats}", 9) == 0) {
				fputs(output_names(), f);
				h += 8;
			} else if (*h == '\n') {
				fprintf(f, "\n%*s", HELP_COLUMN, "");
			} else {
				fputc(*h, f);
			}
		}
		fputc('\n', f);
	}
	fprintf(f, "\nScan only hosts you are allowed to scan.  "
	    "See trawl(1).\n");
}

/* --- the parsers the table names ------------------------------------------ */

/*
 * What a parser returns: 0, PARSE_USAGE (a usage error, said), PARSE_NOMEM
 * (out of memory, not said) or PARSE_DONE (--help and --version).
 */
#define PARSE_USAGE -1
#define PARSE_NOMEM -2
#define PARSE_DONE 1

static int
list_add(struct strlist *l, const char *s)
{
	const char **slot = VEC_PUSH(l->v, l->n, l->cap);

	if (slot == NULL)
		return PARSE_NOMEM;
	*slot = s;
	return 0;
}

static int
number(const char *what, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out)
{
	if (num_parse_str(arg, min, max, out) != 0) {
		log_error("bad %s '%s' (%llu..%llu)", what, arg,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int
parse_ports(struct cli *c, const char *arg)
{
	char err[256];

	/* The command line's ports replace the config's. */
	if (c->ports_from_config && !c->in_config) {
		ports_free(c->ports);
		if ((c->ports = ports_new()) == NULL)
			return PARSE_NOMEM;
		c->ports_from_config = false;
	}
	c->ports_from_config |= c->in_config;
	if (ports_parse(c->ports, arg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	c->ports_given = true;
	return 0;
}

static int
parse_family(struct cli *c, const char *arg)
{
	(void)arg;
	/* Both would scan nothing: the last one must not win. */
	if (c->four && c->six) {
		log_error("-4 and -6 exclude each other");
		return -1;
	}
	c->rc.targets.family = c->four ? AF_INET : AF_INET6;
	return 0;
}

static int
parse_subdomains(struct cli *c, const char *arg)
{
	char clean[NAMES_BUFSIZE];

	if (names_clean(arg, strlen(arg), NULL, clean, sizeof(clean)) !=
	    NAMES_OK || strchr(clean, '.') == NULL) {
		log_error("bad domain '%s'", arg);
		return -1;
	}
	return list_add(&c->domains, arg);
}

static int
parse_resolver(struct cli *c, const char *arg)
{
	struct dns_resolver res;
	char err[256];

	if (dns_resolver_parse(arg, &res, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return list_add(&c->resolvers, arg);
}

static int
parse_ct_url(struct cli *c, const char *arg)
{
	if (strncmp(arg, "http://", 7) != 0 &&
	    strncmp(arg, "https://", 8) != 0) {
		log_error("bad certificate log URL '%s' (http:// or https://)",
		    arg);
		return -1;
	}
	c->rc.names.ct_url = arg;
	return 0;
}

static int
parse_order(struct cli *c, const char *arg)
{
	if (iter_order_parse(arg, &c->rc.work.order) != 0) {
		log_error("bad order '%s' (%s or %s)", arg,
		    iter_order_name(ITER_RANDOM),
		    iter_order_name(ITER_SEQUENTIAL));
		return -1;
	}
	return 0;
}

static int
parse_seed(struct cli *c, const char *arg)
{
	if (num_parse_str(arg, 0, UINT64_MAX, &c->rc.work.seed) != 0) {
		log_error("bad seed '%s'", arg);
		return -1;
	}
	c->rc.work.seed_given = true;
	return 0;
}

static int
parse_shard(struct cli *c, const char *arg)
{
	char err[256];

	if (shard_parse(arg, &c->rc.work.shard_i, &c->rc.work.shard_n, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static int
parse_rate(struct cli *c, const char *arg)
{
	return number("rate", arg, 1, 100000000, &c->rc.scan.rate);
}

static int
parse_format(struct cli *c, const char *arg)
{
	if ((c->format = output_find(arg)) == NULL) {
		log_error("bad format '%s' (%s)", arg, output_names());
		return -1;
	}
	return 0;
}

static int
parse_states(struct cli *c, const char *arg)
{
	char err[256];

	if (state_parse_list(arg, &c->rc.report, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static int
parse_progress(struct cli *c, const char *arg)
{
	/* Which of the two: the caller put the row's name in arg. */
	c->rc.progress = strcmp(arg, "progress") == 0;
	return 0;
}

static int
parse_help(struct cli *c, const char *arg)
{
	(void)c;
	(void)arg;
	usage(stdout);
	return PARSE_DONE;
}

static int
parse_version(struct cli *c, const char *arg)
{
	(void)c;
	(void)arg;
	printf("trawl %s\n", TRAWL_VERSION);
	return PARSE_DONE;
}

static int
parse_config(struct cli *c, const char *arg)
{
	/* Read before the parse (config_merge()). */
	(void)c;
	(void)arg;
	return 0;
}

/* One option; what its parser returns. */
static int
apply(struct cli *c, const struct opt *o, const char *arg)
{
	uint64_t v;

	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)((char *)c + o->off) = true;
		return 0;
	case OPT_UINT:
		if (number(o->name, arg, o->min, o->max, &v) != 0)
			return -1;
		*(unsigned *)((char *)c + o->off) = (unsigned)v;
		return 0;
	case OPT_STR:
		*(const char **)((char *)c + o->off) = arg;
		return 0;
	case OPT_LIST:
		return list_add((struct strlist *)((char *)c + o->off), arg);
	case OPT_FN:
		if (o->letter == '4')
			c->four = true;
		else if (o->letter == '6')
			c->six = true;
		/* A flag's parser learns which row it is by its name. */
		return o->fn(c, o->arg != NULL ? arg : o->name);
	}
	return -1;
}

/* --- messages about options getopt_long() refused ------------------------- */

/* The word getopt_long() just refused, or "?". */
static const char *
refused_word(int argc, char **argv)
{
	return optind - 1 < argc && optind > 1 ? argv[optind - 1] : "?";
}

/* The option as the user typed it, for messages. */
static void
option_word(int argc, char **argv, char *buf, size_t len)
{
	const char *w = refused_word(argc, argv);

	if (optopt != 0 && (w[0] != '-' || w[1] != '-')) {
		snprintf(buf, len, "-%c", optopt);
		return;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(w, "="), w);
}

/*
 * getopt_long() returns the same '?' for an unknown name, an ambiguous
 * abbreviation and a value given to an option that takes none: tell them
 * apart for the user.
 */
static void
option_refused(int argc, char **argv)
{
	const char *w = refused_word(argc, argv), *name;
	const struct opt *match = NULL;
	char word[64], list[256] = "";
	size_t len;
	int n = 0;

	option_word(argc, argv, word, sizeof(word));
	if (strncmp(w, "--", 2) != 0 || w[2] == '\0' || w[2] == '=') {
		log_error("unknown option '%s' (see trawl --help)", word);
		return;
	}
	name = w + 2;
	len = strcspn(name, "=");
	if ((match = opt_named(name, len)) == NULL) {
		for (size_t i = 0; i < NOPTS; i++) {
			size_t used = strlen(list);

			if (opts[i].name == NULL ||
			    strncmp(opts[i].name, name, len) != 0)
				continue;
			match = &opts[i];
			n++;
			snprintf(list + used, sizeof(list) - used, "%s--%s",
			    used > 0 ? ", " : "", opts[i].name);
		}
	}
	if (n > 1)
		log_error("ambiguous option '%s' (%s)", word, list);
	else if (match != NULL && match->arg == NULL && name[len] == '=')
		log_error("option '--%s' takes no value", match->name);
	else
		log_error("unknown option '%s' (see trawl --help)", word);
}

/* --- the config file ------------------------------------------------------- */

/*
 * The value of --config in argv, NULL when absent; -1: given twice.  The
 * command line is read by getopt_long() itself, so that every spelling it
 * takes for --config is found here too ("--conf FILE", "--config=FILE"),
 * and a word that is another option's value ("-o --config") is not.  Any
 * other mistake is left for the real parse to report.
 */
static int
config_find(int argc, char **argv, const char **path)
{
	int ch, want = opt_val(opt_named("config", 6));

	*path = NULL;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		if (ch != want)
			continue;
		if (*path != NULL) {
			log_error("--config given twice");
			return -1;
		}
		*path = optarg;
	}
	return 0;
}

/*
 * Put the words of the --config file before the command line's, so that
 * getopt_long() reads both the same way and the command line comes last:
 * for an option given once the command line wins, repeatable ones add up.
 * Names must be spelled in full (getopt would take "thr" for "threads").
 */
static enum cli_result
config_merge(struct cli *c, int *argc, char ***argv)
{
	struct config_args *a = &c->config_args;
	char err[512], **words;

	if (config_find(*argc, *argv, &c->config) != 0)
		return CLI_USAGE;
	if (c->config == NULL)
		return CLI_RUN;
	if (config_load(c->config, a, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < a->argc; i++) {
		const char *w = a->argv[i] + 2;
		size_t len = strcspn(w, "=");
		const struct opt *o = opt_named(w, len);

		if (o == NULL || o->fn == parse_config) {
			log_error("%s:%zu: unknown option '%.*s'", c->config,
			    a->lines[i], (int)len, w);
			return CLI_USAGE;
		}
		/*
		 * getopt_long() would take the next word of the command line
		 * as the value of "--output", and refuse "--quiet=yes" as an
		 * unknown option: say what is really wrong, and where.
		 */
		if (o->arg != NULL && w[len] != '=') {
			log_error("%s:%zu: missing value for '%s'", c->config,
			    a->lines[i], o->name);
			return CLI_USAGE;
		}
		if (o->arg == NULL && w[len] == '=') {
			log_error("%s:%zu: '%s' takes no value (write just "
			    "'%s')", c->config, a->lines[i], o->name, o->name);
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

/* What no single option can check, and the run configuration. */
static enum cli_result
finish(struct cli *c, int argc, char **argv)
{
	struct runconf *rc = &c->rc;
	char err[256];

	if (optind == argc && c->input_files.n == 0 && c->domains.n == 0) {
		log_error("no target given (see trawl --help)");
		return CLI_USAGE;
	}
	if (rc->fail_on_change && rc->baseline == NULL) {
		log_error("--fail-on-change needs --baseline FILE");
		return CLI_USAGE;
	}
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
	return outputs_resolve(c);
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
	char word[64];
	enum cli_result r;
	int ch, rc;

	if ((r = config_merge(c, &argc, &argv)) != CLI_RUN)
		return r;
	opterr = 0;
	optind = 1;
	for (;;) {
		const struct opt *o;

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
		if ((ch = getopt_long(argc, argv, shortopts, longopts,
		    NULL)) == -1)
			break;
		if (ch == ':') {
			option_word(argc, argv, word, sizeof(word));
			log_error("option '%s' needs a value", word);
			return CLI_USAGE;
		}
		if ((o = opt_by_val(ch)) == NULL) {
			option_refused(argc, argv);
			return CLI_USAGE;
		}
		if ((rc = apply(c, o, optarg)) != 0)
			return rc == PARSE_DONE ? CLI_DONE : rc == PARSE_NOMEM ?
			    CLI_FAIL : CLI_USAGE;
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
	c->rc.report = STATE_BIT(STATE_OPEN);
	c->rc.targets.family = AF_UNSPEC;
	c->rc.work.order = ITER_RANDOM;
	c->rc.progress = -1;
	c->rc.names.dns.hosts_file = true;
	c->format = &out_text;
	/* Before getopt permutes argv: the command line as typed. */
	c->args = join_args(argc, argv);
	c->rc.args = c->args;
	c->ports = ports_new();
	if (c->args == NULL || c->ports == NULL)
		return CLI_FAIL;
	getopt_tables();
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
}
