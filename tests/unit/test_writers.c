/*
 * Output formats, byte for byte: one fixed stream of events driven through
 * the collector into every format at once (text, ndjson, csv, grep, xml),
 * each written to a wbuf on a temporary file and compared with its golden
 * file in tests/unit/golden/, for a complete scan and for an interrupted
 * one (hosts still held when it stops).
 *
 * The stream has IPv4 and IPv6 hosts; a host reached by two names; one with
 * a hostile name (quotes, <, >, &, a comma, a control character, a
 * backslash, invalid and valid UTF-8); every port state; ports with a
 * service name (22 ssh, 80 http, 443 https) and one without (47999); two
 * names that gave no address, one of them hostile too.  A complete scan
 * ends with changes since the last run (--baseline) of every kind, with no
 * name, one, two and the hostile one: where each format puts them and how
 * it escapes them (NDJSON and CSV have no place for them and must not
 * change).  The separate scenario is the complete scan with a changes
 * output too: the changes are there alone, and every other format is as
 * without --baseline, results only.
 *
 * The rdns scenario is the complete one with PTR names asked for (--rdns)
 * and 192.0.2.4 open too: a PTR name for a host given by address, one
 * for a host given by a (hostile) name, one that is a given name but for
 * its case, and a host whose look-up gave none; the answers come after
 * the hosts are finished, out of order.
 *
 * Golden files are found in $TRAWL_GOLDEN_DIR (tests/unit/meson.build sets
 * it).  To write them anew after a deliberate change of a format:
 *
 *     TRAWL_GOLDEN_UPDATE=1 meson test -C build writers
 *     git diff tests/unit/golden/
 *
 * and read the diff before committing it.
 *
 * What would differ from run to run is fixed: the run's start, command line
 * and version through struct out_run, the elapsed seconds through struct
 * out_stats, local time as UTC (TZ).  What the formats still take from the
 * clock themselves -- the time the grepable trailer and the XML runstats
 * were written, and each XML host's endtime -- is replaced before the
 * comparison by @NOW@ (seconds) and @NOWSTR@ (the same as text), and only
 * where it is a time between the start and the end of the run.  Nothing
 * else is touched.
 *
 * Service names come from the services database; a machine whose database
 * does not say ssh, http and https for 22, 80 and 443, and nothing for
 * 47999, (Debian's /etc/services does) skips the test.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trawl/collect.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/space.h"
#include "trawl/wbuf.h"

static const char *golden_dir;
static bool golden_update;

/* --- the scan ------------------------------------------------------------- */

#define HOSTILE "h\"o<s>t&,\x01\xff\\\xc3\xa9'.example"

/*
 * Hosts: 0-3 are 192.0.2.1-4, 4 and 5 are 2001:db8::1 and ::2; a host's
 * group is its number (a sequential walk).
 */
static const struct {
	const char *addr, *name;
} names[] = {
	{ "192.0.2.1", "www.example.com" },
	{ "192.0.2.1", "alt.example.com" },
	{ "192.0.2.3", HOSTILE },
	{ "2001:db8::1", "v6.example.net" },
};

#define MS (1000 * 1000ULL)

static struct scan_event
ev(uint64_t host, uint16_t port, enum state st, int err, uint64_t rtt_ns)
{
	struct scan_event e;

	memset(&e, 0, sizeof(e));
	e.host = e.group = host;
	e.pos = host * 4;
	e.port = port;
	e.state = (uint8_t)st;
	e.err = err;
	e.rtt_ns = rtt_ns;
	e.attempts = 1;
	return e;
}

/*
 * Batches as an engine delivers them: out of order, a host over two, and
 * never an event for a group the engine already said was done.
 */
static void
batch1(struct scan_event *e, size_t *n)
{
	e[(*n)++] = ev(1, 443, STATE_UNREACHABLE, ENETUNREACH, 2 * MS);
	e[(*n)++] = ev(0, 80, STATE_CLOSED, ECONNREFUSED, 500 * 1000);
	e[(*n)++] = ev(0, 22, STATE_OPEN, 0, 1234567);
	e[(*n)++] = ev(1, 22, STATE_UNREACHABLE, EHOSTUNREACH, 3 * MS);
	e[(*n)++] = ev(0, 47999, STATE_OPEN, 0, 12 * MS);
	e[(*n)++] = ev(0, 443, STATE_FILTERED, 0, 0);
	e[(*n)++] = ev(2, 80, STATE_OPEN, 0, 250 * 1000);
}

static void
batch2(struct scan_event *e, size_t *n)
{
	e[(*n)++] = ev(1, 80, STATE_FILTERED, EPERM, 0);
	e[(*n)++] = ev(3, 22, STATE_FILTERED, 0, 0);
	e[(*n)++] = ev(2, 443, STATE_CLOSED, ECONNREFUSED, 999999);
}

static void
batch3(struct scan_event *e, size_t *n)
{
	e[(*n)++] = ev(5, 47999, STATE_CLOSED, ECONNRESET, 7 * MS);
	e[(*n)++] = ev(4, 443, STATE_OPEN, 0, 40 * MS);
	e[(*n)++] = ev(4, 22, STATE_CLOSED, ECONNREFUSED, 41 * MS);
}

/*
 * For the scenario without --states: 2001:db8::2 refuses 30 more ports,
 * too many for nmap's formats to list; 2001:db8::1 drops three.
 */
static void
batch_many(struct scan_event *e, size_t *n)
{
	for (uint16_t p = 1; p <= 30; p++)
		e[(*n)++] = ev(5, p, STATE_CLOSED, ECONNREFUSED, 7 * MS);
	for (uint16_t p = 31; p <= 33; p++)
		e[(*n)++] = ev(4, p, STATE_FILTERED, 0, 0);
}

/*
 * Changes since the last run, in the order baseline_diff() gives them:
 * (family, address, port), a host before its ports.
 */
static const char *const both[] = { "alt.example.com", "www.example.com" };
static const char *const hostile[] = { HOSTILE };
static const char *const v6[] = { "v6.example.net" };

/*
 * What answered (--banners), before and now: a new version of the same
 * product; a hostile product and subject where a service changed to
 * another inside TLS; a certificate replaced, and one expiring.
 */
static const struct out_answer ans_was = {
	"http", false, "nginx", "1.22.1",
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	1797033600, "CN=www.example.com,O=Example",
};
static const struct out_answer ans_now = {
	"http", false, "nginx", "1.24.0",
	"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
	1803859200, "CN=www.example.com",
};
static const struct out_answer ans_ssh = {
	"ssh", false, "OpenSSH", "9.2p1", NULL, 0, NULL,
};
static const struct out_answer ans_hostile = {
	"http", true, HOSTILE, NULL,
	"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
	1767225600, "CN=" HOSTILE,
};

static const struct out_change changes[] = {
	{ OUT_PORT_CLOSED, AF_INET, "192.0.2.1", 80, both, 2, NULL, NULL, 0 },
	{ OUT_PORT_OPENED, AF_INET, "192.0.2.1", 47999, both, 2, NULL, NULL,
	    0 },
	{ OUT_SERVICE_CHANGED, AF_INET, "192.0.2.1", 8080, both, 2, &ans_was,
	    &ans_now, 0 },
	{ OUT_CERT_CHANGED, AF_INET, "192.0.2.1", 8080, both, 2, &ans_was,
	    &ans_now, 0 },
	{ OUT_HOST_DOWN, AF_INET, "192.0.2.2", 0, NULL, 0, NULL, NULL, 0 },
	{ OUT_PORT_CLOSED, AF_INET, "192.0.2.2", 22, NULL, 0, NULL, NULL, 0 },
	{ OUT_HOST_UP, AF_INET, "192.0.2.3", 0, hostile, 1, NULL, NULL, 0 },
	{ OUT_PORT_OPENED, AF_INET, "192.0.2.3", 80, hostile, 1, NULL, NULL,
	    0 },
	{ OUT_SERVICE_CHANGED, AF_INET, "192.0.2.3", 443, hostile, 1,
	    &ans_ssh, &ans_hostile, 0 },
	{ OUT_HOST_UP, AF_INET6, "2001:db8::1", 0, v6, 1, NULL, NULL, 0 },
	{ OUT_PORT_OPENED, AF_INET6, "2001:db8::1", 443, v6, 1, NULL, NULL,
	    0 },
	/* After the changes, in their own order: the certificates. */
	{ OUT_CERT_EXPIRING, AF_INET, "192.0.2.1", 8080, both, 2, NULL,
	    &ans_now, 4 },
	{ OUT_CERT_EXPIRING, AF_INET, "192.0.2.3", 443, hostile, 1, NULL,
	    &ans_hostile, -1 },
	{ OUT_CERT_EXPIRING, AF_INET6, "2001:db8::1", 443, v6, 1, NULL,
	    &ans_now, 1 },
};

/* --- the formats ---------------------------------------------------------- */

static const struct {
	const char *format, *ext;
} formats[] = {
	{ "text", "txt" },
	{ "ndjson", "ndjson" },
	{ "csv", "csv" },
	{ "grep", "gnmap" },
	{ "xml", "xml" },
	{ "changes", "changes.ndjson" },	/* separate only */
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/*
 * complete and interrupted: --states all; defaults: no --states (each
 * format's own), ports enough for nmap's formats to count some.
 */
static const char *const scenarios[] = { "complete", "interrupted",
    "defaults", "separate", "rdns" };
enum { COMPLETE, INTERRUPTED, DEFAULTS, SEPARATE, RDNS };

/* --rdns: the hosts asked for, as a bit each. */
static unsigned asked;

static int
ask_ptr(void *ctx, uint64_t host, int family, target_u128 addr)
{
	(void)ctx;
	(void)family;
	(void)addr;
	ck_assert_uint_lt(host, 32);
	ck_assert_msg(!(asked & 1u << host), "host %u asked twice",
	    (unsigned)host);
	asked |= 1u << host;
	return 0;
}

/* Output to an unlinked temporary file. */
struct out {
	int fd;
	struct wbuf *w;
};

static void
out_open(struct out *o)
{
	char path[] = "/tmp/trawl-writers-XXXXXX";

	o->fd = mkstemp(path);
	ck_assert_int_ge(o->fd, 0);
	unlink(path);
	o->w = wbuf_fdopen(o->fd);
	ck_assert_ptr_nonnull(o->w);
}

/* Everything written, as a string (caller frees); *len its length. */
static char *
out_close(struct out *o, size_t *len)
{
	off_t end;
	char *text;

	ck_assert_int_eq(wbuf_close(o->w), 0);
	end = lseek(o->fd, 0, SEEK_END);
	ck_assert_int_ge(end, 0);
	text = calloc(1, (size_t)end + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(pread(o->fd, text, (size_t)end, 0), end);
	close(o->fd);
	*len = (size_t)end;
	return text;
}

static target_u128
ip(const char *s, int *family)
{
	unsigned char b[16];

	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, s, b), 1);
	return target_from_bytes(*family, b);
}

static void
add_range(struct space *s, const char *lo, const char *hi)
{
	int family;
	target_u128 a = ip(lo, &family), b = ip(hi, &family);

	ck_assert_int_eq(space_add_range(s, family, a, b), 0);
}

/*
 * The scan, into every format; text[i] gets format i's output, NULL for
 * the changes format but in the separate scenario.  *t0 and *t1 bracket
 * the wall-clock time the formats may have read.
 */
static void
run_scan(int scenario, char *text[NFORMATS], size_t len[NFORMATS],
    time_t *t0, time_t *t1)
{
	bool interrupted = scenario == INTERRUPTED;
	struct ports *ports = ports_new();
	struct space *space = space_new();
	struct collect *c;
	struct out outs[NFORMATS];
	struct scan_event e[64];
	struct out_run run;
	struct out_stats st;
	char err[256];
	size_t n = 0;

	ck_assert_ptr_nonnull(ports);
	ck_assert_ptr_nonnull(space);
	/* Not in ascending order: the XML's services attribute sorts. */
	ck_assert_int_eq(ports_parse(ports, scenario == DEFAULTS ?
	    "443,22,80,47999,1-33" : "443,22,80,47999", err, sizeof(err)), 0);
	add_range(space, "192.0.2.1", "192.0.2.4");
	add_range(space, "2001:db8::1", "2001:db8::2");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int family;
		target_u128 a = ip(names[i].addr, &family);

		ck_assert_int_eq(space_add_name(space, family, a,
		    names[i].name), 0);
	}
	ck_assert_int_eq(space_finish(space, ports, err, sizeof(err)), 0);
	ck_assert_uint_eq(space_hosts(space), 6);

	memset(&run, 0, sizeof(run));
	run.args = scenario == RDNS ? "trawl -p 443,22,80,47999 --states all "
	    "--rdns -oA scan 192.0.2.1-4 2001:db8::1-2 www.example.com "
	    "'h\"o<s>t&.example'" : "trawl -p 443,22,80,47999 --states all "
	    "-oA scan 192.0.2.1-4 2001:db8::1-2 www.example.com "
	    "'h\"o<s>t&.example'";
	run.start = 1700000000;		/* Tue Nov 14 22:13:20 2023 UTC */
	run.version = "0.1.0-golden";
	run.ports = ports;
	if (scenario == DEFAULTS)
		run.stylesheet = "file:///usr/share/nmap/nmap.xsl";
	run.rdns = scenario == RDNS;

	c = collect_new(space, scenario == DEFAULTS ? 0 : STATE_ALL);
	ck_assert_ptr_nonnull(c);
	collect_set_run(c, &run);
	asked = 0;
	if (scenario == RDNS)
		collect_set_ptr(c, ask_ptr, NULL);
	for (size_t i = 0; i < NFORMATS; i++) {
		const struct out_format *f = output_find(formats[i].format);

		ck_assert_ptr_nonnull(f);
		outs[i].w = NULL;
		if (f->changes_only && scenario != SEPARATE)
			continue;
		out_open(&outs[i]);
		ck_assert_int_eq(collect_add_output(c, f, outs[i].w), 0);
	}

	*t0 = time(NULL);
	collect_begin(c);
	collect_unresolved(c, "gone.example", "nxdomain");
	collect_unresolved(c, "bad\"<&>,\x01\xff.example", "dns-error");
	batch1(e, &n);
	ck_assert_int_eq(collect_deliver(c, e, n, 1), 0);
	n = 0;
	batch2(e, &n);
	if (scenario == RDNS)
		e[n++] = ev(3, 80, STATE_OPEN, 0, 3 * MS);
	/* Interrupted, host 2 is still held when the scan ends. */
	ck_assert_int_eq(collect_deliver(c, e, n, interrupted ? 2 : 4), 0);
	if (scenario == RDNS) {
		ck_assert_int_eq(collect_ptr(c, 2, "h3.ptr.example"), 0);
		ck_assert_int_eq(collect_ptr(c, 0, "WWW.Example.COM"), 0);
		ck_assert_int_eq(collect_ptr(c, 3, "h4.ptr.example"), 0);
	}
	if (!interrupted) {
		n = 0;
		batch3(e, &n);
		if (scenario == DEFAULTS)
			batch_many(e, &n);
		ck_assert_int_eq(collect_deliver(c, e, n, 6), 0);
		if (scenario == RDNS) {
			ck_assert_int_eq(collect_ptr(c, 4, NULL), 0);
			/* Those with an open port, once each. */
			ck_assert_uint_eq(asked, 1u << 0 | 1u << 2 | 1u << 3 |
			    1u << 4);
		}
		/* As compare_finish() does, after a scan that ran its course. */
		collect_drain(c);
		for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]);
		    i++)
			collect_change(c, &changes[i]);
	}
	memset(&st, 0, sizeof(st));
	st.probes = space_probes(space);
	st.hosts = space_hosts(space);
	collect_counts(c, st.count);
	st.elapsed_s = interrupted ? 3.5 : 7.25;
	st.interrupted = interrupted;
	collect_end(c, &st);
	*t1 = time(NULL);

	for (size_t i = 0; i < NFORMATS; i++)
		text[i] = outs[i].w != NULL ? out_close(&outs[i], &len[i]) :
		    NULL;
	collect_free(c);
	space_free(space);
	ports_free(ports);
}

/* --- normalising the clock ------------------------------------------------ */

/*
 * Replace each time written right after prefix, if it is a time of
 * [t0, t1] in seconds (as_text false) or as output_timestr() writes it,
 * by with.  In place: with is never longer than what it replaces.
 */
static void
subst_time(char *text, size_t *len, const char *prefix, bool as_text,
    time_t t0, time_t t1, const char *with)
{
	size_t plen = strlen(prefix), wlen = strlen(with);
	char *p = text;

	while ((p = strstr(p, prefix)) != NULL) {
		p += plen;
		for (time_t t = t0; t <= t1; t++) {
			char s[OUTPUT_TIMESTR_SIZE];
			size_t slen;

			if (as_text)
				output_timestr(t, s);
			else
				snprintf(s, sizeof(s), "%lld", (long long)t);
			slen = strlen(s);
			if (strncmp(p, s, slen) != 0 ||
			    (!as_text && p[slen] >= '0' && p[slen] <= '9'))
				continue;
			ck_assert_uint_ge(slen, wlen);
			memcpy(p, with, wlen);
			memmove(p + wlen, p + slen,
			    *len - (size_t)(p - text) - slen + 1);
			*len -= slen - wlen;
			break;
		}
	}
}

static void
normalise(const char *format, char *text, size_t *len, time_t t0, time_t t1)
{
	if (strcmp(format, "grep") == 0) {
		subst_time(text, len, "\n# trawl done at ", true, t0, t1,
		    "@NOWSTR@");
	} else if (strcmp(format, "xml") == 0) {
		subst_time(text, len, "<host starttime=\"", false, t0, t1,
		    "@NOW@");
		subst_time(text, len, "\" endtime=\"", false, t0, t1,
		    "@NOW@");
		subst_time(text, len, "<finished time=\"", false, t0, t1,
		    "@NOW@");
		subst_time(text, len, "\" timestr=\"", true, t0, t1,
		    "@NOWSTR@");
		subst_time(text, len, " summary=\"trawl done at ", true, t0, t1,
		    "@NOWSTR@");
	}
}

/* --- golden files --------------------------------------------------------- */

static char *
read_whole(const char *path, size_t *len)
{
	struct stat st;
	char *text;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	ck_assert_int_eq(fstat(fd, &st), 0);
	text = calloc(1, (size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(read(fd, text, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return text;
}

static void
write_whole(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* One line of text for a message, its odd bytes as \xNN. */
static void
show_line(char *buf, size_t size, const char *line, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && line[i] != '\n' && n + 5 < size; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch >= 0x20 && ch < 0x7f)
			buf[n++] = (char)ch;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
	}
	buf[n] = '\0';
}

/*
 * "" when got is the golden file's content; otherwise where they first
 * differ, into msg.
 */
static void
compare(const char *path, const char *want, size_t wlen, const char *got,
    size_t glen, char *msg, size_t size)
{
	size_t i = 0, line = 1, bol = 0;
	char w[240], g[240];

	msg[0] = '\0';
	if (wlen == glen && memcmp(want, got, wlen) == 0)
		return;
	while (i < wlen && i < glen && want[i] == got[i]) {
		if (want[i] == '\n') {
			line++;
			bol = i + 1;
		}
		i++;
	}
	show_line(w, sizeof(w), want + bol, wlen - bol);
	show_line(g, sizeof(g), got + bol, glen - bol);
	snprintf(msg, size, "%s differs at line %zu (byte %zu):\n"
	    "  want: %s%s\n  got:  %s%s\n", path, line, i, w,
	    bol >= wlen ? "(end of file)" : "", g,
	    bol >= glen ? "(end of output)" : "");
}

START_TEST(golden)
{
	const char *scenario = scenarios[_i];
	char *text[NFORMATS];
	size_t len[NFORMATS];
	char report[8192] = "";
	time_t t0, t1;

	run_scan(_i, text, len, &t0, &t1);
	for (size_t i = 0; i < NFORMATS; i++) {
		char path[512], msg[2048];
		char *want;
		size_t wlen;

		if (text[i] == NULL)
			continue;
		normalise(formats[i].format, text[i], &len[i], t0, t1);
		snprintf(path, sizeof(path), "%s/%s.%s", golden_dir, scenario,
		    formats[i].ext);
		if (golden_update) {
			write_whole(path, text[i], len[i]);
			fprintf(stderr, "wrote %s\n", path);
			free(text[i]);
			continue;
		}
		want = read_whole(path, &wlen);
		if (want == NULL) {
			snprintf(msg, sizeof(msg), "%s: %s (TRAWL_GOLDEN_"
			    "UPDATE=1 writes it)\n", path, strerror(errno));
		} else {
			compare(path, want, wlen, text[i], len[i], msg,
			    sizeof(msg));
			free(want);
		}
		strncat(report, msg, sizeof(report) - strlen(report) - 1);
		free(text[i]);
	}
	ck_assert_msg(report[0] == '\0', "%s(after a deliberate change: "
	    "TRAWL_GOLDEN_UPDATE=1, then git diff)", report);
}
END_TEST

/*
 * The same scan twice gives the same bytes: nothing the normalisation
 * hides is needed for that (hash order, uninitialised memory).  Changes
 * in the results formats (complete) and alone (separate).
 */
START_TEST(repeatable)
{
	int scenario = _i == 0 ? COMPLETE : SEPARATE;
	char *a[NFORMATS], *b[NFORMATS];
	size_t alen[NFORMATS], blen[NFORMATS];
	time_t t0, t1, u0, u1;

	run_scan(scenario, a, alen, &t0, &t1);
	run_scan(scenario, b, blen, &u0, &u1);
	for (size_t i = 0; i < NFORMATS; i++) {
		ck_assert((a[i] == NULL) == (b[i] == NULL));
		if (a[i] == NULL)
			continue;
		normalise(formats[i].format, a[i], &alen[i], t0, t1);
		normalise(formats[i].format, b[i], &blen[i], u0, u1);
		ck_assert_uint_eq(alen[i], blen[i]);
		ck_assert_msg(memcmp(a[i], b[i], alen[i]) == 0,
		    "%s differs between two runs", formats[i].format);
		free(a[i]);
		free(b[i]);
	}
}
END_TEST

/* The services database this test's golden files were written with. */
static bool
services_as_expected(void)
{
	static const struct {
		int port;
		const char *name;
	} want[] = {
		{ 22, "ssh" }, { 80, "http" }, { 443, "https" },
		{ 47999, NULL },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct servent *se = getservbyport(
		    htons((uint16_t)want[i].port), "tcp");
		const char *got = se != NULL ? se->s_name : NULL;

		if ((got == NULL) != (want[i].name == NULL) ||
		    (got != NULL && strcmp(got, want[i].name) != 0)) {
			fprintf(stderr, "services database: port %d/tcp is "
			    "%s, the golden files say %s\n", want[i].port,
			    got != NULL ? got : "(none)",
			    want[i].name != NULL ? want[i].name : "(none)");
			ok = false;
		}
	}
	endservent();
	return ok;
}

static Suite *
writers_suite(void)
{
	Suite *s = suite_create("writers");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, golden, 0,
	    (int)(sizeof(scenarios) / sizeof(scenarios[0])));
	tcase_add_loop_test(tc, repeatable, 0, 2);
	/* Check's default of 4 s is short for valgrind on a busy machine. */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	const char *update = getenv("TRAWL_GOLDEN_UPDATE");
	int failed;

	golden_dir = getenv("TRAWL_GOLDEN_DIR");
	if (golden_dir == NULL || golden_dir[0] == '\0') {
		fprintf(stderr, "TRAWL_GOLDEN_DIR is not set (meson test sets "
		    "it): no golden files to compare with\n");
		return 77;
	}
	golden_update = update != NULL && strcmp(update, "1") == 0;
	if (!services_as_expected()) {
		fprintf(stderr, "the services database differs from the one "
		    "the golden files were written with: test skipped\n");
		return 77;
	}
	/* nmap's times are local time: UTC, whatever the machine says. */
	setenv("TZ", "UTC", 1);
	tzset();
	sr = srunner_create(writers_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
