/*
 * Names before the scan; see nameprep.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/collect.h"
#include "trawl/ctlog.h"
#include "trawl/discover.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/nameprep.h"
#include "trawl/names.h"
#include "trawl/space.h"
#include "trawl/vec.h"

/* Certificate logs are slow: crt.sh often needs tens of seconds. */
#define CT_TIMEOUT_MS 120000L

/* A name that gave no address, for outputs opened later. */
struct unresolved_name {
	char *name;
	const char *why;
};

struct nameprep {
	const struct runconf_names *cfg;
	struct space *space;
	struct names_set *names;	/* to resolve: typed, read, found */
	struct names_set *before;	/* resolved before the scan */
	const volatile sig_atomic_t *stop;
	struct dns_config dns;
	const char *domain;		/* the one being discovered */
	size_t discovered;		/* from certificate logs, wordlists */
	bool oom;			/* a wordlist name could not be kept */
	struct namefeed_stats st;
	struct unresolved_name *unres;
	size_t nunres, unres_cap;
	char **lines;			/* --list-names */
	size_t nlines, lines_cap;
};

struct nameprep *
nameprep_new(const struct runconf_names *cfg, struct space *space,
    const volatile sig_atomic_t *stop)
{
	struct nameprep *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->names = names_set_new()) == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->cfg = cfg;
	p->space = space;
	p->stop = stop;
	p->dns = cfg->dns;
	p->dns.stop = stop;
	return p;
}

void
nameprep_free(struct nameprep *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nunres; i++)
		free(p->unres[i].name);
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->unres);
	free(p->lines);
	names_set_free(p->names);
	names_set_free(p->before);
	free(p);
}

struct names_set *
nameprep_names(struct nameprep *p)
{
	return p->names;
}

struct names_set *
nameprep_known(struct nameprep *p)
{
	return p->before != NULL ? p->before : p->names;
}

/* 128 + the signal that stopped a look-up, or EXIT_FAILED. */
static int
stopped(const struct nameprep *p)
{
	return *p->stop != 0 ? 128 + *p->stop : EXIT_FAILED;
}

/* --- discovery --------------------------------------------------------- */

/*
 * A wordlist guess: only those that exist matter.  They join the other
 * names, once, and are resolved with them: a name also typed or logged is
 * then counted and reported once.
 */
static void
on_word(void *ctx, const struct dns_answer *a)
{
	struct nameprep *p = ctx;
	int rc;

	if (a->status != DNS_RESOLVED || a->naddrs == 0)
		return;
	if ((rc = names_set_add(p->names, a->name)) < 0)
		p->oom = true;
	else
		p->discovered += (size_t)rc;
}

static void
on_bad_word(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("%s", msg);
}

static int
on_logged_name(void *ctx, const char *raw, size_t len)
{
	struct nameprep *p = ctx;
	char name[NAMES_BUFSIZE];
	int rc;

	/* Logs hold names of other domains and junk: keep what is ours. */
	if (names_clean(raw, len, p->domain, name, sizeof(name)) != NAMES_OK)
		return 0;
	if ((rc = names_set_add(p->names, name)) < 0)
		return -1;
	p->discovered += (size_t)rc;
	return 0;
}

int
nameprep_discover(struct nameprep *p)
{
	const struct runconf_names *c = p->cfg;
	char err[512], note[512], domain[NAMES_BUFSIZE];

	for (size_t i = 0; i < c->ndomains; i++) {
		struct discover_stats ds;

		/* cli.c checked it. */
		(void)names_clean(c->domains[i], strlen(c->domains[i]), NULL,
		    domain, sizeof(domain));
		p->domain = domain;
		if (ctlog_fetch(c->ct_url, domain, CT_TIMEOUT_MS,
		    on_logged_name, p, NULL, err, sizeof(err)) != 0) {
			log_error("%s: %s", domain, err);
			return EXIT_FAILED;
		}
		if (c->wordlist == NULL)
			continue;
		if (discover_run(&p->dns, domain, c->wordlist, on_bad_word,
		    NULL, on_word, p, &ds, err, sizeof(err)) != 0) {
			log_error("%s", err);
			return stopped(p);
		}
		if (discover_wildcard_note(&ds, domain, note,
		    sizeof(note)) != NULL)
			log_info("%s", note);
	}
	if (p->oom) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	return 0;
}

/* --- resolving before the scan ---------------------------------------- */

/* "name addr addr..." for --list-names. */
static int
list_line(struct nameprep *p, const char *name, const struct dns_addr *addrs,
    size_t naddrs)
{
	size_t len = strlen(name) + 1 + naddrs * 48;
	char *line = malloc(len), *s, **slot;

	if (line == NULL || (slot = VEC_PUSH(p->lines, p->nlines,
	    p->lines_cap)) == NULL) {
		free(line);
		return -1;
	}
	s = line + snprintf(line, len, "%s", name);
	for (size_t i = 0; i < naddrs; i++) {
		char buf[64];

		s += snprintf(s, len - (size_t)(s - line), " %s",
		    target_ntop(addrs[i].family, addrs[i].addr, buf,
		    sizeof(buf)));
	}
	*slot = line;
	return 0;
}

static int
on_resolved(void *ctx, const char *name, const struct dns_addr *addrs,
    size_t naddrs)
{
	struct nameprep *p = ctx;

	for (size_t i = 0; i < naddrs; i++)
		if (space_add_name(p->space, addrs[i].family, addrs[i].addr,
		    name) != 0)
			return -1;
	return p->cfg->list_names ? list_line(p, name, addrs, naddrs) : 0;
}

static void
on_unresolved(void *ctx, const char *name, const char *why)
{
	struct nameprep *p = ctx;
	struct unresolved_name *u = VEC_PUSH(p->unres, p->nunres,
	    p->unres_cap);

	if (u == NULL || (u->name = strdup(name)) == NULL) {
		/* The warning is out; only the record for outputs is lost. */
		if (u != NULL)
			p->nunres--;
		log_error("out of memory: '%s' left out of the outputs", name);
		return;
	}
	u->why = why;
}

int
nameprep_resolve(struct nameprep *p)
{
	struct namefeed_sink sink = {
		.resolved = on_resolved,
		.unresolved = on_unresolved,
		.ctx = p,
	};
	struct names_set *none;
	char err[512];

	if (names_set_count(p->names) == 0)
		return 0;
	if (namefeed_resolve_all(&p->dns, names_set_names(p->names),
	    names_set_count(p->names), &sink, &p->st, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return stopped(p);
	}
	/* Resolved: none is left to join the scan later. */
	if ((none = names_set_new()) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	p->before = p->names;
	p->names = none;
	return 0;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
nameprep_list(struct nameprep *p)
{
	if (p->nlines > 1)
		qsort(p->lines, p->nlines, sizeof(*p->lines), cmp_line);
	for (size_t i = 0; i < p->nlines; i++)
		printf("%s\n", p->lines[i]);
}

void
nameprep_unresolved(const struct nameprep *p, struct collect *col)
{
	for (size_t i = 0; i < p->nunres; i++)
		collect_unresolved(col, p->unres[i].name, p->unres[i].why);
}

size_t
nameprep_discovered(const struct nameprep *p)
{
	return p->discovered;
}

const struct namefeed_stats *
nameprep_stats(const struct nameprep *p)
{
	return &p->st;
}
