/*
 * Wordlist discovery: WORD.DOMAIN for every word of a list, resolved, with
 * wildcard DNS taken into account.
 *
 * A domain with a wildcard record answers for any label, so every word
 * would "exist".  Before trusting the list, a few random labels are looked
 * up; whatever they resolve to is the wildcard's address set, and a word
 * whose addresses all lie in that set tells nothing and is dropped.  A
 * name with a record of its own (an address outside the set) is kept.
 * A wildcard that answers each query with a different few of many
 * addresses is only partly caught: names may get through that the
 * random labels did not happen to cover.
 */
#ifndef TRAWL_DISCOVER_H
#define TRAWL_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "trawl/dns.h"

struct names_set;

#define DISCOVER_WILD_PROBES 3
#define DISCOVER_LABEL_LEN 16

/* Called with "FILE:LINE: ..." for a word that is skipped. */
typedef void discover_warn_fn(void *ctx, const char *msg);

/*
 * Read the wordlist at path ("-": standard input; '#' comments and blank
 * lines skipped) and add WORD.DOMAIN for each word to out, cleaned (see
 * names_clean()).  A word that makes no valid name is passed to warn and
 * skipped, or, with warn NULL, is an error.  *nwords (may be NULL) gets
 * the number of significant lines, *nbad (may be NULL) that of words
 * skipped.  Returns 0, or -1 with a message in err ("FILE:LINE: ...", or
 * why the file cannot be read).  domain must be clean already.
 */
int discover_words(const char *path, const char *domain,
    struct names_set *out, discover_warn_fn *warn, void *wctx,
    size_t *nwords, size_t *nbad, char *err, size_t errlen);

/* DISCOVER_LABEL_LEN random characters of [a-z0-9] and a NUL. */
void discover_random_label(char out[DISCOVER_LABEL_LEN + 1]);

/*
 * Is every one of the n addresses in wild (sorted as dns.h sorts them)?
 * False for n == 0.  Pure.
 */
bool discover_in_wildcard(const struct dns_addr *addrs, size_t n,
    const struct dns_addr *wild, size_t nwild);

struct discover_stats {
	size_t words;		/* significant lines of the wordlist */
	size_t bad_words;	/* skipped: no valid name */
	size_t candidates;	/* distinct names looked up */
	size_t resolved;	/* answered with addresses, wildcard or not */
	bool wildcard;		/* the random labels resolved */
	size_t wildcard_addrs;	/* addresses they resolved to */
	size_t dropped;		/* names with wildcard addresses only */
};

/*
 * Look for a wildcard under domain, then resolve WORD.DOMAIN for the words
 * of the wordlist.  fn gets every answer (resolved, nxdomain, failed...)
 * except those dropped as the wildcard's.  cfg->stop is honoured.  Returns
 * 0, or -1 with a message in err: a bad domain or wordlist, a resolver
 * that does not start, or "DOMAIN: cannot check for wildcard DNS: WHY"
 * when none of the random labels got an answer either way.
 */
int discover_run(const struct dns_config *cfg, const char *domain,
    const char *wordlist, discover_warn_fn *warn, void *wctx,
    dns_result_fn *fn, void *ctx, struct discover_stats *st, char *err,
    size_t errlen);

/*
 * "DOMAIN: wildcard DNS, N names dropped" into buf when st found a
 * wildcard; NULL when it did not.
 */
const char *discover_wildcard_note(const struct discover_stats *st,
    const char *domain, char *buf, size_t len);

#endif
