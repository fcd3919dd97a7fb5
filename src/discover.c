/*
 * Wordlist discovery.  The wildcard check runs first and on its own: its
 * answer decides what the wordlist's answers mean, and three queries are
 * nothing next to the list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "trawl/discover.h"
#include "trawl/lines.h"
#include "trawl/names.h"
#include "trawl/reactor.h"
#include "trawl/vec.h"

/* lines_each() callback results besides 0. */
#define WORDS_BAD 1
#define WORDS_NOMEM 2

struct words {
	const char *domain;
	struct names_set *out;
	discover_warn_fn *warn;
	void *wctx;
	size_t nwords, nbad;
	char *err;
	size_t errlen;
};

static int
word_line(void *arg, const char *path, size_t lineno, char *word)
{
	struct words *w = arg;
	char buf[NAMES_BUFSIZE + 2], name[NAMES_BUFSIZE], msg[512];
	int len;

	w->nwords++;
	len = snprintf(buf, sizeof(buf), "%s.%s", word, w->domain);
	/* A word that cleans away to the domain itself ("*") adds nothing. */
	if (len < 0 || (size_t)len >= sizeof(buf) ||
	    names_clean(buf, (size_t)len, w->domain, name, sizeof(name)) !=
	    NAMES_OK || strcmp(name, w->domain) == 0) {
		snprintf(msg, sizeof(msg), "%s:%zu: bad word '%.80s': "
		    "'%.80s.%s' is not a valid host name", path, lineno, word,
		    word, w->domain);
		if (w->warn == NULL) {
			snprintf(w->err, w->errlen, "%s", msg);
			return WORDS_BAD;
		}
		w->nbad++;
		w->warn(w->wctx, msg);
		return 0;
	}
	if (names_set_add(w->out, name) == -1)
		return WORDS_NOMEM;
	return 0;
}

int
discover_words(const char *path, const char *domain, struct names_set *out,
    discover_warn_fn *warn, void *wctx, size_t *nwords, size_t *nbad,
    char *err, size_t errlen)
{
	struct words w = { domain, out, warn, wctx, 0, 0, err, errlen };
	int rc = lines_each(path, word_line, &w);

	if (nwords != NULL)
		*nwords = w.nwords;
	if (nbad != NULL)
		*nbad = w.nbad;
	if (rc == WORDS_NOMEM)
		snprintf(err, errlen, "out of memory");
	else if (rc == -1)
		snprintf(err, errlen, "cannot read wordlist '%s': %s", path,
		    strerror(errno));
	return rc == 0 ? 0 : -1;
}

void
discover_random_label(char out[DISCOVER_LABEL_LEN + 1])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char b[DISCOVER_LABEL_LEN];

	/* Unpredictable, so a resolver cannot special-case our probes. */
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		uint64_t x = reactor_clock() | 1;

		for (size_t i = 0; i < sizeof(b); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
	}
	for (size_t i = 0; i < DISCOVER_LABEL_LEN; i++)
		out[i] = set[b[i] % (sizeof(set) - 1)];
	out[DISCOVER_LABEL_LEN] = '\0';
}

static int
addr_cmp(const struct dns_addr *x, const struct dns_addr *y)
{
	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int
addr_qcmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

bool
discover_in_wildcard(const struct dns_addr *addrs, size_t n,
    const struct dns_addr *wild, size_t nwild)
{
	if (n == 0 || nwild == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (bsearch(&addrs[i], wild, nwild, sizeof(*wild),
		    addr_qcmp) == NULL)
			return false;
	return true;
}

/* What the random labels got. */
struct wild {
	struct dns_addr *addrs;
	size_t n, cap;
	size_t answered;	/* got an answer either way */
	char why[256];		/* the first failure */
	bool nomem;
};

static void
on_probe(void *arg, const struct dns_answer *a)
{
	struct wild *w = arg;

	if (a->status == DNS_FAILED) {
		if (w->why[0] == '\0')
			snprintf(w->why, sizeof(w->why), "%s", a->error);
		return;
	}
	w->answered++;
	for (size_t i = 0; i < a->naddrs; i++) {
		struct dns_addr *p = VEC_PUSH(w->addrs, w->n, w->cap);

		if (p == NULL) {
			w->nomem = true;
			return;
		}
		*p = a->addrs[i];
	}
}

static int
find_wildcard(const struct dns_config *cfg, const char *domain,
    struct wild *w, char *err, size_t errlen)
{
	char names[DISCOVER_WILD_PROBES][DISCOVER_LABEL_LEN + 1 +
	    NAMES_BUFSIZE];
	const char *v[DISCOVER_WILD_PROBES];
	size_t out = 0;

	for (size_t i = 0; i < DISCOVER_WILD_PROBES; i++) {
		char label[DISCOVER_LABEL_LEN + 1];

		discover_random_label(label);
		snprintf(names[i], sizeof(names[i]), "%s.%s", label, domain);
		v[i] = names[i];
	}
	if (dns_resolve_all(cfg, v, DISCOVER_WILD_PROBES, on_probe, w, err,
	    errlen) == -1)
		return -1;
	if (w->nomem) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (w->answered == 0) {
		snprintf(err, errlen, "%s: cannot check for wildcard DNS: %s",
		    domain, w->why);
		return -1;
	}
	if (w->n > 0) {
		qsort(w->addrs, w->n, sizeof(*w->addrs), addr_qcmp);
		out = 1;
		for (size_t i = 1; i < w->n; i++)
			if (addr_cmp(&w->addrs[i], &w->addrs[out - 1]) != 0)
				w->addrs[out++] = w->addrs[i];
	}
	w->n = out;
	return 0;
}

struct run {
	const struct wild *w;
	struct discover_stats *st;
	dns_result_fn *fn;
	void *ctx;
};

static void
on_word(void *arg, const struct dns_answer *a)
{
	struct run *r = arg;

	if (a->status == DNS_RESOLVED) {
		r->st->resolved++;
		if (discover_in_wildcard(a->addrs, a->naddrs, r->w->addrs,
		    r->w->n)) {
			r->st->dropped++;
			return;
		}
	}
	r->fn(r->ctx, a);
}

int
discover_run(const struct dns_config *cfg, const char *domain,
    const char *wordlist, discover_warn_fn *warn, void *wctx,
    dns_result_fn *fn, void *ctx, struct discover_stats *st, char *err,
    size_t errlen)
{
	char dom[NAMES_BUFSIZE];
	struct discover_stats local;
	struct names_set *set;
	struct wild w;
	struct run r;
	int rc = -1;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	if (names_clean(domain, strlen(domain), NULL, dom, sizeof(dom)) !=
	    NAMES_OK) {
		snprintf(err, errlen, "bad domain '%.80s': not a valid host "
		    "name", domain);
		return -1;
	}
	if ((set = names_set_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (discover_words(wordlist, dom, set, warn, wctx, &st->words,
	    &st->bad_words, err, errlen) == -1)
		goto done;
	st->candidates = names_set_count(set);
	if (find_wildcard(cfg, dom, &w, err, errlen) == -1)
		goto done;
	st->wildcard = w.n > 0;
	st->wildcard_addrs = w.n;
	r = (struct run){ &w, st, fn, ctx };
	rc = dns_resolve_all(cfg, names_set_names(set), names_set_count(set),
	    on_word, &r, err, errlen);
done:
	free(w.addrs);
	names_set_free(set);
	return rc;
}

const char *
discover_wildcard_note(const struct discover_stats *st, const char *domain,
    char *buf, size_t len)
{
	if (!st->wildcard)
		return NULL;
	snprintf(buf, len, "%s: wildcard DNS, %zu name%s dropped", domain,
	    st->dropped, st->dropped == 1 ? "" : "s");
	return buf;
}
