/*
 * dnsprobe: the names-at-scale modules on their own, for the end-to-end
 * test (tests/e2e/test_dnsmod.py), which runs it against dnsmasq and a
 * crt.sh look-alike in a private network namespace.
 *
 *   dnsprobe [OPTIONS] resolve            names on standard input
 *   dnsprobe [OPTIONS] ct BASE DOMAIN     certificate log names
 *   dnsprobe [OPTIONS] words DOMAIN FILE  wordlist discovery
 *
 * resolve and words print one line per name: "NAME ADDR..." when it
 * resolved, else "NAME unresolved STATUS" (and ": WHY" for a failure).
 * ct prints the clean names under DOMAIN, each once, in first-seen order.
 * A summary goes to standard error; errors say "dnsprobe: ..." and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/ctlog.h"
#include "trawl/discover.h"
#include "trawl/dns.h"
#include "trawl/lines.h"
#include "trawl/names.h"
#include "trawl/num.h"
#include "trawl/reactor.h"

static void
usage(void)
{
	fprintf(stderr, "usage: dnsprobe [-4|-6] [--resolver ADDR[:PORT]]... "
	    "[--concurrency N]\n\t[--timeout MS] [--tries N] "
	    "[--ct-timeout MS]\n\tresolve | ct BASE DOMAIN | "
	    "words DOMAIN FILE\n");
	exit(2);
}

static unsigned
number(const char *what, const char *s, uint64_t max)
{
	uint64_t v;

	if (num_parse_str(s, 1, max, &v) == -1) {
		fprintf(stderr, "dnsprobe: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (unsigned)v;
}

static void
print_answer(void *ctx, const struct dns_answer *a)
{
	size_t *count = ctx;

	(*count)++;
	if (a->status != DNS_RESOLVED) {
		printf("%s unresolved %s%s%s\n", a->name,
		    dns_status_str(a->status), a->error ? ": " : "",
		    a->error ? a->error : "");
		return;
	}
	printf("%s", a->name);
	for (size_t i = 0; i < a->naddrs; i++) {
		char buf[INET6_ADDRSTRLEN];

		printf(" %s", target_ntop(a->addrs[i].family, a->addrs[i].addr,
		    buf, sizeof(buf)));
	}
	printf("\n");
}

static int
add_line(void *ctx, const char *path, size_t lineno, char *line)
{
	(void)path;
	(void)lineno;
	return names_set_add(ctx, line) == -1 ? -1 : 0;
}

static int
do_resolve(const struct dns_config *cfg)
{
	struct names_set *set = names_set_new();
	char err[512];
	size_t count = 0;
	uint64_t t0;
	double secs;

	if (set == NULL || lines_each("-", add_line, set) != 0) {
		fprintf(stderr, "dnsprobe: reading names: %s\n",
		    strerror(errno));
		return 1;
	}
	t0 = reactor_clock();
	if (dns_resolve_all(cfg, names_set_names(set), names_set_count(set),
	    print_answer, &count, err, sizeof(err)) == -1) {
		fprintf(stderr, "dnsprobe: %s\n", err);
		names_set_free(set);
		return 1;
	}
	secs = (double)(reactor_clock() - t0) / 1e9;
	fprintf(stderr, "dnsprobe: %zu names in %.3f s (%.0f names/s)\n",
	    count, secs, secs > 0 ? (double)count / secs : 0.0);
	names_set_free(set);
	return 0;
}

struct ct {
	const char *domain;
	struct names_set *set;
	size_t invalid, outside;
};

static int
on_ct_name(void *arg, const char *name, size_t len)
{
	struct ct *ct = arg;
	char clean[NAMES_BUFSIZE];

	switch (names_clean(name, len, ct->domain, clean, sizeof(clean))) {
	case NAMES_OK:
		return names_set_add(ct->set, clean) == -1 ? -1 : 0;
	case NAMES_INVALID:
		ct->invalid++;
		break;
	case NAMES_OUTSIDE:
		ct->outside++;
		break;
	}
	return 0;
}

static int
do_ct(const char *base, const char *domain, long timeout_ms)
{
	struct ct ct = { domain, names_set_new(), 0, 0 };
	struct ctlog_stats st;
	char err[1024];

	if (ct.set == NULL)
		return 1;
	if (ctlog_fetch(base, domain, timeout_ms, on_ct_name, &ct, &st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "dnsprobe: %s\n", err);
		names_set_free(ct.set);
		return 1;
	}
	for (size_t i = 0; i < names_set_count(ct.set); i++)
		printf("%s\n", names_set_name(ct.set, i));
	fprintf(stderr, "dnsprobe: ct: %zu entries, %zu names, %zu skipped, "
	    "%zu invalid, %zu outside, %zu distinct\n", st.entries, st.names,
	    st.skipped, ct.invalid, ct.outside, names_set_count(ct.set));
	names_set_free(ct.set);
	return 0;
}

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "dnsprobe: warning: %s\n", msg);
}

static int
do_words(const struct dns_config *cfg, const char *domain, const char *path)
{
	struct discover_stats st;
	char err[512], note[256];
	size_t count = 0;

	if (discover_run(cfg, domain, path, on_warn, NULL, print_answer,
	    &count, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "dnsprobe: %s\n", err);
		return 1;
	}
	if (discover_wildcard_note(&st, domain, note, sizeof(note)) != NULL)
		fprintf(stderr, "dnsprobe: %s\n", note);
	fprintf(stderr, "dnsprobe: words: %zu words, %zu bad, %zu candidates, "
	    "%zu resolved, wildcard %s (%zu addresses), %zu dropped\n",
	    st.words, st.bad_words, st.candidates, st.resolved,
	    st.wildcard ? "yes" : "no", st.wildcard_addrs, st.dropped);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "resolver", required_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tries", required_argument, NULL, 'T' },
		{ "ct-timeout", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *resolvers[16];
	struct dns_config cfg = { .family = AF_UNSPEC, .resolvers = resolvers };
	long ct_timeout = 30000;
	int ch, rc = 2;

	while ((ch = getopt_long(argc, argv, "46", longopts, NULL)) != -1) {
		switch (ch) {
		case '4':
			cfg.family = AF_INET;
			break;
		case '6':
			cfg.family = AF_INET6;
			break;
		case 'r':
			if (cfg.nresolvers == 16)
				usage();
			resolvers[cfg.nresolvers++] = optarg;
			break;
		case 'c':
			cfg.concurrency = number("concurrency", optarg, 100000);
			break;
		case 't':
			cfg.timeout_ms = number("timeout", optarg, 600000);
			break;
		case 'T':
			cfg.tries = number("tries", optarg, 100);
			break;
		case 'C':
			ct_timeout = number("ct-timeout", optarg, 600000);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "resolve") == 0)
		rc = do_resolve(&cfg);
	else if (argc == 3 && strcmp(argv[0], "ct") == 0)
		rc = do_ct(argv[1], argv[2], ct_timeout);
	else if (argc == 3 && strcmp(argv[0], "words") == 0)
		rc = do_words(&cfg, argv[1], argv[2]);
	else
		usage();
	if (fflush(stdout) != 0) {
		fprintf(stderr, "dnsprobe: standard output: %s\n",
		    strerror(errno));
		rc = 1;
	}
	return rc;
}
