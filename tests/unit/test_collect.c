/*
 * Collector tests: a fixed stream of scan events over a small real space
 * (six IPv4 and two IPv6 hosts, four ports, names on two of them), the
 * outputs replaced by a recording format that logs every call it gets.
 *
 * What is checked: the counts per state; that only reported states reach
 * the outputs and a host with nothing reported never does; that hosts
 * leave in walk-group order (then host order) once done_below is past
 * their group, not before; ports ascending within a host; names and
 * service names attached; collect_end() emitting what is still held and
 * ending every format; the hook seeing the states held for it alone, before
 * the outputs; names reported unresolved; a failed output reported by
 * collect_deliver() and collect_failed(); and hosts waiting for their PTR
 * names (--rdns) in scan order.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/collect.h"
#include "trawl/output.h"
#include "trawl/ports.h"
#include "trawl/space.h"
#include "trawl/wbuf.h"

/* --- the space ---------------------------------------------------------- */

/*
 * Hosts: 0-5 are 192.0.2.1-6, 6 and 7 are 2001:db8::1 and ::2.
 * 192.0.2.2 (host 1) was reached by two names, 2001:db8::1 by one.
 */
enum { H_V6A = 6, H_V6B = 7, NHOSTS = 8 };

static struct ports *ports;
static struct space *space;

static target_u128
ip(const char *s, int *family)
{
	unsigned char b[16];

	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, s, b), 1);
	return target_from_bytes(*family, b);
}

static void
add_range(const char *lo, const char *hi)
{
	int family;
	target_u128 a = ip(lo, &family), b = ip(hi, &family);

	ck_assert_int_eq(space_add_range(space, family, a, b), 0);
}

static void
add_name(const char *addr, const char *name)
{
	int family;
	target_u128 a = ip(addr, &family);

	ck_assert_int_eq(space_add_name(space, family, a, name), 0);
}

static void
space_setup(void)
{
	char err[256];

	ports = ports_new();
	ck_assert_ptr_nonnull(ports);
	ck_assert_int_eq(ports_parse(ports, "22,80,443,47999", err,
	    sizeof(err)), 0);
	space = space_new();
	ck_assert_ptr_nonnull(space);
	add_range("192.0.2.1", "192.0.2.6");
	add_range("2001:db8::1", "2001:db8::2");
	add_name("192.0.2.2", "b.example");
	add_name("192.0.2.2", "a.example");
	add_name("2001:db8::1", "v6.example");
	ck_assert_int_eq(space_finish(space, ports, err, sizeof(err)), 0);
	ck_assert_uint_eq(space_hosts(space), NHOSTS);
}

static void
space_teardown(void)
{
	space_free(space);
	ports_free(ports);
}

/* --- a recording format --------------------------------------------------- */

static char logbuf[16384];
static size_t loglen;
static struct wbuf *outs[4];	/* output i logs as "i" */
static size_t nouts;

static void
rec_log(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt(loglen + (size_t)n, sizeof(logbuf));
	loglen += (size_t)n;
}

/* The log so far, compared and cleared. */
#define LOG_IS(want) do {				\
	ck_assert_str_eq(logbuf, (want));		\
	loglen = 0;					\
	logbuf[0] = '\0';				\
} while (0)

static size_t
out_index(const struct wbuf *w)
{
	for (size_t i = 0; i < nouts; i++)
		if (outs[i] == w)
			return i;
	ck_abort_msg("a format was called with a wbuf it was not given");
	return 0;
}

static void
log_ports(const struct out_host *h, int with_service)
{
	for (size_t i = 0; i < h->nports; i++) {
		const struct out_port *p = &h->ports[i];

		rec_log(" %u/%s", p->port, state_name((enum state)p->state));
		if (with_service)
			rec_log("/%s", p->service != NULL ? p->service : "-");
	}
}

static void
log_host(const struct out_host *h)
{
	rec_log("%s", h->addr);
	for (size_t i = 0; i < h->nnames; i++)
		rec_log("%s%s", i == 0 ? " (" : ", ", h->names[i]);
	if (h->nnames > 0)
		rec_log(")");
	if (h->rdns)
		rec_log(" {%s}", h->ptr != NULL ? h->ptr : "-");
	rec_log(":");
}

static void
rec_begin(struct wbuf *w, const struct out_run *run)
{
	rec_log("%zu begin %s\n", out_index(w), run != NULL ? run->args : "-");
}

static int log_services;

static void
rec_host(struct wbuf *w, const struct out_host *h)
{
	rec_log("%zu ", out_index(w));
	log_host(h);
	log_ports(h, log_services);
	rec_log("\n");
}

static void
rec_end(struct wbuf *w, const struct out_stats *st)
{
	rec_log("%zu end hosts=%llu up=%llu probes=%llu interrupted=%d\n",
	    out_index(w), (unsigned long long)st->hosts,
	    (unsigned long long)st->hosts_up,
	    (unsigned long long)st->probes, st->interrupted);
}

static void
rec_unresolved(struct wbuf *w, const struct out_run *run, const char *name,
    const char *why)
{
	(void)run;
	rec_log("%zu unresolved %s %s\n", out_index(w), name, why);
}

static const struct out_format rec = {
	.name = "rec",
	.begin = rec_begin,
	.host = rec_host,
	.end = rec_end,
	.unresolved = rec_unresolved,
};

static int devnull = -1;

static void
setup(void)
{
	space_setup();
	loglen = 0;
	logbuf[0] = '\0';
	nouts = 0;
	log_services = 0;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(devnull, 0);
}

static void
teardown(void)
{
	for (size_t i = 0; i < nouts; i++)
		wbuf_close(outs[i]);
	nouts = 0;
	close(devnull);
	space_teardown();
}

/* A collector with n recording outputs (to /dev/null). */
static struct collect *
new_collect(unsigned report, size_t n)
{
	struct collect *c = collect_new(space, report);

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < n; i++) {
		outs[nouts] = wbuf_fdopen(devnull);
		ck_assert_ptr_nonnull(outs[nouts]);
		ck_assert_int_eq(collect_add_output(c, &rec, outs[nouts]), 0);
		nouts++;
	}
	return c;
}

/* --- events --------------------------------------------------------------- */

static struct scan_event
ev(uint64_t host, uint64_t group, uint16_t port, enum state st)
{
	struct scan_event e;

	memset(&e, 0, sizeof(e));
	e.host = host;
	e.group = group;
	e.pos = host * 4;
	e.port = port;
	e.state = (uint8_t)st;
	e.err = st == STATE_CLOSED ? ECONNREFUSED :
	    st == STATE_UNREACHABLE ? EHOSTUNREACH : 0;
	e.rtt_ns = st == STATE_FILTERED ? 0 : 1000u * port;
	e.attempts = 1;
	return e;
}

#define NEV(a) (sizeof(a) / sizeof((a)[0]))

static void
deliver(struct collect *c, const struct scan_event *e, size_t n,
    uint64_t done_below)
{
	ck_assert_int_eq(collect_deliver(c, e, n, done_below), 0);
}

static void
end(struct collect *c, int interrupted)
{
	struct out_stats st;

	memset(&st, 0, sizeof(st));
	st.probes = space_probes(space);
	st.hosts = space_hosts(space);
	/* collect_end() says how many were shown, whatever it is given. */
	st.hosts_up = 999;
	st.interrupted = interrupted;
	collect_end(c, &st);
}

/* --- tests ---------------------------------------------------------------- */

/* --- PTR names (--rdns) ------------------------------------------------- */

static char asks[256];
static size_t nasks;

/* Asks are logged apart; host 4's cannot be asked (-1). */
static int
ask_ptr(void *ctx, uint64_t host, int family, target_u128 addr)
{
	char text[64];

	ck_assert_ptr_eq(ctx, &nasks);
	ck_assert_ptr_nonnull(target_ntop(family, addr, text, sizeof(text)));
	nasks += (size_t)snprintf(asks + nasks, sizeof(asks) - nasks,
	    "%llu=%s ", (unsigned long long)host, text);
	ck_assert_uint_lt(nasks, sizeof(asks));
	return host == 4 ? -1 : 0;
}

/*
 * A host asks at its first open port, once; a finished host waits for its
 * answer, and those after it wait behind it; the end lets every one go.
 */
START_TEST(ptr_waits)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(5, 0, 22, STATE_CLOSED),
		ev(3, 1, 22, STATE_OPEN),
		ev(1, 1, 443, STATE_OPEN),
		ev(1, 1, 80, STATE_OPEN),
		ev(0, 2, 80, STATE_OPEN),
		ev(4, 3, 22, STATE_OPEN),
		ev(H_V6A, 4, 443, STATE_OPEN),
		ev(2, 4, 22, STATE_FILTERED),
	};

	nasks = 0;
	asks[0] = '\0';
	collect_set_ptr(c, ask_ptr, &nasks);
	deliver(c, e, NEV(e), 0);
	ck_assert_str_eq(asks, "3=192.0.2.4 1=192.0.2.2 0=192.0.2.1 "
	    "4=192.0.2.5 6=2001:db8::1 ");
	LOG_IS("");
	deliver(c, NULL, 0, 1);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.6 {-}: 22/closed\n");
	/* Groups 1 and 2 are done, but 192.0.2.2 waits, and 192.0.2.4
	 * after it, answered or not. */
	deliver(c, NULL, 0, 3);
	LOG_IS("");
	/* A checkpoint counts group 0 alone as written. */
	ck_assert_uint_eq(collect_written_below(c), 1);
	ck_assert_int_eq(collect_ptr(c, 3, "three.example"), 0);
	LOG_IS("");
	ck_assert_uint_eq(collect_written_below(c), 1);
	ck_assert_int_eq(collect_ptr(c, 1, "one.example"), 0);
	ck_assert_uint_eq(collect_written_below(c), 2);
	LOG_IS("0 192.0.2.2 (b.example, a.example) {one.example}: "
	    "80/open 443/open\n"
	    "0 192.0.2.4 {three.example}: 22/open\n");
	/* Answered once: a second answer, or one for nobody, is ignored. */
	ck_assert_int_eq(collect_ptr(c, 1, "again.example"), 0);
	ck_assert_int_eq(collect_ptr(c, 99, "nobody.example"), 0);
	LOG_IS("");
	/* No name: written without one. */
	ck_assert_int_eq(collect_ptr(c, 0, NULL), 0);
	LOG_IS("0 192.0.2.1 {-}: 80/open\n");
	ck_assert_uint_eq(collect_written_below(c), 3);
	/* Its ask failed: nothing to wait for. */
	deliver(c, NULL, 0, 4);
	LOG_IS("0 192.0.2.5 {-}: 22/open\n");
	/* The end does not wait for 2001:db8::1's answer. */
	end(c, 0);
	LOG_IS("0 192.0.2.3 {-}: 22/filtered\n"
	    "0 2001:db8::1 (v6.example) {-}: 443/open\n"
	    "0 end hosts=8 up=6 probes=32 interrupted=0\n");
	ck_assert_int_eq(collect_ptr(c, H_V6A, "late.example"), 0);
	LOG_IS("");
	ck_assert_str_eq(asks, "3=192.0.2.4 1=192.0.2.2 0=192.0.2.1 "
	    "4=192.0.2.5 6=2001:db8::1 ");
	collect_free(c);
}
END_TEST

/*
 * A group is written whole: a host of it whose name came is held while
 * another host of the same group still waits, so that a checkpoint never
 * finds part of a group in the files.
 */
START_TEST(ptr_group_whole)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(1, 1, 22, STATE_OPEN),
		ev(3, 1, 22, STATE_OPEN),
	};

	nasks = 0;
	asks[0] = '\0';
	collect_set_ptr(c, ask_ptr, &nasks);
	deliver(c, e, NEV(e), 2);
	LOG_IS("");
	ck_assert_uint_eq(collect_written_below(c), 1);
	ck_assert_int_eq(collect_ptr(c, 1, "one.example"), 0);
	LOG_IS("");
	ck_assert_uint_eq(collect_written_below(c), 1);
	ck_assert_int_eq(collect_ptr(c, 3, "three.example"), 0);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.2 (b.example, a.example) {one.example}: 22/open\n"
	    "0 192.0.2.4 {three.example}: 22/open\n");
	ck_assert_uint_eq(collect_written_below(c), 2);
	collect_free(c);
}
END_TEST

/* Freed with hosts waiting and names given: nothing leaks. */
START_TEST(ptr_free_waiting)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(0, 0, 22, STATE_OPEN),
		ev(1, 1, 22, STATE_OPEN),
		ev(2, 2, 22, STATE_OPEN),
	};

	nasks = 0;
	collect_set_ptr(c, ask_ptr, &nasks);
	deliver(c, e, NEV(e), 0);
	ck_assert_int_eq(collect_ptr(c, 1, "one.example"), 0);
	deliver(c, NULL, 0, 3);
	LOG_IS("");
	collect_free(c);
}
END_TEST

START_TEST(counts_and_reported_states)
{
	struct collect *c = new_collect(STATE_BIT(STATE_OPEN) |
	    STATE_BIT(STATE_CLOSED), 1);
	const struct scan_event e[] = {
		ev(0, 0, 22, STATE_OPEN),
		ev(0, 0, 80, STATE_FILTERED),
		ev(0, 0, 443, STATE_UNREACHABLE),
		ev(0, 0, 47999, STATE_CLOSED),
		/* Nothing reported: never shown. */
		ev(2, 2, 22, STATE_FILTERED),
		ev(2, 2, 80, STATE_UNREACHABLE),
		ev(2, 2, 443, STATE_FILTERED),
		ev(3, 3, 80, STATE_CLOSED),
	};
	uint64_t count[STATE_COUNT];

	deliver(c, e, NEV(e), 0);
	collect_counts(c, count);
	ck_assert_uint_eq(count[STATE_OPEN], 1);
	ck_assert_uint_eq(count[STATE_CLOSED], 2);
	ck_assert_uint_eq(count[STATE_FILTERED], 3);
	ck_assert_uint_eq(count[STATE_UNREACHABLE], 2);
	ck_assert_uint_eq(count[STATE_UNRESOLVED], 0);
	LOG_IS("");
	/* Not asked for: counted, not shown. */
	collect_unresolved(c, "gone.example", "nxdomain");
	collect_counts(c, count);
	ck_assert_uint_eq(count[STATE_UNRESOLVED], 1);
	LOG_IS("");
	deliver(c, NULL, 0, 10);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.1: 22/open 47999/closed\n"
	    "0 192.0.2.4: 80/closed\n");
	end(c, 0);
	LOG_IS("0 end hosts=8 up=2 probes=32 interrupted=0\n");
	collect_counts(c, count);
	ck_assert_uint_eq(count[STATE_FILTERED], 3);
	{
		int err = -1;

		ck_assert_ptr_null(collect_failed(c, &err));
		ck_assert_int_eq(err, 0);
	}
	collect_free(c);
}
END_TEST

START_TEST(release_in_group_order)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	struct out_run run = { .args = "trawl test" };
	/* Groups unlike host order: 5 first, then 1 and 3, then 0, then 6. */
	const struct scan_event e1[] = {
		ev(3, 1, 22, STATE_OPEN),
		ev(6, 3, 443, STATE_CLOSED),
		ev(0, 2, 80, STATE_OPEN),
		ev(5, 0, 22, STATE_CLOSED),
		ev(1, 1, 443, STATE_OPEN),
	};
	/* More for hosts already held. */
	const struct scan_event e2[] = {
		ev(1, 1, 22, STATE_FILTERED),
		ev(6, 3, 22, STATE_OPEN),
		ev(0, 2, 22, STATE_UNREACHABLE),
	};

	collect_set_run(c, &run);
	deliver(c, e1, NEV(e1), 0);
	LOG_IS("");
	/* The group of done_below itself is not done. */
	deliver(c, NULL, 0, 0);
	LOG_IS("");
	deliver(c, NULL, 0, 1);
	LOG_IS("0 begin trawl test\n"
	    "0 192.0.2.6: 22/closed\n");
	deliver(c, NULL, 0, 1);
	LOG_IS("");
	deliver(c, e2, NEV(e2), 2);
	LOG_IS("0 192.0.2.2 (b.example, a.example): 22/filtered 443/open\n"
	    "0 192.0.2.4: 22/open\n");
	deliver(c, NULL, 0, 3);
	LOG_IS("0 192.0.2.1: 22/unreachable 80/open\n");
	/* The last is still held: collect_end() emits it, then ends. */
	end(c, 1);
	LOG_IS("0 2001:db8::1 (v6.example): 22/open 443/closed\n"
	    "0 end hosts=8 up=5 probes=32 interrupted=1\n");
	collect_free(c);
}
END_TEST

/* Several hosts of one group leave in host order, however they came. */
START_TEST(release_one_group)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(H_V6B, 4, 80, STATE_OPEN),
		ev(4, 4, 80, STATE_OPEN),
		ev(H_V6A, 4, 80, STATE_OPEN),
		ev(0, 4, 80, STATE_OPEN),
		ev(2, 4, 80, STATE_OPEN),
	};

	deliver(c, e, NEV(e), 4);
	LOG_IS("");
	deliver(c, NULL, 0, 5);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.1: 80/open\n"
	    "0 192.0.2.3: 80/open\n"
	    "0 192.0.2.5: 80/open\n"
	    "0 2001:db8::1 (v6.example): 80/open\n"
	    "0 2001:db8::2: 80/open\n");
	end(c, 0);
	LOG_IS("0 end hosts=8 up=5 probes=32 interrupted=0\n");
	collect_free(c);
}
END_TEST

START_TEST(ports_ascending)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e1[] = {
		ev(H_V6B, 0, 47999, STATE_CLOSED),
		ev(H_V6B, 0, 443, STATE_FILTERED),
	};
	const struct scan_event e2[] = {
		ev(H_V6B, 0, 80, STATE_UNREACHABLE),
		ev(H_V6B, 0, 22, STATE_OPEN),
	};

	deliver(c, e1, NEV(e1), 0);
	deliver(c, e2, NEV(e2), 1);
	LOG_IS("0 begin -\n"
	    "0 2001:db8::2: 22/open 80/unreachable 443/filtered "
	    "47999/closed\n");
	end(c, 0);
	LOG_IS("0 end hosts=8 up=1 probes=32 interrupted=0\n");
	collect_free(c);
}
END_TEST

/* The services database's word for each port, as getservbyport() says. */
START_TEST(services_attached)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(1, 0, 47999, STATE_OPEN),
		ev(1, 0, 443, STATE_OPEN),
		ev(1, 0, 80, STATE_OPEN),
		ev(1, 0, 22, STATE_OPEN),
	};
	static const uint16_t port[4] = { 22, 80, 443, 47999 };
	char want[512];
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "0 begin -\n"
	    "0 192.0.2.2 (b.example, a.example):");
	for (int i = 0; i < 4; i++) {
		struct servent *se = getservbyport(htons(port[i]), "tcp");

		n += (size_t)snprintf(want + n, sizeof(want) - n, " %u/open/%s",
		    port[i], se != NULL ? se->s_name : "-");
	}
	endservent();
	snprintf(want + n, sizeof(want) - n, "\n");
	log_services = 1;
	deliver(c, e, NEV(e), 1);
	LOG_IS(want);
	end(c, 0);
	collect_free(c);
}
END_TEST

START_TEST(end_emits_and_ends_all)
{
	struct collect *c = new_collect(STATE_ALL, 2);
	/* Walk order (groups) is not host order. */
	const struct scan_event e[] = {
		ev(4, 7, 443, STATE_OPEN),
		ev(1, 9, 22, STATE_OPEN),
		ev(H_V6A, 2, 80, STATE_CLOSED),
	};

	collect_begin(c);
	collect_begin(c);
	LOG_IS("0 begin -\n1 begin -\n");
	deliver(c, e, NEV(e), 0);
	LOG_IS("");
	/* An interrupted scan: every host held is shown, in walk order. */
	end(c, 1);
	LOG_IS("0 2001:db8::1 (v6.example): 80/closed\n"
	    "1 2001:db8::1 (v6.example): 80/closed\n"
	    "0 192.0.2.5: 443/open\n"
	    "1 192.0.2.5: 443/open\n"
	    "0 192.0.2.2 (b.example, a.example): 22/open\n"
	    "1 192.0.2.2 (b.example, a.example): 22/open\n"
	    "0 end hosts=8 up=3 probes=32 interrupted=1\n"
	    "1 end hosts=8 up=3 probes=32 interrupted=1\n");
	collect_free(c);
}
END_TEST

/* Nothing at all: the formats still begin and end (a whole document). */
START_TEST(end_of_nothing)
{
	struct collect *c = new_collect(STATE_BIT(STATE_OPEN), 2);
	const struct scan_event e[] = {
		ev(0, 0, 22, STATE_FILTERED),
	};

	deliver(c, e, NEV(e), 1);
	LOG_IS("");
	end(c, 0);
	LOG_IS("0 begin -\n1 begin -\n"
	    "0 end hosts=8 up=0 probes=32 interrupted=0\n"
	    "1 end hosts=8 up=0 probes=32 interrupted=0\n");
	collect_free(c);
}
END_TEST

/* --- the hook ----------------------------------------------------------- */

static struct out_port hook_ports[8];
static size_t hook_nports;
static target_u128 hook_addr;

static void
hook(void *ctx, const struct out_host *h, target_u128 addr)
{
	ck_assert_ptr_eq(ctx, &hook_nports);
	rec_log("hook ");
	log_host(h);
	log_ports(h, 0);
	rec_log("\n");
	ck_assert_uint_le(h->nports, 8);
	memcpy(hook_ports, h->ports, h->nports * sizeof(*h->ports));
	hook_nports = h->nports;
	hook_addr = addr;
}

START_TEST(hook_sees_held_states)
{
	struct collect *c = new_collect(STATE_BIT(STATE_OPEN), 1);
	const struct scan_event e[] = {
		ev(2, 0, 80, STATE_FILTERED),
		ev(2, 0, 22, STATE_OPEN),
		ev(2, 0, 443, STATE_CLOSED),
		/* Only what the hook holds: the hook sees it, no output. */
		ev(3, 1, 22, STATE_FILTERED),
		/* Neither: nobody. */
		ev(4, 2, 22, STATE_CLOSED),
		ev(H_V6A, 3, 443, STATE_OPEN),
	};
	uint64_t count[STATE_COUNT];
	int family;

	collect_set_hook(c, STATE_BIT(STATE_FILTERED), hook, &hook_nports);
	deliver(c, e, NEV(e), 1);
	/* The hook first, then the outputs, for each host. */
	LOG_IS("0 begin -\n"
	    "hook 192.0.2.3: 22/open 80/filtered\n"
	    "0 192.0.2.3: 22/open\n");
	/* What the hook got: the events' errno and round trip too. */
	ck_assert_uint_eq(hook_nports, 2);
	ck_assert_uint_eq(hook_ports[0].port, 22);
	ck_assert_int_eq(hook_ports[0].err, 0);
	ck_assert_uint_eq(hook_ports[0].rtt_ns, 22000);
	ck_assert_uint_eq(hook_ports[1].port, 80);
	ck_assert_uint_eq(hook_ports[1].state, STATE_FILTERED);
	ck_assert(hook_addr == ip("192.0.2.3", &family));
	deliver(c, NULL, 0, 3);
	LOG_IS("hook 192.0.2.4: 22/filtered\n");
	end(c, 0);
	/* Up: the three that answered (192.0.2.5's reset too). */
	LOG_IS("hook 2001:db8::1 (v6.example): 443/open\n"
	    "0 2001:db8::1 (v6.example): 443/open\n"
	    "0 end hosts=8 up=3 probes=32 interrupted=0\n");
	ck_assert(hook_addr == ip("2001:db8::1", &family));
	collect_counts(c, count);
	ck_assert_uint_eq(count[STATE_OPEN], 2);
	ck_assert_uint_eq(count[STATE_CLOSED], 2);
	ck_assert_uint_eq(count[STATE_FILTERED], 2);
	collect_free(c);
}
END_TEST

/* --- unresolved names --------------------------------------------------- */

START_TEST(unresolved_reported)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	struct wbuf *text = wbuf_fdopen(devnull);
	const struct scan_event e[] = { ev(0, 0, 22, STATE_OPEN) };
	uint64_t count[STATE_COUNT];

	/* A format without a way to say it (text) is passed over. */
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(collect_add_output(c, &out_text, text), 0);
	/* Before the scan: the header comes first all the same. */
	collect_unresolved(c, "gone.example", "nxdomain");
	collect_unresolved(c, "empty.example", "no-address");
	deliver(c, e, NEV(e), 1);
	collect_unresolved(c, "late.example", "dns-error");
	end(c, 0);
	LOG_IS("0 begin -\n"
	    "0 unresolved gone.example nxdomain\n"
	    "0 unresolved empty.example no-address\n"
	    "0 192.0.2.1: 22/open\n"
	    "0 unresolved late.example dns-error\n"
	    "0 end hosts=8 up=1 probes=32 interrupted=0\n");
	collect_counts(c, count);
	ck_assert_uint_eq(count[STATE_UNRESOLVED], 3);
	ck_assert_int_eq(wbuf_close(text), 0);
	collect_free(c);
}
END_TEST

START_TEST(outputs_limited)
{
	struct collect *c = new_collect(STATE_ALL, 0);
	struct wbuf *w = wbuf_fdopen(devnull);

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(collect_add_output(c, &out_text, w), 0);
	errno = 0;
	ck_assert_int_eq(collect_add_output(c, &out_text, w), -1);
	ck_assert_int_eq(errno, E2BIG);
	collect_free(c);
	wbuf_close(w);
}
END_TEST

/* --- failed outputs ----------------------------------------------------- */

static void
failing_output(struct wbuf *bad, int want_err)
{
	struct collect *c = new_collect(STATE_ALL, 1);
	const struct scan_event e[] = {
		ev(0, 0, 22, STATE_OPEN),
		ev(1, 1, 80, STATE_OPEN),
	};
	int err = -1;

	ck_assert_int_eq(collect_add_output(c, &out_ndjson, bad), 0);
	/* Nothing written yet: nothing failed. */
	deliver(c, e, NEV(e), 0);
	ck_assert_ptr_null(collect_failed(c, &err));
	ck_assert_int_eq(err, 0);
	/* A host written and flushed: the scan is told to stop. */
	ck_assert_int_eq(collect_deliver(c, NULL, 0, 1), -1);
	ck_assert_ptr_eq(collect_failed(c, &err), bad);
	ck_assert_int_eq(err, want_err);
	/* The other output goes on, and every format is ended. */
	end(c, 0);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.1: 22/open\n"
	    "0 192.0.2.2 (b.example, a.example): 80/open\n"
	    "0 end hosts=8 up=2 probes=32 interrupted=0\n");
	ck_assert_ptr_eq(collect_failed(c, &err), bad);
	ck_assert_int_eq(err, want_err);
	collect_free(c);
}

START_TEST(failed_pipe)
{
	int p[2];
	struct wbuf *w;

	/* As trawl does: a closed pipe is EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w = wbuf_fdopen(p[1]);
	ck_assert_ptr_nonnull(w);
	failing_output(w, EPIPE);
	ck_assert_int_eq(wbuf_close(w), EPIPE);
	close(p[1]);
}
END_TEST

START_TEST(failed_full)
{
	const char *const paths[1] = { "/dev/full" };
	struct wbuf *w;
	size_t bad, same;

	ck_assert_int_eq(wbuf_open_set(paths, 1, false, &w, &bad, &same), 0);
	failing_output(w, ENOSPC);
	ck_assert_int_eq(wbuf_close(w), ENOSPC);
}
END_TEST

/* --- nmap's picture ------------------------------------------------------- */

/* A recording format with nmap's picture: up or down, and the extras. */
static void
nrec_host(struct wbuf *w, const struct out_host *h)
{
	rec_log("%zu ", out_index(w));
	log_host(h);
	log_ports(h, 0);
	rec_log(" %s", h->up ? "up" : "down");
	for (size_t i = 0; i < h->nextra; i++) {
		const struct out_extra *e = &h->extra[i];

		rec_log(" [%u %s:", e->count, state_name((enum state)e->state));
		for (size_t k = 0; k < e->nwhy; k++)
			rec_log(" %u %s", e->why[k].count, e->why[k].reason);
		rec_log("]");
	}
	if (h->srtt_ns > 0)
		rec_log(" srtt=%llu var=%llu", (unsigned long long)h->srtt_ns,
		    (unsigned long long)h->rttvar_ns);
	ck_assert(h->start > 0 && h->end >= h->start);
	rec_log("\n");
}

static const struct out_format nrec = {
	.name = "nrec",
	.states = STATE_BIT(STATE_OPEN),
	.nmap_picture = true,
	.begin = rec_begin,
	.host = nrec_host,
	.end = rec_end,
	.unresolved = rec_unresolved,
};

/* Events for three hosts: 22 open, 30 closed and 3 filtered; 5 closed; 3
 * filtered (silent); in group 0. */
static size_t
picture_events(struct scan_event *e)
{
	size_t n = 0;

	e[n++] = ev(0, 0, 22, STATE_OPEN);
	for (uint16_t p = 1000; p < 1030; p++)
		e[n++] = ev(0, 0, p, STATE_CLOSED);
	for (uint16_t p = 2000; p < 2003; p++)
		e[n++] = ev(0, 0, p, STATE_FILTERED);
	for (uint16_t p = 100; p < 105; p++)
		e[n++] = ev(1, 0, p, STATE_CLOSED);
	for (uint16_t p = 2000; p < 2003; p++)
		e[n++] = ev(2, 0, p, STATE_FILTERED);
	return n;
}

static struct collect *
picture_collect(unsigned report, const struct out_format *f, size_t n)
{
	struct collect *c = collect_new(space, report);

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < n; i++) {
		outs[nouts] = wbuf_fdopen(devnull);
		ck_assert_ptr_nonnull(outs[nouts]);
		ck_assert_int_eq(collect_add_output(c, &f[i], outs[nouts]),
		    0);
		nouts++;
	}
	return c;
}

/*
 * No --states: the format's own (open).  A host that answered is shown
 * with what is not listed, the most first; one that never did is not.
 */
START_TEST(picture_default_states)
{
	struct collect *c = picture_collect(0, &nrec, 1);
	struct scan_event e[64];
	size_t n = picture_events(e);

	deliver(c, e, n, 1);
	LOG_IS("0 begin -\n"
	    "0 192.0.2.1: 22/open up [30 closed: 30 conn-refused] "
	    "[3 filtered: 3 no-response] srtt=1004336 var=42977\n"
	    /* RFC 6298 over 100..104 us: 101102 and 17512 ns. */
	    "0 192.0.2.2 (b.example, a.example): up [5 closed: 5 "
	    "conn-refused] srtt=101102 var=17512\n");
	end(c, 0);
	LOG_IS("0 end hosts=8 up=2 probes=32 interrupted=0\n");
	collect_free(c);
}
END_TEST

/*
 * --states all: every state listed unless a host has more than OUT_FEW
 * ports in it (open excepted); a host that never answered is shown, down,
 * since filtered ports were asked for.  An output that lists every port
 * (not nmap's picture) beside it still gets all 30 closed ones.
 */
START_TEST(picture_all_states)
{
	static const struct out_format both[2] = {
		{ .name = "nrec", .nmap_picture = true, .begin = rec_begin,
		    .host = nrec_host, .end = rec_end },
		{ .name = "rec", .begin = rec_begin, .host = rec_host,
		    .end = rec_end },
	};
	struct collect *c = picture_collect(STATE_ALL, both, 2);
	struct scan_event e[64];
	size_t n = picture_events(e);
	char want[4096];
	size_t o = 0;

	deliver(c, e, n, 1);
	o += (size_t)snprintf(want + o, sizeof(want) - o, "0 begin -\n"
	    "1 begin -\n0 192.0.2.1: 22/open 2000/filtered 2001/filtered "
	    "2002/filtered up [30 closed: 30 conn-refused] srtt=1004336 "
	    "var=42977\n1 192.0.2.1: 22/open");
	for (unsigned p = 1000; p < 1030; p++)
		o += (size_t)snprintf(want + o, sizeof(want) - o,
		    " %u/closed", p);
	o += (size_t)snprintf(want + o, sizeof(want) - o, " 2000/filtered "
	    "2001/filtered 2002/filtered\n"
	    "0 192.0.2.2 (b.example, a.example): 100/closed 101/closed "
	    "102/closed 103/closed 104/closed up srtt=101102 var=17512\n"
	    "1 192.0.2.2 (b.example, a.example): 100/closed 101/closed "
	    "102/closed 103/closed 104/closed\n"
	    "0 192.0.2.3: 2000/filtered 2001/filtered 2002/filtered down\n"
	    "1 192.0.2.3: 2000/filtered 2001/filtered 2002/filtered\n");
	LOG_IS(want);
	end(c, 0);
	collect_free(c);
}
END_TEST

/*
 * Only nmap's picture, every state: a host of 30 closed ports holds no
 * more than OUT_FEW + 1 of them, and shows them as a count.
 */
START_TEST(picture_collapses)
{
	static const struct out_format one = { .name = "nrec",
	    .nmap_picture = true, .begin = rec_begin, .host = nrec_host,
	    .end = rec_end };
	struct collect *c = picture_collect(STATE_BIT(STATE_CLOSED), &one, 1);
	struct scan_event e[64];
	size_t n = 0;

	for (uint16_t p = 1; p <= OUT_FEW; p++)
		e[n++] = ev(3, 0, p, STATE_CLOSED);
	deliver(c, e, n, 0);
	deliver(c, NULL, 0, 1);
	/* OUT_FEW of them: listed. */
	ck_assert_ptr_nonnull(strstr(logbuf, " 25/closed up"));
	ck_assert_ptr_null(strstr(logbuf, "["));
	LOG_IS(logbuf);
	n = 0;
	for (uint16_t p = 1; p <= OUT_FEW + 5; p++)
		e[n++] = ev(4, 1, p, STATE_CLOSED);
	deliver(c, e, n, 2);
	LOG_IS("0 192.0.2.5: up [30 closed: 30 conn-refused] srtt=23142 "
	    "var=7712\n");
	end(c, 0);
	collect_free(c);
}
END_TEST

static Suite *
collect_suite(void)
{
	Suite *s = suite_create("collect");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts_and_reported_states);
	tcase_add_test(tc, release_in_group_order);
	tcase_add_test(tc, release_one_group);
	tcase_add_test(tc, ports_ascending);
	tcase_add_test(tc, services_attached);
	tcase_add_test(tc, end_emits_and_ends_all);
	tcase_add_test(tc, end_of_nothing);
	tcase_add_test(tc, hook_sees_held_states);
	tcase_add_test(tc, picture_default_states);
	tcase_add_test(tc, picture_all_states);
	tcase_add_test(tc, picture_collapses);
	tcase_add_test(tc, unresolved_reported);
	tcase_add_test(tc, outputs_limited);
	tcase_add_test(tc, failed_pipe);
	tcase_add_test(tc, failed_full);
	tcase_add_test(tc, ptr_waits);
	tcase_add_test(tc, ptr_group_whole);
	tcase_add_test(tc, ptr_free_waiting);
	/* Check's default of 4 s is short for valgrind on a busy machine. */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(collect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
