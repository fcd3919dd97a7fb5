/*
 * The grab: what answers on an open port, found in the scan's reactor.
 *
 * A grab is a short sequence of steps, each a probe (svc.h): wait for a
 * greeting, send an HTTP request, shake hands in TLS and ask HTTP inside,
 * ask Redis, ask PostgreSQL.  The port chooses the first (svcid.c); the
 * rest follow in a fixed order.  A step that sent nothing and heard
 * nothing leaves its connection fresh for the next; any other step spends
 * it, and the next connects again.  The first reply that identifies the
 * service ends the grab, and so does a greeting nobody knows (a server that
 * speaks first and is not what we ask about would not answer our probes
 * either), and so does the deadline, whatever is in hand.
 *
 * Bounds, because the other end may be hostile: GRAB_READ_MAX bytes read
 * per step (a server that sends megabytes costs 4 KiB), one socket and one
 * timer per grab, one deadline for the whole grab (a server that trickles
 * a byte a second is cut off), and the engine's slot held all along, so
 * that grabs count against -c.
 *
 * TLS is OpenSSL's, on the non-blocking socket: SSL_connect(), SSL_read()
 * and SSL_write() say which readiness they wait for, and the epoll mask
 * follows.  Nothing is verified: a scanner reports the certificate, it
 * does not trust it.
 */
#define _GNU_SOURCE		/* memmem() */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "trawl/cert.h"
#include "trawl/grab.h"
#include "trawl/reactor.h"
#include "trawl/svc.h"
#include "trawl/svcid.h"

/* Steps of one grab, at most. */
#define STEPS_MAX 6
/* How long a step waits for a reply, unless the deadline is nearer. */
#define STEP_MIN_MS 1000
#define STEP_MAX_MS 2000
enum phase {
	PHASE_CONNECT,		/* a new connection's handshake */
	PHASE_TLS,		/* SSL_connect() */
	PHASE_SEND,		/* the request, part of it written */
	PHASE_READ,		/* the reply, until enough, EOF or time */
};

struct grab {
	struct reactor_io io;		/* first: io callbacks cast back */
	struct reactor_timer timer;
	struct grabber *g;
	struct grab *prev, *next;	/* the grabber's list */
	grab_done_fn *done;
	void *arg;
	struct svc *svc;
	struct sockaddr_storage to;
	socklen_t len;
	char name[SVC_NAME_MAX + 1];	/* "" when reached by address */
	uint16_t port;

	enum svc_probe steps[STEPS_MAX];
	int nsteps, step;
	enum svc_probe inner;		/* what this step asks: in TLS, HTTP */
	enum phase phase;
	bool fresh;			/* connected, nothing sent or heard */
	bool tls_up;			/* this connection speaks TLS */
	bool tried_redis;
	SSL *ssl;

	uint64_t deadline;		/* of the whole grab */
	char req[512];
	size_t reqlen, reqoff;
	uint8_t buf[GRAB_READ_MAX];
	size_t n;
};

struct grabber {
	struct reactor *reactor;
	struct grab_config cfg;
	SSL_CTX *ctx;
	struct grab *head;
	unsigned active;
};

static void grab_on_io(struct reactor_io *io, uint32_t revents);
static void grab_on_timer(struct reactor_timer *t);
static void step_begin(struct grab *gr);
static void step_next(struct grab *gr);

/* --- the grabber ---------------------------------------------------------- */

struct grabber *
grabber_new(struct reactor *r, const struct grab_config *cfg)
{
	struct grabber *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->reactor = r;
	g->cfg = *cfg;
	if (g->cfg.timeout_ms == 0)
		g->cfg.timeout_ms = GRAB_TIMEOUT_MS;
	g->ctx = SSL_CTX_new(TLS_client_method());
	if (g->ctx == NULL) {
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * Whatever the server offers, however old or weak: the point is to
	 * see it.  Security level 0 lets OpenSSL talk to it at all.
	 */
	SSL_CTX_set_verify(g->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(g->ctx, 0);
	(void)SSL_CTX_set_min_proto_version(g->ctx, 0);
	SSL_CTX_set_mode(g->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(g->ctx, SSL_SESS_CACHE_OFF);
	return g;
}

void
grabber_free(struct grabber *g)
{
	if (g == NULL)
		return;
	grabber_stop(g);
	SSL_CTX_free(g->ctx);
	free(g);
}

unsigned
grabber_active(const struct grabber *g)
{
	return g->active;
}

/* --- one connection ------------------------------------------------------- */

/* Close without TIME_WAIT: an abortive close, as the engine's own. */
static void
conn_close(struct grab *gr)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (gr->ssl != NULL) {
		SSL_free(gr->ssl);
		gr->ssl = NULL;
	}
	gr->tls_up = false;
	if (gr->io.fd < 0)
		return;
	(void)reactor_io_del(gr->g->reactor, &gr->io);
	(void)setsockopt(gr->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(gr->io.fd);
	gr->io.fd = -1;
	gr->fresh = false;
}

static int
want(struct grab *gr, uint32_t events)
{
	if (gr->io.events == events)
		return 0;
	return reactor_io_mod(gr->g->reactor, &gr->io, events);
}

static uint64_t
now(const struct grab *gr)
{
	return reactor_now(gr->g->reactor);
}

/* The step's own time, within the grab's deadline. */
static void
step_timer(struct grab *gr)
{
	uint64_t ms = gr->g->cfg.timeout_ms / 3;
	uint64_t at;

	if (gr->inner == SVC_PROBE_NULL)
		ms = gr->g->cfg.timeout_ms / 2;
	if (ms < STEP_MIN_MS)
		ms = STEP_MIN_MS;
	if (ms > STEP_MAX_MS && gr->inner != SVC_PROBE_NULL)
		ms = STEP_MAX_MS;
	at = now(gr) + ms * REACTOR_NS_PER_MS;
	if (at > gr->deadline)
		at = gr->deadline;
	(void)reactor_timer_start(gr->g->reactor, &gr->timer, at);
}

/* A new connection for the next step; false when none could be opened. */
static bool
conn_open(struct grab *gr)
{
	int fd = socket(gr->to.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&gr->to, gr->len) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return false;
	}
	if (reactor_io_add(gr->g->reactor, &gr->io, fd, EPOLLOUT,
	    grab_on_io) != 0) {
		close(fd);
		return false;
	}
	gr->phase = PHASE_CONNECT;
	return true;
}

/* --- what was found ------------------------------------------------------- */

static void
grab_end(struct grab *gr)
{
	struct grabber *g = gr->g;
	struct svc *svc = gr->svc;

	reactor_timer_stop(g->reactor, &gr->timer);
	conn_close(gr);
	if (gr->prev != NULL)
		gr->prev->next = gr->next;
	else
		g->head = gr->next;
	if (gr->next != NULL)
		gr->next->prev = gr->prev;
	g->active--;
	gr->done(gr->arg, svc);
	free(gr);
}

/* The handshake is done: what the server showed of itself. */
static void
tls_learn(struct grab *gr)
{
	struct svc *s = gr->svc;
	const SSL_CIPHER *c = SSL_get_current_cipher(gr->ssl);
	X509 *cert = SSL_get1_peer_certificate(gr->ssl);

	s->has_tls = true;
	s->tunnel_ssl = true;
	snprintf(s->tls.version, sizeof(s->tls.version), "%s",
	    SSL_get_version(gr->ssl));
	if (c != NULL)
		snprintf(s->tls.cipher, sizeof(s->tls.cipher), "%s",
		    SSL_CIPHER_get_name(c));
	if (cert != NULL) {
		cert_learn(cert, s);
		X509_free(cert);
	}
	ERR_clear_error();
}

/*
 * Redis named by its answer to another probe: its own probe next, for its
 * version, instead of the steps left.  True when that step was set.
 */
static bool
refine(struct grab *gr)
{
	if (strcmp(gr->svc->name, "redis") != 0 ||
	    gr->svc->version[0] != '\0' || gr->tried_redis || gr->tls_up)
		return false;
	gr->nsteps = gr->step + 1;
	gr->steps[gr->nsteps++] = SVC_PROBE_REDIS;
	return true;
}

/*
 * A web server that wants TLS and says so in plain HTTP: nginx's "400 The
 * plain HTTP request was sent to HTTPS port", Apache's "speaking plain
 * HTTP to an SSL-enabled server port".  nmap then asks again in TLS; so do
 * we, instead of naming it http.
 */
static bool
wants_tls(const struct grab *gr)
{
	static const char *const says[] = {
		"plain HTTP request was sent to HTTPS port",
		"speaking plain HTTP to an SSL-enabled server",
	};

	if (gr->tls_up || !gr->svc->has_http || gr->svc->http.status != 400)
		return false;
	for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
		if (memmem(gr->buf, gr->n, says[i], strlen(says[i])) != NULL)
			return true;
	return false;
}

/* After wants_tls(): TLS next, the plain reply forgotten. */
static void
retry_in_tls(struct grab *gr, const struct svc *before)
{
	*gr->svc = *before;
	gr->svc->banner_len = 0;
	gr->nsteps = gr->step + 1;
	gr->steps[gr->nsteps++] = SVC_PROBE_TLS;
	step_next(gr);
}

/* The reply of this step is in: identify, then end or go on. */
static void
reply_done(struct grab *gr)
{
	struct svc *s = gr->svc;
	struct svc keep;
	bool named;

	reactor_timer_stop(gr->g->reactor, &gr->timer);
	if (gr->n > 0 && s->banner_len == 0) {
		s->banner_len = gr->n < SVC_BANNER_MAX ? gr->n : SVC_BANNER_MAX;
		memcpy(s->banner, gr->buf, s->banner_len);
	}
	if (gr->n == 0) {
		/* Silence or a closed door: try the next. */
		if (gr->tls_up) {
			grab_end(gr);
			return;
		}
		step_next(gr);
		return;
	}
	/* A parser that fails must not leave half a name behind. */
	keep = *s;
	named = svcid_identify(gr->inner, gr->buf, gr->n, s);
	if (!named && gr->inner != SVC_PROBE_NULL) {
		*s = keep;
		named = svcid_identify(SVC_PROBE_NULL, gr->buf, gr->n, s);
	}
	if (named && wants_tls(gr)) {
		retry_in_tls(gr, &keep);
		return;
	}
	if (named) {
		s->identified = true;
		if (refine(gr))
			step_next(gr);
		else
			grab_end(gr);
		return;
	}
	if (keep.identified) {
		/* The refining step said nothing new. */
		*s = keep;
		grab_end(gr);
		return;
	}
	*s = keep;
	/*
	 * Unknown.  A greeting nobody knows, or a reply inside TLS: the
	 * server showed what it is, and other probes would not change it.
	 * A reply to a plain probe may be a TLS server's alert: go on.
	 */
	if (gr->inner == SVC_PROBE_NULL || gr->tls_up)
		grab_end(gr);
	else
		step_next(gr);
}

/* --- the steps -------------------------------------------------------------- */

static bool
is_address(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

/* The Host: of HTTP: the name, or the address in its URL form. */
static void
host_of(const struct grab *gr, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (gr->name[0] != '\0') {
		snprintf(out, size, "%s", gr->name);
		return;
	}
	if (gr->to.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&gr->to;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
	} else {
		const struct sockaddr_in6 *s = (const void *)&gr->to;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
	}
	snprintf(out, size, "%s", a);
}

/* The service speaks first inside TLS on these ports (imaps, pop3s...). */
static bool
tls_greets(uint16_t port)
{
	return port == 465 || port == 563 || port == 990 || port == 992 ||
	    port == 993 || port == 995;
}

/* Send the step's request (or wait for the greeting). */
static void
ask(struct grab *gr)
{
	char host[SVC_NAME_MAX + 1];

	host_of(gr, host, sizeof(host));
	gr->n = 0;
	gr->reqoff = 0;
	gr->reqlen = svcid_request(gr->inner, host, gr->req,
	    sizeof(gr->req));
	step_timer(gr);
	if (gr->reqlen > 0) {
		gr->fresh = false;
		gr->phase = PHASE_SEND;
		if (want(gr, EPOLLOUT) != 0)
			grab_end(gr);
		return;
	}
	gr->phase = PHASE_READ;
	if (want(gr, EPOLLIN) != 0)
		grab_end(gr);
}

/* Drive SSL_connect(); false when the grab has moved on. */
static void
tls_drive(struct grab *gr)
{
	int rc = SSL_connect(gr->ssl);

	if (rc == 1) {
		gr->tls_up = true;
		tls_learn(gr);
		gr->inner = tls_greets(gr->port) ? SVC_PROBE_NULL :
		    SVC_PROBE_HTTP;
		ask(gr);
		return;
	}
	switch (SSL_get_error(gr->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		if (want(gr, EPOLLIN) == 0)
			return;
		break;
	case SSL_ERROR_WANT_WRITE:
		if (want(gr, EPOLLOUT) == 0)
			return;
		break;
	default:
		break;
	}
	/* No TLS here (or a reset mid-handshake): the next step. */
	ERR_clear_error();
	reactor_timer_stop(gr->g->reactor, &gr->timer);
	step_next(gr);
}

static void
tls_begin(struct grab *gr)
{
	gr->fresh = false;
	gr->ssl = SSL_new(gr->g->ctx);
	if (gr->ssl == NULL || SSL_set_fd(gr->ssl, gr->io.fd) != 1) {
		ERR_clear_error();
		grab_end(gr);
		return;
	}
	/* SNI carries a host name, never an address (RFC 6066). */
	if (gr->name[0] != '\0' && !is_address(gr->name))
		(void)SSL_set_tlsext_host_name(gr->ssl, gr->name);
	gr->phase = PHASE_TLS;
	gr->inner = SVC_PROBE_TLS;
	step_timer(gr);
	tls_drive(gr);
}

static void
step_begin(struct grab *gr)
{
	enum svc_probe p = gr->steps[gr->step];

	if (now(gr) >= gr->deadline) {
		grab_end(gr);
		return;
	}
	if (!gr->fresh) {
		conn_close(gr);
		if (!conn_open(gr)) {
			/* No socket now (a shortage): what we have. */
			grab_end(gr);
			return;
		}
		gr->inner = p;
		step_timer(gr);
		return;
	}
	if (p == SVC_PROBE_REDIS)
		gr->tried_redis = true;
	if (p == SVC_PROBE_TLS) {
		tls_begin(gr);
		return;
	}
	gr->inner = p;
	ask(gr);
}

static void
step_next(struct grab *gr)
{
	if (++gr->step >= gr->nsteps) {
		grab_end(gr);
		return;
	}
	step_begin(gr);
}

/* --- events ----------------------------------------------------------------- */

static void
on_connected(struct grab *gr, uint32_t revents)
{
	int err = 0;
	socklen_t len = sizeof(err);

	reactor_timer_stop(gr->g->reactor, &gr->timer);
	if ((revents & (EPOLLERR | EPOLLHUP)) ||
	    getsockopt(gr->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
	    err != 0) {
		/* It answered once and no longer does: what we have. */
		grab_end(gr);
		return;
	}
	gr->fresh = true;
	step_begin(gr);
}

static void
on_send(struct grab *gr)
{
	while (gr->reqoff < gr->reqlen) {
		ssize_t w;

		if (gr->tls_up) {
			int rc = SSL_write(gr->ssl, gr->req + gr->reqoff,
			    (int)(gr->reqlen - gr->reqoff));

			if (rc > 0) {
				gr->reqoff += (size_t)rc;
				continue;
			}
			switch (SSL_get_error(gr->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
				(void)want(gr, EPOLLIN);
				return;
			case SSL_ERROR_WANT_WRITE:
				(void)want(gr, EPOLLOUT);
				return;
			default:
				ERR_clear_error();
				reply_done(gr);
				return;
			}
		}
		w = send(gr->io.fd, gr->req + gr->reqoff,
		    gr->reqlen - gr->reqoff, MSG_NOSIGNAL);
		if (w > 0) {
			gr->reqoff += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EAGAIN)
			return;
		/* Gone before it heard us; it may have said something. */
		gr->phase = PHASE_READ;
		break;
	}
	gr->phase = PHASE_READ;
	if (want(gr, EPOLLIN) != 0)
		grab_end(gr);
}

/*
 * Read what is there.  true when the reply is over (enough, full, EOF or
 * an error), false to wait for more.
 */
static bool
on_read(struct grab *gr)
{
	while (gr->n < sizeof(gr->buf)) {
		size_t room = sizeof(gr->buf) - gr->n;
		ssize_t r;

		if (gr->tls_up) {
			int rc = SSL_read(gr->ssl, gr->buf + gr->n, (int)room);

			if (rc > 0) {
				gr->n += (size_t)rc;
				if (svcid_enough(gr->inner, gr->buf, gr->n))
					return true;
				continue;
			}
			switch (SSL_get_error(gr->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
				(void)want(gr, EPOLLIN);
				return false;
			case SSL_ERROR_WANT_WRITE:
				(void)want(gr, EPOLLOUT);
				return false;
			default:
				ERR_clear_error();
				return true;
			}
		}
		r = recv(gr->io.fd, gr->buf + gr->n, room, 0);
		if (r > 0) {
			gr->n += (size_t)r;
			if (svcid_enough(gr->inner, gr->buf, gr->n))
				return true;
			continue;
		}
		if (r < 0 && errno == EAGAIN)
			return false;
		return true;		/* EOF, reset */
	}
	return true;
}

static void
grab_on_io(struct reactor_io *io, uint32_t revents)
{
	struct grab *gr = (struct grab *)io;

	switch (gr->phase) {
	case PHASE_CONNECT:
		on_connected(gr, revents);
		break;
	case PHASE_TLS:
		tls_drive(gr);
		break;
	case PHASE_SEND:
		on_send(gr);
		break;
	case PHASE_READ:
		if (on_read(gr))
			reply_done(gr);
		break;
	}
}

static void
grab_on_timer(struct reactor_timer *t)
{
	struct grab *gr = (struct grab *)((char *)t -
	    offsetof(struct grab, timer));

	switch (gr->phase) {
	case PHASE_READ:
		/* Silence, or a reply that never completed: judge it now. */
		reply_done(gr);
		break;
	case PHASE_CONNECT:
	case PHASE_TLS:
	case PHASE_SEND:
		if (gr->phase == PHASE_TLS)
			ERR_clear_error();
		step_next(gr);
		break;
	}
	/* (gr may be gone here.) */
}

/* The order of the steps, the port's suggestion first. */
static void
plan(struct grab *gr)
{
	enum svc_probe first = svcid_first_probe(gr->port);
	static const enum svc_probe rest[] = {
		SVC_PROBE_NULL, SVC_PROBE_HTTP, SVC_PROBE_TLS, SVC_PROBE_REDIS,
	};

	gr->nsteps = 0;
	gr->steps[gr->nsteps++] = first;
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		if (rest[i] == first)
			continue;
		/*
		 * A client-first port: a greeting would have come with the
		 * first reply anyway; waiting for one again costs time.
		 */
		if (rest[i] == SVC_PROBE_NULL && first != SVC_PROBE_NULL)
			continue;
		gr->steps[gr->nsteps++] = rest[i];
	}
	if (first == SVC_PROBE_NULL)
		gr->steps[gr->nsteps++] = SVC_PROBE_PGSQL;
}

int
grab_start(struct grabber *g, int fd, const struct sockaddr_storage *to,
    socklen_t len, const char *name, grab_done_fn *done, void *arg)
{
	struct grab *gr = calloc(1, sizeof(*gr));

	if (gr == NULL || (gr->svc = svc_new()) == NULL) {
		free(gr);
		errno = ENOMEM;
		return -1;
	}
	gr->g = g;
	gr->done = done;
	gr->arg = arg;
	memcpy(&gr->to, to, len);
	gr->len = len;
	gr->port = ntohs(to->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)(const void *)to)->sin_port :
	    ((const struct sockaddr_in6 *)(const void *)to)->sin6_port);
	if (name != NULL && strlen(name) <= SVC_NAME_MAX)
		snprintf(gr->name, sizeof(gr->name), "%s", name);
	reactor_timer_init(&gr->timer, grab_on_timer);
	if (reactor_io_adopt(g->reactor, &gr->io, fd, EPOLLIN,
	    grab_on_io) != 0) {
		svc_free(gr->svc);
		free(gr);
		return -1;
	}
	gr->deadline = reactor_now(g->reactor) +
	    (uint64_t)g->cfg.timeout_ms * REACTOR_NS_PER_MS;
	gr->next = g->head;
	if (g->head != NULL)
		g->head->prev = gr;
	g->head = gr;
	g->active++;
	gr->fresh = true;
	plan(gr);
	step_begin(gr);
	return 0;
}

void
grabber_stop(struct grabber *g)
{
	while (g->head != NULL) {
		struct grab *gr = g->head;

		/*
		 * Judge what came: with the deadline passed, every way on
		 * from reply_done() ends the grab.
		 */
		gr->deadline = 0;
		if (gr->phase == PHASE_READ && gr->n > 0)
			reply_done(gr);
		else
			grab_end(gr);
	}
}
