/*
 * Certificate transparency: the names a domain's certificates were issued
 * for, from crt.sh (or a mirror serving the same API) -- names nobody has
 * to guess.  The parser is a pure function; the fetch adds libcurl.
 */
#ifndef TRAWL_CTLOG_H
#define TRAWL_CTLOG_H

#include <stddef.h>

#define CTLOG_DEFAULT_BASE "https://crt.sh/"
/* A larger answer is refused: a whole log for a popular domain is not a
 * list of hosts to scan, and the body is held in memory. */
#define CTLOG_BODY_MAX ((size_t)64 << 20)
/* Longer raw names are skipped: no valid name is this long, even spelled
 * "*.name." (see names.h). */
#define CTLOG_NAME_MAX 256

/*
 * Called with each raw name: len bytes at name, not NUL-terminated, not
 * cleaned (pass them to names_clean()); never empty, never longer than
 * CTLOG_NAME_MAX.  Returns 0 to go on, or -1 with errno set to stop.
 */
typedef int ctlog_name_fn(void *ctx, const char *name, size_t len);

struct ctlog_stats {
	size_t entries;		/* elements of the top-level array */
	size_t names;		/* raw names handed to fn, repeats included */
	size_t skipped;		/* elements without a "name_value" string,
				   and names longer than CTLOG_NAME_MAX */
};

/*
 * Parse crt.sh's JSON answer: an array of objects whose "name_value" string
 * holds one or more names separated by newlines.  Elements are parsed one at
 * a time, so memory stays that of the largest element.  Anything but an
 * array is an error; an element that is not an object, or lacks a string
 * name_value, is counted in skipped and otherwise ignored.  Returns 0, or -1
 * with a one-line message in err (bad JSON, with the byte offset, or the
 * strerror() of what fn set).  st may be NULL.
 */
int ctlog_parse(const char *json, size_t len, ctlog_name_fn *fn, void *ctx,
    struct ctlog_stats *st, char *err, size_t errlen);

/*
 * The request for domain against base (NULL: CTLOG_DEFAULT_BASE):
 * "BASE?q=%25.DOMAIN&output=json", '&' instead of '?' when base has a
 * query already, a '/' added when base has no path; the domain is
 * percent-encoded.  Returns 0, or -1 when out is too small.
 */
int ctlog_url(const char *base, const char *domain, char *out, size_t outlen);

/*
 * Fetch the names for domain and feed them to fn through ctlog_parse().
 * timeout_ms bounds the whole transfer (0: no limit; crt.sh often needs
 * tens of seconds).  Returns 0, or -1 with a one-line message in err:
 * "cannot reach 'URL': <why>", "crt.sh: HTTP 503" (the host of base
 * stands for crt.sh), an answer over CTLOG_BODY_MAX, or bad JSON.
 */
int ctlog_fetch(const char *base, const char *domain, long timeout_ms,
    ctlog_name_fn *fn, void *ctx, struct ctlog_stats *st, char *err,
    size_t errlen);

#endif
