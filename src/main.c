/*
 * trawl: the command-line program.  Everything here is wiring: options to a
 * target space, the space to a plan and a walk, the walk to an engine, the
 * engine's events to a collector and its outputs; and, when the user stops
 * the scan, the work left to a resume file.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "trawl/baseline.h"
#include "trawl/collect.h"
#include "trawl/ctlog.h"
#include "trawl/discover.h"
#include "trawl/dns.h"
#include "trawl/fdlimit.h"
#include "trawl/hub.h"
#include "trawl/iter.h"
#include "trawl/lines.h"
#include "trawl/log.h"
#include "trawl/namefeed.h"
#include "trawl/names.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/progress.h"
#include "trawl/reactor.h"
#include "trawl/resume.h"
#include "trawl/scan.h"
#include "trawl/shard.h"
#include "trawl/space.h"
#include "trawl/target.h"
#include "trawl/wbuf.h"

enum {
	EXIT_DONE = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_CHANGED = 3,	/* --fail-on-change, and something changed */
	GO_ON = -1,		/* not an exit status: carry on */
};

#define DEFAULT_RESUME_FILE "trawl.resume"
/* Certificate logs are slow: crt.sh often needs tens of seconds. */
#define CT_TIMEOUT_MS 120000L

/* The command line as typed, for output headers (getopt permutes argv). */
static char *run_args;

/* The signal handler's view of the running scan. */
static struct hub *running;
static volatile sig_atomic_t stop_signal;

static void
on_stop_signal(int sig)
{
	if (stop_signal != 0) {
		/* A second request: the user means now. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
	if (running != NULL)
		hub_stop(running);
}

static void
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/*
	 * A closed terminal or ssh session: the user did not ask to lose the
	 * scan, so save it as on SIGTERM.
	 */
	sigaction(SIGHUP, &sa, NULL);
}

/* --- targets and exclusions to the space --------------------------------- */

struct build {
	const struct cli *cli;
	struct space *space;
	struct names_set *names;	/* host names, resolved later */
	int status;		/* GO_ON, or an exit status */
};

/* One target word; where is "file:line: " or "" for the command line. */
static int
add_target(struct build *b, const char *where, const char *word)
{
	struct target t;
	char err[256];

	if (target_parse(word, &t, err, sizeof(err)) != 0) {
		log_error("%s%s", where, err);
		return b->status = EXIT_USAGE;
	}
	if (t.kind == TARGET_RANGE) {
		if (b->cli->family != AF_UNSPEC && t.family != b->cli->family) {
			log_warn("%sskipping '%s': not IPv%c", where, word,
			    b->cli->family == AF_INET ? '4' : '6');
			return 0;
		}
		if (space_add_range(b->space, t.family, t.lo, t.hi) != 0) {
			log_error("out of memory");
			return b->status = EXIT_FAILED;
		}
	} else if (names_set_add(b->names, word) < 0) {
		log_error("out of memory");
		return b->status = EXIT_FAILED;
	}
	return 0;
}

static int
add_exclusion(struct build *b, const char *where, const char *word)
{
	struct target t;
	char err[256];

	if (target_parse(word, &t, err, sizeof(err)) != 0 ||
	    t.kind != TARGET_RANGE) {
		log_error("%sbad exclusion '%s' (an address, CIDR block or "
		    "range)", where, word);
		return b->status = EXIT_USAGE;
	}
	if (space_exclude(b->space, t.family, t.lo, t.hi) != 0) {
		log_error("out of memory");
		return b->status = EXIT_FAILED;
	}
	return 0;
}

static int
target_line(void *ctx, const char *path, size_t lineno, char *line)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
	return add_target(ctx, where, line);
}

static int
exclusion_line(void *ctx, const char *path, size_t lineno, char *line)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
	return add_exclusion(ctx, where, line);
}

static int
read_file(struct build *b, const char *path, lines_fn *fn)
{
	if (lines_each(path, fn, b) == -1 && b->status == GO_ON) {
		log_error("cannot read '%s': %s", path, strerror(errno));
		b->status = EXIT_FAILED;
	}
	return b->status;
}

/*
 * Exclusions first, then targets: syntax errors on the command line are
 * found before any name is looked up, so a typo costs no DNS traffic.
 */
static int
build_space(const struct cli *c, struct space *s, struct names_set *names)
{
	struct build b = { c, s, names, GO_ON };
	struct target t;
	char err[256];

	for (int i = 0; i < c->ntargets; i++) {
		if (target_parse(c->targets[i], &t, err, sizeof(err)) != 0) {
			log_error("%s", err);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < c->nexcludes && b.status == GO_ON; i++) {
		char *list = strdup(c->excludes[i]), *save = NULL, *w;

		if (list == NULL) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		if (list[0] == '\0' || strstr(list, ",,") != NULL) {
			log_error("empty item in exclusion list '%s'",
			    c->excludes[i]);
			b.status = EXIT_USAGE;
		}
		for (w = strtok_r(list, ",", &save); w != NULL &&
		    b.status == GO_ON; w = strtok_r(NULL, ",", &save))
			add_exclusion(&b, "", w);
		free(list);
	}
	for (size_t i = 0; i < c->nexclude_files && b.status == GO_ON; i++)
		read_file(&b, c->exclude_files[i], exclusion_line);
	for (int i = 0; i < c->ntargets && b.status == GO_ON; i++)
		add_target(&b, "", c->targets[i]);
	for (size_t i = 0; i < c->ninput_files && b.status == GO_ON; i++)
		read_file(&b, c->input_files[i], target_line);
	return b.status;
}

/* --- names: discovery and resolution ------------------------------------- */

/* What became of the names, for the summary and the outputs. */
struct names_run {
	const struct cli *cli;
	struct space *space;
	struct dns_config dns;
	struct names_set *names;	/* to resolve: typed, read, logged */
	const char *domain;		/* the one being discovered */
	size_t discovered;		/* from certificate logs and wordlists */
	size_t resolved, unresolved;
	/* Answers that gave no address, for outputs opened later. */
	struct unresolved_name {
		char *name;
		const char *why;
	} *unres;
	size_t nunres, unres_cap;
	/* --list-names lines. */
	char **lines;
	size_t nlines, lines_cap;
	int oom;
};

static void
dns_setup(const struct cli *c, struct dns_config *d)
{
	memset(d, 0, sizeof(*d));
	d->family = c->family;
	d->resolvers = c->resolvers;
	d->nresolvers = c->nresolvers;
	d->concurrency = c->dns_concurrency;
	d->hosts_file = true;
	d->stop = &stop_signal;
}

static int
push(void *vec, size_t *n, size_t *cap, size_t size)
{
	void **v = vec;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *nv = reallocarray(*v, ncap, size);

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	return 0;
}

/* "name addr addr..." for --list-names. */
static void
list_line(struct names_run *nr, const struct dns_answer *a)
{
	size_t len = strlen(a->name) + 1 + a->naddrs * 48;
	char *line = malloc(len), *p;

	if (line == NULL || push(&nr->lines, &nr->nlines, &nr->lines_cap,
	    sizeof(*nr->lines)) != 0) {
		free(line);
		nr->oom = 1;
		return;
	}
	p = line + snprintf(line, len, "%s", a->name);
	for (size_t i = 0; i < a->naddrs; i++) {
		char buf[64];

		p += snprintf(p, len - (size_t)(p - line), " %s",
		    target_ntop(a->addrs[i].family, a->addrs[i].addr, buf,
		    sizeof(buf)));
	}
	nr->lines[nr->nlines++] = line;
}

static void
add_answer(struct names_run *nr, const struct dns_answer *a)
{
	nr->resolved++;
	for (size_t i = 0; i < a->naddrs; i++)
		if (space_add_name(nr->space, a->addrs[i].family,
		    a->addrs[i].addr, a->name) != 0)
			nr->oom = 1;
	if (nr->cli->list_names)
		list_line(nr, a);
}

/* An answer while resolving before the scan. */
static void
on_answer(void *ctx, const struct dns_answer *a)
{
	struct names_run *nr = ctx;
	struct unresolved_name *u;

	if (a->status == DNS_RESOLVED && a->naddrs > 0) {
		add_answer(nr, a);
		return;
	}
	nr->unresolved++;
	log_warn("cannot resolve '%s': %s", a->name, a->error != NULL ?
	    a->error : dns_status_str(a->status));
	if (push(&nr->unres, &nr->nunres, &nr->unres_cap,
	    sizeof(*nr->unres)) != 0) {
		nr->oom = 1;
		return;
	}
	u = &nr->unres[nr->nunres];
	u->name = strdup(a->name);
	u->why = dns_status_reason(a->status);
	if (u->name == NULL)
		nr->oom = 1;
	else
		nr->nunres++;
}

/*
 * A wordlist guess: only those that exist matter.  They join the other
 * names, once, and are resolved with them: a name also typed or logged is
 * then counted and reported once.
 */
static void
on_word(void *ctx, const struct dns_answer *a)
{
	struct names_run *nr = ctx;
	int rc;

	if (a->status != DNS_RESOLVED || a->naddrs == 0)
		return;
	rc = names_set_add(nr->names, a->name);
	if (rc < 0)
		nr->oom = 1;
	else
		nr->discovered += (size_t)rc;
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
	struct names_run *nr = ctx;
	char name[NAMES_BUFSIZE];
	int rc;

	/* Logs hold names of other domains and junk: keep what is ours. */
	if (names_clean(raw, len, nr->domain, name, sizeof(name)) != NAMES_OK)
		return 0;
	rc = names_set_add(nr->names, name);
	if (rc < 0)
		return -1;
	nr->discovered += (size_t)rc;
	return 0;
}

/* Certificate logs and wordlists of every --subdomains DOMAIN. */
static int
discover_names(struct names_run *nr)
{
	const struct cli *c = nr->cli;
	char err[512], note[512], domain[NAMES_BUFSIZE];

	for (size_t i = 0; i < c->ndomains; i++) {
		struct discover_stats ds;

		/* cli.c checked it. */
		(void)names_clean(c->domains[i], strlen(c->domains[i]), NULL,
		    domain, sizeof(domain));
		nr->domain = domain;
		if (ctlog_fetch(c->ct_url, domain, CT_TIMEOUT_MS,
		    on_logged_name, nr, NULL, err, sizeof(err)) != 0) {
			log_error("%s: %s", domain, err);
			return EXIT_FAILED;
		}
		if (c->wordlist == NULL)
			continue;
		if (discover_run(&nr->dns, domain, c->wordlist, on_bad_word,
		    NULL, on_word, nr, &ds, err, sizeof(err)) != 0) {
			log_error("%s", err);
			return stop_signal != 0 ? 128 + stop_signal :
			    EXIT_FAILED;
		}
		if (discover_wildcard_note(&ds, domain, note,
		    sizeof(note)) != NULL)
			log_info("%s", note);
	}
	return GO_ON;
}

/* Resolve every name before the scan (resumable, sharded and dry runs). */
static int
resolve_names(struct names_run *nr)
{
	char err[512];

	if (names_set_count(nr->names) == 0)
		return GO_ON;
	if (dns_resolve_all(&nr->dns, names_set_names(nr->names),
	    names_set_count(nr->names), on_answer, nr, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return stop_signal != 0 ? 128 + stop_signal : EXIT_FAILED;
	}
	return GO_ON;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* After printing to stdout: EXIT_DONE, or EXIT_FAILED said on stderr. */
static int
stdout_done(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EXIT_DONE;
	log_error("cannot write to standard output: %s",
	    strerror(errno != 0 ? errno : EIO));
	return EXIT_FAILED;
}

static int
list_names(struct names_run *nr)
{
	if (nr->nlines > 1)
		qsort(nr->lines, nr->nlines, sizeof(*nr->lines), cmp_line);
	for (size_t i = 0; i < nr->nlines; i++)
		printf("%s\n", nr->lines[i]);
	return stdout_done();
}

static void
names_run_free(struct names_run *nr)
{
	for (size_t i = 0; i < nr->nunres; i++)
		free(nr->unres[i].name);
	for (size_t i = 0; i < nr->nlines; i++)
		free(nr->lines[i]);
	free(nr->unres);
	free(nr->lines);
	names_set_free(nr->names);
}

/* --- the work: which positions of the walk this run covers --------------- */

struct work {
	struct iter_plan plan;
	struct resume state;	/* what a resume file would hold */
	bool resumed;
	const char *resume_path;
};

static uint64_t
random_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = reactor_clock() ^ ((uint64_t)getpid() << 32);
	return seed;
}

static int
plan_work(const struct cli *c, const struct space *s, struct work *w)
{
	struct resume *st = &w->state;
	uint64_t lo, hi;
	char err[512];
	int rc;

	memset(w, 0, sizeof(*w));
	st->fingerprint = space_fingerprint(s);
	st->order = (enum iter_order)c->order;
	st->shard_i = c->shard_n > 0 ? c->shard_i : 1;
	st->shard_n = c->shard_n > 0 ? c->shard_n : 1;
	/*
	 * Shards must agree on the order without talking: unless told a
	 * seed, they derive it from what they all share, the space.
	 */
	if (c->seed_given)
		st->seed = c->seed;
	else if (st->shard_n > 1)
		st->seed = st->fingerprint;
	else
		st->seed = random_seed();
	w->resume_path = c->resume != NULL ? c->resume : DEFAULT_RESUME_FILE;

	if (c->resume != NULL) {
		struct resume old;

		rc = resume_load(c->resume, &old, err, sizeof(err));
		if (rc < 0) {
			log_error("%s", err);
			return EXIT_USAGE;
		}
		if (rc == 1) {
			if (old.fingerprint != st->fingerprint ||
			    old.order != st->order ||
			    old.shard_i != st->shard_i ||
			    old.shard_n != st->shard_n ||
			    (c->seed_given && old.seed != c->seed)) {
				log_error("'%s' saved a different scan: give "
				    "the same targets, ports, order, seed and "
				    "shard", c->resume);
				resume_free(&old);
				return EXIT_USAGE;
			}
			st->seed = old.seed;
			st->ranges = old.ranges;
			st->nranges = old.nranges;
			w->resumed = true;
		}
	}
	shard_range(space_probes(s), st->shard_i, st->shard_n, &lo, &hi);
	if (w->resumed && resume_fits(st, lo, hi, c->resume, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	iter_plan_init(&w->plan, s, st->order, st->seed);
	if (!w->resumed) {
		st->ranges = malloc(sizeof(*st->ranges));
		if (st->ranges == NULL) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		st->ranges[0].lo = lo;
		st->ranges[0].hi = hi;
		st->nranges = 1;
	}
	return GO_ON;
}

static uint64_t
work_size(const struct work *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < w->state.nranges; i++)
		n += w->state.ranges[i].hi - w->state.ranges[i].lo;
	return n;
}

/* Save what is left after a stopped run; 0 or -1. */
static int
save_rest(struct work *w, const struct hub *h)
{
	struct resume out = w->state;
	int rc;

	out.nranges = hub_rest(h, &out.ranges);
	if (out.nranges == (size_t)-1)
		return -1;
	rc = resume_save(w->resume_path, &out, NULL, 0);
	free(out.ranges);
	return rc;
}

/*
 * Whether a stopped hub left work undone: a signal that came after the
 * last probe stopped nothing.  When in doubt (no memory), it did.
 */
static bool
work_left(const struct hub *h)
{
	struct iter_range *rest;
	size_t n = hub_rest(h, &rest);

	if (n == (size_t)-1)
		return true;
	free(rest);
	return n > 0;
}

/* --- the scan ------------------------------------------------------------ */

/* Between the engine and the collector: progress. */
struct relay {
	struct collect *col;
	struct progress *progress;
	uint64_t done, open;
};

static int
relay_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below)
{
	struct relay *r = ctx;
	int rc;

	for (size_t i = 0; i < n; i++)
		r->open += ev[i].state == STATE_OPEN;
	r->done += n;
	rc = collect_deliver(r->col, ev, n, done_below);
	progress_update(r->progress, r->done, r->open);
	return rc;
}

static double
seconds_since(uint64_t start)
{
	return (double)(reactor_clock() - start) / (double)REACTOR_NS_PER_S;
}

static void
summary(const struct out_stats *st, const struct names_run *nr,
    const struct namefeed_stats *fs)
{
	char names[160] = "";
	size_t resolved = nr->resolved + fs->resolved;
	size_t unresolved = nr->unresolved + fs->unresolved;

	if (nr->cli->ndomains > 0)
		snprintf(names, sizeof(names), "; names: %zu discovered, %zu "
		    "resolved, %zu unresolved", nr->discovered, resolved,
		    unresolved);
	else if (resolved + unresolved > 0)
		snprintf(names, sizeof(names), "; names: %zu resolved, %zu "
		    "unresolved", resolved, unresolved);
	log_info("%llu probes, %llu open, %llu closed, %llu filtered, "
	    "%llu unreachable in %.2f s (%.0f probes/s)%s%s%s%s",
	    (unsigned long long)st->probes,
	    (unsigned long long)st->count[STATE_OPEN],
	    (unsigned long long)st->count[STATE_CLOSED],
	    (unsigned long long)st->count[STATE_FILTERED],
	    (unsigned long long)st->count[STATE_UNREACHABLE],
	    st->elapsed_s,
	    st->elapsed_s > 0 ? (double)st->probes / st->elapsed_s : 0.0,
	    names, st->interrupted ? ", interrupted" : "",
	    st->failed != NULL ? ", stopped: " : "",
	    st->failed != NULL ? st->failed : "");
}

/* --- outputs ------------------------------------------------------------ */

struct outfile {
	const struct out_format *fmt;
	const char *path;		/* as given; "-" is stdout */
	struct wbuf *w;
};

static const char *
out_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard output" : path;
}

/*
 * Open every -o, all or none; on failure say why, and *status is the exit
 * status (a file given twice under two names is a usage error).
 */
static struct outfile *
outputs_open(const struct cli *c, bool append, struct collect *col,
    int *status)
{
	struct outfile *o = calloc(c->noutputs, sizeof(*o));
	const char **paths = calloc(c->noutputs, sizeof(*paths));
	struct wbuf **ws = calloc(c->noutputs, sizeof(*ws));
	size_t bad = 0, same = 0;
	int rc, fail = EXIT_FAILED;

	if (o == NULL || paths == NULL || ws == NULL) {
		log_error("out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->noutputs; i++)
		paths[i] = c->outputs[i].path;
	/* A resumed scan adds to the output of the run it continues. */
	rc = wbuf_open_set(paths, c->noutputs, append, ws, &bad, &same);
	if (rc == -2) {
		log_error("outputs '%s' and '%s' are the same file",
		    out_name(paths[same]), out_name(paths[bad]));
		fail = EXIT_USAGE;
		goto fail;
	}
	if (rc != 0) {
		log_error("cannot open '%s': %s", paths[bad], strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < c->noutputs; i++) {
		o[i].fmt = c->outputs[i].format;
		o[i].path = paths[i];
		o[i].w = ws[i];
		if (collect_add_output(col, o[i].fmt, o[i].w) != 0) {
			log_error("too many outputs");
			for (size_t k = 0; k < c->noutputs; k++)
				(void)wbuf_close(ws[k]);
			goto fail;
		}
	}
	free(paths);
	free(ws);
	return o;
fail:
	free(paths);
	free(ws);
	free(o);
	*status = fail;
	return NULL;
}

/*
 * Close every output; the first error wins, since a failed write is often
 * seen again at close.  Returns 0 or EXIT_FAILED (said why).
 */
static int
outputs_close(const struct cli *c, struct outfile *o, struct collect *col)
{
	const struct wbuf *bad;
	const char *path = NULL;
	int err;

	bad = collect_failed(col, &err);
	for (size_t i = 0; i < c->noutputs; i++) {
		int e = wbuf_close(o[i].w);

		if (o[i].w == bad || (err == 0 && e != 0)) {
			path = o[i].path;
			if (err == 0)
				err = e;
		}
	}
	free(o);
	if (err == 0)
		return 0;
	if (err == EPIPE) {
		/* The reader left (| head): end as a filter does. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	log_error("cannot write to '%s': %s", path != NULL ? out_name(path) :
	    "output", strerror(err));
	return EXIT_FAILED;
}

/* Outputs to stdout take p's line off a terminal first; p NULL: no more. */
static void
terminal_share(const struct cli *c, struct outfile *o, struct progress *p)
{
	for (size_t i = 0; i < c->noutputs; i++)
		if (strcmp(o[i].path, "-") == 0 && isatty(STDOUT_FILENO))
			wbuf_before_write(o[i].w, p != NULL ?
			    progress_clear_cb : NULL, p);
}

/* --- changes since the last run ----------------------------------------- */

struct compare {
	const struct cli *cli;
	struct baseline *old, *now;
	struct outfile *out;
	size_t changes;		/* reported so far */
	int failed;		/* errno of a failed baseline_add() */
};

static void
compare_host(void *ctx, const struct out_host *h, target_u128 addr)
{
	struct compare *cmp = ctx;

	for (size_t i = 0; i < h->nports && cmp->failed == 0; i++)
		if (h->ports[i].state == STATE_OPEN &&
		    baseline_add(cmp->now, h->family, addr, h->ports[i].port,
		    h->names, h->nnames) != 0)
			cmp->failed = errno;
}

static void
compare_change(void *ctx, const struct baseline_change *ch)
{
	struct compare *cmp = ctx;

	for (size_t i = 0; i < cmp->cli->noutputs; i++) {
		if (cmp->out[i].fmt == &out_text && cmp->changes == 0)
			wbuf_puts(cmp->out[i].w, "Changes since the last run:\n");
		if (cmp->out[i].fmt == &out_text)
			baseline_change_text(cmp->out[i].w, ch);
		else if (cmp->out[i].fmt == &out_ndjson)
			baseline_change_ndjson(cmp->out[i].w, ch);
	}
	cmp->changes++;
}

/*
 * Load the baseline before the scan: a damaged file is the user's to see
 * before a long scan, not after.  Returns GO_ON or an exit status.
 */
static int
compare_start(const struct cli *c, const struct work *w, struct compare *cmp)
{
	char err[512];

	memset(cmp, 0, sizeof(*cmp));
	cmp->cli = c;
	if (c->baseline == NULL)
		return GO_ON;
	if (baseline_load(c->baseline, &cmp->old, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	/* The targets and ports asked for, and the shard: not names' order. */
	cmp->now = baseline_new(w->state.fingerprint ^
	    ((uint64_t)w->state.shard_i << 32 | w->state.shard_n));
	if (cmp->now == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	return GO_ON;
}

/*
 * After a complete scan: report what changed, keep this run as the next
 * baseline.  Returns the exit status.
 */
static int
compare_finish(struct compare *cmp, const struct work *w, int status)
{
	const struct cli *c = cmp->cli;
	char err[512];
	ssize_t n = 0;

	if (c->baseline == NULL)
		return status;
	if (w->resumed) {
		log_warn("a resumed scan saw only part of the targets: '%s' "
		    "is neither compared nor replaced", c->baseline);
		return status;
	}
	if (cmp->failed != 0) {
		log_error("cannot keep the results for '%s': %s", c->baseline,
		    strerror(cmp->failed));
		return EXIT_FAILED;
	}
	if (cmp->old != NULL) {
		if (baseline_fingerprint(cmp->old) !=
		    baseline_fingerprint(cmp->now))
			log_warn("'%s' holds the results of another scan "
			    "(targets, ports or shard): what lies outside "
			    "this one shows as gone", c->baseline);
		n = baseline_diff(cmp->old, cmp->now, compare_change, cmp);
		if (n < 0) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		log_info("%zd change%s since the last run", n,
		    n == 1 ? "" : "s");
	}
	if (baseline_save(cmp->now, c->baseline, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if (n > 0 && c->fail_on_change && status == EXIT_DONE)
		return EXIT_CHANGED;
	return status;
}

static void
relay_grew(void *ctx, uint64_t probes)
{
	struct relay *r = ctx;

	progress_add_total(r->progress, probes);
}

/*
 * Run the scan.  With names still to resolve (nr->names not empty), they
 * are resolved while the scan runs and join it as they come.
 */
static int
scan(const struct cli *c, struct space *s, struct work *w,
    struct names_run *nr, unsigned concurrency, unsigned threads)
{
	struct scan_config cfg = {
		.concurrency = concurrency,
		.timeout_ms = c->timeout_ms,
		.retries = c->retries,
		.rate = c->rate,
		.host_concurrency = c->host_concurrency,
	};
	struct relay relay = { 0 };
	struct hub_config hc;
	struct outfile *out;
	struct hub *h;
	struct namefeed *feed = NULL;
	struct namefeed_stats fs = { 0 };
	struct compare cmp;
	struct out_run run = {
		.args = run_args != NULL ? run_args : "trawl",
		.start = time(NULL),
		.version = TRAWL_VERSION,
		.ports = c->ports,
		.appending = w->resumed,
	};
	struct out_stats st;
	uint64_t start = reactor_clock();
	bool live, out_failed, growing = names_set_count(nr->names) > 0;
	int rc, err, status;
	char msg[512];

	if ((status = compare_start(c, w, &cmp)) != GO_ON) {
		baseline_free(cmp.old);
		return status;
	}
	status = EXIT_DONE;
	relay.col = collect_new(s, c->report);
	if (relay.col == NULL) {
		log_error("out of memory");
		baseline_free(cmp.old);
		baseline_free(cmp.now);
		return EXIT_FAILED;
	}
	collect_set_run(relay.col, &run);
	out = outputs_open(c, w->resumed, relay.col, &status);
	if (out == NULL) {
		collect_free(relay.col);
		baseline_free(cmp.old);
		baseline_free(cmp.now);
		return status;
	}
	cmp.out = out;
	if (cmp.now != NULL)
		collect_set_hook(relay.col, STATE_BIT(STATE_OPEN), compare_host,
		    &cmp);
	/* The journal keeps every line: a live line would flood it. */
	live = !log_to_journal() && (c->progress == 1 ||
	    (c->progress == -1 && !c->quiet && isatty(STDERR_FILENO)));
	relay.progress = progress_new(live, c->quiet ? 0 : c->stats_every,
	    work_size(w));
	memset(&hc, 0, sizeof(hc));
	hc.threads = threads;
	hc.scan = cfg;
	hc.plan = &w->plan;
	hc.ranges = w->state.ranges;
	hc.nranges = w->state.nranges;
	hc.sink.deliver = relay_deliver;
	hc.sink.ctx = &relay;
	hc.growing = growing;
	h = hub_new(&hc);
	if (h != NULL && growing) {
		struct namefeed_config fc = {
			.space = s,
			.plan = &w->plan,
			.hub = h,
			.col = relay.col,
			.dns = &nr->dns,
			.grew = relay_grew,
			.ctx = &relay,
		};

		feed = namefeed_new(&fc, msg, sizeof(msg));
		if (feed == NULL) {
			log_error("%s", msg);
			hub_free(h);
			progress_free(relay.progress);
			(void)outputs_close(c, out, relay.col);
			collect_free(relay.col);
			return EXIT_FAILED;
		}
		for (size_t i = 0; i < names_set_count(nr->names); i++) {
			if (namefeed_add(feed, names_set_name(nr->names,
			    i)) != 0) {
				log_error("cannot resolve '%s': %s",
				    names_set_name(nr->names, i),
				    strerror(errno));
				namefeed_free(feed);
				hub_free(h);
				progress_free(relay.progress);
				(void)outputs_close(c, out, relay.col);
				collect_free(relay.col);
				return EXIT_FAILED;
			}
		}
	}
	if (h == NULL) {
		log_error("cannot start the scan: %s", strerror(errno));
		progress_free(relay.progress);
		(void)outputs_close(c, out, relay.col);
		collect_free(relay.col);
		return EXIT_FAILED;
	}
	collect_begin(relay.col);
	for (size_t i = 0; i < nr->nunres; i++)
		collect_unresolved(relay.col, nr->unres[i].name,
		    nr->unres[i].why);
	if (feed != NULL)
		namefeed_input_done(feed);
	/*
	 * Results on the terminal the progress line is on: take the line off
	 * before each write, not before each batch of results (most write
	 * nothing), so that it is drawn at most four times a second.
	 */
	terminal_share(c, out, relay.progress);
	running = h;
	if (stop_signal != 0)
		hub_stop(h);
	rc = hub_run(h);
	running = NULL;
	terminal_share(c, out, NULL);
	if (feed != NULL) {
		if (namefeed_finish(feed) != 0) {
			log_error("out of memory");
			status = EXIT_FAILED;
		}
		if (namefeed_error(feed) != 0)
			status = EXIT_FAILED;
		namefeed_get_stats(feed, &fs);
	}
	progress_free(relay.progress);

	memset(&st, 0, sizeof(st));
	collect_counts(relay.col, st.count);
	for (int i = 0; i < STATE_COUNT; i++)
		if (i != STATE_UNRESOLVED)
			st.probes += st.count[i];
	st.hosts = space_hosts(s);
	st.elapsed_s = seconds_since(start);
	/*
	 * Interrupted: the user stopped it.  A run stopped by an error says
	 * which, not "interrupted" (a full disk is nobody's Ctrl-C).
	 */
	st.interrupted = rc == 0 && stop_signal != 0 && (growing ||
	    work_left(h));
	st.failed = rc == -1 ? "output failed" : rc == -2 ?
	    "cannot open connections" : rc == -3 ? "cannot start a thread" :
	    NULL;
	collect_end(relay.col, &st);
	/* An interrupted or failed run never replaces the baseline. */
	if (!st.interrupted && status == EXIT_DONE && rc == 0 &&
	    collect_failed(relay.col, &err) == NULL)
		status = compare_finish(&cmp, w, status);
	baseline_free(cmp.old);
	baseline_free(cmp.now);

	/*
	 * Results that could not be written are lost, yet counted as done:
	 * a resume file would skip them for good, so none is offered.
	 */
	out_failed = outputs_close(c, out, relay.col) != 0;
	if (out_failed)
		status = EXIT_FAILED;
	if (rc == -2) {
		log_error("cannot open connections: %s",
		    strerror(hub_fatal_errno(h)));
		status = EXIT_FAILED;
	} else if (rc == -3) {
		log_error("cannot start a scan thread: %s",
		    strerror(hub_fatal_errno(h)));
		status = EXIT_FAILED;
	}
	if (!c->quiet)
		summary(&st, nr, &fs);
	if ((st.interrupted || rc != 0) && growing) {
		/*
		 * Where names landed in the order depends on when they
		 * resolved: no later run could find the same positions.
		 */
		log_warn("stopped; names were resolved during the scan, so it "
		    "cannot be resumed: give --resume FILE from the start");
	} else if ((st.interrupted || rc != 0) && !out_failed) {
		if (save_rest(w, h) != 0) {
			log_error("cannot save the rest of the scan to '%s': %s",
			    w->resume_path, strerror(errno));
		} else {
			log_warn("stopped; to continue: trawl --resume %s "
			    "with the same arguments", w->resume_path);
		}
	} else if (c->resume != NULL && unlink(c->resume) != 0 &&
	    errno != ENOENT) {
		log_warn("cannot remove '%s': %s", c->resume, strerror(errno));
	}
	if (status == EXIT_DONE && !st.interrupted && space_hosts(s) == 0) {
		log_error("no target address to scan");
		status = EXIT_FAILED;
	}
	namefeed_free(feed);
	hub_free(h);
	collect_free(relay.col);
	/*
	 * A signal that came once every probe was done stopped nothing: the
	 * outputs say "complete", and so does the exit status.
	 */
	if (status == EXIT_DONE && stop_signal != 0 && st.interrupted)
		status = 128 + stop_signal;
	return status;
}

/* CPUs online: the default number of threads. */
static unsigned
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/*
 * Sockets and threads that fit under the open file limit, raised as far as
 * it goes; live names need a few more for the resolver.  GO_ON, or
 * EXIT_FAILED when not even one connection fits.
 */
static int
fit_limit(const struct cli *c, bool live_names, unsigned *concurrency,
    unsigned *threads)
{
	unsigned long limit = fdlimit_raise(), more = live_names ? 3 : 0;
	unsigned long used = fdlimit_used();

	*concurrency = c->concurrency;
	*threads = c->threads > 0 ? c->threads : cpus();
	for (size_t i = 0; i < c->noutputs; i++)
		more += strcmp(c->outputs[i].path, "-") != 0;
	if (fdlimit_fit(limit, used, more, threads, concurrency) != 0) {
		log_error("the open file limit (%lu, %lu in use) leaves no "
		    "descriptor for a connection: raise it (ulimit -n)",
		    limit, used);
		return EXIT_FAILED;
	}
	if (*concurrency < c->concurrency)
		log_warn("concurrency lowered to %u (open file limit %lu)",
		    *concurrency, limit);
	if (c->threads > 0 && *threads < c->threads)
		log_warn("threads lowered to %u (open file limit %lu)",
		    *threads, limit);
	return GO_ON;
}

static int
run(const struct cli *c)
{
	struct space *s = space_new();
	struct names_run nr;
	struct work w;
	unsigned concurrency, threads;
	char err[256];
	bool ahead;
	int status;

	memset(&w, 0, sizeof(w));
	memset(&nr, 0, sizeof(nr));
	nr.cli = c;
	nr.space = s;
	nr.names = names_set_new();
	dns_setup(c, &nr.dns);
	if (s == NULL || nr.names == NULL) {
		log_error("out of memory");
		space_free(s);
		names_run_free(&nr);
		return EXIT_FAILED;
	}
	status = build_space(c, s, nr.names);
	if (status == GO_ON)
		status = discover_names(&nr);
	/*
	 * Names are resolved while the scan runs, except when the order
	 * must be known in advance: a resume file, shards and a dry run
	 * count positions, and --list-names scans nothing.  And when they
	 * are few: one round of queries resolves them all, so waiting costs
	 * a round trip, and the scan can then be stopped and resumed.
	 */
	ahead = c->resume != NULL || c->shard_n > 0 || c->dry_run ||
	    c->list_names || names_set_count(nr.names) <=
	    (c->dns_concurrency > 0 ? c->dns_concurrency :
	    DNS_DEFAULT_CONCURRENCY);
	if (status == GO_ON && ahead)
		status = resolve_names(&nr);
	if (status == GO_ON && nr.oom) {
		log_error("out of memory");
		status = EXIT_FAILED;
	}
	if (status == GO_ON && c->list_names)
		status = list_names(&nr);
	if (status == GO_ON && space_finish(s, c->ports, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		status = EXIT_FAILED;
	}
	if (status == GO_ON && ahead) {
		/* Resolved already: nothing joins the scan later. */
		names_set_free(nr.names);
		nr.names = names_set_new();
		if (nr.names == NULL) {
			log_error("out of memory");
			status = EXIT_FAILED;
		}
	}
	if (status == GO_ON && space_hosts(s) == 0 &&
	    (nr.names == NULL || names_set_count(nr.names) == 0)) {
		log_error("no target address to scan");
		status = EXIT_FAILED;
	}
	if (status == GO_ON)
		status = plan_work(c, s, &w);
	if (status == GO_ON && c->dry_run) {
		printf("%llu probes (%llu hosts x %zu ports", (unsigned long
		    long)work_size(&w), (unsigned long long)space_hosts(s),
		    space_nports(s));
		if (w.state.shard_n > 1)
			printf(", shard %u/%u", w.state.shard_i,
			    w.state.shard_n);
		printf(w.resumed ? ", resumed)\n" : ")\n");
		status = stdout_done();
	}
	if (status == GO_ON)
		status = fit_limit(c, names_set_count(nr.names) > 0,
		    &concurrency, &threads);
	if (status == GO_ON) {
		/* No point in more sockets than probes, if none will come. */
		if (work_size(&w) < concurrency &&
		    names_set_count(nr.names) == 0)
			concurrency = work_size(&w) > 0 ?
			    (unsigned)work_size(&w) : 1;
		status = scan(c, s, &w, &nr, concurrency, threads);
	}
	iter_plan_free(&w.plan);
	resume_free(&w.state);
	names_run_free(&nr);
	space_free(s);
	return status;
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
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		memcpy(p, argv[i], n);
		p += n;
		*p++ = i + 1 < argc ? ' ' : '\0';
	}
	if (argc == 0)
		*p = '\0';
	return s;
}

int
main(int argc, char **argv)
{
	struct cli c;
	int status;

	/*
	 * trawl needs no privilege, so it takes none: set-uid or set-gid, an
	 * unprivileged user could aim a privileged process's sockets.
	 */
	if (getuid() != geteuid() || getgid() != getegid()) {
		log_error("refusing to run set-uid or set-gid");
		/* Nothing to flush; and no exit hooks run with privileges. */
		_exit(EXIT_FAILED);
	}
	run_args = join_args(argc, argv);
	switch (cli_parse(&c, argc, argv)) {
	case CLI_RUN:
		break;
	case CLI_DONE:
		cli_free(&c);
		return stdout_done();
	case CLI_USAGE:
		cli_free(&c);
		return EXIT_USAGE;
	case CLI_FAIL:
		log_error("out of memory");
		cli_free(&c);
		return EXIT_FAILED;
	}
	if (c.quiet)
		log_set_level(LOG_LEVEL_ERROR);
	signals_setup();
	status = run(&c);
	cli_free(&c);
	free(run_args);
	return status;
}
