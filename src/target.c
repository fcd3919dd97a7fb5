/*
 * Target words.  inet_pton() does the address syntax (glibc's is strict: four
 * decimal parts for IPv4, no octal, no shorthand), this file the shapes
 * around it: CIDR, ranges, brackets, names.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/num.h"
#include "trawl/target.h"

#define WORD_MAX 300	/* longer than any address or DNS name */

void
target_to_bytes(int family, target_u128 v, unsigned char *out)
{
	int n = family == AF_INET ? 4 : 16;

	for (int i = n - 1; i >= 0; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

target_u128
target_from_bytes(int family, const unsigned char *in)
{
	int n = family == AF_INET ? 4 : 16;
	target_u128 v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | in[i];
	return v;
}

const char *
target_ntop(int family, target_u128 v, char *buf, size_t len)
{
	unsigned char b[16];

	target_to_bytes(family, v, b);
	return inet_ntop(family, b, buf, (socklen_t)len);
}

/* Parse a bare address of either family from the first len bytes of s. */
static bool
parse_addr(const char *s, size_t len, int *family, target_u128 *v)
{
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned char b[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (memchr(s, ':', len) == NULL)
			return false;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, b) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, b) == 1)
		*family = AF_INET6;
	else
		return false;
	*v = target_from_bytes(*family, b);
	return true;
}

static target_u128
low_mask(unsigned bits)
{
	return bits >= 128 ? ~(target_u128)0 : ((target_u128)1 << bits) - 1;
}

/* Would inet_aton(), and so getaddrinfo(), take this as an IPv4 address? */
static bool
looks_like_inet_aton(const char *s, size_t len)
{
	char buf[256];
	struct in_addr a;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_aton(buf, &a) != 0;
}

bool
target_name_valid(const char *s, size_t len)
{
	size_t label = 0;
	bool numeric_last = true;

	if (len > 0 && s[len - 1] == '.')
		len--;	/* an absolute name */
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			if (i == len)
				break;
			label = 0;
			numeric_last = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (c < '0' || c > '9')
			numeric_last = false;
		label++;
	}
	/*
	 * An all-digit last label would make getaddrinfo() read "10.1" as the
	 * address 10.0.0.1: refuse it rather than scan a surprise.  The same
	 * holds for the other forms inet_aton() takes ("0x7f000001",
	 * "1.0x7f"), which are not host names either.
	 */
	if (numeric_last)
		return false;
	return !looks_like_inet_aton(s, len);
}

/*
 * IPv4-mapped IPv6 addresses.  An AF_INET6 socket sends a connect() to
 * ::ffff:a.b.c.d over IPv4, to the host a.b.c.d: two spellings of one host.
 * Left apart, "-x 192.0.2.1" would not keep ::ffff:192.0.2.1 from being
 * probed, and the host would be probed once per spelling.  So the mapped
 * block is IPv4, wherever an address enters trawl (targets, exclusions,
 * DNS answers): one host, one spelling, the one people read.
 */
#define MAPPED_LO	((target_u128)0xffff << 32)
#define MAPPED_HI	(MAPPED_LO | 0xffffffffu)

size_t
target_split_mapped(int family, target_u128 lo, target_u128 hi,
    struct target_span out[3])
{
	size_t n = 0;

	if (family != AF_INET6 || hi < MAPPED_LO || lo > MAPPED_HI) {
		out[0] = (struct target_span){ family, lo, hi };
		return 1;
	}
	if (lo < MAPPED_LO)
		out[n++] = (struct target_span){ AF_INET6, lo, MAPPED_LO - 1 };
	out[n++] = (struct target_span){ AF_INET,
	    (lo > MAPPED_LO ? lo : MAPPED_LO) - MAPPED_LO,
	    (hi < MAPPED_HI ? hi : MAPPED_HI) - MAPPED_LO };
	if (hi > MAPPED_HI)
		out[n++] = (struct target_span){ AF_INET6, MAPPED_HI + 1, hi };
	return n;
}

int
target_unmap(int family, target_u128 *addr)
{
	if (family == AF_INET6 && *addr >= MAPPED_LO && *addr <= MAPPED_HI) {
		*addr -= MAPPED_LO;
		return AF_INET;
	}
	return family;
}

static bool
is_link_local(int family, target_u128 v)
{
	return family == AF_INET6 && (v >> 118) == 0x3fa; /* fe80::/10 */
}

static int
parse_cidr(const char *s, const char *slash, struct target *t)
{
	uint64_t bits;
	unsigned width;

	if (!parse_addr(s, (size_t)(slash - s), &t->family, &t->lo))
		return -1;
	width = t->family == AF_INET ? 32 : 128;
	if (num_parse_str(slash + 1, 0, width, &bits) == -1)
		return -1;
	t->lo &= ~low_mask(width - (unsigned)bits) & low_mask(width);
	t->hi = t->lo | low_mask(width - (unsigned)bits);
	return 0;
}

static int
parse_range(const char *s, const char *dash, struct target *t)
{
	const char *r = dash + 1;
	int rfamily;
	uint64_t octet;

	if (!parse_addr(s, (size_t)(dash - s), &t->family, &t->lo))
		return -1;
	if (parse_addr(r, strlen(r), &rfamily, &t->hi)) {
		if (rfamily != t->family)
			return -1;
	} else if (t->family == AF_INET &&
	    num_parse_str(r, 0, 255, &octet) == 0) {
		t->hi = (t->lo & ~(target_u128)0xff) | octet;
	} else {
		return -1;
	}
	return t->lo <= t->hi ? 0 : -1;
}

int
target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
	size_t len = strlen(s);
	const char *slash = strchr(s, '/'), *dash = strchr(s, '-');
	int rc;

	memset(t, 0, sizeof(*t));
	t->kind = TARGET_RANGE;
	if (len == 0) {
		snprintf(err, errlen, "empty target");
		return -1;
	}
	if (len > WORD_MAX) {
		snprintf(err, errlen, "bad target '%.40s...': too long", s);
		return -1;
	}
	if (strchr(s, '%') != NULL) {
		snprintf(err, errlen,
		    "bad target '%s': IPv6 zones are not supported", s);
		return -1;
	}
	if (slash != NULL) {
		rc = parse_cidr(s, slash, t);
	} else if (parse_addr(s, len, &t->family, &t->lo)) {
		t->hi = t->lo;
		rc = 0;
	} else if (dash != NULL && parse_addr(s, (size_t)(dash - s),
	    &t->family, &t->lo)) {
		rc = parse_range(s, dash, t);
	} else if (target_name_valid(s, len)) {
		t->kind = TARGET_NAME;
		t->name = s;
		t->namelen = len;
		return 0;
	} else {
		rc = -1;
	}
	if (rc == -1) {
		snprintf(err, errlen, "bad target '%s'", s);
		return -1;
	}
	if (is_link_local(t->family, t->lo) || is_link_local(t->family, t->hi)) {
		snprintf(err, errlen, "bad target '%s': link-local IPv6 "
		    "addresses need a zone, which is not supported", s);
		return -1;
	}
	/* Wholly mapped: the IPv4 range it is (-4 and -6 then agree). */
	if (t->family == AF_INET6 && t->lo >= MAPPED_LO && t->hi <= MAPPED_HI) {
		t->family = AF_INET;
		t->lo -= MAPPED_LO;
		t->hi -= MAPPED_LO;
	}
	return 0;
}
