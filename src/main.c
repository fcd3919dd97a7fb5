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
#include <unistd.h>

#include "cli.h"
#include "trawl/collect.h"
#include "trawl/fdlimit.h"
#include "trawl/hub.h"
#include "trawl/iter.h"
#include "trawl/lines.h"
#include "trawl/log.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/progress.h"
#include "trawl/reactor.h"
#include "trawl/resolve.h"
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
	GO_ON = -1,		/* not an exit status: carry on */
};

#define DEFAULT_RESUME_FILE "trawl.resume"

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
}

/* --- targets and exclusions to the space --------------------------------- */

struct build {
	const struct cli *cli;
	struct space *space;
	int status;		/* GO_ON, or an exit status */
};

struct name_ctx {
	struct space *space;
	const char *name;
};

static int
add_resolved(void *ctx, int family, target_u128 addr)
{
	struct name_ctx *n = ctx;

	return space_add_name(n->space, family, addr, n->name);
}

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
	} else {
		struct name_ctx n = { b->space, word };
		int rc = resolve_name(word, b->cli->family, add_resolved, &n);

		if (rc == EAI_MEMORY) {
			log_error("out of memory");
			return b->status = EXIT_FAILED;
		}
		if (rc != 0)
			log_warn("%scannot resolve '%s': %s", where, word,
			    gai_strerror(rc));
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
build_space(const struct cli *c, struct space *s)
{
	struct build b = { c, s, GO_ON };
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
	iter_plan_init(&w->plan, s, st->order, st->seed);
	if (!w->resumed) {
		st->ranges = malloc(sizeof(*st->ranges));
		if (st->ranges == NULL) {
			log_error("out of memory");
			return EXIT_FAILED;
		}
		shard_range(space_probes(s), st->shard_i, st->shard_n,
		    &st->ranges[0].lo, &st->ranges[0].hi);
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
	rc = resume_save(w->resume_path, &out);
	free(out.ranges);
	return rc;
}

/* --- the scan ------------------------------------------------------------ */

/* Between the engine and the collector: progress, and the terminal. */
struct relay {
	struct collect *col;
	struct progress *progress;
	bool clear_first;	/* results and progress share a terminal */
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
	if (r->clear_first && n > 0)
		progress_clear(r->progress);
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
summary(const struct out_stats *st)
{
	log_info("%llu probes, %llu open, %llu closed, %llu filtered, "
	    "%llu unreachable in %.2f s (%.0f probes/s)%s",
	    (unsigned long long)st->probes,
	    (unsigned long long)st->count[STATE_OPEN],
	    (unsigned long long)st->count[STATE_CLOSED],
	    (unsigned long long)st->count[STATE_FILTERED],
	    (unsigned long long)st->count[STATE_UNREACHABLE],
	    st->elapsed_s,
	    st->elapsed_s > 0 ? (double)st->probes / st->elapsed_s : 0.0,
	    st->interrupted ? ", interrupted" : "");
}

static int
scan(const struct cli *c, struct space *s, struct work *w,
    unsigned concurrency, unsigned threads)
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
	struct wbuf *out;
	struct hub *h;
	struct out_stats st;
	uint64_t start = reactor_clock();
	bool live;
	int rc, err, status = EXIT_DONE;

	/* A resumed scan adds to the output of the run it continues. */
	out = wbuf_open(c->output, w->resumed);
	if (out == NULL) {
		log_error("cannot open '%s': %s", c->output, strerror(errno));
		return EXIT_FAILED;
	}
	relay.col = collect_new(s, c->report);
	if (relay.col == NULL ||
	    collect_add_output(relay.col, c->format, out) != 0) {
		log_error("out of memory");
		collect_free(relay.col);
		wbuf_close(out);
		return EXIT_FAILED;
	}
	live = c->progress == 1 || (c->progress == -1 && !c->quiet &&
	    isatty(STDERR_FILENO));
	relay.progress = progress_new(live, c->quiet ? 0 : c->stats_every,
	    work_size(w));
	relay.clear_first = strcmp(c->output, "-") == 0 &&
	    isatty(STDOUT_FILENO);
	memset(&hc, 0, sizeof(hc));
	hc.threads = threads;
	hc.scan = cfg;
	hc.plan = &w->plan;
	hc.ranges = w->state.ranges;
	hc.nranges = w->state.nranges;
	hc.sink.deliver = relay_deliver;
	hc.sink.ctx = &relay;
	h = hub_new(&hc);
	if (h == NULL) {
		log_error("cannot start the scan: %s", strerror(errno));
		progress_free(relay.progress);
		collect_free(relay.col);
		wbuf_close(out);
		return EXIT_FAILED;
	}
	collect_begin(relay.col);
	running = h;
	if (stop_signal != 0)
		hub_stop(h);
	rc = hub_run(h);
	running = NULL;
	progress_free(relay.progress);

	memset(&st, 0, sizeof(st));
	collect_counts(relay.col, st.count);
	for (int i = 0; i < STATE_COUNT; i++)
		st.probes += st.count[i];
	st.hosts = space_hosts(s);
	st.elapsed_s = seconds_since(start);
	st.interrupted = stop_signal != 0 || rc != 0;
	collect_end(relay.col, &st);

	/* The first error wins: a failed write is often seen again at close. */
	if (collect_failed(relay.col, &err) == NULL)
		err = wbuf_close(out);
	else
		(void)wbuf_close(out);
	if (err != 0) {
		if (err == EPIPE) {
			/* The reader left (| head): end as a filter does. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		log_error("cannot write to '%s': %s",
		    strcmp(c->output, "-") == 0 ? "standard output" : c->output,
		    strerror(err));
		status = EXIT_FAILED;
	}
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
		summary(&st);
	if (st.interrupted) {
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
	hub_free(h);
	collect_free(relay.col);
	if (status == EXIT_DONE && stop_signal != 0)
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

static int
run(const struct cli *c)
{
	struct space *s = space_new();
	struct work w;
	unsigned long limit;
	unsigned concurrency;
	char err[256];
	int status;

	memset(&w, 0, sizeof(w));
	if (s == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	status = build_space(c, s);
	if (status == GO_ON && space_finish(s, c->ports, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		status = EXIT_FAILED;
	}
	if (status == GO_ON && space_hosts(s) == 0) {
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
		status = fflush(stdout) == 0 ? EXIT_DONE : EXIT_FAILED;
	}
	if (status == GO_ON) {
		limit = fdlimit_raise();
		concurrency = fdlimit_fit(limit, c->concurrency);
		if (concurrency < c->concurrency)
			log_warn("concurrency lowered to %u (open file limit "
			    "%lu)", concurrency, limit);
		/* No point in more sockets than probes. */
		if (work_size(&w) < concurrency)
			concurrency = work_size(&w) > 0 ?
			    (unsigned)work_size(&w) : 1;
		status = scan(c, s, &w, concurrency, c->threads > 0 ?
		    c->threads : cpus());
	}
	resume_free(&w.state);
	space_free(s);
	return status;
}

int
main(int argc, char **argv)
{
	struct cli c;
	int status;

	switch (cli_parse(&c, argc, argv)) {
	case CLI_RUN:
		break;
	case CLI_DONE:
		cli_free(&c);
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_FAILED;
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
	return status;
}
