/*
 * What answers on an open port (--banners): the service identified, its
 * product and version, the first bytes it sent, and what its TLS
 * certificate and HTTP head say.  Filled in by the grab (grab.c, the
 * connection's life in the reactor) and the parsers of server replies
 * (svcid.c); carried with the port's event to the collector and the
 * outputs, which free it.
 *
 * Every string is what the server sent, cut at the first NUL, CR or LF:
 * hostile text, escaped by each format on the way out (textesc.h).  The
 * banner keeps its raw bytes, NULs too, with their length.
 */
#ifndef TRAWL_SVC_H
#define TRAWL_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first bytes of what the server sent, kept for the outputs. */
#define SVC_BANNER_MAX 256
/*
 * The longest host name a grab sends (Host:, SNI) or keeps from a
 * certificate: longer is no host name (RFC 1035: 253, and a final dot).
 */
#define SVC_NAME_MAX 254
/* Subject alternative names kept from one certificate, at most. */
#define SVC_SANS_MAX 64

/* What a grab sends on a connection: chosen by port, then in turn. */
enum svc_probe {
	SVC_PROBE_NULL,		/* nothing: wait for a server-first greeting */
	SVC_PROBE_HTTP,		/* GET / with Host: */
	SVC_PROBE_TLS,		/* a ClientHello with SNI (then HTTP inside) */
	SVC_PROBE_REDIS,	/* RESP: *1 $4 info */
	SVC_PROBE_PGSQL,	/* PostgreSQL's SSLRequest */
	SVC_PROBE_COUNT
};

struct svc_http {
	int status;			/* 200; 0: not HTTP after all */
	char server[128];		/* Server: */
	char location[256];		/* Location: */
	char title[128];		/* <title>, whitespace folded */
};

struct svc_tls {
	char version[16];		/* "TLSv1.3" */
	char cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	char subject[256];		/* RFC 2253: "CN=www.example.com,O=..." */
	char issuer[256];
	char *sans[SVC_SANS_MAX];	/* DNS names and addresses, as text */
	size_t nsans;
	int64_t not_before, not_after;	/* seconds since the epoch, UTC */
	bool self_signed;		/* issued by its own key */
	char sha256[65];		/* of the DER certificate, lower-case hex */
};

struct svc {
	char name[32];			/* nmap's service name: "ssh", "http" */
	bool tunnel_ssl;		/* inside TLS: nmap's tunnel="ssl" */
	bool identified;		/* name from an answer, not the port */
	char product[80];		/* "OpenSSH", "nginx" */
	char version[80];		/* "9.2p1 Debian 2+deb12u3" */
	char extrainfo[80];		/* "protocol 2.0" */
	uint8_t banner[SVC_BANNER_MAX];	/* raw, NULs and all */
	size_t banner_len;
	bool has_http, has_tls;
	struct svc_http http;
	struct svc_tls tls;
};

/* A zeroed svc, or NULL with errno ENOMEM. */
struct svc *svc_new(void);
/* NULL is fine. */
void svc_free(struct svc *s);
/* Copy at most SVC_SANS_MAX names; -1 with errno ENOMEM. */
int svc_add_san(struct svc *s, const char *name);

#endif
