/* STUB: replaced by the parsers of server replies. */
#include <stdio.h>
#include <string.h>

#include "trawl/svcid.h"

enum svc_probe
svcid_first_probe(uint16_t port)
{
	return port == 80 ? SVC_PROBE_HTTP : port == 443 ? SVC_PROBE_TLS :
	    SVC_PROBE_NULL;
}

bool
svcid_enough(enum svc_probe probe, const uint8_t *b, size_t n)
{
	(void)probe;
	return memchr(b, '\n', n) != NULL;
}

bool
svcid_http(const uint8_t *b, size_t n, struct svc_http *h)
{
	if (n < 5 || memcmp(b, "HTTP/", 5) != 0)
		return false;
	h->status = 200;
	return true;
}

bool
svcid_identify(enum svc_probe probe, const uint8_t *b, size_t n,
    struct svc *s)
{
	(void)probe;
	if (n >= 4 && memcmp(b, "SSH-", 4) == 0) {
		strcpy(s->name, "ssh");
		s->identified = true;
		return true;
	}
	if (svcid_http(b, n, &s->http)) {
		strcpy(s->name, "http");
		s->has_http = true;
		s->identified = true;
		return true;
	}
	return false;
}

size_t
svcid_request(enum svc_probe probe, const char *host, char *buf, size_t size)
{
	int n;

	if (probe != SVC_PROBE_HTTP)
		return 0;
	n = snprintf(buf, size, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
