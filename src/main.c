/*
 * trawl: the command-line program, and only its wiring.  The options give a
 * run configuration (cli.c); its targets give the target space (targets.c,
 * nameprep.c); the space and the resume file give this run's work
 * (work.c); the work goes to the engines of a hub, their results to the
 * collector and the outputs (outfiles.c), and the open ports to a
 * comparison with the last run (compare.c).  ARCHITECTURE.md maps it all.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "trawl/checkpoint.h"
#include "trawl/collect.h"
#include "trawl/compare.h"
#include "trawl/dns.h"
#include "trawl/exitcode.h"
#include "trawl/fdlimit.h"
#include "trawl/grow.h"
#include "trawl/hub.h"
#include "trawl/log.h"
#include "trawl/namefeed.h"
#include "trawl/nameprep.h"
#include "trawl/names.h"
#include "trawl/outfiles.h"
#include "trawl/output.h"
#include "trawl/pace.h"
#include "trawl/progress.h"
#include "trawl/rdns.h"
#include "trawl/sanfeed.h"
#include "trawl/reactor.h"
#include "trawl/space.h"
#include "trawl/summary.h"
#include "trawl/targets.h"
#include "trawl/work.h"

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

/*
 * Before anything that can take long: the tests take an epoll instance as
 * the sign that a signal will be handled.
 */
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

/* CPUs online: the default number of threads. */
static unsigned
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/*
 * Sockets and threads that fit under the open file limit, raised as far as
 * it goes; live names and PTR names need a few more for the resolver, PTR
 * names one for their eventfd (rdns.c).  0, or EXIT_FAILED when not even
 * one connection fits.
 */
static int
fit_limit(const struct runconf *rc, bool live_names, unsigned *concurrency,
    unsigned *threads)
{
	unsigned long limit = fdlimit_raise();
	unsigned long more = (live_names || rc->names.rdns ? 3 : 0) +
	    rc->names.rdns;
	unsigned long used = fdlimit_used();

	*concurrency = rc->scan.concurrency;
	*threads = rc->threads > 0 ? rc->threads : cpus();
	/* With --resume, each file is read back too (outfiles.c). */
	for (size_t i = 0; i < rc->noutputs; i++)
		more += (strcmp(rc->outputs[i].path, "-") != 0) *
		    (rc->work.resume != NULL ? 2 : 1);
	if (fdlimit_fit(limit, used, more, threads, concurrency) != 0) {
		log_error("the open file limit (%lu, %lu in use) leaves no "
		    "descriptor for a connection: raise it (ulimit -n)",
		    limit, used);
		return EXIT_FAILED;
	}
	if (*concurrency < rc->scan.concurrency)
		log_warn("concurrency lowered to %u (open file limit %lu)",
		    *concurrency, limit);
	if (rc->threads > 0 && *threads < rc->threads)
		log_warn("threads lowered to %u (open file limit %lu)",
		    *threads, limit);
	return 0;
}

/* --- the scan ------------------------------------------------------------ */

/* Between the engines and the collector: the progress report. */
struct relay {
	struct collect *col;
	struct progress *progress;
	struct hub *hub;		/* what the path did, for progress */
	struct checkpoint *ck;		/* NULL: none */
	bool ck_failed;
	uint64_t done, open;
	const struct space *space;	/* names for --banners */
	struct sanfeed *san;		/* names from certificates, or NULL */
};

static int
relay_deliver(void *ctx, const struct scan_event *ev, size_t n,
    uint64_t done_below)
{
	struct relay *r = ctx;
	struct pace_stats ps;
	int rc;

	for (size_t i = 0; i < n; i++)
		r->open += ev[i].state == STATE_OPEN;
	r->done += n;
	/* Before the collector takes what answered: their names. */
	if (r->san != NULL)
		sanfeed_events(r->san, ev, n);
	rc = collect_deliver(r->col, ev, n, done_below);
	if (rc == 0 && r->ck != NULL && checkpoint_tick(r->ck) != 0) {
		r->ck_failed = true;
		rc = -1;
	}
	if (r->progress != NULL) {
		hub_pace(r->hub, &ps);
		progress_update(r->progress, r->done, r->open, &ps);
	}
	return rc;
}

/* Under the hub's lock: names join the space under it (grow.c). */
static bool
relay_name(void *ctx, uint64_t host, char *buf, size_t size)
{
	struct relay *r = ctx;

	return space_first_name(r->space, host, buf, size);
}

static void
relay_grew(void *ctx, uint64_t probes)
{
	struct relay *r = ctx;

	progress_add_total(r->progress, probes);
}

static double
seconds_since(uint64_t start)
{
	return (double)(reactor_clock() - start) / (double)REACTOR_NS_PER_S;
}

/* One scan and everything it drives, from the first output to the last. */
struct scanrun {
	const struct runconf *rc;
	struct space *space;
	struct work *work;
	struct nameprep *np;
	bool live;			/* names still resolve during it */
	struct out_run run;		/* for the outputs' headers */
	struct relay relay;
	struct outfiles *out;
	struct compare *cmp;
	struct hub *hub;
	struct dns *dns;		/* live names and PTR names share it */
	struct grow *grow;
	struct namefeed *feed;
	struct rdns *rdns;
};

/*
 * A resumed run, before it writes anything: the files it continues are
 * those saved (else it refuses), and the resume file is saved again as
 * they will be once cut back -- first, so that a death at any moment
 * leaves a resume file that matches them -- then they are cut back.
 * Then checkpoints, if asked.  0, or the exit status, the reason said.
 */
static int
resume_start(struct scanrun *sr)
{
	struct work *w = sr->work;
	struct resume_output *o;
	size_t n;
	char err[1024];
	int status;

	if (!w->resume_given)
		return 0;
	if ((status = outfiles_continue(sr->out, w->resumed ? &w->state :
	    NULL, w->resume_path, w->resumed, sr->relay.col)) != 0)
		return status;
	if (w->resumed) {
		if (outfiles_state(sr->out, OUTFILES_CUT, &o, &n, err,
		    sizeof(err)) != 0) {
			log_error("cannot continue the scan saved in '%s': %s",
			    w->resume_path, err);
			return EXIT_FAILED;
		}
		status = work_checkpoint(w, NULL, 0, o, n, err, sizeof(err));
		outfiles_state_free(o, n);
		if (status != 0) {
			log_error("cannot continue the scan saved in '%s': %s",
			    w->resume_path, err);
			return EXIT_FAILED;
		}
		if ((status = outfiles_cut(sr->out)) != 0)
			return status;
	}
	/* Names resolving during the scan cannot be resumed at all. */
	if (sr->live)
		return 0;
	sr->relay.ck = checkpoint_new(sr->rc->work.checkpoint_s, w, sr->out,
	    sr->relay.col, sr->cmp);
	if (sr->relay.ck == NULL && errno != 0) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	return 0;
}

/*
 * A resumed run with --baseline starts from the open ports the runs
 * before it found (compare_resume()).  Without --baseline, the side file
 * is not named again: the ports this run finds would be missing from it.
 * 0, or the exit status, the reason said.
 */
static int
found_start(struct scanrun *sr)
{
	struct resume *st = &sr->work->state;

	if (!sr->work->resumed)
		return 0;
	if (sr->cmp == NULL) {
		st->found = false;
		return 0;
	}
	return compare_resume(sr->cmp, st->found ?
	    sr->work->found_path[st->found_slot] : NULL, st->found_hash,
	    st->found_length);
}

/* --rdns: the collector's asks go to the resolver's thread (rdns.h). */
static int
ptr_ask(void *ctx, uint64_t host, int family, target_u128 addr)
{
	struct scanrun *sr = ctx;

	return rdns_ask(sr->rdns, host, family, addr);
}

/* An answer, in the resolver's thread: to the collector, under its lock. */
static void
ptr_answer(void *ctx, uint64_t host, const char *name)
{
	struct scanrun *sr = ctx;

	hub_lock(sr->hub);
	/* An output that failed stays failed: the next delivery says so. */
	(void)collect_ptr(sr->relay.col, host, name);
	hub_unlock(sr->hub);
}

/*
 * The resolver the scan's names and PTR names share, in the reactor of
 * the engine that runs in this thread; PTR names asked through it.
 */
static int
dns_start(struct scanrun *sr)
{
	const struct runconf *rc = sr->rc;
	struct rdns_sink sink = { .answer = ptr_answer, .ctx = sr };
	char msg[512];

	if (!sr->live && !rc->names.rdns)
		return 0;
	sr->dns = dns_new(hub_reactor(sr->hub), &rc->names.dns, msg,
	    sizeof(msg));
	if (sr->dns == NULL) {
		log_error("%s", msg);
		return EXIT_FAILED;
	}
	if (!rc->names.rdns)
		return 0;
	if ((sr->rdns = rdns_new(hub_reactor(sr->hub), sr->dns,
	    &sink)) == NULL) {
		log_error("cannot ask for PTR names: %s", strerror(errno));
		return EXIT_FAILED;
	}
	collect_set_ptr(sr->relay.col, ptr_ask, sr);
	return 0;
}

/*
 * --subdomains with --banners: the names of the certificates the scan meets
 * join it (sanfeed.h), which needs names resolving while it runs.  Not when
 * the order must be known in advance (as for names, see run()), nor when
 * shards would each scan the same names again.
 */
static bool
san_mode(const struct runconf *rc)
{
	return rc->scan.banners && rc->names.ndomains > 0 &&
	    rc->work.resume == NULL && rc->work.shard_n <= 1 &&
	    !rc->work.dry_run && !rc->names.list_names;
}

/* Names still to resolve join the scan as they resolve (grow.h). */
static int
feed_start(struct scanrun *sr)
{
	const struct names_set *names = nameprep_names(sr->np);
	struct grow_config gc = {
		.space = sr->space,
		.plan = &sr->work->plan,
		.hub = sr->hub,
		.col = sr->relay.col,
		.grew = relay_grew,
		.ctx = &sr->relay,
	};

	if ((sr->grow = grow_new(&gc)) == NULL || (sr->feed = namefeed_new(
	    hub_reactor(sr->hub), sr->dns, grow_sink(sr->grow))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	if (san_mode(sr->rc) && (sr->relay.san = sanfeed_new(
	    sr->rc->names.domains, sr->rc->names.ndomains,
	    nameprep_known(sr->np))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < names_set_count(names); i++) {
		if (namefeed_add(sr->feed, names_set_name(names, i)) != 0) {
			log_error("cannot resolve '%s': %s",
			    names_set_name(names, i), strerror(errno));
			return EXIT_FAILED;
		}
	}
	return 0;
}

/*
 * Everything the scan needs, in the order a mistake is best found: the
 * baseline file (damaged, it is the user's to see before a long scan),
 * the outputs, the engines, the names that resolve while they run.
 * 0, or the exit status, the reason said.
 */
static int
scan_open(struct scanrun *sr, unsigned concurrency, unsigned threads)
{
	const struct runconf *rc = sr->rc;
	const struct resume *st = &sr->work->state;
	struct hub_config hc = { 0 };
	bool shown;
	int status;

	if ((sr->relay.col = collect_new(sr->space, rc->report)) == NULL) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	collect_set_run(sr->relay.col, &sr->run);
	/* The targets and ports asked for, and the shard: not names' order. */
	if ((status = compare_start(rc->baseline, rc->cert_expiry,
	    st->fingerprint ^
	    ((uint64_t)st->shard_i << 32 | st->shard_n), rc->outputs,
	    rc->noutputs, sr->relay.col, &sr->cmp)) != 0)
		return status;
	if ((status = found_start(sr)) != 0)
		return status;
	if ((sr->out = outfiles_open(rc->outputs, rc->noutputs,
	    sr->work->resumed, sr->work->resumed ? st : NULL,
	    sr->work->resume_given ? sr->work->resume_path : NULL,
	    sr->relay.col, &status)) == NULL)
		return status;
	if ((status = resume_start(sr)) != 0)
		return status;
	/* The journal keeps every line: a live line would flood it. */
	shown = !log_to_journal() && (rc->progress == 1 ||
	    (rc->progress == -1 && !rc->quiet && isatty(STDERR_FILENO)));
	sr->relay.progress = progress_new(shown, rc->quiet ? 0 :
	    rc->stats_every, work_size(sr->work));
	hc.threads = threads;
	hc.scan = rc->scan;
	hc.scan.concurrency = concurrency;
	hc.plan = &sr->work->plan;
	hc.ranges = st->ranges;
	hc.nranges = st->nranges;
	hc.sink.deliver = relay_deliver;
	hc.sink.name = rc->scan.banners ? relay_name : NULL;
	hc.sink.ctx = &sr->relay;
	sr->relay.space = sr->space;
	hc.growing = sr->live;
	if ((sr->hub = hub_new(&hc)) == NULL) {
		log_error("cannot start the scan: %s", strerror(errno));
		return EXIT_FAILED;
	}
	sr->relay.hub = sr->hub;
	if ((status = dns_start(sr)) != 0)
		return status;
	return sr->live ? feed_start(sr) : 0;
}

/* Run the engines to their end, or until a signal.  hub_run()'s result. */
static int
scan_run(struct scanrun *sr)
{
	int hrc;

	collect_begin(sr->relay.col);
	nameprep_unresolved(sr->np, sr->relay.col);
	if (sr->feed != NULL && (sr->relay.san == NULL ||
	    sanfeed_start(sr->relay.san, sr->hub, hub_reactor(sr->hub),
	    sr->feed) != 0))
		namefeed_input_done(sr->feed);
	/*
	 * Results on the terminal the progress line is on take the line off
	 * before each write, not before each batch of results (most write
	 * nothing), so that it is drawn at most four times a second.
	 */
	outfiles_share_terminal(sr->out, sr->relay.progress);
	running = sr->hub;
	if (stop_signal != 0)
		hub_stop(sr->hub);
	hrc = hub_run(sr->hub);
	running = NULL;
	outfiles_share_terminal(sr->out, NULL);
	progress_free(sr->relay.progress);
	sr->relay.progress = NULL;
	return hrc;
}

/*
 * After the engines: the changes since the last run, the outputs closed,
 * the summary, and what becomes of the work left.  The exit status.
 */
/*
 * The engines are done: the PTR answers still out and the live names are
 * waited for, and st says what the run did.  EXIT_DONE, or EXIT_FAILED
 * when the names could not be finished.
 */
static int
scan_tally(struct scanrun *sr, int hrc, uint64_t start, struct out_stats *st,
    struct namefeed_stats *fs)
{
	int status = EXIT_DONE;

	/*
	 * The hosts waiting for a PTR name are written as the answers come.
	 * A run stopped or failed does not wait.
	 */
	if (sr->rdns != NULL && hrc == 0 && stop_signal == 0 &&
	    rdns_wait(sr->rdns, &stop_signal) != 0 && stop_signal == 0)
		log_warn("cannot wait for PTR names: %s", strerror(errno));
	if (sr->feed != NULL) {
		if (namefeed_finish(sr->feed) != 0)
			status = EXIT_FAILED;
		namefeed_get_stats(sr->feed, fs);
	}
	collect_counts(sr->relay.col, st->count);
	for (int i = 0; i < STATE_COUNT; i++)
		if (i != STATE_UNRESOLVED)
			st->probes += st->count[i];
	st->hosts = space_hosts(sr->space);
	st->elapsed_s = seconds_since(start);
	/*
	 * Interrupted: the user stopped it.  A run stopped by an error says
	 * which, not "interrupted" (a full disk is nobody's Ctrl-C).  A
	 * signal that came once every probe was done stopped nothing.
	 */
	st->interrupted = hrc == 0 && stop_signal != 0 && (sr->live ||
	    work_left(sr->hub));
	st->failed = hrc == -1 ? (sr->relay.ck_failed ? "checkpoint failed" :
	    "output failed") : hrc == -2 ?
	    "cannot open connections" : hrc == -3 ? "cannot start a thread" :
	    NULL;
	return status;
}

/*
 * What becomes of the resume file, said to the user: saved for a run
 * stopped early (by the user or an error), removed for one complete (and only then the baseline
 * replaced: a crash before that compares again next time), the last
 * checkpoint kept when the rest could not be saved.  The status.
 */
static int
scan_resume_end(struct scanrun *sr, bool early, bool kept, bool compared,
    struct resume_output *files, size_t nfiles, int status)
{
	struct work *w = sr->work;

	if (early && sr->live) {
		/*
		 * Where names landed in the order depends on when they
		 * resolved: no later run could find the same positions.
		 */
		log_warn("stopped; names were resolved during the scan, so it "
		    "cannot be resumed: give --resume FILE from the start");
	} else if (kept) {
		/* The last checkpoint, if any, is as good as it was. */
		if (checkpoint_count(sr->relay.ck) > 0 || w->resumed)
			log_warn("'%s' holds the last checkpoint: trawl "
			    "--resume %s with the same arguments continues "
			    "from it", w->resume_path, w->resume_path);
	} else if (early) {
		if (work_save(w, sr->cmp, sr->hub, files, nfiles) == 0)
			log_warn("stopped; to continue: trawl --resume %s "
			    "with the same arguments", w->resume_path);
	} else {
		work_complete(w);
		if (compared && compare_save(sr->cmp) != 0)
			status = EXIT_FAILED;
	}
	return status;
}

static int
scan_close(struct scanrun *sr, int hrc, uint64_t start)
{
	const struct runconf *rc = sr->rc;
	struct namefeed_stats fs = { 0 };
	struct out_stats st = { 0 };
	struct pace_stats path;
	struct resume_output *files = NULL;
	size_t nfiles = 0;
	char msg[1024];
	int status, err;
	bool out_failed, stopped, saved = true, compared = false;

	status = scan_tally(sr, hrc, start, &st, &fs);
	stopped = (st.interrupted || hrc != 0) && !sr->live;
	/*
	 * Every host held is written now, a part of one too; a run that
	 * continues cuts off what the end writes after them (the XML's
	 * runstats), so that its file stays one document.
	 */
	collect_drain(sr->relay.col);
	if (sr->work->resume_given)
		outfiles_mark(sr->out);
	/* An interrupted or failed run never replaces the baseline. */
	if (!st.interrupted && status == EXIT_DONE && hrc == 0 &&
	    collect_failed(sr->relay.col, &err) == NULL) {
		status = compare_finish(sr->cmp, sr->relay.col,
		    rc->fail_on_change, status);
		compared = status != EXIT_FAILED;
	}
	collect_end(sr->relay.col, &st);
	/*
	 * The files as the resume file will know them: on the disk first.
	 * When that fails, the last checkpoint is the better resume file.
	 */
	if (stopped && sr->work->resume_given &&
	    collect_failed(sr->relay.col, &err) == NULL &&
	    outfiles_state(sr->out, OUTFILES_STOPPED, &files, &nfiles, msg,
	    sizeof(msg)) != 0) {
		log_error("cannot save the rest of the scan: %s", msg);
		saved = false;
		status = EXIT_FAILED;
	}
	/*
	 * Results that could not be written are lost, yet counted as done:
	 * a resume file would skip them for good, so none is offered.
	 */
	out_failed = outfiles_close(sr->out, sr->relay.col) != 0;
	sr->out = NULL;
	if (out_failed)
		status = EXIT_FAILED;
	/* A failed checkpoint: the output did not fail, yet the run did. */
	if (hrc == -1)
		status = EXIT_FAILED;
	if (hrc == -2 || hrc == -3) {
		log_error("cannot %s: %s", hrc == -2 ? "open connections" :
		    "start a scan thread", strerror(hub_fatal_errno(sr->hub)));
		status = EXIT_FAILED;
	}
	hub_pace(sr->hub, &path);
	if (!rc->quiet) {
		struct summary_names names = {
			.before = nameprep_stats(sr->np),
			.during = &fs,
			.discovering = rc->names.ndomains > 0,
			.discovered = nameprep_discovered(sr->np) +
			    (sr->relay.san != NULL ?
			    sanfeed_count(sr->relay.san) : 0),
			.from_certs = sr->relay.san != NULL ?
			    sanfeed_count(sr->relay.san) : 0,
		};

		summary_log(&st, &names, &path);
	}
	status = scan_resume_end(sr, (st.interrupted || hrc != 0),
	    out_failed || !saved, compared, files, nfiles, status);
	if (status == EXIT_DONE && !st.interrupted &&
	    space_hosts(sr->space) == 0) {
		log_error("no target address to scan");
		status = EXIT_FAILED;
	}
	if (status == EXIT_DONE && st.interrupted)
		status = 128 + stop_signal;
	outfiles_state_free(files, nfiles);
	return status;
}

/*
 * Run the scan of w over s.  With names still to resolve, they are resolved
 * while the scan runs and join it as they come.  Returns the exit status.
 */
static int
scan(const struct runconf *rc, struct space *s, struct work *w,
    struct nameprep *np, unsigned concurrency, unsigned threads)
{
	struct scanrun sr = {
		.rc = rc,
		.space = s,
		.work = w,
		.np = np,
		.live = names_set_count(nameprep_names(np)) > 0 ||
		    san_mode(rc),
		.run = {
			.args = rc->args,
			.start = time(NULL),
			.version = TRAWL_VERSION,
			.ports = rc->ports,
			/* Each output's own (outfiles_continue()). */
			.appending = w->resumed,
			.stylesheet = rc->no_stylesheet ? NULL :
			    rc->stylesheet != NULL ? rc->stylesheet :
			    output_stylesheet(),
			.rdns = rc->names.rdns,
			.banners = rc->scan.banners,
		},
	};
	uint64_t start = reactor_clock();
	int status;

	if ((status = scan_open(&sr, concurrency, threads)) == 0)
		status = scan_close(&sr, scan_run(&sr), start);
	progress_free(sr.relay.progress);
	if (sr.out != NULL)
		(void)outfiles_close(sr.out, sr.relay.col);
	rdns_free(sr.rdns);
	namefeed_free(sr.feed);
	/* Before the hub: its timer and sockets are in an engine's reactor. */
	sanfeed_free(sr.relay.san);
	dns_free(sr.dns);
	grow_free(sr.grow);
	hub_free(sr.hub);
	compare_free(sr.cmp);
	checkpoint_free(sr.relay.ck);
	collect_free(sr.relay.col);
	return status;
}

/* --- the run ------------------------------------------------------------- */

static int
run(const struct runconf *rc)
{
	struct space *s = space_new();
	struct nameprep *np = NULL;
	struct work w;
	unsigned concurrency, threads;
	size_t nnames;
	char err[256];
	int status;

	memset(&w, 0, sizeof(w));
	if (s == NULL || (np = nameprep_new(&rc->names, s,
	    &stop_signal)) == NULL) {
		log_error("out of memory");
		status = EXIT_FAILED;
		goto out;
	}
	if ((status = targets_build(&rc->targets, s, nameprep_names(np))) != 0 ||
	    (status = nameprep_discover(np)) != 0)
		goto out;
	/*
	 * Names are resolved while the scan runs, except when the order
	 * must be known in advance: a resume file, shards and a dry run
	 * count positions, and --list-names scans nothing.  And when they
	 * are few: one round of queries resolves them all, so waiting costs
	 * a round trip, and the scan can then be stopped and resumed.
	 */
	nnames = names_set_count(nameprep_names(np));
	if (rc->work.resume != NULL || rc->work.shard_n > 1 ||
	    rc->work.dry_run || rc->names.list_names ||
	    nnames <= (rc->names.dns.concurrency > 0 ?
	    rc->names.dns.concurrency : DNS_DEFAULT_CONCURRENCY))
		if ((status = nameprep_resolve(np)) != 0)
			goto out;
	if (rc->names.list_names) {
		nameprep_list(np);
		status = stdout_done();
		goto out;
	}
	if (space_finish(s, rc->ports, err, sizeof(err)) != 0) {
		log_error("%s", err);
		status = EXIT_FAILED;
		goto out;
	}
	if (space_hosts(s) == 0 && names_set_count(nameprep_names(np)) == 0) {
		log_error("no target address to scan");
		status = EXIT_FAILED;
		goto out;
	}
	if ((status = work_plan(&w, &rc->work, s)) != 0)
		goto out;
	if (rc->work.dry_run) {
		work_print(&w, s);
		status = stdout_done();
		goto out;
	}
	if ((status = fit_limit(rc, names_set_count(nameprep_names(np)) > 0 ||
	    san_mode(rc), &concurrency, &threads)) != 0)
		goto out;
	/* No point in more sockets than probes, if none will come. */
	if (work_size(&w) < concurrency &&
	    names_set_count(nameprep_names(np)) == 0 && !san_mode(rc))
		concurrency = work_size(&w) > 0 ? (unsigned)work_size(&w) : 1;
	status = scan(rc, s, &w, np, concurrency, threads);
out:
	work_free(&w);
	nameprep_free(np);
	space_free(s);
	return status;
}

int
main(int argc, char **argv)
{
	struct cli *c;
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
	switch (cli_parse(argc, argv, &c)) {
	case CLI_RUN:
		break;
	case CLI_DONE:
		cli_free(c);
		return stdout_done();
	case CLI_USAGE:
		cli_free(c);
		return EXIT_USAGE;
	case CLI_FAIL:
		log_error("out of memory");
		cli_free(c);
		return EXIT_FAILED;
	}
	if (cli_runconf(c)->quiet)
		log_set_level(LOG_LEVEL_ERROR);
	signals_setup();
	status = run(cli_runconf(c));
	cli_free(c);
	return status;
}
