/*
 * Command-line parsing.  Every mistake gets one line naming the word that
 * is wrong, and exit status 2; nothing is half-applied.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "trawl/iter.h"
#include "trawl/config.h"
#include "trawl/dns.h"
#include "trawl/log.h"
#include "trawl/names.h"
#include "trawl/num.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/shard.h"
#include "trawl/state.h"

#define DEFAULT_CONCURRENCY 1024
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 1
#define DEFAULT_TOP_PORTS 100

enum {
	OPT_RETRIES = 256,
	OPT_STATES,
	OPT_TOP_PORTS,
	OPT_DRY_RUN,
	OPT_EXCLUDE_FILE,
	OPT_HOST_CONCURRENCY,
	OPT_NO_PROGRESS,
	OPT_ORDER,
	OPT_PROGRESS,
	OPT_RATE,
	OPT_RESUME,
	OPT_SEED,
	OPT_SHARD,
	OPT_SHARDS,
	OPT_STATS_EVERY,
	OPT_RESOLVER,
	OPT_DNS_CONCURRENCY,
	OPT_SUBDOMAINS,
	OPT_CT_URL,
	OPT_WORDLIST,
	OPT_LIST_NAMES,
	OPT_CONFIG,
	OPT_BASELINE,
	OPT_FAIL_ON_CHANGE,
};

static const char shortopts[] = ":46c:f:hi:o:p:qT:t:Vx:";

static const struct option longopts[] = {
	{ "concurrency", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "exclude", required_argument, NULL, 'x' },
	{ "exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE },
	{ "host-concurrency", required_argument, NULL, OPT_HOST_CONCURRENCY },
	{ "input-file", required_argument, NULL, 'i' },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	{ "stats-every", required_argument, NULL, OPT_STATS_EVERY },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "dns-concurrency", required_argument, NULL, OPT_DNS_CONCURRENCY },
	{ "subdomains", required_argument, NULL, OPT_SUBDOMAINS },
	{ "ct-url", required_argument, NULL, OPT_CT_URL },
	{ "wordlist", required_argument, NULL, OPT_WORDLIST },
	{ "list-names", no_argument, NULL, OPT_LIST_NAMES },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "fail-on-change", no_argument, NULL, OPT_FAIL_ON_CHANGE },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "output", required_argument, NULL, 'o' },
	{ "ports", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "states", required_argument, NULL, OPT_STATES },
	{ "threads", required_argument, NULL, 'T' },
	{ "timeout", required_argument, NULL, 't' },
	{ "top-ports", required_argument, NULL, OPT_TOP_PORTS },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

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
"\n"
"Ports:\n"
"  -p, --ports LIST        ports to scan: 22,80,8000-8100  -1024  60000-  - or all\n"
"      --top-ports N       the N most common ports, 1..1000 (default 100)\n"
"Targets:\n"
"  -i, --input-file FILE   read targets from FILE, one a line (- for stdin)\n"
"  -x, --exclude LIST      never touch these addresses, CIDRs or ranges\n"
"      --exclude-file FILE exclusions from FILE, one a line\n"
"  -4                      IPv4 addresses only\n"
"  -6                      IPv6 addresses only\n"
"Names:\n"
"      --subdomains DOMAIN find names under DOMAIN (certificate logs, and\n"
"                          --wordlist) and scan them; repeatable\n"
"      --wordlist FILE     also try WORD.DOMAIN for each word of FILE\n"
"      --ct-url URL        certificate log server (default https://crt.sh/)\n"
"      --list-names        print the names resolved and their addresses, exit\n"
"      --resolver ADDR[:PORT]  DNS server to ask (repeatable; default\n"
"                          /etc/resolv.conf)\n"
"      --dns-concurrency N names resolved at once (default %d)\n"
"Order and shards:\n"
"      --order ORDER       random (default) or sequential\n"
"      --seed N            seed of the random order, for a reproducible one\n"
"      --shard I/N         scan slice I of N of the whole space\n"
"      --shards N          N slices; I from JOB_COMPLETION_INDEX (Kubernetes)\n"
"                          or SLURM_ARRAY_TASK_ID (Slurm)\n"
"      --dry-run           print the number of probes and exit\n"
"Speed:\n"
"  -c, --concurrency N     sockets in flight at most (default %d)\n"
"      --host-concurrency N  sockets in flight to one address at most\n"
"      --rate N            connection attempts per second at most\n"
"  -T, --threads N         reactors, one per thread (default: one per CPU)\n"
"  -t, --timeout MS        per connect attempt, milliseconds (default %d)\n"
"      --retries N         extra attempts when no answer came (default %d)\n"
"Output:\n"
"  -f, --format FORMAT     %s (default text)\n"
"  -o, --output [FORMAT:]FILE  write results to FILE (- for standard output);\n"
"                          repeatable, each in its own format\n"
"      --states LIST       states to report: open,closed,filtered,unreachable,\n"
"                          unresolved or all (default open)\n"
"      --progress          live progress line on stderr (default on a terminal)\n"
"      --no-progress       no live progress line\n"
"      --stats-every SECONDS  a plain progress line at this interval\n"
"  -q, --quiet             no summary line and no warnings\n"
"Changes since the last run:\n"
"      --baseline FILE     report what changed since the results in FILE,\n"
"                          then keep this run's results there\n"
"      --fail-on-change    exit 3 when something changed\n"
"Configuration:\n"
"      --config FILE       read long options from FILE, NAME = VALUE a line;\n"
"                          the command line wins\n"
"Interruption:\n"
"      --resume FILE       continue the scan saved in FILE; save it there when\n"
"                          interrupted (default file: trawl.resume)\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"\n"
"Scan only hosts you are allowed to scan.  See trawl(1).\n",
	    DNS_DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS,
	    DEFAULT_RETRIES, output_names());
}

/* The long option named exactly name[0..len), or NULL. */
static const struct option *
longopt_named(const char *name, size_t len)
{
	for (const struct option *o = longopts; o->name != NULL; o++)
		if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* Remember a repeatable option's value (argv outlives the parse). */
static int
list_add(const char ***v, size_t *n, const char *s)
{
	const char **nv = reallocarray(*v, *n + 1, sizeof(**v));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int
number(const char *what, const char *arg, uint64_t min, uint64_t max,
    unsigned *out)
{
	uint64_t v;

	if (num_parse_str(arg, min, max, &v) != 0) {
		log_error("bad %s '%s' (%llu..%llu)", what, arg,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* The word getopt_long() just refused, or "?". */
static const char *
option_arg(int argc, char **argv)
{
	return optind - 1 < argc && optind > 1 ? argv[optind - 1] : "?";
}

/* The option as the user typed it, for messages. */
static void
option_word(int argc, char **argv, char *buf, size_t len)
{
	const char *w = option_arg(argc, argv);

	if (optopt != 0 && (w[0] != '-' || w[1] != '-')) {
		snprintf(buf, len, "-%c", optopt);
		return;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(w, "="), w);
}

/*
 * getopt_long() refused an option: say why.  It returns the same '?' for
 * an unknown name, an ambiguous abbreviation and a value given to an
 * option that takes none, so tell them apart here.
 */
static void
option_refused(int argc, char **argv)
{
	const char *w = option_arg(argc, argv), *name;
	const struct option *match = NULL;
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
	if ((match = longopt_named(name, len)) == NULL) {
		for (const struct option *o = longopts; o->name != NULL; o++) {
			size_t used = strlen(list);

			if (strncmp(o->name, name, len) != 0)
				continue;
			match = o;
			n++;
			snprintf(list + used, sizeof(list) - used, "%s--%s",
			    used > 0 ? ", " : "", o->name);
		}
	}
	if (n > 1)
		log_error("ambiguous option '%s' (%s)", word, list);
	else if (match != NULL && match->has_arg == no_argument &&
	    name[len] == '=')
		log_error("option '--%s' takes no value", match->name);
	else
		log_error("unknown option '%s' (see trawl --help)", word);
}

/*
 * -o [FORMAT:]FILE words to outputs, once -f is known wherever it was
 * given.  A prefix is a format only when it names one, so "./a:b" is a
 * file.  Returns 0, or -1 (said why; outputs NULL: out of memory).
 */
static int
outputs_resolve(struct cli *c)
{
	size_t n = c->noutput_args > 0 ? c->noutput_args : 1;

	c->outputs = calloc(n, sizeof(*c->outputs));
	if (c->outputs == NULL)
		return -1;
	c->noutputs = n;
	if (c->noutput_args == 0) {
		c->outputs[0].format = c->format;
		c->outputs[0].path = "-";
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *arg = c->output_args[i], *colon = strchr(arg, ':');
		struct cli_output *o = &c->outputs[i];
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
			return -1;
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(c->outputs[k].path, o->path) == 0) {
				log_error("output '%s' given twice", o->path);
				return -1;
			}
		}
	}
	return 0;
}

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
	int ch;

	*path = NULL;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		if (ch != OPT_CONFIG)
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
	struct config_args *a;
	char err[512], **words;

	if (config_find(*argc, *argv, &c->config) != 0)
		return CLI_USAGE;
	if (c->config == NULL)
		return CLI_RUN;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return CLI_FAIL;
	c->config_args = a;
	if (config_load(c->config, a, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < a->argc; i++) {
		const char *w = a->argv[i] + 2;
		size_t len = strcspn(w, "=");
		const struct option *o = longopt_named(w, len);

		if (o == NULL || o->val == OPT_CONFIG) {
			log_error("%s:%zu: unknown option '%.*s'", c->config,
			    a->lines[i], (int)len, w);
			return CLI_USAGE;
		}
		/*
		 * getopt_long() would take the next word of the command line
		 * as the value of "--output", and refuse "--quiet=yes" as an
		 * unknown option: say what is really wrong, and where.
		 */
		if (o->has_arg == required_argument && w[len] != '=') {
			log_error("%s:%zu: missing value for '%s'", c->config,
			    a->lines[i], o->name);
			return CLI_USAGE;
		}
		if (o->has_arg == no_argument && w[len] == '=') {
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

enum cli_result
cli_parse(struct cli *c, int argc, char **argv)
{
	/* Static: log.c keeps a pointer to it until the parse is over. */
	static char where[300];
	bool in_config = false, ports_from_config = false;
	enum cli_result r;
	char err[256], word[64];
	unsigned top = 0;
	bool ports_given = false;
	int ch;

	memset(c, 0, sizeof(*c));
	c->concurrency = DEFAULT_CONCURRENCY;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->retries = DEFAULT_RETRIES;
	c->format = &out_text;
	c->report = STATE_BIT(STATE_OPEN);
	c->family = AF_UNSPEC;
	c->order = ITER_RANDOM;
	c->progress = -1;
	c->argv = argv;
	c->ports = ports_new();
	if (c->ports == NULL)
		return CLI_FAIL;

	if ((r = config_merge(c, &argc, &argv)) != CLI_RUN)
		return r;
	opterr = 0;
	optind = 1;
	for (;;) {
		/*
		 * The config's words come first and one word each: while
		 * getopt is in them, messages say which line.
		 */
		if (c->config_args != NULL && optind >= 1 &&
		    (size_t)optind <= c->config_args->argc) {
			snprintf(where, sizeof(where), "%s:%zu", c->config,
			    c->config_args->lines[optind - 1]);
			log_set_context(where);
			in_config = true;
		} else {
			log_set_context(NULL);
			in_config = false;
		}
		ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case '4':
		case '6':
			/* Both would scan nothing: the last one must not win. */
			if (c->family != AF_UNSPEC &&
			    c->family != (ch == '4' ? AF_INET : AF_INET6)) {
				log_error("-4 and -6 exclude each other");
				return CLI_USAGE;
			}
			c->family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'c':
			if (number("concurrency", optarg, 1, 1000000,
			    &c->concurrency) != 0)
				return CLI_USAGE;
			break;
		case 'f':
			c->format = output_find(optarg);
			if (c->format == NULL) {
				log_error("bad format '%s' (%s)", optarg,
				    output_names());
				return CLI_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CLI_DONE;
		case 'o':
			if (list_add(&c->output_args, &c->noutput_args,
			    optarg) != 0)
				return CLI_FAIL;
			break;
		case 'p':
			/* The command line's ports replace the config's. */
			if (ports_from_config && !in_config) {
				ports_free(c->ports);
				c->ports = ports_new();
				if (c->ports == NULL)
					return CLI_FAIL;
				ports_from_config = false;
			}
			ports_from_config |= in_config;
			if (ports_parse(c->ports, optarg, err,
			    sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			ports_given = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'T':
			if (number("threads", optarg, 1, 1024,
			    &c->threads) != 0)
				return CLI_USAGE;
			break;
		case 't':
			if (number("timeout", optarg, 1, 3600000,
			    &c->timeout_ms) != 0)
				return CLI_USAGE;
			break;
		case 'V':
			printf("trawl %s\n", TRAWL_VERSION);
			return CLI_DONE;
		case OPT_RETRIES:
			if (number("retries", optarg, 0, 10, &c->retries) != 0)
				return CLI_USAGE;
			break;
		case OPT_STATES:
			if (state_parse_list(optarg, &c->report, err,
			    sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			break;
		case OPT_TOP_PORTS:
			if (number("top-ports", optarg, 1, PORTS_TOP_MAX,
			    &top) != 0)
				return CLI_USAGE;
			break;
		case 'i':
			if (list_add(&c->input_files, &c->ninput_files,
			    optarg) != 0)
				return CLI_FAIL;
			break;
		case 'x':
			if (list_add(&c->excludes, &c->nexcludes, optarg) != 0)
				return CLI_FAIL;
			break;
		case OPT_EXCLUDE_FILE:
			if (list_add(&c->exclude_files, &c->nexclude_files,
			    optarg) != 0)
				return CLI_FAIL;
			break;
		case OPT_DRY_RUN:
			c->dry_run = true;
			break;
		case OPT_HOST_CONCURRENCY:
			if (number("host-concurrency", optarg, 1, 1000000,
			    &c->host_concurrency) != 0)
				return CLI_USAGE;
			break;
		case OPT_PROGRESS:
			c->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			c->progress = 0;
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "random") == 0) {
				c->order = ITER_RANDOM;
			} else if (strcmp(optarg, "sequential") == 0) {
				c->order = ITER_SEQUENTIAL;
			} else {
				log_error("bad order '%s' (random or "
				    "sequential)", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_RATE: {
			unsigned v;

			if (number("rate", optarg, 1, 100000000, &v) != 0)
				return CLI_USAGE;
			c->rate = v;
			break;
		}
		case OPT_RESUME:
			c->resume = optarg;
			break;
		case OPT_SEED: {
			uint64_t v;

			if (num_parse_str(optarg, 0, UINT64_MAX, &v) != 0) {
				log_error("bad seed '%s'", optarg);
				return CLI_USAGE;
			}
			c->seed = v;
			c->seed_given = true;
			break;
		}
		case OPT_SHARD:
			if (shard_parse(optarg, &c->shard_i, &c->shard_n, err,
			    sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			break;
		case OPT_SHARDS:
			if (number("shards", optarg, 1, 1000000,
			    &c->shards_env) != 0)
				return CLI_USAGE;
			break;
		case OPT_STATS_EVERY:
			if (number("stats-every", optarg, 1, 86400,
			    &c->stats_every) != 0)
				return CLI_USAGE;
			break;
		case OPT_RESOLVER: {
			struct dns_resolver res;

			if (dns_resolver_parse(optarg, &res, err,
			    sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			if (list_add(&c->resolvers, &c->nresolvers,
			    optarg) != 0)
				return CLI_FAIL;
			break;
		}
		case OPT_DNS_CONCURRENCY:
			if (number("dns-concurrency", optarg, 1, 100000,
			    &c->dns_concurrency) != 0)
				return CLI_USAGE;
			break;
		case OPT_SUBDOMAINS: {
			char clean[NAMES_BUFSIZE];
			enum names_verdict v = names_clean(optarg,
			    strlen(optarg), NULL, clean, sizeof(clean));

			if (v != NAMES_OK || strchr(clean, '.') == NULL) {
				log_error("bad domain '%s'", optarg);
				return CLI_USAGE;
			}
			if (list_add(&c->domains, &c->ndomains, optarg) != 0)
				return CLI_FAIL;
			break;
		}
		case OPT_CT_URL:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0) {
				log_error("bad certificate log URL '%s' "
				    "(http:// or https://)", optarg);
				return CLI_USAGE;
			}
			c->ct_url = optarg;
			break;
		case OPT_WORDLIST:
			c->wordlist = optarg;
			break;
		case OPT_LIST_NAMES:
			c->list_names = true;
			break;
		case OPT_CONFIG:
			/* Read before the loop (config_merge()). */
			break;
		case OPT_BASELINE:
			c->baseline = optarg;
			break;
		case OPT_FAIL_ON_CHANGE:
			c->fail_on_change = true;
			break;
		case ':':
			option_word(argc, argv, word, sizeof(word));
			log_error("option '%s' needs a value", word);
			return CLI_USAGE;
		default:
			option_refused(argc, argv);
			return CLI_USAGE;
		}
	}
	log_set_context(NULL);
	if (optind == argc && c->ninput_files == 0 && c->ndomains == 0) {
		log_error("no target given (see trawl --help)");
		return CLI_USAGE;
	}
	if (c->fail_on_change && c->baseline == NULL) {
		log_error("--fail-on-change needs --baseline FILE");
		return CLI_USAGE;
	}
	if (c->wordlist != NULL && c->ndomains == 0) {
		log_error("--wordlist needs --subdomains DOMAIN");
		return CLI_USAGE;
	}

	if (c->shards_env > 0) {
		if (c->shard_n > 0 && c->shard_n != c->shards_env) {
			log_error("--shard %u/%u disagrees with --shards %u",
			    c->shard_i, c->shard_n, c->shards_env);
			return CLI_USAGE;
		}
		if (c->shard_n == 0) {
			if (shard_from_env(c->shards_env, &c->shard_i, err,
			    sizeof(err)) != 0) {
				log_error("%s", err);
				return CLI_USAGE;
			}
			c->shard_n = c->shards_env;
		}
	}
	if (outputs_resolve(c) != 0)
		return c->outputs == NULL && c->noutput_args == 0 ? CLI_FAIL :
		    CLI_USAGE;
	c->targets = argv + optind;
	c->ntargets = argc - optind;
	/* --top-ports adds to -p; with neither, the 100 most common. */
	if (top == 0 && !ports_given)
		top = DEFAULT_TOP_PORTS;
	if (top > 0 && ports_add_top(c->ports, top, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

void
cli_free(struct cli *c)
{
	ports_free(c->ports);
	c->ports = NULL;
	free(c->excludes);
	free(c->exclude_files);
	free(c->input_files);
	log_set_context(NULL);
	if (c->config_args != NULL)
		config_args_free(c->config_args);
	free(c->config_args);
	free(c->words);
	c->config_args = NULL;
	c->words = NULL;
	free(c->outputs);
	free(c->output_args);
	c->outputs = NULL;
	c->output_args = NULL;
	free(c->resolvers);
	free(c->domains);
	c->resolvers = c->domains = NULL;
	c->excludes = c->exclude_files = c->input_files = NULL;
}
