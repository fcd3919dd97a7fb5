/*
 * c-ares inside the reactor.
 *
 * c-ares tells us which sockets it wants watched through its socket-state
 * callback, and when its next retransmission is due through ares_timeout().
 * Each socket gets a struct dns_sock holding a reactor_io; readiness goes
 * back in with ares_process_fd(), and the one reactor timer is re-armed to
 * ares_timeout() after every entry into c-ares.
 *
 * A dns_sock can be closed by c-ares while the reactor is dispatching (an
 * answer read from one socket may end a query whose TCP socket goes), so
 * dns_socks are never freed before dns_free(): a closed one goes on a spare
 * list and may be reused at once, which the reactor's round stamps make
 * safe.  c-ares opens one UDP socket per server, so the lists stay short.
 *
 * Names beyond the concurrency limit wait in a FIFO of their own, so a
 * million names cost a million small queue entries, not a million queries
 * retransmitting against one resolver.  PTR queries (--rdns) wait in the
 * same FIFO and count against the same limit: one resolver, one budget.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "trawl/dns.h"
#include "trawl/num.h"
#include "trawl/reactor.h"
#include "trawl/target.h"
#include "trawl/vec.h"

#define NAME_MAX_LEN 255	/* with a trailing dot, and some slack */

struct dns_query {
	struct dns_query *next;
	struct dns *d;
	dns_result_fn *cb;
	void *ctx;
	bool ptr;			/* a PTR query for addr */
	int family;
	target_u128 addr;
	char name[];
};

struct dns_sock {
	struct reactor_io io;
	struct dns *d;
	struct dns_sock *next;
};

struct dns {
	struct reactor *r;
	ares_channel channel;
	bool channel_ok;
	int family;
	unsigned max_inflight, inflight;
	struct dns_query *head, *tail;	/* waiting to be sent */
	size_t queued;
	struct dns_sock *live, *spare;
	struct reactor_timer timer;
	unsigned depth;			/* inside c-ares or a callback */
	bool pumping;
	const char *broken;		/* why every query must fail, or NULL */
	struct dns_addr *abuf;		/* answer addresses, reused */
	size_t acap;
};

/* ares_library_init() counts its callers but does not lock. */
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

int
dns_resolver_parse(const char *s, struct dns_resolver *out, char *err,
    size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = s, *port = NULL, *colon;
	size_t hlen;
	bool bracket = s[0] == '[';
	uint64_t p = DNS_DEFAULT_PORT;

	memset(out, 0, sizeof(*out));
	if (bracket) {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		h = s + 1;
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			port = end + 2;
	} else {
		hlen = strlen(s);
		colon = strchr(s, ':');
		/* One colon is IPv4:PORT; more is a bare IPv6 address. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!bracket && inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		goto bad;
	if (port != NULL && num_parse_str(port, 1, 65535, &p) == -1) {
		snprintf(err, errlen, "bad resolver '%s': the port must be a "
		    "number from 1 to 65535", s);
		return -1;
	}
	out->port = (uint16_t)p;
	return 0;
bad:
	snprintf(err, errlen, "bad resolver '%s': an IPv4 or IPv6 address, "
	    "then :PORT if not 53 ([ADDR]:PORT for IPv6)", s);
	return -1;
}

/*
 * Each status in words: for the warning people read, and the reason the
 * outputs give ("unresolved" records), one row a status.
 */
static const struct {
	const char *str, *reason;
} statuses[] = {
	[DNS_RESOLVED] = { "resolved", "resolved" },
	[DNS_NXDOMAIN] = { "nxdomain", "nxdomain" },
	[DNS_NODATA] = { "nodata", "no-address" },
	[DNS_FAILED] = { "failed", "dns-error" },
};

const char *
dns_status_str(enum dns_status s)
{
	return (unsigned)s < sizeof(statuses) / sizeof(statuses[0]) ?
	    statuses[s].str : "?";
}

const char *
dns_status_reason(enum dns_status s)
{
	return (unsigned)s < sizeof(statuses) / sizeof(statuses[0]) ?
	    statuses[s].reason : "dns-error";
}

/* --- sockets and the timer ---------------------------------------------- */

static void on_io(struct reactor_io *io, uint32_t revents);
static void settle(struct dns *d);

static struct dns_sock *
sock_find(struct dns *d, int fd)
{
	for (struct dns_sock *s = d->live; s != NULL; s = s->next)
		if (s->io.fd == fd)
			return s;
	return NULL;
}

static void
sock_unlink(struct dns *d, struct dns_sock *s)
{
	struct dns_sock **pp = &d->live;

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
}

/* c-ares: watch fd for these events; none means it is about to close it. */
static void
sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = arg;
	struct dns_sock *s = sock_find(d, fd);
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	if (ev == 0) {
		if (s != NULL) {
			reactor_io_del(d->r, &s->io);
			sock_unlink(d, s);
			s->next = d->spare;
			d->spare = s;
		}
		return;
	}
	if (s != NULL) {
		if (reactor_io_mod(d->r, &s->io, ev) == -1)
			d->broken = "cannot watch a resolver socket";
		return;
	}
	if ((s = d->spare) != NULL) {
		d->spare = s->next;
	} else if ((s = calloc(1, sizeof(*s))) == NULL) {
		d->broken = "out of memory";
		return;
	}
	s->d = d;
	if (reactor_io_add(d->r, &s->io, fd, ev, on_io) == -1) {
		d->broken = "cannot watch a resolver socket";
		s->next = d->spare;
		d->spare = s;
		return;
	}
	s->next = d->live;
	d->live = s;
}

static void
on_io(struct reactor_io *io, uint32_t revents)
{
	struct dns_sock *s = (struct dns_sock *)((char *)io -
	    offsetof(struct dns_sock, io));
	struct dns *d = s->d;
	uint32_t rd = EPOLLIN | EPOLLERR | EPOLLHUP, wr = EPOLLOUT | EPOLLERR |
	    EPOLLHUP;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	/*
	 * An error (an ICMP port unreachable on UDP) is handed over as
	 * readiness: c-ares reads the error and counts the server as failed.
	 * s may be gone once ares_process_fd() returns.
	 */
	if ((revents & rd) && (io->events & EPOLLIN))
		rfd = io->fd;
	if ((revents & wr) && (io->events & EPOLLOUT))
		wfd = io->fd;
	d->depth++;
	ares_process_fd(d->channel, rfd, wfd);
	d->depth--;
	settle(d);
}

static void
on_timer(struct reactor_timer *t)
{
	struct dns *d = (struct dns *)((char *)t - offsetof(struct dns, timer));

	d->depth++;
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	d->depth--;
	settle(d);
}

static void
rearm(struct dns *d)
{
	struct timeval tv, *tvp = ares_timeout(d->channel, NULL, &tv);
	uint64_t ns;

	if (tvp == NULL) {
		reactor_timer_stop(d->r, &d->timer);
		return;
	}
	ns = (uint64_t)tvp->tv_sec * REACTOR_NS_PER_S +
	    (uint64_t)tvp->tv_usec * 1000;
	if (reactor_timer_start(d->r, &d->timer, reactor_clock() + ns) == -1)
		d->broken = "out of memory";
}

/* --- queries ------------------------------------------------------------ */

static int
addr_cmp(const void *a, const void *b)
{
	const struct dns_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The addresses of res into d->abuf, sorted, without repeats. */
static int
collect(struct dns *d, const struct ares_addrinfo *res, size_t *n)
{
	const struct ares_addrinfo_node *ai;
	size_t k = 0, out = 0;

	for (ai = res != NULL ? res->nodes : NULL; ai != NULL;
	    ai = ai->ai_next) {
		struct dns_addr a;

		if (ai->ai_family == AF_INET && (d->family == AF_UNSPEC ||
		    d->family == AF_INET)) {
			const struct sockaddr_in *sin =
			    (const void *)ai->ai_addr;

			a.family = AF_INET;
			a.addr = target_from_bytes(AF_INET,
			    (const unsigned char *)&sin->sin_addr);
		} else if (ai->ai_family == AF_INET6 &&
		    (d->family == AF_UNSPEC || d->family == AF_INET6)) {
			const struct sockaddr_in6 *s6 =
			    (const void *)ai->ai_addr;

			a.family = AF_INET6;
			a.addr = target_from_bytes(AF_INET6,
			    (const unsigned char *)&s6->sin6_addr);
		} else {
			continue;
		}
		if (vec_reserve(&d->abuf, &d->acap, k + 1,
		    sizeof(*d->abuf)) != 0)
			return -1;
		d->abuf[k++] = a;
	}
	if (k > 0) {
		qsort(d->abuf, k, sizeof(*d->abuf), addr_cmp);
		out = 1;
		for (size_t i = 1; i < k; i++)
			if (addr_cmp(&d->abuf[i], &d->abuf[out - 1]) != 0)
				d->abuf[out++] = d->abuf[i];
	}
	*n = out;
	return 0;
}

/* A query c-ares ended with status, not ARES_SUCCESS, as an answer. */
static void
failed(const struct dns *d, int status, struct dns_answer *a)
{
	switch (status) {
	case ARES_ENOTFOUND:
		a->status = DNS_NXDOMAIN;
		break;
	case ARES_ENODATA:
		a->status = DNS_NODATA;
		break;
	case ARES_ECANCELLED:
		a->status = DNS_FAILED;
		a->error = d->broken != NULL ? d->broken :
		    ares_strerror(status);
		break;
	default:
		a->status = DNS_FAILED;
		a->error = ares_strerror(status);
		break;
	}
}

static void
on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct dns_answer a = { .name = q->name };

	(void)timeouts;
	/* dns_free(): the caller said it no longer wants answers. */
	if (status == ARES_EDESTRUCTION) {
		ares_freeaddrinfo(res);
		free(q);
		return;
	}
	d->inflight--;
	if (status != ARES_SUCCESS) {
		failed(d, status, &a);
	} else if (collect(d, res, &a.naddrs) == -1) {
		a.status = DNS_FAILED;
		a.error = "out of memory";
	} else {
		a.status = a.naddrs > 0 ? DNS_RESOLVED : DNS_NODATA;
		a.addrs = d->abuf;
	}
	ares_freeaddrinfo(res);
	d->depth++;
	q->cb(q->ctx, &a);
	d->depth--;
	free(q);
}

static void
on_ptr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct dns_answer a = { .name = q->name };
	char name[DNS_NAME_BUFSIZE];

	(void)timeouts;
	if (status == ARES_EDESTRUCTION) {
		free(q);
		return;
	}
	d->inflight--;
	if (status != ARES_SUCCESS) {
		failed(d, status, &a);
	} else {
		a.status = dns_ptr_parse(abuf, alen > 0 ? (size_t)alen : 0,
		    q->family, q->addr, name, sizeof(name));
		if (a.status == DNS_RESOLVED)
			a.ptr = name;
		else if (a.status == DNS_FAILED)
			a.error = "a malformed answer";
	}
	d->depth++;
	q->cb(q->ctx, &a);
	d->depth--;
	free(q);
}

/* Send queued names while there is room; c-ares may answer some at once. */
static void
pump(struct dns *d)
{
	struct ares_addrinfo_hints hints;

	if (d->pumping)
		return;
	d->pumping = true;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = d->family;
	/* No RFC 6724 sorting: it connect()s a UDP socket per address. */
	hints.ai_flags = ARES_AI_NOSORT;
	while (d->head != NULL && d->inflight < d->max_inflight &&
	    d->broken == NULL) {
		struct dns_query *q = d->head;

		d->head = q->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued--;
		d->inflight++;
		d->depth++;
		/*
		 * ares_query(), not ares_gethostbyaddr(): DNS alone (see
		 * dns_submit_ptr()), and the answer parsed by us.
		 */
		if (q->ptr)
			ares_query(d->channel, q->name, ns_c_in, ns_t_ptr,
			    on_ptr, q);
		else
			ares_getaddrinfo(d->channel, q->name, NULL, &hints,
			    on_result, q);
		d->depth--;
	}
	d->pumping = false;
}

/* Fail every waiting name with why; from outside c-ares only. */
static void
fail_queued(struct dns *d, const char *why)
{
	while (d->head != NULL) {
		struct dns_query *q = d->head;
		struct dns_answer a = { .name = q->name, .status = DNS_FAILED,
		    .error = why };

		d->head = q->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued--;
		d->depth++;
		q->cb(q->ctx, &a);
		d->depth--;
		free(q);
	}
}

/*
 * After each entry from the reactor or the caller: send what may be sent,
 * give up on everything if something broke, and set the timer to c-ares's
 * next deadline.  Nested entries (a callback submitting a name) leave
 * this to the outermost one.
 */
static void
settle(struct dns *d)
{
	if (d->depth > 0)
		return;
	pump(d);
	rearm(d);
	if (d->broken != NULL) {
		d->depth++;
		ares_cancel(d->channel);
		d->depth--;
		fail_queued(d, d->broken);
		rearm(d);
	}
}

/* A query for name at the end of the queue; NULL without memory. */
static struct dns_query *
enqueue(struct dns *d, const char *name, dns_result_fn *cb, void *ctx)
{
	size_t len = strlen(name);
	struct dns_query *q;

	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL)
		return NULL;
	q->d = d;
	q->cb = cb;
	q->ctx = ctx;
	memcpy(q->name, name, len + 1);
	if (d->tail != NULL)
		d->tail->next = q;
	else
		d->head = q;
	d->tail = q;
	d->queued++;
	return q;
}

int
dns_submit(struct dns *d, const char *name, dns_result_fn *cb, void *ctx)
{
	if (strlen(name) > NAME_MAX_LEN) {
		errno = EINVAL;
		return -1;
	}
	if (enqueue(d, name, cb, ctx) == NULL)
		return -1;
	settle(d);
	return 0;
}

int
dns_submit_ptr(struct dns *d, int family, target_u128 addr,
    dns_result_fn *cb, void *ctx)
{
	char qname[DNS_PTR_QNAME_SIZE];
	struct dns_query *q;

	dns_ptr_qname(family, addr, qname);
	if ((q = enqueue(d, qname, cb, ctx)) == NULL)
		return -1;
	q->ptr = true;
	q->family = family;
	q->addr = addr;
	settle(d);
	return 0;
}

/* --- PTR names, pure ------------------------------------------------------ */

void
dns_ptr_qname(int family, target_u128 addr, char buf[DNS_PTR_QNAME_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	char *p = buf;

	if (family == AF_INET) {
		target_to_bytes(AF_INET, addr, b);
		snprintf(buf, DNS_PTR_QNAME_SIZE, "%u.%u.%u.%u.in-addr.arpa",
		    b[3], b[2], b[1], b[0]);
		return;
	}
	target_to_bytes(AF_INET6, addr, b);
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[b[i] & 0xf];
		*p++ = '.';
		*p++ = hex[b[i] >> 4];
		*p++ = '.';
	}
	memcpy(p, "ip6.arpa", sizeof("ip6.arpa"));
}

bool
dns_ptr_name_clean(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in);

	if (len > 0 && in[len - 1] == '.')
		len--;
	/*
	 * target_name_valid() would take a second trailing dot as the
	 * absolute name's: "a.." is no name.
	 */
	if (len == 0 || in[len - 1] == '.' || len >= outlen ||
	    !target_name_valid(in, len))
		return false;
	memcpy(out, in, len);
	out[len] = '\0';
	return true;
}

enum dns_status
dns_ptr_parse(const unsigned char *abuf, size_t alen, int family,
    target_u128 addr, char *out, size_t outlen)
{
	struct hostent *he = NULL;
	unsigned char b[16];
	enum dns_status st = DNS_NODATA;
	int rc;

	if (alen > INT_MAX || (family != AF_INET && family != AF_INET6))
		return DNS_FAILED;
	target_to_bytes(family, addr, b);
	rc = ares_parse_ptr_reply(abuf, (int)alen, b,
	    family == AF_INET ? 4 : 16, family, &he);
	if (rc != ARES_SUCCESS || he == NULL)
		return rc == ARES_ENODATA ? DNS_NODATA : DNS_FAILED;
	/*
	 * c-ares lists every PTR record as an alias, in the answer's order,
	 * and makes the last one h_name: the first that is a host name.
	 */
	for (char **al = he->h_aliases; al != NULL && *al != NULL; al++) {
		if (dns_ptr_name_clean(*al, out, outlen)) {
			st = DNS_RESOLVED;
			break;
		}
	}
	if (st != DNS_RESOLVED && he->h_name != NULL &&
	    dns_ptr_name_clean(he->h_name, out, outlen))
		st = DNS_RESOLVED;
	ares_free_hostent(he);
	return st;
}

size_t
dns_pending(const struct dns *d)
{
	return d->inflight + d->queued;
}

/* --- set-up ------------------------------------------------------------- */

static int
set_servers(struct dns *d, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	struct ares_addr_port_node *nodes;
	int rc;

	nodes = calloc(cfg->nresolvers, sizeof(*nodes));
	if (nodes == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->nresolvers; i++) {
		struct dns_resolver res;

		if (dns_resolver_parse(cfg->resolvers[i], &res, err,
		    errlen) == -1) {
			free(nodes);
			return -1;
		}
		nodes[i].next = i + 1 < cfg->nresolvers ? &nodes[i + 1] : NULL;
		nodes[i].family = res.family;
		if (res.family == AF_INET)
			memcpy(&nodes[i].addr.addr4, res.addr, 4);
		else
			memcpy(&nodes[i].addr.addr6, res.addr, 16);
		nodes[i].udp_port = res.port;
		nodes[i].tcp_port = res.port;
	}
	rc = ares_set_servers_ports(d->channel, nodes);
	free(nodes);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot use the resolvers given: %s",
		    ares_strerror(rc));
		return -1;
	}
	return 0;
}

struct dns *
dns_new(struct reactor *r, const struct dns_config *cfg, char *err,
    size_t errlen)
{
	struct ares_options o;
	/* DNS only, unless asked: found names are DNS names. */
	char lookups_dns[] = "b", lookups_files[] = "fb";
	struct dns *d;
	int rc, mask;

	if (cfg->family != AF_UNSPEC && cfg->family != AF_INET &&
	    cfg->family != AF_INET6) {
		snprintf(err, errlen, "bad address family %d", cfg->family);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->r = r;
	d->family = cfg->family;
	d->max_inflight = cfg->concurrency ? cfg->concurrency :
	    DNS_DEFAULT_CONCURRENCY;
	reactor_timer_init(&d->timer, on_timer);

	pthread_mutex_lock(&lib_lock);
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	pthread_mutex_unlock(&lib_lock);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start c-ares: %s",
		    ares_strerror(rc));
		free(d);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = (int)(cfg->timeout_ms ? cfg->timeout_ms :
	    DNS_DEFAULT_TIMEOUT_MS);
	o.tries = (int)(cfg->tries ? cfg->tries : DNS_DEFAULT_TRIES);
	o.domains = NULL;
	o.ndomains = 0;
	o.lookups = cfg->hosts_file ? lookups_files : lookups_dns;
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;
	/* Several resolvers given: spread the names over them. */
	if (cfg->nresolvers > 1)
		mask |= ARES_OPT_ROTATE;
	rc = ares_init_options(&d->channel, &o, mask);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start the resolver: %s",
		    ares_strerror(rc));
		goto fail;
	}
	d->channel_ok = true;
	if (cfg->nresolvers > 0 && set_servers(d, cfg, err, errlen) == -1)
		goto fail;
	return d;
fail:
	dns_free(d);
	return NULL;
}

void
dns_free(struct dns *d)
{
	struct dns_sock *s, *next;

	if (d == NULL)
		return;
	if (d->channel_ok)
		ares_destroy(d->channel);	/* closes its sockets */
	while (d->head != NULL) {
		struct dns_query *q = d->head;

		d->head = q->next;
		free(q);
	}
	for (s = d->live; s != NULL; s = next) {
		next = s->next;
		reactor_io_del(d->r, &s->io);
		free(s);
	}
	for (s = d->spare; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	reactor_timer_stop(d->r, &d->timer);
	free(d->abuf);
	free(d);
	pthread_mutex_lock(&lib_lock);
	ares_library_cleanup();
	pthread_mutex_unlock(&lib_lock);
}

/* --- the stand-alone driver --------------------------------------------- */

int
dns_resolve_all(const struct dns_config *cfg, const char *const *names,
    size_t n, dns_result_fn *cb, void *ctx, char *err, size_t errlen)
{
	struct reactor *r;
	struct dns *d;
	int rc = -1;

	if ((r = reactor_new(64)) == NULL) {
		snprintf(err, errlen, "cannot make a reactor: %s",
		    strerror(errno));
		return -1;
	}
	if ((d = dns_new(r, cfg, err, errlen)) == NULL) {
		reactor_free(r);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (dns_submit(d, names[i], cb, ctx) == -1) {
			snprintf(err, errlen, "cannot resolve '%.60s': %s",
			    names[i], errno == EINVAL ? "name too long" :
			    strerror(errno));
			goto done;
		}
	}
	while (dns_pending(d) > 0) {
		if (cfg->stop != NULL && *cfg->stop != 0) {
			snprintf(err, errlen, "interrupted with %zu names "
			    "unresolved", dns_pending(d));
			goto done;
		}
		/* A bounded wait, so a signal that came just before the
		 * wait is seen soon. */
		if (reactor_run_once(r, 200 * REACTOR_NS_PER_MS) == -1 &&
		    errno != EINTR) {
			snprintf(err, errlen, "epoll_wait: %s",
			    strerror(errno));
			goto done;
		}
	}
	rc = 0;
done:
	dns_free(d);
	reactor_free(r);
	return rc;
}
