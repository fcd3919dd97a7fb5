/*
 * What a server's certificate says of itself (--banners): subject, issuer,
 * names, validity, whether it signed itself, its SHA-256.  Read, never
 * verified: a scanner reports a certificate, it does not trust it.  Apart
 * from the grab (grab.c) so that it can be fuzzed on certificates of any
 * shape (fuzz/fuzz_cert.c).
 */
#ifndef TRAWL_CERT_H
#define TRAWL_CERT_H

struct svc;
struct x509_st;

/* Fills s->tls but its version and cipher (the handshake's). */
void cert_learn(struct x509_st *cert, struct svc *s);

#endif
