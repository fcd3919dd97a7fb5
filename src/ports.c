/*
 * Port lists.  The parser is a pure function of its input: every rejection
 * names the token that caused it, so the CLI can print it as it is.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/num.h"
#include "trawl/ports.h"

struct ports {
	uint16_t *v;
	size_t n;
	uint8_t seen[65536 / 8];
};

struct ports *
ports_new(void)
{
	return calloc(1, sizeof(struct ports));
}

void
ports_free(struct ports *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p);
}

size_t
ports_count(const struct ports *p)
{
	return p->n;
}

uint16_t
ports_at(const struct ports *p, size_t i)
{
	return p->v[i];
}

static int
add(struct ports *p, unsigned port)
{
	if (p->seen[port / 8] & (1u << (port % 8)))
		return 0;
	if (p->v == NULL) {
		/* At most 65535 distinct ports: allocate once. */
		p->v = malloc(65535 * sizeof(*p->v));
		if (p->v == NULL)
			return -1;
	}
	p->seen[port / 8] |= (uint8_t)(1u << (port % 8));
	p->v[p->n++] = (uint16_t)port;
	return 0;
}

static int
add_range(struct ports *p, unsigned lo, unsigned hi)
{
	for (unsigned port = lo; port <= hi; port++)
		if (add(p, port) == -1)
			return -1;
	return 0;
}

/* One port number of a token; the caller names the token on error. */
static bool
port_num(const char *s, size_t len, unsigned *out)
{
	uint64_t v;

	if (num_parse(s, len, 1, 65535, &v) == -1)
		return false;
	*out = (unsigned)v;
	return true;
}

/*
 * Bounds of one item: "N", "N-M", "-M", "N-", "-" or "all".  Returns false
 * after writing a message that names the item.
 */
static bool
parse_item(const char *s, size_t len, unsigned *lo, unsigned *hi, char *err,
    size_t errlen)
{
	const char *dash = memchr(s, '-', len);
	size_t llen, rlen;

	*lo = 1;
	*hi = 65535;
	if (len == 3 && memcmp(s, "all", 3) == 0)
		return true;
	if (dash == NULL) {
		if (port_num(s, len, lo)) {
			*hi = *lo;
			return true;
		}
		snprintf(err, errlen, "bad port '%.*s'", (int)len, s);
		return false;
	}
	llen = (size_t)(dash - s);
	rlen = len - llen - 1;
	if ((llen > 0 && !port_num(s, llen, lo)) ||
	    (rlen > 0 && !port_num(dash + 1, rlen, hi)) || *lo > *hi) {
		snprintf(err, errlen, "bad port range '%.*s'", (int)len, s);
		return false;
	}
	return true;
}

int
ports_parse(struct ports *p, const char *spec, char *err, size_t errlen)
{
	const char *s = spec;
	unsigned lo, hi;

	if (*spec == '\0') {
		snprintf(err, errlen, "empty port list");
		return -1;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len == 0) {
			snprintf(err, errlen, "empty item in port list '%s'",
			    spec);
			return -1;
		}
		if (!parse_item(s, len, &lo, &hi, err, errlen))
			return -1;
		if (add_range(p, lo, hi) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

int
ports_add_top(struct ports *p, unsigned n, char *err, size_t errlen)
{
	if (n < 1 || n > PORTS_TOP_MAX || n > ports_top_table_len) {
		snprintf(err, errlen, "bad number of top ports '%u' (1-%u)", n,
		    PORTS_TOP_MAX);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		if (add(p, ports_top_table[i]) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	return 0;
}
