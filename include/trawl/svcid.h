/*
 * Server replies to services: pure functions over the bytes a server sent,
 * no sockets, so that each is unit-tested and fuzzed (fuzz/fuzz_svcid.c).
 * Names, products and versions follow nmap's service detection
 * (nmap-service-probes), so that trawl and nmap -sV agree.
 */
#ifndef TRAWL_SVCID_H
#define TRAWL_SVCID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/svc.h"

/*
 * The probe to send first on this port: SVC_PROBE_NULL for a port where a
 * server speaks first (22, 21, 25...) or that is unknown; HTTP, TLS,
 * REDIS or PGSQL where the client speaks first (80, 443, 6379, 5432...).
 */
enum svc_probe svcid_first_probe(uint16_t port);

/*
 * Whether the reply to probe so far (b, n bytes) is whole enough to be
 * identified now, without waiting for more: a greeting's first line, an
 * HTTP head and the title (or the end of the body), a RESP bulk string.
 */
bool svcid_enough(enum svc_probe probe, const uint8_t *b, size_t n);

/*
 * Identify what answered probe with b (n bytes, not NUL-terminated; may be
 * cut short).  Fills s->name, product, version, extrainfo, identified and,
 * for an HTTP reply, s->http and has_http; leaves the rest of s (banner,
 * tls, tunnel_ssl) alone.  True when identified.
 */
bool svcid_identify(enum svc_probe probe, const uint8_t *b, size_t n,
    struct svc *s);

/*
 * The parser under svcid_identify() for HTTP: the head of a response
 * (status line, Server, Location) and the title in what follows.  True
 * when b starts as an HTTP response.
 */
bool svcid_http(const uint8_t *b, size_t n, struct svc_http *h);

/*
 * The request probe sends (HTTP: host is the Host: header, the name the
 * address came from or the address; NULL for TLS, which is OpenSSL's),
 * written to buf; its length, or 0 for no request.
 */
size_t svcid_request(enum svc_probe probe, const char *host, char *buf,
    size_t size);

#endif
