/*
 * DNS names found at scale (certificate logs, wordlists): cleaning them to
 * one canonical spelling, keeping those under a domain, and a set that
 * drops repeats while remembering the order names were first seen in.
 */
#ifndef TRAWL_NAMES_H
#define TRAWL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The longest name in text form, and a buffer that always holds one. */
#define NAMES_MAX 253
#define NAMES_BUFSIZE (NAMES_MAX + 1)

enum names_verdict {
	NAMES_OK = 0,
	NAMES_INVALID = -1,	/* not a host name */
	NAMES_OUTSIDE = -2,	/* a host name, but not under the domain */
};

/*
 * Clean the first len bytes of in: lower-case it, drop one leading "*." (a
 * certificate's wildcard stands for the name it sits on) and one trailing
 * dot.  What is left must be labels of 1 to 63 characters of [a-z0-9_-],
 * none starting or ending with '-', at most NAMES_MAX in all, and the last
 * label must not be all digits (that would read as an IPv4 address).
 * With domain non-NULL the name must also equal it or end in ".domain"
 * (domain is compared without case and without a trailing dot).
 *
 * On NAMES_OK the clean name is in out, NUL-terminated; out needs
 * NAMES_BUFSIZE bytes (a smaller outlen gives NAMES_INVALID for a name
 * that does not fit).  Pure: no allocation, no locale.
 */
enum names_verdict names_clean(const char *in, size_t len, const char *domain,
    char *out, size_t outlen);

/* A word for the user, "invalid" or "outside the domain". */
const char *names_verdict_str(enum names_verdict v);

/*
 * A set of names.  Names are copied in; names_set_name(s, i) is the i-th
 * distinct name in the order it was first added.  Lookups hash with a
 * key chosen at random per set: names come from public logs anyone can
 * write to, and must not be able to pick colliding hashes.
 */
struct names_set;

struct names_set *names_set_new(void);
void names_set_free(struct names_set *s);
/* 1 when added, 0 when already there, -1 with errno ENOMEM. */
int names_set_add(struct names_set *s, const char *name);
bool names_set_has(const struct names_set *s, const char *name);
size_t names_set_count(const struct names_set *s);
const char *names_set_name(const struct names_set *s, size_t i);
/* All names, names_set_count() of them; valid until the next add. */
const char *const *names_set_names(const struct names_set *s);

#endif
