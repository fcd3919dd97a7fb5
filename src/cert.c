/*
 * A certificate's facts; see cert.h.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trawl/cert.h"
#include "trawl/svc.h"

/*
 * Text of an X509 name as RFC 2253 writes it ("CN=www.example.com,O=..."),
 * but with UTF-8 kept: the outputs escape what needs it.
 */
static void
name_text(const X509_NAME *nm, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_read(b, out, (int)size - 1)) > 0)
		out[n] = '\0';
	BIO_free(b);
	/* A NUL inside would cut it anyway; CR and LF end it as elsewhere. */
	out[strcspn(out, "\r\n")] = '\0';
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
sans_of(struct svc *s, X509 *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name,
	    NULL, NULL);
	char text[SVC_NAME_MAX + 1];

	if (gens == NULL)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		text[0] = '\0';
		if (gn->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			len = ASN1_STRING_length(gn->d.dNSName);
			if (len <= 0 || len > SVC_NAME_MAX ||
			    memchr(d, '\0', (size_t)len) != NULL)
				continue;
			memcpy(text, d, (size_t)len);
			text[len] = '\0';
		} else if (gn->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(gn->d.iPAddress);
			len = ASN1_STRING_length(gn->d.iPAddress);
			if ((len != 4 && len != 16) || inet_ntop(len == 4 ?
			    AF_INET : AF_INET6, d, text, sizeof(text)) == NULL)
				continue;
		} else
			continue;
		if (svc_add_san(s, text) != 0)
			break;
	}
	GENERAL_NAMES_free(gens);
}

void
cert_learn(X509 *cert, struct svc *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	name_text(X509_get_subject_name(cert), s->tls.subject,
	    sizeof(s->tls.subject));
	name_text(X509_get_issuer_name(cert), s->tls.issuer,
	    sizeof(s->tls.issuer));
	s->tls.not_before = asn1_time(X509_get0_notBefore(cert));
	s->tls.not_after = asn1_time(X509_get0_notAfter(cert));
	s->tls.self_signed = X509_self_signed(cert, 1) == 1;
	sans_of(s, cert);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32) {
		for (unsigned i = 0; i < mdlen; i++) {
			s->tls.sha256[2 * i] = hex[md[i] >> 4];
			s->tls.sha256[2 * i + 1] = hex[md[i] & 15];
		}
		s->tls.sha256[64] = '\0';
	}
}
