/*
 * Target syntax: one command-line word (or input-file line) to a range of
 * addresses or a name to resolve.  Pure functions, no resolver calls.
 */
#ifndef TRAWL_TARGET_H
#define TRAWL_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* IPv4 addresses live in the low 32 bits; host byte order. */
typedef unsigned __int128 target_u128;

enum target_kind {
	TARGET_RANGE,	/* family, lo..hi inclusive */
	TARGET_NAME,	/* name: a host name to resolve */
};

struct target {
	enum target_kind kind;
	int family;		/* AF_INET or AF_INET6 */
	target_u128 lo, hi;
	const char *name;	/* points into the parsed string */
	size_t namelen;
};

/* A range of addresses of one family, lo..hi inclusive. */
struct target_span {
	int family;
	target_u128 lo, hi;
};

/*
 * Accepts an IPv4 or IPv6 address ("[::1]" too), a CIDR block ("10.0.0.0/24",
 * "2001:db8::/120"; host bits are cleared), an IPv4 range ("10.0.0.1-10.0.0.9"
 * or "10.0.0.1-9"), an IPv6 range ("2001:db8::1-2001:db8::ff") or a host name.
 * Returns 0, or -1 with a one-line message naming the bad word in err.
 */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);

/*
 * IPv4-mapped IPv6 addresses (::ffff:0:0/96) are the IPv4 addresses they
 * map: target_parse() returns a range wholly inside that block as IPv4.
 * target_split_mapped() cuts any range into at most three spans, its
 * mapped part as IPv4; target_unmap() does it for one address and returns
 * its family.
 */
size_t target_split_mapped(int family, target_u128 lo, target_u128 hi,
    struct target_span out[3]);
int target_unmap(int family, target_u128 *addr);

/* A syntactically valid DNS host name (labels of letters, digits, '-', '_'). */
bool target_name_valid(const char *s, size_t len);

/* Conversions between the integer form and the wire form. */
void target_to_bytes(int family, target_u128 v, unsigned char *out);
target_u128 target_from_bytes(int family, const unsigned char *in);
/* Text form of an address into buf (at least 46 bytes). */
const char *target_ntop(int family, target_u128 v, char *buf, size_t len);

#endif
