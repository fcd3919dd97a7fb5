/*
 * Baselines.  The set is built one open port at a time while hosts stream
 * out of a scan, and a sweep may find millions, so it is two hash tables
 * over flat arrays, addresses and (address, port) pairs, with names kept
 * in one array beside them.  Order matters only twice, to compare and to
 * save; each time a "view" puts everything in order once: hosts sorted by
 * (family, address), each host's ports and names gathered into slices by
 * a counting sort.  Names are sorted and made distinct in the view, so the
 * order they happened to resolve in during a scan never shows as a
 * difference.
 *
 * The file is a state file (statefile.h), one fact a line, like the
 * resume file, so that a person can read it, grep it and diff two of them:
 *
 *	trawl-baseline 1
 *	fingerprint 9a3c5e0d12ab34cd	the scan's, see baseline_new()
 *	open 192.0.2.7 22		one line per open port
 *	open 192.0.2.7 443
 *	service 192.0.2.7 443 http ssl	what answered (--banners), after
 *	product 192.0.2.7 443 nginx	its port: the service (and "ssl"
 *	version 192.0.2.7 443 1.24.0	inside TLS), product, version,
 *	cert 192.0.2.7 443 9f86...08 1797033600	the certificate's
 *	subject 192.0.2.7 443 CN=www.example.com	SHA-256 and expiry
 *	name 192.0.2.7 www.example.com	after the ports of its address
 *	open 2001:db8::1 80
 *	end
 *
 * A name (and the server's text) is escaped to one word: bytes other than
 * printable ASCII, and space and backslash, become \xNN.  The fingerprint
 * comes first, and names after the ports of their address, so that a file
 * reads in one pass.
 *
 * The lines of what answered came later than the rest: a file without
 * them still reads (its ports answered nothing known), and a run without
 * --banners writes none, so that its file reads in a trawl from before
 * them too.  Hence no new version of the layout: nothing an older file
 * says means anything else now.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "trawl/baseline.h"
#include "trawl/num.h"
#include "trawl/statefile.h"
#include "trawl/vec.h"
#include "trawl/wbuf.h"

#define EMPTY UINT32_MAX
#define ARENA_BLOCK (64 * 1024)

struct host {
	target_u128 addr;
	size_t run;		/* names[run ..] came with the last add */
	uint32_t nrun;
	uint8_t family;
};

struct pair {
	uint32_t host;
	uint32_t answer;	/* in answers[], or EMPTY */
	uint16_t port;
};

struct name {
	const char *s;		/* in the arena */
	uint32_t host;
};

struct arena_block {
	struct arena_block *next;
	size_t used;
	char data[];
};

struct baseline {
	uint64_t fingerprint;
	uint64_t seed;

	struct host *hosts;
	size_t nhosts, hcap;
	uint32_t *htab;		/* open addressing over hosts[] */
	size_t hslots;		/* a power of two, at most half full */

	struct pair *pairs;
	size_t npairs, pcap;
	uint32_t *ptab;		/* likewise over pairs[] */
	size_t pslots;

	struct name *names;	/* in the order added, repeats and all */
	size_t nnames, ncap;

	/* What answered (--banners), on the few pairs that say. */
	struct out_answer *answers;
	size_t nanswers, acap;

	struct arena_block *arena;
};

/*
 * murmur3's finalizer.  A sweep's addresses are consecutive, so the hash
 * must spread neighbours; the seed is per baseline, so that the hosts that
 * answer cannot line up their addresses in one probe run.
 */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
host_hash(const struct baseline *b, int family, target_u128 addr)
{
	return mix((uint64_t)addr ^ b->seed ^
	    mix((uint64_t)(addr >> 64) ^ (uint64_t)family));
}

static uint64_t
pair_hash(const struct baseline *b, uint32_t host, uint16_t port)
{
	return mix(((uint64_t)host << 16 | port) ^ b->seed);
}

static uint64_t
hash_host_at(const struct baseline *b, uint32_t i)
{
	return host_hash(b, b->hosts[i].family, b->hosts[i].addr);
}

static uint64_t
hash_pair_at(const struct baseline *b, uint32_t i)
{
	return pair_hash(b, b->pairs[i].host, b->pairs[i].port);
}

/* Double a table (64 slots at first) and put every entry back. */
static int
table_grow(const struct baseline *b, uint32_t **tab, size_t *slots, size_t n,
    uint64_t (*hash)(const struct baseline *, uint32_t))
{
	size_t ns = *slots ? *slots * 2 : 64, mask = ns - 1;
	uint32_t *t = malloc(ns * sizeof(*t));

	if (t == NULL)
		return -1;
	memset(t, 0xff, ns * sizeof(*t));	/* every slot EMPTY */
	for (size_t k = 0; k < n; k++) {
		size_t i = (size_t)hash(b, (uint32_t)k) & mask;

		while (t[i] != EMPTY)
			i = (i + 1) & mask;
		t[i] = (uint32_t)k;
	}
	free(*tab);
	*tab = t;
	*slots = ns;
	return 0;
}

struct baseline *
baseline_new(uint64_t fingerprint)
{
	struct baseline *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->fingerprint = fingerprint;
	/* No entropy at all is unheard of; a fixed seed still works. */
	if (getrandom(&b->seed, sizeof(b->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(b->seed))
		b->seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)b;
	if (table_grow(b, &b->htab, &b->hslots, 0, hash_host_at) != 0 ||
	    table_grow(b, &b->ptab, &b->pslots, 0, hash_pair_at) != 0) {
		baseline_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void
baseline_free(struct baseline *b)
{
	struct arena_block *a, *next;

	if (b == NULL)
		return;
	for (a = b->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(b->hosts);
	free(b->htab);
	free(b->pairs);
	free(b->ptab);
	free(b->names);
	free(b->answers);
	free(b);
}

uint64_t
baseline_fingerprint(const struct baseline *b)
{
	return b->fingerprint;
}

size_t
baseline_hosts(const struct baseline *b)
{
	return b->nhosts;
}

size_t
baseline_ports(const struct baseline *b)
{
	return b->npairs;
}

/* --- building ----------------------------------------------------------- */

/* The slot holding the address, or the empty one where it would go. */
static size_t
host_slot(const struct baseline *b, int family, target_u128 addr)
{
	size_t mask = b->hslots - 1;
	size_t i = (size_t)host_hash(b, family, addr) & mask;
	uint32_t k;

	while ((k = b->htab[i]) != EMPTY && (b->hosts[k].family != family ||
	    b->hosts[k].addr != addr))
		i = (i + 1) & mask;
	return i;
}

static size_t
pair_slot(const struct baseline *b, uint32_t host, uint16_t port)
{
	size_t mask = b->pslots - 1;
	size_t i = (size_t)pair_hash(b, host, port) & mask;
	uint32_t k;

	while ((k = b->ptab[i]) != EMPTY && (b->pairs[k].host != host ||
	    b->pairs[k].port != port))
		i = (i + 1) & mask;
	return i;
}

/*
 * Room for one more host and one more pair, taken before either is
 * inserted: a failure must not leave an address without a port behind.
 */
static int
reserve(struct baseline *b)
{
	if (b->nhosts >= EMPTY - 1 || b->npairs >= EMPTY - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	if (vec_reserve(&b->hosts, &b->hcap, b->nhosts + 1,
	    sizeof(*b->hosts)) != 0 ||
	    vec_reserve(&b->pairs, &b->pcap, b->npairs + 1,
	    sizeof(*b->pairs)) != 0 ||
	    ((b->nhosts + 1) * 2 > b->hslots && table_grow(b, &b->htab,
	    &b->hslots, b->nhosts, hash_host_at) != 0) ||
	    ((b->npairs + 1) * 2 > b->pslots && table_grow(b, &b->ptab,
	    &b->pslots, b->npairs, hash_pair_at) != 0)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The host's index, added (with the pair) when new.  -1 with errno. */
static int
add_pair(struct baseline *b, int family, target_u128 addr, uint16_t port,
    uint32_t *host)
{
	size_t i, j;
	uint32_t h;

	if (reserve(b) != 0)
		return -1;
	i = host_slot(b, family, addr);
	if ((h = b->htab[i]) == EMPTY) {
		h = (uint32_t)b->nhosts++;
		b->hosts[h].addr = addr;
		b->hosts[h].family = (uint8_t)family;
		b->hosts[h].run = 0;
		b->hosts[h].nrun = 0;
		b->htab[i] = h;
	}
	j = pair_slot(b, h, port);
	if (b->ptab[j] == EMPTY) {
		b->pairs[b->npairs].host = h;
		b->pairs[b->npairs].answer = EMPTY;
		b->pairs[b->npairs].port = port;
		b->ptab[j] = (uint32_t)b->npairs++;
	}
	*host = h;
	return 0;
}

static const char *
arena_copy(struct baseline *b, const char *s, size_t len)
{
	struct arena_block *a = b->arena;
	char *p;

	/* len <= BASELINE_NAME_MAX, so a name always fits a fresh block. */
	if (a == NULL || ARENA_BLOCK - a->used < len + 1) {
		a = malloc(sizeof(*a) + ARENA_BLOCK);
		if (a == NULL)
			return NULL;
		a->next = b->arena;
		a->used = 0;
		b->arena = a;
	}
	p = a->data + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

static bool
name_kept(const char *s)
{
	size_t len = strnlen(s, BASELINE_NAME_MAX + 1);

	return len > 0 && len <= BASELINE_NAME_MAX;
}

/*
 * Whether names are the ones the last add for host brought.  The
 * collector gives every port of a host the same list, so this keeps a
 * host with thousands of names (shared hosting) from storing them once
 * per port, in time linear in the names.
 */
static bool
same_run(const struct baseline *b, uint32_t host, const char *const *names,
    size_t nnames)
{
	const struct host *h = &b->hosts[host];
	size_t k = 0;

	for (size_t i = 0; i < nnames; i++) {
		if (!name_kept(names[i]))
			continue;
		if (k == h->nrun || strcmp(b->names[h->run + k].s,
		    names[i]) != 0)
			return false;
		k++;
	}
	return k == h->nrun;
}

/* Append names as the host's new run.  Stops at ENOMEM, names partial. */
static int
add_names(struct baseline *b, uint32_t host, const char *const *names,
    size_t nnames)
{
	size_t start = b->nnames;

	if (vec_reserve(&b->names, &b->ncap, b->nnames + nnames,
	    sizeof(*b->names)) != 0)
		return -1;
	for (size_t i = 0; i < nnames; i++) {
		const char *copy;

		if (!name_kept(names[i]))
			continue;
		copy = arena_copy(b, names[i], strlen(names[i]));
		if (copy == NULL) {
			errno = ENOMEM;
			return -1;
		}
		b->names[b->nnames].s = copy;
		b->names[b->nnames].host = host;
		b->nnames++;
	}
	b->hosts[host].run = start;
	b->hosts[host].nrun = (uint32_t)(b->nnames - start);
	return 0;
}

int
baseline_add(struct baseline *b, int family, target_u128 addr, uint16_t port,
    const char *const *names, size_t nnames)
{
	uint32_t h;

	if ((family != AF_INET && family != AF_INET6) || port == 0 ||
	    (family == AF_INET && addr > UINT32_MAX)) {
		errno = EINVAL;
		return -1;
	}
	if (add_pair(b, family, addr, port, &h) != 0)
		return -1;
	if (nnames > 0 && !same_run(b, h, names, nnames))
		return add_names(b, h, names, nnames);
	return 0;
}

/* --- what answered ------------------------------------------------------ */

/* The pair's index, or EMPTY when port is not open on addr. */
static uint32_t
find_pair(const struct baseline *b, int family, target_u128 addr,
    uint16_t port)
{
	uint32_t h = b->htab[host_slot(b, family, addr)];

	return h == EMPTY ? EMPTY : b->ptab[pair_slot(b, h, port)];
}

/* The pair's answer, a blank one made for it if need be.  NULL: ENOMEM. */
static struct out_answer *
pair_answer(struct baseline *b, uint32_t pair)
{
	struct out_answer *a;

	if (b->pairs[pair].answer != EMPTY)
		return &b->answers[b->pairs[pair].answer];
	if (b->nanswers >= EMPTY - 1 || vec_reserve(&b->answers, &b->acap,
	    b->nanswers + 1, sizeof(*b->answers)) != 0)
		return NULL;
	a = &b->answers[b->nanswers];
	memset(a, 0, sizeof(*a));
	b->pairs[pair].answer = (uint32_t)b->nanswers++;
	return a;
}

/* Whether s is a SHA-256 as svc.h writes it: 64 lower-case hex digits. */
static bool
sha256_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* Text as kept: NULL for none or empty; an arena copy.  -1: ENOMEM. */
static int
keep_text(struct baseline *b, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL || s[0] == '\0')
		return 0;
	if ((*out = arena_copy(b, s, strlen(s))) == NULL)
		return -1;
	return 0;
}

static bool
text_ok(const char *s)
{
	return s == NULL || strnlen(s, BASELINE_NAME_MAX + 1) <=
	    BASELINE_NAME_MAX;
}

/* The halves of from that it has, into the pair's answer.  0 or -1. */
static int
merge(struct baseline *b, uint32_t pair, const struct out_answer *from,
    bool service, bool cert)
{
	struct out_answer *a, copy;

	if (!service && !cert)
		return 0;
	if ((a = pair_answer(b, pair)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	copy = *a;
	if (service) {
		copy.tunnel_ssl = from->tunnel_ssl;
		if (keep_text(b, from->service, &copy.service) != 0 ||
		    keep_text(b, from->product, &copy.product) != 0 ||
		    keep_text(b, from->version, &copy.version) != 0)
			goto nomem;
	}
	if (cert) {
		copy.not_after = from->not_after;
		if (keep_text(b, from->sha256, &copy.sha256) != 0 ||
		    keep_text(b, from->subject, &copy.subject) != 0)
			goto nomem;
	}
	*a = copy;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

static bool
has_service(const struct out_answer *a)
{
	return a->service != NULL && a->service[0] != '\0';
}

static bool
has_cert(const struct out_answer *a)
{
	return a->sha256 != NULL && a->sha256[0] != '\0';
}

int
baseline_set_answer(struct baseline *b, int family, target_u128 addr,
    uint16_t port, const struct out_answer *a)
{
	uint32_t pair;

	if (!text_ok(a->service) || !text_ok(a->product) ||
	    !text_ok(a->version) || !text_ok(a->subject) ||
	    (has_cert(a) && !sha256_ok(a->sha256))) {
		errno = EINVAL;
		return -1;
	}
	if ((family != AF_INET && family != AF_INET6) ||
	    (pair = find_pair(b, family, addr, port)) == EMPTY) {
		errno = ENOENT;
		return -1;
	}
	return merge(b, pair, a, has_service(a), has_cert(a));
}

int
baseline_carry(struct baseline *now, const struct baseline *old)
{
	for (size_t i = 0; i < old->npairs; i++) {
		const struct pair *p = &old->pairs[i];
		const struct host *h = &old->hosts[p->host];
		const struct out_answer *o, *n;
		uint32_t k;

		if (p->answer == EMPTY || (k = find_pair(now, h->family,
		    h->addr, p->port)) == EMPTY)
			continue;
		o = &old->answers[p->answer];
		n = now->pairs[k].answer == EMPTY ? NULL :
		    &now->answers[now->pairs[k].answer];
		if (merge(now, k, o, has_service(o) && (n == NULL ||
		    !has_service(n)), has_cert(o) && (n == NULL ||
		    !has_cert(n))) != 0)
			return -1;
	}
	return 0;
}

/* --- views: everything in order ----------------------------------------- */

struct view {
	const struct baseline *b;
	uint32_t *order;	/* hosts by (family, address) */
	size_t *pstart;		/* host h: [pstart[h], pstart[h + 1]) */
	uint64_t *ports;	/* port << 32 | pair, ascending in a host */
	size_t *nstart;		/* names likewise, sorted and distinct */
	const char **names;
};

/* The one order of addresses: IPv4 (AF_INET, the smaller) first. */
static int
addr_cmp(int fx, target_u128 x, int fy, target_u128 y)
{
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return (x > y) - (x < y);
}

static int
host_cmp(const struct host *x, const struct host *y)
{
	return addr_cmp(x->family, x->addr, y->family, y->addr);
}

/* Sorting copies, not indices: qsort() has no context to look them up. */
struct sort_key {
	target_u128 addr;
	uint32_t host;
	uint8_t family;
};

static int
cmp_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	return addr_cmp(x->family, x->addr, y->family, y->addr);
}

/* v->order: the hosts by (family, address).  0 or -1 (ENOMEM). */
static int
view_order(struct view *v)
{
	const struct baseline *b = v->b;
	struct sort_key *k = reallocarray(NULL, b->nhosts + 1, sizeof(*k));

	if (k == NULL)
		return -1;
	for (size_t i = 0; i < b->nhosts; i++) {
		k[i].addr = b->hosts[i].addr;
		k[i].host = (uint32_t)i;
		k[i].family = b->hosts[i].family;
	}
	qsort(k, b->nhosts, sizeof(*k), cmp_key);
	for (size_t i = 0; i < b->nhosts; i++)
		v->order[i] = k[i].host;
	free(k);
	return 0;
}

/* A port of a view, and the pair it is. */
static uint16_t
key_port(uint64_t key)
{
	return (uint16_t)(key >> 32);
}

static uint32_t
key_pair(uint64_t key)
{
	return (uint32_t)key;
}

static int
cmp_port(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Counting sort.  With each host's items counted at start[h + 1], the sums
 * make start[h] .. start[h + 1] host h's slice.  Placing items moves
 * start[h] to the end of its slice, where start[h + 1] was; shifting the
 * array by one puts everything back.
 */
static void
slices_open(size_t *start, size_t nhosts)
{
	for (size_t h = 0; h < nhosts; h++)
		start[h + 1] += start[h];
}

static void
slices_close(size_t *start, size_t nhosts)
{
	memmove(start + 1, start, nhosts * sizeof(*start));
	start[0] = 0;
}

static void
view_free(struct view *v)
{
	free(v->order);
	free(v->pstart);
	free(v->ports);
	free(v->nstart);
	free(v->names);
}

static int
view_build(const struct baseline *b, struct view *v)
{
	size_t nh = b->nhosts, w = 0, lo = 0;

	memset(v, 0, sizeof(*v));
	v->b = b;
	v->order = reallocarray(NULL, nh + 1, sizeof(*v->order));
	v->pstart = calloc(nh + 1, sizeof(*v->pstart));
	v->ports = reallocarray(NULL, b->npairs + 1, sizeof(*v->ports));
	v->nstart = calloc(nh + 1, sizeof(*v->nstart));
	v->names = reallocarray(NULL, b->nnames + 1, sizeof(*v->names));
	if (v->order == NULL || v->pstart == NULL || v->ports == NULL ||
	    v->nstart == NULL || v->names == NULL || view_order(v) != 0) {
		view_free(v);
		errno = ENOMEM;
		return -1;
	}

	for (size_t i = 0; i < b->npairs; i++)
		v->pstart[b->pairs[i].host + 1]++;
	slices_open(v->pstart, nh);
	for (size_t i = 0; i < b->npairs; i++)
		v->ports[v->pstart[b->pairs[i].host]++] =
		    (uint64_t)b->pairs[i].port << 32 | i;
	slices_close(v->pstart, nh);
	for (size_t h = 0; h < nh; h++)
		qsort(v->ports + v->pstart[h], v->pstart[h + 1] - v->pstart[h],
		    sizeof(*v->ports), cmp_port);

	for (size_t i = 0; i < b->nnames; i++)
		v->nstart[b->names[i].host + 1]++;
	slices_open(v->nstart, nh);
	for (size_t i = 0; i < b->nnames; i++)
		v->names[v->nstart[b->names[i].host]++] = b->names[i].s;
	slices_close(v->nstart, nh);
	/* Sort each slice, drop repeats, and pack the slices down. */
	for (size_t h = 0; h < nh; h++) {
		size_t hi = v->nstart[h + 1], first = w;

		qsort(v->names + lo, hi - lo, sizeof(*v->names), cmp_str);
		for (size_t i = lo; i < hi; i++)
			if (w == first || strcmp(v->names[w - 1],
			    v->names[i]) != 0)
				v->names[w++] = v->names[i];
		v->nstart[h] = first;
		lo = hi;
	}
	v->nstart[nh] = w;
	return 0;
}

/* --- comparing ---------------------------------------------------------- */

struct side {
	struct view v;
	size_t i;		/* position in v.order */
};

static uint32_t
side_host(const struct side *s)
{
	return s->v.order[s->i];
}

static size_t
side_names(const struct side *s, uint32_t h, const char *const **names)
{
	*names = s->v.names + s->v.nstart[h];
	return s->v.nstart[h + 1] - s->v.nstart[h];
}

/* What a change of what answered says besides: none for the others. */
struct told {
	const struct out_answer *was, *now;
	long long days_left;
};

static void
change(baseline_change_fn *fn, void *ctx, ssize_t *n,
    enum out_change_kind kind, const struct host *h, uint16_t port,
    const char *const *names, size_t nnames, const struct told *t)
{
	char addr[INET6_ADDRSTRLEN];
	struct baseline_change c = {
		.out = {
			.kind = kind,
			.family = h->family,
			.port = port,
			.names = names,
			.nnames = nnames,
			.was = t != NULL ? t->was : NULL,
			.now = t != NULL ? t->now : NULL,
			.days_left = t != NULL ? t->days_left : 0,
		},
		.addr = h->addr,
	};

	(*n)++;
	if (fn != NULL) {
		c.out.addr = target_ntop(h->family, h->addr, addr,
		    sizeof(addr));
		fn(ctx, &c);
	}
}

/* A host in one side only: up (and each port opened), or the reverse. */
static void
one_side(const struct side *s, bool up, baseline_change_fn *fn, void *ctx,
    ssize_t *n)
{
	uint32_t h = side_host(s);
	const struct host *host = &s->v.b->hosts[h];
	const char *const *names;
	size_t nn = side_names(s, h, &names);

	change(fn, ctx, n, up ? OUT_HOST_UP : OUT_HOST_DOWN, host, 0, names,
	    nn, NULL);
	for (size_t k = s->v.pstart[h]; k < s->v.pstart[h + 1]; k++)
		change(fn, ctx, n, up ? OUT_PORT_OPENED : OUT_PORT_CLOSED, host,
		    key_port(s->v.ports[k]), names, nn, NULL);
}

static const struct out_answer *
answer_of(const struct baseline *b, uint64_t key)
{
	uint32_t a = b->pairs[key_pair(key)].answer;

	return a == EMPTY ? NULL : &b->answers[a];
}

/* Both have it and it differs: what one run did not learn is no change. */
static bool
differs(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) != 0;
}

/*
 * A port open in both runs: what answered, where both runs saw it.  A
 * run without --banners, or a grab that learned nothing this time, says
 * nothing new; nor does a product or version one run did not learn (a
 * reply cut short): only what both say and say differently.
 */
static void
compare_answers(const struct side *o, const struct side *c, size_t i,
    size_t j, const struct host *host, const char *const *names,
    size_t nnames, baseline_change_fn *fn, void *ctx, ssize_t *n)
{
	const struct out_answer *x = answer_of(o->v.b, o->v.ports[i]);
	const struct out_answer *y = answer_of(c->v.b, c->v.ports[j]);
	struct told t = { .was = x, .now = y };
	uint16_t port = key_port(c->v.ports[j]);

	if (x == NULL || y == NULL)
		return;
	if (has_service(x) && has_service(y) &&
	    (strcmp(x->service, y->service) != 0 ||
	    x->tunnel_ssl != y->tunnel_ssl ||
	    differs(x->product, y->product) ||
	    differs(x->version, y->version)))
		change(fn, ctx, n, OUT_SERVICE_CHANGED, host, port, names,
		    nnames, &t);
	if (has_cert(x) && has_cert(y) && strcmp(x->sha256, y->sha256) != 0)
		change(fn, ctx, n, OUT_CERT_CHANGED, host, port, names,
		    nnames, &t);
}

/* A host on both sides: merge the two ascending port lists. */
static void
both_sides(const struct side *o, const struct side *c, baseline_change_fn *fn,
    void *ctx, ssize_t *n)
{
	uint32_t ho = side_host(o), hc = side_host(c);
	const struct host *host = &c->v.b->hosts[hc];
	const char *const *onames, *const *cnames;
	size_t non = side_names(o, ho, &onames), ncn = side_names(c, hc,
	    &cnames);
	size_t i = o->v.pstart[ho], ie = o->v.pstart[ho + 1];
	size_t j = c->v.pstart[hc], je = c->v.pstart[hc + 1];

	/* A port no longer open is named as this run knows the host. */
	if (ncn == 0) {
		cnames = onames;
		ncn = non;
	}
	while (i < ie || j < je) {
		uint16_t po = i < ie ? key_port(o->v.ports[i]) : 0;
		uint16_t pc = j < je ? key_port(c->v.ports[j]) : 0;

		if (j == je || (i < ie && po < pc)) {
			change(fn, ctx, n, OUT_PORT_CLOSED, host, po,
			    cnames, ncn, NULL);
			i++;
		} else if (i == ie || pc < po) {
			change(fn, ctx, n, OUT_PORT_OPENED, host, pc,
			    cnames, ncn, NULL);
			j++;
		} else {
			compare_answers(o, c, i, j, host, cnames, ncn, fn,
			    ctx, n);
			i++;
			j++;
		}
	}
}

ssize_t
baseline_diff(const struct baseline *old, const struct baseline *now,
    baseline_change_fn *fn, void *ctx)
{
	struct side o = { .i = 0 }, c = { .i = 0 };
	ssize_t n = 0;

	if (view_build(old, &o.v) != 0)
		return -1;
	if (view_build(now, &c.v) != 0) {
		view_free(&o.v);
		return -1;
	}
	while (o.i < old->nhosts || c.i < now->nhosts) {
		int d;

		if (o.i == old->nhosts)
			d = 1;
		else if (c.i == now->nhosts)
			d = -1;
		else
			d = host_cmp(&old->hosts[side_host(&o)],
			    &now->hosts[side_host(&c)]);
		if (d < 0) {
			one_side(&o, false, fn, ctx, &n);
			o.i++;
		} else if (d > 0) {
			one_side(&c, true, fn, ctx, &n);
			c.i++;
		} else {
			both_sides(&o, &c, fn, ctx, &n);
			o.i++;
			c.i++;
		}
	}
	view_free(&o.v);
	view_free(&c.v);
	return n;
}

ssize_t
baseline_expiring(const struct baseline *b, time_t t, unsigned days,
    baseline_change_fn *fn, void *ctx)
{
	struct side s = { .i = 0 };
	ssize_t n = 0;
	int64_t before = (int64_t)t + (int64_t)days * 86400;

	if (view_build(b, &s.v) != 0)
		return -1;
	for (; s.i < b->nhosts; s.i++) {
		uint32_t h = side_host(&s);
		const char *const *names;
		size_t nn = side_names(&s, h, &names);

		for (size_t k = s.v.pstart[h]; k < s.v.pstart[h + 1]; k++) {
			const struct out_answer *a = answer_of(b,
			    s.v.ports[k]);
			struct told told = { .now = a };

			/* An expiry not known is not near. */
			if (a == NULL || !has_cert(a) || a->not_after == 0 ||
			    a->not_after > before)
				continue;
			told.days_left = output_days_left(a->not_after, t);
			change(fn, ctx, &n, OUT_CERT_EXPIRING, &b->hosts[h],
			    key_port(s.v.ports[k]), names, nn, &told);
		}
	}
	view_free(&s.v);
	return n;
}

/* --- saving ------------------------------------------------------------- */

static const char hexdigits[] = "0123456789abcdef";

/* One word: printable ASCII but backslash as is, the rest as \xNN. */
static void
put_name(struct wbuf *w, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '\\') {
			wbuf_putc(w, (char)*p);
		} else {
			char esc[4] = { '\\', 'x', hexdigits[*p >> 4],
			    hexdigits[*p & 15] };

			wbuf_put(w, esc, sizeof(esc));
		}
	}
}

/*
 * The longest line written, a name line ("name", an IPv6 address and the
 * longest name escaped all through, under 4200 bytes), must read back.
 */
_Static_assert(BASELINE_NAME_MAX * 4 + 64 <= STATEFILE_LINE_MAX,
    "a name line is too long to be read back");

/* "KEY ADDR PORT WORD\n", WORD escaped; nothing for text not known. */
static void
put_fact(struct wbuf *w, const char *key, const char *addr, uint16_t port,
    const char *text)
{
	if (text == NULL)
		return;
	wbuf_printf(w, "%s %s %u ", key, addr, port);
	put_name(w, text);
	wbuf_putc(w, '\n');
}

/* What answered on a port, after its "open" line. */
static void
put_answer(struct wbuf *w, const char *addr, uint16_t port,
    const struct out_answer *a)
{
	if (a == NULL)
		return;
	if (has_service(a)) {
		wbuf_printf(w, "service %s %u ", addr, port);
		put_name(w, a->service);
		wbuf_puts(w, a->tunnel_ssl ? " ssl\n" : "\n");
		put_fact(w, "product", addr, port, a->product);
		put_fact(w, "version", addr, port, a->version);
	}
	if (has_cert(a)) {
		wbuf_printf(w, "cert %s %u %s %" PRId64 "\n", addr, port,
		    a->sha256, a->not_after);
		put_fact(w, "subject", addr, port, a->subject);
	}
}

/* The lines between header and "end", in the order of a view. */
static int
write_lines(const void *ctx, struct wbuf *w)
{
	const struct baseline *b = ctx;
	struct view v;

	if (view_build(b, &v) != 0)
		return errno;
	wbuf_printf(w, "fingerprint %016" PRIx64 "\n", b->fingerprint);
	for (size_t i = 0; i < b->nhosts; i++) {
		uint32_t h = v.order[i];
		char addr[INET6_ADDRSTRLEN];

		target_ntop(b->hosts[h].family, b->hosts[h].addr, addr,
		    sizeof(addr));
		for (size_t k = v.pstart[h]; k < v.pstart[h + 1]; k++) {
			wbuf_printf(w, "open %s %u\n", addr,
			    key_port(v.ports[k]));
			put_answer(w, addr, key_port(v.ports[k]),
			    answer_of(b, v.ports[k]));
		}
		for (size_t k = v.nstart[h]; k < v.nstart[h + 1]; k++) {
			wbuf_printf(w, "name %s ", addr);
			put_name(w, v.names[k]);
			wbuf_putc(w, '\n');
		}
	}
	view_free(&v);
	return 0;
}

int
baseline_save(const struct baseline *b, const char *path, char *err,
    size_t errlen)
{
	return statefile_save(path, "baseline", write_lines, b, err, errlen);
}

/* --- loading ------------------------------------------------------------ */

/* Undo put_name() into out (BASELINE_NAME_MAX + 1 bytes).  0 or -1. */
static int
unescape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s;

		if (c == '\\') {
			int hi, lo;

			if (s[1] != 'x' ||
			    (hi = statefile_hexdigit(s[2])) < 0 ||
			    (lo = statefile_hexdigit(s[3])) < 0 ||
			    (hi | lo) == 0)
				return -1;
			c = hi << 4 | lo;
			s += 3;
		}
		if (n == BASELINE_NAME_MAX)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static bool
parse_addr(const char *s, int *family, target_u128 *addr)
{
	unsigned char bytes[16];

	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(*family, s, bytes) != 1)
		return false;
	*addr = target_from_bytes(*family, bytes);
	return true;
}

/* A not_after as written: decimal seconds, maybe negative.  0 or -1. */
static int
parse_time(const char *s, int64_t *t)
{
	uint64_t v;
	bool neg = s[0] == '-';

	if (num_parse_str(s + neg, 0, INT64_MAX, &v) != 0)
		return -1;
	*t = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/*
 * A line about what answered on a port: "KEY ADDR PORT WORD...".  The port
 * must be open before it, and a product or version must follow its
 * service, a subject its certificate.  NULL, or what is wrong.
 */
static const char *
load_answer(struct baseline *b, char **words, int n)
{
	char text[BASELINE_NAME_MAX + 1];
	const char *key = words[0], *kept;
	struct out_answer *a;
	target_u128 addr;
	uint64_t port;
	uint32_t pair;
	int family;
	bool service = strcmp(key, "service") == 0;
	bool cert = strcmp(key, "cert") == 0;
	bool subject = strcmp(key, "subject") == 0;

	if (service && n != 4 && n != 5)
		return "'service' wants an address, a port, a name and maybe "
		    "'ssl'";
	if (cert && n != 5)
		return "'cert' wants an address, a port, a SHA-256 and a time";
	if (!service && !cert && n != 4)
		return "what answered wants an address, a port and one word";
	if (!parse_addr(words[1], &family, &addr))
		return "bad address";
	if (num_parse_str(words[2], 1, 65535, &port) != 0)
		return "bad port";
	if ((pair = find_pair(b, family, addr, (uint16_t)port)) == EMPTY)
		return "what answered on a port not open before it";
	if ((a = pair_answer(b, pair)) == NULL)
		return strerror(ENOMEM);
	if (cert) {
		int64_t t;

		if (!sha256_ok(words[3]))
			return "bad SHA-256";
		if (parse_time(words[4], &t) != 0)
			return "bad time";
		if ((kept = arena_copy(b, words[3], 64)) == NULL)
			return strerror(ENOMEM);
		a->sha256 = kept;
		a->not_after = t;
		a->subject = NULL;
		return NULL;
	}
	if (service && n == 5 && strcmp(words[4], "ssl") != 0)
		return "'service' wants 'ssl' or nothing after the name";
	if (subject && !has_cert(a))
		return "subject with no 'cert' before it";
	if (!service && !subject && !has_service(a))
		return "product or version with no 'service' before it";
	if (unescape(words[3], text) != 0)
		return "bad text";
	if ((kept = arena_copy(b, text, strlen(text))) == NULL)
		return strerror(ENOMEM);
	if (service) {
		a->service = kept;
		a->tunnel_ssl = n == 5;
		a->product = a->version = NULL;
	} else if (subject) {
		a->subject = kept;
	} else if (strcmp(key, "product") == 0) {
		a->product = kept;
	} else {
		a->version = kept;
	}
	return NULL;
}

/* One line after the fingerprint.  NULL, or what is wrong with it. */
static const char *
load_line(struct baseline *b, char **words, int n)
{
	static const char *const answers[] = { "service", "product",
	    "version", "cert", "subject" };
	char name[BASELINE_NAME_MAX + 1];
	const char *one[1] = { name };
	target_u128 addr;
	uint64_t port;
	uint32_t h;
	size_t i;
	int family;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strcmp(words[0], answers[i]) == 0)
			return load_answer(b, words, n);
	if (n > 3)
		return "too many words";
	if (strcmp(words[0], "open") == 0) {
		if (n != 3)
			return "'open' wants an address and a port";
		if (!parse_addr(words[1], &family, &addr))
			return "bad address";
		if (num_parse_str(words[2], 1, 65535, &port) != 0)
			return "bad port";
		if (add_pair(b, family, addr, (uint16_t)port, &h) != 0)
			return strerror(errno);
	} else if (strcmp(words[0], "name") == 0) {
		if (n != 3)
			return "'name' wants an address and a name";
		if (!parse_addr(words[1], &family, &addr))
			return "bad address";
		if (unescape(words[2], name) != 0)
			return "bad name";
		i = host_slot(b, family, addr);
		if ((h = b->htab[i]) == EMPTY)
			return "name of an address with no open port before it";
		if (add_names(b, h, one, 1) != 0)
			return strerror(errno);
	} else {
		return "unknown line";
	}
	return NULL;
}

/* The first line after the header.  NULL, or what is wrong with it. */
static const char *
load_fingerprint(char **words, int n, uint64_t *fingerprint)
{
	if (n != 2 || strcmp(words[0], "fingerprint") != 0)
		return "no fingerprint";
	if (statefile_hex64(words[1], fingerprint) != 0)
		return "bad fingerprint";
	return NULL;
}

/* The lines of sf into *out; 0, or -1 with a message in err. */
static int
load(struct statefile *sf, struct baseline **out, char *err, size_t errlen)
{
	struct baseline *b = baseline_new(0);
	char *words[5];
	const char *what;
	bool head = true;	/* the fingerprint comes first */
	int n, rc = -1;

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((n = statefile_next(sf, words, 5)) > 0) {
		if (head)
			what = load_fingerprint(words, n, &b->fingerprint);
		else
			what = load_line(b, words, n);
		head = false;
		if (what != NULL) {
			statefile_bad(sf, what);
			goto out;
		}
	}
	if (n < 0)
		goto out;
	if (head) {
		statefile_bad(sf, "no fingerprint");
		goto out;
	}
	*out = b;
	b = NULL;
	rc = 0;
out:
	baseline_free(b);
	return rc;
}

int
baseline_load(const char *path, struct baseline **out, char *err,
    size_t errlen)
{
	struct statefile *sf;
	int rc;

	if ((rc = statefile_open(path, "baseline", &sf, err, errlen)) != 1)
		return rc;
	rc = load(sf, out, err, errlen);
	statefile_close(sf);
	return rc == 0 ? 1 : -1;
}

int
baseline_parse_buf(const char *buf, size_t len, const char *name,
    struct baseline **out, char *err, size_t errlen)
{
	struct statefile *sf;
	int rc;

	if (statefile_open_buf(buf, len, name, "baseline", &sf, err,
	    errlen) != 0)
		return -1;
	rc = load(sf, out, err, errlen);
	statefile_close(sf);
	return rc;
}
