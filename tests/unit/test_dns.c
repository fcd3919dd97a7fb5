/*
 * The resolver inside a reactor, against a small DNS server of the test's
 * own: a UDP socket on loopback (port 0, read back) answered by a thread.
 * Its zone is computed from the name, so thousands of names cost nothing:
 *
 *   hN.bulk.test       A 10.0.N/256.N%256, and AAAA 2001:db8::1:N when 3 | N
 *   v6only.test        AAAA 2001:db8::66
 *   multi.test         A 10.1.0.1, 10.1.0.2, 10.1.0.1 again;
 *                      AAAA 2001:db8::1:2
 *   servfail.test      SERVFAIL
 *   drop.test          never answered, nor anything under it
 *   *.wild.test        A 10.9.9.9, except www (10.1.1.1), mail (10.9.9.9,
 *                      its own record, the same as the wildcard) and both
 *                      (10.9.9.9 and 10.1.1.2)
 *   anything else      NXDOMAIN
 *
 * and for PTR queries (--rdns), under 2.0.192.in-addr.arpa:
 *
 *   192.0.2.1          host-one.ptr.test
 *   192.0.2.3          "x<y>.ptr.test": no host name
 *   192.0.2.4          "1.2.3.4": an address posing as a name
 *   192.0.2.5          SERVFAIL
 *   192.0.2.6          never answered
 *   192.0.2.7          the name exists, without a PTR record
 *   192.0.2.8          a label with a dot and a control byte in it
 *   192.0.2.9          two PTR records, Two.PTR.test and three.ptr.test
 *   2001:db8::1        six.ptr.test
 *   anything else      NXDOMAIN
 *
 * The wordlist discovery and the PTR names of a scan (rdns.c) run here
 * too, since they need the same server.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "trawl/discover.h"
#include "trawl/dns.h"
#include "trawl/names.h"
#include "trawl/rdns.h"
#include "trawl/reactor.h"

/* --- the server ----------------------------------------------------------- */

#define T_A 1
#define T_PTR 12
#define T_AAAA 28
#define MAX_HELD 512

struct held {
	unsigned char msg[512];
	size_t len;
	struct sockaddr_in from;
};

struct fakedns {
	int fd, stop[2];
	int port;
	pthread_t thread;
	int hold_ms;		/* > 0: answer in batches, after a lull */
	size_t max_batch;	/* the most queries seen outstanding */
	size_t queries;
};

struct rr {
	int type;
	unsigned char data[128];
	size_t len;
};

static size_t
add_a(struct rr *rr, size_t n, const char *text)
{
	rr[n].type = T_A;
	rr[n].len = 4;
	inet_pton(AF_INET, text, rr[n].data);
	return n + 1;
}

static size_t
add_aaaa(struct rr *rr, size_t n, const char *text)
{
	rr[n].type = T_AAAA;
	rr[n].len = 16;
	inet_pton(AF_INET6, text, rr[n].data);
	return n + 1;
}

/*
 * A DNS name in wire form: labels separated by '/' (not '.', so that a
 * label may hold any byte but '/' and NUL), each a length then its bytes.
 */
static size_t
wire_name(const char *labels, unsigned char *out)
{
	size_t o = 0;

	while (*labels != '\0') {
		size_t l = strcspn(labels, "/");

		out[o++] = (unsigned char)l;
		memcpy(out + o, labels, l);
		o += l;
		labels += l;
		if (*labels == '/')
			labels++;
	}
	out[o++] = 0;
	return o;
}

static size_t
add_ptr(struct rr *rr, size_t n, const char *labels)
{
	rr[n].type = T_PTR;
	rr[n].len = wire_name(labels, rr[n].data);
	return n + 1;
}

/* PTR records under 2.0.192.in-addr.arpa, as the top of the file says. */
static int
zone_ptr(const char *name, struct rr *rr, int *rcode)
{
	static const char six[] = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
	unsigned n;
	char tail[64];

	if (strcmp(name, six) == 0)
		return (int)add_ptr(rr, 0, "six/ptr/test");
	if (sscanf(name, "%u.%63s", &n, tail) != 2 ||
	    strcmp(tail, "2.0.192.in-addr.arpa") != 0)
		return -1;
	switch (n) {
	case 1:
		return (int)add_ptr(rr, 0, "host-one/ptr/test");
	case 3:
		return (int)add_ptr(rr, 0, "x<y>/ptr/test");
	case 4:
		return (int)add_ptr(rr, 0, "1/2/3/4");
	case 5:
		*rcode = 2;
		return -1;
	case 6:
		return -2;
	case 7:
		return 0;
	case 8:
		return (int)add_ptr(rr, 0, "a.b\001c/ptr/test");
	case 9:
		add_ptr(rr, 0, "Two/PTR/test");
		return (int)add_ptr(rr, 1, "three/ptr/test");
	}
	return -1;
}

/* The zone: records of name, or -1 (rcode in *rcode), or -2 to drop. */
static int
zone(const char *name, struct rr *rr, int *rcode)
{
	unsigned n;
	char tail[64], buf[64];
	size_t k = 0, len;

	*rcode = 0;
	len = strlen(name);
	if (len > 5 && strcmp(name + len - 5, ".arpa") == 0) {
		int got = zone_ptr(name, rr, rcode);

		if (got == -1 && *rcode == 0)
			*rcode = 3;
		return got;
	}
	if (sscanf(name, "h%u.%63s", &n, tail) == 2 &&
	    strcmp(tail, "bulk.test") == 0) {
		snprintf(buf, sizeof(buf), "10.0.%u.%u", n / 256, n % 256);
		k = add_a(rr, k, buf);
		if (n % 3 == 0) {
			snprintf(buf, sizeof(buf), "2001:db8::1:%x", n);
			k = add_aaaa(rr, k, buf);
		}
		return (int)k;
	}
	if (strcmp(name, "v6only.test") == 0)
		return (int)add_aaaa(rr, 0, "2001:db8::66");
	if (strcmp(name, "multi.test") == 0) {
		k = add_a(rr, k, "10.1.0.2");
		k = add_a(rr, k, "10.1.0.1");
		k = add_a(rr, k, "10.1.0.1");
		return (int)add_aaaa(rr, k, "2001:db8::1:2");
	}
	if (strcmp(name, "servfail.test") == 0) {
		*rcode = 2;
		return -1;
	}
	if (strcmp(name, "drop.test") == 0 || (len > 10 &&
	    strcmp(name + len - 10, ".drop.test") == 0))
		return -2;
	if (strcmp(name, "www.wild.test") == 0)
		return (int)add_a(rr, 0, "10.1.1.1");
	if (strcmp(name, "mail.wild.test") == 0)
		return (int)add_a(rr, 0, "10.9.9.9");
	if (strcmp(name, "both.wild.test") == 0) {
		k = add_a(rr, k, "10.9.9.9");
		return (int)add_a(rr, k, "10.1.1.2");
	}
	if (len > 10 && strcmp(name + len - 10, ".wild.test") == 0)
		return (int)add_a(rr, 0, "10.9.9.9");
	*rcode = 3;
	return -1;
}

/* Build the answer to q in out; 0 when it is to be dropped. */
static size_t
answer(const unsigned char *q, size_t qlen, unsigned char *out)
{
	char name[256];
	size_t i = 12, nl = 0, o;
	struct rr rr[8];
	int qtype, rcode, n, an = 0;

	if (qlen < 17)
		return 0;
	while (i < qlen && q[i] != 0) {
		size_t l = q[i++];

		if (i + l > qlen || nl + l + 1 >= sizeof(name))
			return 0;
		if (nl > 0)
			name[nl++] = '.';
		for (size_t j = 0; j < l; j++) {
			char c = (char)q[i + j];

			name[nl++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		i += l;
	}
	name[nl] = '\0';
	i++;
	if (i + 4 > qlen)
		return 0;
	qtype = q[i] << 8 | q[i + 1];
	i += 4;
	n = zone(name, rr, &rcode);
	if (n == -2)
		return 0;
	memcpy(out, q, i);
	out[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x04);	/* QR, AA */
	out[3] = (unsigned char)(0x80 | rcode);			/* RA */
	memset(out + 6, 0, 6);
	o = i;
	for (int k = 0; k < n; k++) {
		size_t dl = rr[k].len;

		if (rr[k].type != qtype)
			continue;
		out[o++] = 0xc0;
		out[o++] = 0x0c;
		out[o++] = 0;
		out[o++] = (unsigned char)rr[k].type;
		out[o++] = 0;
		out[o++] = 1;
		memcpy(out + o, "\0\0\0\x3c", 4);
		o += 4;
		out[o++] = 0;
		out[o++] = (unsigned char)dl;
		memcpy(out + o, rr[k].data, dl);
		o += dl;
		an++;
	}
	out[7] = (unsigned char)an;
	return o;
}

static void
reply(struct fakedns *s, struct held *h)
{
	unsigned char out[1024];
	size_t len = answer(h->msg, h->len, out);

	if (len > 0)
		sendto(s->fd, out, len, 0, (struct sockaddr *)&h->from,
		    sizeof(h->from));
}

static void *
serve(void *arg)
{
	struct fakedns *s = arg;
	static struct held held[MAX_HELD];
	size_t nheld = 0;

	for (;;) {
		struct pollfd p[2] = { { s->fd, POLLIN, 0 },
		    { s->stop[0], POLLIN, 0 } };
		int timeout = s->hold_ms > 0 && nheld > 0 ? s->hold_ms : -1;
		int rc = poll(p, 2, timeout);

		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1 || (p[1].revents & POLLIN))
			break;
		if (rc == 0) {
			/* A lull: everything the client will send is here. */
			if (nheld > s->max_batch)
				s->max_batch = nheld;
			for (size_t i = 0; i < nheld; i++)
				reply(s, &held[i]);
			nheld = 0;
			continue;
		}
		if (p[0].revents & POLLIN) {
			struct held h;
			socklen_t sl = sizeof(h.from);
			ssize_t n = recvfrom(s->fd, h.msg, sizeof(h.msg), 0,
			    (struct sockaddr *)&h.from, &sl);

			if (n <= 0)
				continue;
			h.len = (size_t)n;
			__atomic_add_fetch(&s->queries, 1, __ATOMIC_RELAXED);
			if (s->hold_ms > 0 && nheld < MAX_HELD)
				held[nheld++] = h;
			else
				reply(s, &h);
		}
	}
	return NULL;
}

static void
fake_start(struct fakedns *s, int hold_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->hold_ms = hold_ms;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pipe(s->stop), 0);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void
fake_stop(struct fakedns *s)
{
	ck_assert_int_eq(write(s->stop[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
}

/* A resolver word for the server, and a config using it. */
struct setup {
	char word[64];
	const char *words[1];
	struct dns_config cfg;
};

static void
setup_for(struct setup *st, int port, int family)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->word, sizeof(st->word), "127.0.0.1:%d", port);
	st->words[0] = st->word;
	st->cfg.family = family;
	st->cfg.resolvers = st->words;
	st->cfg.nresolvers = 1;
	st->cfg.timeout_ms = 200;
	st->cfg.tries = 2;
}

/* --- collecting answers --------------------------------------------------- */

#define MAX_ANSWERS 8192

struct result {
	char name[64];
	enum dns_status status;
	char text[256];		/* addresses, space-separated, or the error */
	int calls;
};

struct results {
	struct result r[MAX_ANSWERS];
	size_t n;
};

static void
on_answer(void *arg, const struct dns_answer *a)
{
	struct results *rs = arg;
	struct result *r;
	size_t used = 0;

	ck_assert_uint_lt(rs->n, MAX_ANSWERS);
	r = &rs->r[rs->n++];
	snprintf(r->name, sizeof(r->name), "%s", a->name);
	r->status = a->status;
	r->text[0] = '\0';
	if (a->status == DNS_FAILED) {
		ck_assert_ptr_nonnull(a->error);
		snprintf(r->text, sizeof(r->text), "%s", a->error);
	} else {
		ck_assert_ptr_null(a->error);
	}
	if (a->status == DNS_RESOLVED)
		ck_assert_uint_gt(a->naddrs, 0);
	else
		ck_assert_uint_eq(a->naddrs, 0);
	for (size_t i = 0; i < a->naddrs; i++) {
		char buf[INET6_ADDRSTRLEN];

		ck_assert_ptr_nonnull(target_ntop(a->addrs[i].family,
		    a->addrs[i].addr, buf, sizeof(buf)));
		used += (size_t)snprintf(r->text + used, sizeof(r->text) - used,
		    "%s%s", used ? " " : "", buf);
	}
}

static const struct result *
find(const struct results *rs, const char *name)
{
	const struct result *found = NULL;

	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].name, name) == 0) {
			ck_assert_msg(found == NULL, "two answers for %s",
			    name);
			found = &rs->r[i];
		}
	}
	ck_assert_msg(found != NULL, "no answer for %s", name);
	return found;
}

static void
expect(const struct results *rs, const char *name, enum dns_status st,
    const char *text)
{
	const struct result *r = find(rs, name);

	ck_assert_msg(r->status == st, "%s: %s, want %s (%s)", name,
	    dns_status_str(r->status), dns_status_str(st), r->text);
	if (text != NULL)
		ck_assert_msg(strcmp(r->text, text) == 0, "%s: '%s', want '%s'",
		    name, r->text, text);
}

static struct results *
results_new(void)
{
	struct results *rs = calloc(1, sizeof(*rs));

	ck_assert_ptr_nonnull(rs);
	return rs;
}

static double
now_s(void)
{
	return (double)reactor_clock() / 1e9;
}

/* --- resolver words ------------------------------------------------------- */

struct resolver_case {
	const char *word;
	int family;
	const char *addr;
	int port;
};

static const struct resolver_case resolvers_ok[] = {
	{ "192.0.2.1", AF_INET, "192.0.2.1", 53 },
	{ "192.0.2.1:5353", AF_INET, "192.0.2.1", 5353 },
	{ "127.0.0.53:53", AF_INET, "127.0.0.53", 53 },
	{ "2001:db8::1", AF_INET6, "2001:db8::1", 53 },
	{ "::1", AF_INET6, "::1", 53 },
	{ "[::1]", AF_INET6, "::1", 53 },
	{ "[2001:db8::1]:5353", AF_INET6, "2001:db8::1", 5353 },
	{ "[::ffff:1.2.3.4]:1", AF_INET6, "::ffff:1.2.3.4", 1 },
	{ "1.2.3.4:65535", AF_INET, "1.2.3.4", 65535 },
};

START_TEST(resolver_ok)
{
	const struct resolver_case *c = &resolvers_ok[_i];
	struct dns_resolver r;
	unsigned char want[16];
	char err[256] = "";

	ck_assert_msg(dns_resolver_parse(c->word, &r, err, sizeof(err)) == 0,
	    "'%s': %s", c->word, err);
	ck_assert_int_eq(r.family, c->family);
	ck_assert_int_eq(inet_pton(c->family, c->addr, want), 1);
	ck_assert_mem_eq(r.addr, want, c->family == AF_INET ? 4 : 16);
	ck_assert_int_eq(r.port, c->port);
}
END_TEST

static const char *const resolvers_bad[] = {
	"", ":53", "dns.example", "192.0.2.1:", "192.0.2.1:0",
	"192.0.2.1:65536", "192.0.2.1:53x", "192.0.2.1:-1", "[192.0.2.1]",
	"[::1", "[::1]x", "[::1]:", "[::1]:0", "2001:db8::1:53:x", "1.2.3",
	"[]", "[]:53", " 1.2.3.4", "1.2.3.4 ",
};

START_TEST(resolver_bad)
{
	struct dns_resolver r;
	char err[256] = "";
	const char *w = resolvers_bad[_i];

	ck_assert_msg(dns_resolver_parse(w, &r, err, sizeof(err)) == -1,
	    "'%s' accepted", w);
	ck_assert_msg(strncmp(err, "bad resolver '", 14) == 0 &&
	    strstr(err, w) != NULL, "'%s': %s", w, err);
}
END_TEST

START_TEST(bad_config)
{
	struct dns_config cfg = { .family = 12345 };
	const char *words[] = { "127.0.0.1", "nonsense" };
	struct reactor *r = reactor_new(8);
	char err[256] = "";

	ck_assert_ptr_null(dns_new(r, &cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "bad address family 12345");
	cfg.family = AF_UNSPEC;
	cfg.resolvers = words;
	cfg.nresolvers = 2;
	ck_assert_ptr_null(dns_new(r, &cfg, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "bad resolver 'nonsense'", 23) == 0, "%s",
	    err);
	reactor_free(r);
}
END_TEST

/* --- resolving ------------------------------------------------------------ */

#define BULK 3000

START_TEST(bulk)
{
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	static char names[BULK + 100][32];
	const char *v[BULK + 100];
	size_t n = 0;
	char err[256] = "", want[128];
	double t0;

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_UNSPEC);
	st.cfg.concurrency = 64;
	for (int i = 0; i < BULK; i++) {
		snprintf(names[n], sizeof(names[n]), "h%d.bulk.test", i);
		v[n] = names[n];
		n++;
	}
	for (int i = 0; i < 100; i++) {
		snprintf(names[n], sizeof(names[n]), "nx%d.bulk.test", i);
		v[n] = names[n];
		n++;
	}
	t0 = now_s();
	ck_assert_msg(dns_resolve_all(&st.cfg, v, n, on_answer, rs, err,
	    sizeof(err)) == 0, "%s", err);
	fprintf(stderr, "bulk: %zu names in %.2f s\n", n, now_s() - t0);
	fake_stop(&s);
	ck_assert_uint_eq(rs->n, n);
	for (int i = 0; i < BULK; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%d.bulk.test", i);
		if (i % 3 == 0)
			snprintf(want, sizeof(want),
			    "10.0.%d.%d 2001:db8::1:%x", i / 256, i % 256, i);
		else
			snprintf(want, sizeof(want), "10.0.%d.%d", i / 256,
			    i % 256);
		expect(rs, name, DNS_RESOLVED, want);
	}
	for (int i = 0; i < 100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "nx%d.bulk.test", i);
		expect(rs, name, DNS_NXDOMAIN, "");
	}
	free(rs);
}
END_TEST

START_TEST(families)
{
	static const char *const v[] = {
		"h3.bulk.test", "h4.bulk.test", "v6only.test", "multi.test",
		"nope.test", "MULTI.Test.",
	};
	struct fakedns s;
	struct setup st;
	struct results *rs;
	char err[256] = "";

	fake_start(&s, 0);

	rs = results_new();
	setup_for(&st, s.port, AF_UNSPEC);
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 6, on_answer, rs, err,
	    sizeof(err)), 0);
	expect(rs, "h3.bulk.test", DNS_RESOLVED, "10.0.0.3 2001:db8::1:3");
	expect(rs, "h4.bulk.test", DNS_RESOLVED, "10.0.0.4");
	expect(rs, "v6only.test", DNS_RESOLVED, "2001:db8::66");
	/* Sorted, IPv4 first, the repeated address once. */
	expect(rs, "multi.test", DNS_RESOLVED,
	    "10.1.0.1 10.1.0.2 2001:db8::1:2");
	expect(rs, "MULTI.Test.", DNS_RESOLVED,
	    "10.1.0.1 10.1.0.2 2001:db8::1:2");
	expect(rs, "nope.test", DNS_NXDOMAIN, "");
	free(rs);

	rs = results_new();
	setup_for(&st, s.port, AF_INET);
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 5, on_answer, rs, err,
	    sizeof(err)), 0);
	expect(rs, "h3.bulk.test", DNS_RESOLVED, "10.0.0.3");
	expect(rs, "v6only.test", DNS_NODATA, "");
	expect(rs, "multi.test", DNS_RESOLVED, "10.1.0.1 10.1.0.2");
	expect(rs, "nope.test", DNS_NXDOMAIN, "");
	free(rs);

	rs = results_new();
	setup_for(&st, s.port, AF_INET6);
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 5, on_answer, rs, err,
	    sizeof(err)), 0);
	expect(rs, "h3.bulk.test", DNS_RESOLVED, "2001:db8::1:3");
	expect(rs, "h4.bulk.test", DNS_NODATA, "");
	expect(rs, "v6only.test", DNS_RESOLVED, "2001:db8::66");
	expect(rs, "multi.test", DNS_RESOLVED, "2001:db8::1:2");
	expect(rs, "nope.test", DNS_NXDOMAIN, "");
	free(rs);
	fake_stop(&s);
}
END_TEST

START_TEST(failures)
{
	static const char *const v[] = {
		"drop.test", "servfail.test", "h1.bulk.test",
	};
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	char err[256] = "";
	double t0, took;

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);
	st.cfg.timeout_ms = 100;
	st.cfg.tries = 2;
	t0 = now_s();
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 3, on_answer, rs, err,
	    sizeof(err)), 0);
	took = now_s() - t0;
	fake_stop(&s);
	expect(rs, "drop.test", DNS_FAILED, NULL);
	ck_assert_msg(strstr(find(rs, "drop.test")->text, "imeout") != NULL,
	    "%s", find(rs, "drop.test")->text);
	expect(rs, "servfail.test", DNS_FAILED, NULL);
	expect(rs, "h1.bulk.test", DNS_RESOLVED, "10.0.0.1");
	/* 100 ms, then 200 ms (c-ares doubles): well under a second. */
	ck_assert_msg(took < 1.5, "timeouts took %.2f s", took);
	free(rs);
}
END_TEST

/* Nothing listens: the ICMP errors arrive as EPOLLERR; no hang. */
START_TEST(refused)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	static const char *const v[] = { "a.test", "b.test" };
	struct setup st;
	struct results *rs = results_new();
	char err[256] = "";
	double t0;
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	setup_for(&st, ntohs(sin.sin_port), AF_UNSPEC);
	st.cfg.timeout_ms = 300;
	st.cfg.tries = 2;
	t0 = now_s();
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 2, on_answer, rs, err,
	    sizeof(err)), 0);
	expect(rs, "a.test", DNS_FAILED, NULL);
	expect(rs, "b.test", DNS_FAILED, NULL);
	/* c-ares 1.18 sees the refusal but may still wait out a try. */
	ck_assert_msg(now_s() - t0 < 3, "refusal took %.2f s", now_s() - t0);
	free(rs);
}
END_TEST

/* No more than the concurrency in flight: the server holds its answers
 * until the client stops sending, and counts what it holds. */
START_TEST(concurrency)
{
	static char names[40][32];
	const char *v[40];
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	char err[256] = "";

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d.bulk.test", i);
		v[i] = names[i];
	}
	fake_start(&s, 100);
	setup_for(&st, s.port, AF_INET);
	st.cfg.concurrency = 8;
	st.cfg.timeout_ms = 2000;
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 40, on_answer, rs, err,
	    sizeof(err)), 0);
	fake_stop(&s);
	ck_assert_uint_eq(rs->n, 40);
	ck_assert_uint_eq(s.max_batch, 8);
	ck_assert_uint_eq(s.queries, 40);
	free(rs);
}
END_TEST

/* Callbacks may submit more names; the chain ends when they stop. */
struct chain {
	struct dns *d;
	int next, last;
	struct results *rs;
};

static void
on_chain(void *arg, const struct dns_answer *a)
{
	struct chain *c = arg;
	char name[32];

	on_answer(c->rs, a);
	if (c->next <= c->last) {
		snprintf(name, sizeof(name), "h%d.bulk.test", c->next++);
		ck_assert_int_eq(dns_submit(c->d, name, on_chain, c), 0);
	}
}

START_TEST(chained)
{
	struct fakedns s;
	struct setup st;
	struct reactor *r = reactor_new(16);
	struct chain c = { NULL, 1, 200, results_new() };
	char err[256] = "";

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);
	c.d = dns_new(r, &st.cfg, err, sizeof(err));
	ck_assert_msg(c.d != NULL, "%s", err);
	ck_assert_int_eq(dns_submit(c.d, "h0.bulk.test", on_chain, &c), 0);
	ck_assert_uint_eq(dns_pending(c.d), 1);
	while (dns_pending(c.d) > 0)
		ck_assert_int_ge(reactor_run_once(r, REACTOR_NS_PER_S), 0);
	ck_assert_uint_eq(c.rs->n, 201);
	expect(c.rs, "h200.bulk.test", DNS_RESOLVED, "10.0.0.200");
	/* A name longer than DNS allows is refused at once. */
	{
		char big[300];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		errno = 0;
		ck_assert_int_eq(dns_submit(c.d, big, on_chain, &c), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	dns_free(c.d);
	reactor_free(r);
	fake_stop(&s);
	free(c.rs);
}
END_TEST

static int late_calls;

static void
on_late(void *arg, const struct dns_answer *a)
{
	(void)arg;
	(void)a;
	late_calls++;
}

/* dns_free() with names in flight and queued: no callback, no leak. */
START_TEST(free_pending)
{
	struct fakedns s;
	struct setup st;
	struct reactor *r = reactor_new(16);
	struct dns *d;
	char err[256] = "";

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_UNSPEC);
	st.cfg.concurrency = 4;
	d = dns_new(r, &st.cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(dns_submit(d, "drop.test", on_late, NULL), 0);
	ck_assert_uint_eq(dns_pending(d), 50);
	ck_assert_int_ge(reactor_run_once(r, 20 * REACTOR_NS_PER_MS), 0);
	dns_free(d);
	ck_assert_int_eq(late_calls, 0);
	/* The reactor holds nothing of it any more: a round runs idle. */
	ck_assert_int_eq(reactor_run_once(r, 10 * REACTOR_NS_PER_MS), 0);
	reactor_free(r);
	fake_stop(&s);
}
END_TEST

START_TEST(stop_flag)
{
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	static const char *const v[] = { "drop.test" };
	volatile sig_atomic_t stop = 1;
	char err[256] = "";

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);
	st.cfg.stop = &stop;
	ck_assert_int_eq(dns_resolve_all(&st.cfg, v, 1, on_answer, rs, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "interrupted with 1 names unresolved");
	ck_assert_uint_eq(rs->n, 0);
	fake_stop(&s);
	free(rs);
}
END_TEST

/* --- wordlist discovery --------------------------------------------------- */

static char wordlist[64];

static void
write_wordlist(const char *text)
{
	int fd;

	snprintf(wordlist, sizeof(wordlist), "/tmp/trawl-words-XXXXXX");
	fd = mkstemp(wordlist);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int warnings;

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	warnings++;
}

START_TEST(discover_wildcard)
{
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	struct discover_stats ds;
	char err[256] = "", note[128];

	write_wordlist("# a wordlist\nwww\nmail\nboth\n\nftp\nWWW\n"
	    "dev # a comment\nbad word\nx..y\n");
	fake_start(&s, 0);
	setup_for(&st, s.port, AF_UNSPEC);
	ck_assert_msg(discover_run(&st.cfg, "Wild.Test.", wordlist, on_warn,
	    NULL, on_answer, rs, &ds, err, sizeof(err)) == 0, "%s", err);
	fake_stop(&s);
	unlink(wordlist);
	ck_assert_int_eq(warnings, 2);
	ck_assert_uint_eq(ds.words, 8);
	ck_assert_uint_eq(ds.bad_words, 2);
	ck_assert_uint_eq(ds.candidates, 5);
	ck_assert(ds.wildcard);
	ck_assert_uint_eq(ds.wildcard_addrs, 1);
	ck_assert_uint_eq(ds.resolved, 5);
	ck_assert_uint_eq(ds.dropped, 3);	/* mail, ftp, dev */
	ck_assert_uint_eq(rs->n, 2);
	expect(rs, "www.wild.test", DNS_RESOLVED, "10.1.1.1");
	expect(rs, "both.wild.test", DNS_RESOLVED, "10.1.1.2 10.9.9.9");
	ck_assert_str_eq(discover_wildcard_note(&ds, "wild.test", note,
	    sizeof(note)), "wild.test: wildcard DNS, 3 names dropped");
	free(rs);
}
END_TEST

START_TEST(discover_plain)
{
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	struct discover_stats ds;
	char err[256] = "", note[128];

	write_wordlist("h1\nh2\nnope\nh3\n");
	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);
	ck_assert_msg(discover_run(&st.cfg, "bulk.test", wordlist, NULL, NULL,
	    on_answer, rs, &ds, err, sizeof(err)) == 0, "%s", err);
	fake_stop(&s);
	unlink(wordlist);
	ck_assert(!ds.wildcard);
	ck_assert_uint_eq(ds.resolved, 3);
	ck_assert_uint_eq(ds.dropped, 0);
	ck_assert_uint_eq(rs->n, 4);
	expect(rs, "h2.bulk.test", DNS_RESOLVED, "10.0.0.2");
	expect(rs, "nope.bulk.test", DNS_NXDOMAIN, "");
	ck_assert_ptr_null(discover_wildcard_note(&ds, "bulk.test", note,
	    sizeof(note)));
	free(rs);
}
END_TEST

START_TEST(discover_errors)
{
	struct fakedns s;
	struct setup st;
	struct results *rs = results_new();
	char err[256] = "", want[256];

	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);
	/* A bad word without a warn callback is an error, with FILE:LINE. */
	write_wordlist("www\n\n# c\nbad word\n");
	ck_assert_int_eq(discover_run(&st.cfg, "bulk.test", wordlist, NULL,
	    NULL, on_answer, rs, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: bad word 'bad word': 'bad word."
	    "bulk.test' is not a valid host name", wordlist);
	ck_assert_str_eq(err, want);
	unlink(wordlist);
	ck_assert_int_eq(discover_run(&st.cfg, "bulk.test",
	    "/nonexistent/words", NULL, NULL, on_answer, rs, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot read wordlist '/nonexistent/words': "
	    "No such file or directory");
	ck_assert_int_eq(discover_run(&st.cfg, "bad domain", "/dev/null",
	    NULL, NULL, on_answer, rs, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad domain 'bad domain': not a valid host name");
	/* A resolver that never answers: the wildcard check cannot tell. */
	write_wordlist("www\n");
	st.cfg.timeout_ms = 50;
	st.cfg.tries = 1;
	ck_assert_int_eq(discover_run(&st.cfg, "drop.test", wordlist, NULL,
	    NULL, on_answer, rs, NULL, err, sizeof(err)), -1);
	unlink(wordlist);
	ck_assert_msg(strncmp(err, "drop.test: cannot check for wildcard DNS: ",
	    42) == 0 && strstr(err, "imeout") != NULL, "%s", err);
	fake_stop(&s);
	ck_assert_uint_eq(rs->n, 0);
	free(rs);
}
END_TEST

/* --- PTR names (--rdns) --------------------------------------------------- */

static target_u128
addr_of(const char *text, int *family)
{
	unsigned char b[16];

	*family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, text, b), 1);
	return target_from_bytes(*family, b);
}

static const struct {
	const char *addr, *qname;
} qnames[] = {
	{ "127.0.0.1", "1.0.0.127.in-addr.arpa" },
	{ "0.0.0.0", "0.0.0.0.in-addr.arpa" },
	{ "255.254.253.252", "252.253.254.255.in-addr.arpa" },
	{ "192.0.2.10", "10.2.0.192.in-addr.arpa" },
	{ "2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d."
	    "0.1.0.0.2.ip6.arpa" },
	{ "::", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.ip6.arpa" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "f.f.f.f.f.f.f.f.f.f.f.f."
	    "f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.ip6.arpa" },
	{ "fd74:7261:776c::3:1", "1.0.0.0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.6."
	    "7.7.1.6.2.7.4.7.d.f.ip6.arpa" },
};

START_TEST(ptr_qname)
{
	char buf[DNS_PTR_QNAME_SIZE + 8];
	int family;
	target_u128 a = addr_of(qnames[_i].addr, &family);

	memset(buf, 'X', sizeof(buf));
	dns_ptr_qname(family, a, buf);
	ck_assert_str_eq(buf, qnames[_i].qname);
	/* Within its size, which holds the longest (IPv6) whole. */
	ck_assert_uint_lt(strlen(buf), DNS_PTR_QNAME_SIZE);
	ck_assert_int_eq(buf[DNS_PTR_QNAME_SIZE], 'X');
}
END_TEST

#define L63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static const struct {
	const char *in, *out;		/* out NULL: refused */
} ptr_names[] = {
	{ "host.example.com", "host.example.com" },
	{ "host.example.com.", "host.example.com" },
	{ "Mixed-Case.Example", "Mixed-Case.Example" },
	{ "_srv.x9.example", "_srv.x9.example" },
	{ "localhost", "localhost" },
	{ "a.", "a" },
	{ L63 ".example", L63 ".example" },
	{ "", NULL },
	{ ".", NULL },
	{ "..", NULL },
	{ "a..", NULL },
	{ "a..b", NULL },
	{ ".a", NULL },
	{ "-a.example", NULL },
	{ "a-.example", NULL },
	{ "a b.example", NULL },
	{ "x<y>.example", NULL },
	{ "a\"b.example", NULL },
	{ "a'b.example", NULL },
	{ "a&b.example", NULL },
	{ "a,b.example", NULL },
	{ "1.2.3.4", NULL },
	{ "1.2.3.4.", NULL },
	{ "10.1", NULL },
	{ "0x7f000001", NULL },
	{ "a.123", NULL },
	{ "a\001b.example", NULL },
	{ "a\nb.example", NULL },
	{ "a\033[31mb.example", NULL },
	{ "caf\xc3\xa9.example", NULL },
	{ "\xff.example", NULL },
	{ "a\\.b.example", NULL },		/* c-ares's escape of a dot */
	{ "a\\032b.example", NULL },		/* and of a blank */
	{ "evil/na*me.example", NULL },
	{ "*.example", NULL },
	{ L63 "x.example", NULL },		/* a label of 64 */
};

START_TEST(ptr_name)
{
	char out[DNS_NAME_BUFSIZE];
	bool ok = dns_ptr_name_clean(ptr_names[_i].in, out, sizeof(out));

	if (ptr_names[_i].out == NULL) {
		ck_assert_msg(!ok, "'%s' taken as '%s'", ptr_names[_i].in,
		    out);
	} else {
		ck_assert_msg(ok, "'%s' refused", ptr_names[_i].in);
		ck_assert_str_eq(out, ptr_names[_i].out);
	}
}
END_TEST

/* The longest name, 253 bytes, fits; one more does not; nor a small out. */
START_TEST(ptr_name_lengths)
{
	char name[300], out[DNS_NAME_BUFSIZE];

	/* 4 labels of 63 and their dots: 255; cut to 253 ending a label. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", L63, L63, L63, L63);
	name[253] = '\0';
	ck_assert(dns_ptr_name_clean(name, out, sizeof(out)));
	ck_assert_str_eq(out, name);
	name[253] = 'x';
	name[254] = '\0';
	ck_assert(!dns_ptr_name_clean(name, out, sizeof(out)));
	ck_assert(dns_ptr_name_clean("host.example", out, 13));
	ck_assert(!dns_ptr_name_clean("host.example", out, 12));
}
END_TEST

/*
 * A PTR answer for qname (dotted), rcode, with the given records ('/'
 * between labels, as wire_name() takes them); owner NULL: each record's
 * owner is the question's name.  Its length.
 */
static size_t
ptr_msg(unsigned char *out, const char *qname, int rcode,
    const char *const *recs, size_t nrecs, const char *owner)
{
	char labels[256];
	size_t o = 12;

	memset(out, 0, 12);
	out[0] = 0x12;
	out[1] = 0x34;
	out[2] = 0x81;				/* QR, RD */
	out[3] = (unsigned char)(0x80 | rcode);	/* RA */
	out[5] = 1;
	out[7] = (unsigned char)nrecs;
	snprintf(labels, sizeof(labels), "%s", qname);
	for (char *p = labels; *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	o += wire_name(labels, out + o);
	memcpy(out + o, "\0\x0c\0\x01", 4);
	o += 4;
	for (size_t i = 0; i < nrecs; i++) {
		size_t rdlen;

		if (owner != NULL) {
			o += wire_name(owner, out + o);
		} else {
			out[o++] = 0xc0;
			out[o++] = 0x0c;
		}
		memcpy(out + o, "\0\x0c\0\x01\0\0\x0e\x10", 8);
		o += 8;
		rdlen = wire_name(recs[i], out + o + 2);
		out[o] = (unsigned char)(rdlen >> 8);
		out[o + 1] = (unsigned char)rdlen;
		o += 2 + rdlen;
	}
	return o;
}

START_TEST(ptr_parse)
{
	static const char q[] = "1.2.0.192.in-addr.arpa";
	static const char *const good[] = { "host-one/ptr/test" };
	static const char *const hostile[] = { "x<y>/ptr/test" };
	static const char *const both[] = { "x<y>/ptr/test",
	    "host-one/ptr/test" };
	static const char *const addr[] = { "1/2/3/4" };
	unsigned char m[1024], junk[512];
	char out[DNS_NAME_BUFSIZE];
	int family;
	target_u128 a = addr_of("192.0.2.1", &family);
	size_t len;
	uint32_t x = 12345;
	enum dns_status st;

	len = ptr_msg(m, q, 0, good, 1, NULL);
	ck_assert_int_eq(dns_ptr_parse(m, len, family, a, out, sizeof(out)),
	    DNS_RESOLVED);
	ck_assert_str_eq(out, "host-one.ptr.test");
	/* Cut anywhere: never a name, never a read past the end. */
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *part = malloc(cut > 0 ? cut : 1);

		ck_assert_ptr_nonnull(part);
		memcpy(part, m, cut);
		ck_assert_int_ne(dns_ptr_parse(part, cut, family, a, out,
		    sizeof(out)), DNS_RESOLVED);
		free(part);
	}
	/* No record: no data. */
	len = ptr_msg(m, q, 0, NULL, 0, NULL);
	ck_assert_int_eq(dns_ptr_parse(m, len, family, a, out, sizeof(out)),
	    DNS_NODATA);
	/* Owned by another name: c-ares 1.18 skips it, later ones take it. */
	len = ptr_msg(m, q, 0, good, 1, "2/2/0/192/in-addr/arpa");
	st = dns_ptr_parse(m, len, family, a, out, sizeof(out));
	if (st == DNS_RESOLVED)
		ck_assert_str_eq(out, "host-one.ptr.test");
	/* Hostile names: refused whatever c-ares makes of them. */
	len = ptr_msg(m, q, 0, hostile, 1, NULL);
	ck_assert_int_ne(dns_ptr_parse(m, len, family, a, out, sizeof(out)),
	    DNS_RESOLVED);
	len = ptr_msg(m, q, 0, addr, 1, NULL);
	ck_assert_int_eq(dns_ptr_parse(m, len, family, a, out, sizeof(out)),
	    DNS_NODATA);
	/* c-ares 1.18 refuses the whole answer; older ones the record. */
	len = ptr_msg(m, q, 0, both, 2, NULL);
	st = dns_ptr_parse(m, len, family, a, out, sizeof(out));
	if (st == DNS_RESOLVED)
		ck_assert_str_eq(out, "host-one.ptr.test");
	/* Noise: whatever comes back is a host name. */
	for (int round = 0; round < 2000; round++) {
		size_t n = 12 + (size_t)round % 200;

		memcpy(junk, m, len < n ? len : n);
		for (size_t i = (size_t)round % 40; i < n; i++) {
			x = x * 1103515245 + 12345;
			junk[i] = (unsigned char)(x >> 16);
		}
		if (dns_ptr_parse(junk, n, family, a, out, sizeof(out)) ==
		    DNS_RESOLVED) {
			char again[DNS_NAME_BUFSIZE];

			ck_assert(dns_ptr_name_clean(out, again,
			    sizeof(again)));
		}
	}
}
END_TEST

/* Answers to dns_submit_ptr(), by the address asked for. */
struct ptr_result {
	const char *addr;
	char qname[DNS_PTR_QNAME_SIZE];
	char ptr[DNS_NAME_BUFSIZE];
	enum dns_status status;
	int calls;
};

static void
on_ptr_answer(void *ctx, const struct dns_answer *a)
{
	struct ptr_result *r = ctx;

	r->calls++;
	r->status = a->status;
	snprintf(r->qname, sizeof(r->qname), "%s", a->name);
	ck_assert_uint_eq(a->naddrs, 0);
	if (a->status == DNS_RESOLVED) {
		ck_assert_ptr_nonnull(a->ptr);
		snprintf(r->ptr, sizeof(r->ptr), "%s", a->ptr);
	} else {
		ck_assert_ptr_null(a->ptr);
	}
	ck_assert((a->error != NULL) == (a->status == DNS_FAILED));
}

START_TEST(ptr_resolve)
{
	static const struct {
		const char *addr;
		enum dns_status status;
		const char *ptr;
	} want[] = {
		{ "192.0.2.1", DNS_RESOLVED, "host-one.ptr.test" },
		{ "192.0.2.2", DNS_NXDOMAIN, NULL },
		{ "192.0.2.3", DNS_FAILED, NULL },	/* or no data */
		{ "192.0.2.4", DNS_NODATA, NULL },
		{ "192.0.2.5", DNS_FAILED, NULL },
		{ "192.0.2.6", DNS_FAILED, NULL },
		{ "192.0.2.7", DNS_NODATA, NULL },
		{ "192.0.2.8", DNS_FAILED, NULL },	/* or no data */
		{ "192.0.2.9", DNS_RESOLVED, "Two.PTR.test" },
		{ "2001:db8::1", DNS_RESOLVED, "six.ptr.test" },
	};
	enum { N = sizeof(want) / sizeof(want[0]) };
	struct ptr_result res[N];
	struct fakedns s;
	struct setup st;
	struct reactor *r = reactor_new(16);
	struct dns *d;
	char err[256] = "";

	memset(res, 0, sizeof(res));
	fake_start(&s, 0);
	setup_for(&st, s.port, AF_INET);	/* PTR asks ignore it */
	st.cfg.timeout_ms = 100;
	st.cfg.hosts_file = true;		/* and /etc/hosts too */
	d = dns_new(r, &st.cfg, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	for (size_t i = 0; i < N; i++) {
		int family;
		target_u128 a = addr_of(want[i].addr, &family);

		ck_assert_int_eq(dns_submit_ptr(d, family, a, on_ptr_answer,
		    &res[i]), 0);
	}
	ck_assert_uint_eq(dns_pending(d), N);
	while (dns_pending(d) > 0)
		ck_assert_int_ge(reactor_run_once(r, REACTOR_NS_PER_S), 0);
	for (size_t i = 0; i < N; i++) {
		char qname[DNS_PTR_QNAME_SIZE];
		int family;
		target_u128 a = addr_of(want[i].addr, &family);
		bool hostile = want[i].status == DNS_FAILED && want[i].ptr ==
		    NULL && (i == 2 || i == 7);

		ck_assert_int_eq(res[i].calls, 1);
		dns_ptr_qname(family, a, qname);
		ck_assert_str_eq(res[i].qname, qname);
		if (hostile)
			ck_assert_msg(res[i].status == DNS_FAILED ||
			    res[i].status == DNS_NODATA, "%s: %s",
			    want[i].addr, dns_status_str(res[i].status));
		else
			ck_assert_msg(res[i].status == want[i].status,
			    "%s: %s, want %s", want[i].addr,
			    dns_status_str(res[i].status),
			    dns_status_str(want[i].status));
		if (want[i].ptr != NULL)
			ck_assert_str_eq(res[i].ptr, want[i].ptr);
	}
	dns_free(d);
	reactor_free(r);
	fake_stop(&s);
}
END_TEST

/* rdns.c: asks from other threads, answers in the reactor's. */
#define RDNS_HOSTS 400

struct rdns_seen {
	int calls[RDNS_HOSTS];
	char name[RDNS_HOSTS][DNS_NAME_BUFSIZE];
	pthread_t reactor_thread;
};

static void
on_rdns(void *ctx, uint64_t host, const char *name)
{
	struct rdns_seen *seen = ctx;

	ck_assert(pthread_equal(pthread_self(), seen->reactor_thread));
	ck_assert_uint_lt(host, RDNS_HOSTS);
	seen->calls[host]++;
	if (name != NULL)
		snprintf(seen->name[host], sizeof(seen->name[host]), "%s",
		    name);
}

/* Host i is 192.0.2.(i % 10), or 2001:db8::1 for i % 10 == 0. */
static const char *
rdns_addr(uint64_t i)
{
	static const char *const a[] = { "2001:db8::1", "192.0.2.1",
	    "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6",
	    "192.0.2.7", "192.0.2.8", "192.0.2.9" };

	return a[i % 10];
}

struct asker {
	struct rdns *rd;
	uint64_t first, step;
};

static void *
ask_some(void *arg)
{
	struct asker *k = arg;

	for (uint64_t h = k->first; h < RDNS_HOSTS; h += k->step) {
		int family;
		target_u128 a = addr_of(rdns_addr(h), &family);

		ck_assert_int_eq(rdns_ask(k->rd, h, family, a), 0);
	}
	return NULL;
}

START_TEST(rdns_threads)
{
	struct rdns_seen *seen = calloc(1, sizeof(*seen));
	struct rdns_sink sink = { on_rdns, seen };
	struct fakedns s;
	struct setup st;
	struct reactor *r = reactor_new(16);
	struct asker k[3];
	pthread_t t[3];
	struct dns *d;
	struct rdns *rd;
	char err[256] = "";
	double t0;

	ck_assert_ptr_nonnull(seen);
	seen->reactor_thread = pthread_self();
	fake_start(&s, 0);
	setup_for(&st, s.port, AF_UNSPEC);
	st.cfg.timeout_ms = 100;
	st.cfg.concurrency = 16;
	d = dns_new(r, &st.cfg, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	rd = rdns_new(r, d, &sink);
	ck_assert_ptr_nonnull(rd);
	for (int i = 0; i < 3; i++) {
		k[i].rd = rd;
		k[i].first = (uint64_t)i;
		k[i].step = 3;
		ck_assert_int_eq(pthread_create(&t[i], NULL, ask_some, &k[i]),
		    0);
	}
	/* The reactor turns while they ask, as a scan's does. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(reactor_run_once(r, 10 * REACTOR_NS_PER_MS),
		    0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	t0 = now_s();
	ck_assert_int_eq(rdns_wait(rd, NULL), 0);
	ck_assert_uint_eq(rdns_pending(rd), 0);
	/* The silent address: 100 ms, then 200 (c-ares doubles), a few
	 * rounds of 16 at a time at most. */
	ck_assert_msg(now_s() - t0 < 10, "took %.2f s", now_s() - t0);
	for (uint64_t h = 0; h < RDNS_HOSTS; h++) {
		const char *want = h % 10 == 0 ? "six.ptr.test" :
		    h % 10 == 1 ? "host-one.ptr.test" :
		    h % 10 == 9 ? "Two.PTR.test" : "";

		ck_assert_int_eq(seen->calls[h], 1);
		ck_assert_msg(strcmp(seen->name[h], want) == 0,
		    "host %llu (%s): '%s', want '%s'", (unsigned long long)h,
		    rdns_addr(h), seen->name[h], want);
	}
	rdns_free(rd);
	dns_free(d);
	/* Nothing of either left in the reactor: a round runs idle. */
	ck_assert_int_eq(reactor_run_once(r, 10 * REACTOR_NS_PER_MS), 0);
	reactor_free(r);
	fake_stop(&s);
	free(seen);
}
END_TEST

/* Stopped, or freed with answers out: no wait, no callback, no leak. */
START_TEST(rdns_stop)
{
	struct rdns_seen *seen = calloc(1, sizeof(*seen));
	struct rdns_sink sink = { on_rdns, seen };
	struct fakedns s;
	struct setup st;
	struct reactor *r = reactor_new(16);
	volatile sig_atomic_t stop = 1;
	struct dns *d;
	struct rdns *rd;
	char err[256] = "";
	int family;
	target_u128 silent = addr_of("192.0.2.6", &family);

	ck_assert_ptr_nonnull(seen);
	seen->reactor_thread = pthread_self();
	fake_start(&s, 0);
	setup_for(&st, s.port, AF_UNSPEC);
	st.cfg.concurrency = 2;
	d = dns_new(r, &st.cfg, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	rd = rdns_new(r, d, &sink);
	ck_assert_ptr_nonnull(rd);
	for (uint64_t h = 0; h < 5; h++)
		ck_assert_int_eq(rdns_ask(rd, h, family, silent), 0);
	ck_assert_uint_eq(rdns_pending(rd), 5);
	ck_assert_int_eq(rdns_wait(rd, &stop), -1);
	/* In flight (2) and queued in the resolver (3). */
	ck_assert_int_ge(reactor_run_once(r, 10 * REACTOR_NS_PER_MS), 1);
	ck_assert_uint_eq(rdns_pending(rd), 5);
	rdns_free(rd);
	dns_free(d);
	for (uint64_t h = 0; h < 5; h++)
		ck_assert_int_eq(seen->calls[h], 0);
	reactor_free(r);
	fake_stop(&s);
	free(seen);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *words = tcase_create("resolver words");
	TCase *res = tcase_create("resolve");
	TCase *disc = tcase_create("discover");
	TCase *ptr = tcase_create("ptr");

	tcase_add_loop_test(words, resolver_ok, 0,
	    (int)(sizeof(resolvers_ok) / sizeof(resolvers_ok[0])));
	tcase_add_loop_test(words, resolver_bad, 0,
	    (int)(sizeof(resolvers_bad) / sizeof(resolvers_bad[0])));
	tcase_add_test(words, bad_config);
	suite_add_tcase(s, words);
	tcase_add_test(res, bulk);
	tcase_add_test(res, families);
	tcase_add_test(res, failures);
	tcase_add_test(res, refused);
	tcase_add_test(res, concurrency);
	tcase_add_test(res, chained);
	tcase_add_test(res, free_pending);
	tcase_add_test(res, stop_flag);
	tcase_set_timeout(res, 60);
	suite_add_tcase(s, res);
	tcase_add_test(disc, discover_wildcard);
	tcase_add_test(disc, discover_plain);
	tcase_add_test(disc, discover_errors);
	tcase_set_timeout(disc, 60);
	suite_add_tcase(s, disc);
	tcase_add_loop_test(ptr, ptr_qname, 0,
	    (int)(sizeof(qnames) / sizeof(qnames[0])));
	tcase_add_loop_test(ptr, ptr_name, 0,
	    (int)(sizeof(ptr_names) / sizeof(ptr_names[0])));
	tcase_add_test(ptr, ptr_name_lengths);
	tcase_add_test(ptr, ptr_parse);
	tcase_add_test(ptr, ptr_resolve);
	tcase_add_test(ptr, rdns_threads);
	tcase_add_test(ptr, rdns_stop);
	tcase_set_timeout(ptr, 60);
	suite_add_tcase(s, ptr);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
