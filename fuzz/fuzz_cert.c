/*
 * cert_learn(): a certificate of any shape, as a server may send it (DER).
 * What comes back is terminated inside its arrays, holds no CR or LF in
 * the subject and issuer, has at most SVC_SANS_MAX names of at most
 * SVC_NAME_MAX bytes with no NUL cut into them, and a SHA-256 of 64 hex
 * digits.
 */
#include <openssl/x509.h>

#include "trawl/cert.h"
#include "trawl/svc.h"

#include "fuzz.h"

static void
check_line(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	FUZZ_CHECK(end != NULL);
	FUZZ_CHECK(memchr(s, '\r', (size_t)(end - s)) == NULL &&
	    memchr(s, '\n', (size_t)(end - s)) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p;
	unsigned char *copy;
	struct svc *s;
	X509 *cert;

	copy = (unsigned char *)fuzz_copy(data, size);
	p = copy;
	cert = d2i_X509(NULL, &p, (long)size);
	if (cert == NULL) {
		free(copy);
		return 0;
	}
	s = svc_new();
	FUZZ_CHECK(s != NULL);
	cert_learn(cert, s);
	check_line(s->tls.subject, sizeof(s->tls.subject));
	check_line(s->tls.issuer, sizeof(s->tls.issuer));
	FUZZ_CHECK(s->tls.nsans <= SVC_SANS_MAX);
	for (size_t i = 0; i < s->tls.nsans; i++)
		FUZZ_CHECK(s->tls.sans[i] != NULL &&
		    strlen(s->tls.sans[i]) > 0 &&
		    strlen(s->tls.sans[i]) <= SVC_NAME_MAX);
	FUZZ_CHECK(s->tls.sha256[0] == '\0' ||
	    (strlen(s->tls.sha256) == 64 &&
	    strspn(s->tls.sha256, "0123456789abcdef") == 64));
	svc_free(s);
	X509_free(cert);
	free(copy);
	return 0;
}
