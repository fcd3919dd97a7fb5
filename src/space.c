/*
 * The target space, kept as sorted disjoint address intervals ("blocks"),
 * each with the index of its first host, so host i is found by a binary
 * search over blocks.  Building is append-only; space_finish() sorts, merges
 * touching intervals, carves out exclusions and numbers the hosts.
 *
 * A finished space can still grow, a part at a time (space_extend()): names
 * resolved while the scan runs bring new addresses, numbered after every
 * host there is.  Scan threads keep reading the parts they were given while
 * one thread adds a part, so parts live in an array that never moves and
 * the count of parts is published atomically.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/ports.h"
#include "trawl/space.h"
#include "trawl/vec.h"

struct block {
	int family;
	target_u128 lo, hi;
	uint64_t first;		/* host index of lo */
};

struct name_entry {
	int family;
	target_u128 addr;
	size_t order;		/* insertion order, kept among equal addresses */
	const char *name;	/* interned in names_pool */
};

struct array {
	void *v;
	size_t n, cap;
};

/* Addresses added after space_finish(): one normalized block list. */
struct part {
	struct array blocks;	/* struct block, first counted from 0 */
	uint64_t first;		/* host index of its first host */
};

/* Parts a space can grow by; the array is allocated once, never moved. */
#define SPACE_MAX_PARTS 16384

struct space {
	struct array blocks;	/* struct block */
	struct array excl;	/* struct block */
	struct array names;	/* struct name_entry */
	struct array late;	/* struct name_entry, not yet in names */
	const char **name_ptrs;	/* names in name order, for space_names() */
	const struct ports *ports;
	uint64_t own_hosts;	/* hosts of blocks, before any part */
	uint64_t hosts, probes;
	bool finished;
	struct part *parts;
	_Atomic size_t nparts;
};

/* One more element of size bytes at the end of v, or NULL. */
static void *
push(struct array *v, size_t size)
{
	if (vec_reserve(&v->v, &v->cap, v->n + 1, size) != 0)
		return NULL;
	return (char *)v->v + size * v->n++;
}

struct space *
space_new(void)
{
	return calloc(1, sizeof(struct space));
}

void
space_free(struct space *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->names.n; i++)
		free((char *)((struct name_entry *)s->names.v)[i].name);
	for (size_t i = 0; i < s->late.n; i++)
		free((char *)((struct name_entry *)s->late.v)[i].name);
	for (size_t i = 0; i < s->nparts; i++)
		free(s->parts[i].blocks.v);
	free(s->parts);
	free(s->late.v);
	free(s->blocks.v);
	free(s->excl.v);
	free(s->names.v);
	free(s->name_ptrs);
	free(s);
}

/* Every block goes in unmapped (target.h): one spelling per host. */
static int
add_block(struct array *v, int family, target_u128 lo, target_u128 hi)
{
	struct target_span span[3];
	size_t n = target_split_mapped(family, lo, hi, span);

	for (size_t i = 0; i < n; i++) {
		struct block *b = push(v, sizeof(*b));

		if (b == NULL)
			return -1;
		b->family = span[i].family;
		b->lo = span[i].lo;
		b->hi = span[i].hi;
		b->first = 0;
	}
	return 0;
}

int
space_add_range(struct space *s, int family, target_u128 lo, target_u128 hi)
{
	return add_block(&s->blocks, family, lo, hi);
}

int
space_exclude(struct space *s, int family, target_u128 lo, target_u128 hi)
{
	return add_block(&s->excl, family, lo, hi);
}

int
space_add_name(struct space *s, int family, target_u128 addr,
    const char *name)
{
	struct name_entry *e;
	struct array *v = s->finished ? &s->late : &s->names;
	char *copy = strdup(name);

	if (copy == NULL)
		return -1;
	e = push(v, sizeof(*e));
	if (e == NULL) {
		free(copy);
		return -1;
	}
	e->family = target_unmap(family, &addr);
	e->addr = addr;
	e->order = s->names.n + s->late.n - 1;
	e->name = copy;
	/* Late: the address is in the space already, or comes in a part. */
	return s->finished ? 0 : add_block(&s->blocks, e->family, addr, addr);
}

static int
cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort and merge overlapping or adjacent intervals, in place. */
static void
normalize(struct array *v)
{
	struct block *b = v->v;
	size_t out = 0;

	if (v->n == 0)
		return;
	qsort(b, v->n, sizeof(*b), cmp_block);
	for (size_t i = 1; i < v->n; i++) {
		struct block *last = &b[out];
		if (b[i].family == last->family &&
		    (b[i].lo <= last->hi || b[i].lo - 1 == last->hi)) {
			if (b[i].hi > last->hi)
				last->hi = b[i].hi;
		} else {
			b[++out] = b[i];
		}
	}
	v->n = out + 1;
}

/*
 * Blocks minus exclusions; both normalized, so one merge-like pass.  The
 * result can have at most blocks + exclusions intervals.
 */
static int
subtract(struct array *blocks, const struct array *excl)
{
	const struct block *x = excl->v;
	struct array out = { 0 };
	size_t j = 0;

	if (excl->n == 0)
		return 0;
	for (size_t i = 0; i < blocks->n; i++) {
		struct block cur = ((struct block *)blocks->v)[i];
		bool alive = true;

		while (j < excl->n && cmp_block(&x[j], &cur) < 0 &&
		    (x[j].family != cur.family || x[j].hi < cur.lo))
			j++;
		for (size_t k = j; alive && k < excl->n &&
		    x[k].family == cur.family && x[k].lo <= cur.hi; k++) {
			if (x[k].hi < cur.lo)
				continue;
			if (x[k].lo > cur.lo &&
			    add_block(&out, cur.family, cur.lo, x[k].lo - 1) == -1)
				goto fail;
			if (x[k].hi >= cur.hi)
				alive = false;
			else
				cur.lo = x[k].hi + 1;
		}
		if (alive && add_block(&out, cur.family, cur.lo, cur.hi) == -1)
			goto fail;
	}
	free(blocks->v);
	*blocks = out;
	return 0;
fail:
	free(out.v);
	return -1;
}

/* The block of v (normalized) holding addr, or NULL. */
static const struct block *
block_of(const struct array *v, int family, target_u128 addr)
{
	const struct block *b = v->v;
	struct block key = { .family = family, .lo = addr };
	size_t lo = 0, hi = v->n;

	/* The first block that starts after addr; the one before may hold it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_block(&b[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && b[lo - 1].family == family && b[lo - 1].hi >= addr)
		return &b[lo - 1];
	return NULL;
}

bool
space_find(const struct space *s, int family, target_u128 addr,
    uint64_t *host)
{
	const struct block *b;
	size_t nparts = atomic_load_explicit(&s->nparts,
	    memory_order_acquire);

	family = target_unmap(family, &addr);
	b = block_of(&s->blocks, family, addr);
	for (size_t i = 0; b == NULL && i < nparts; i++) {
		b = block_of(&s->parts[i].blocks, family, addr);
		if (b != NULL) {
			*host = s->parts[i].first + b->first + (uint64_t)(addr -
			    b->lo);
			return true;
		}
	}
	if (b == NULL)
		return false;
	*host = b->first + (uint64_t)(addr - b->lo);
	return true;
}

static bool
covered(const struct space *s, int family, target_u128 addr)
{
	uint64_t host;

	return space_find(s, family, addr, &host);
}

/* Drop names whose address was excluded, and exact duplicates. */
static void
prune_names(struct space *s)
{
	struct name_entry *e = s->names.v;
	size_t out = 0;

	if (s->names.n > 1)
		qsort(e, s->names.n, sizeof(*e), cmp_name);
	for (size_t i = 0; i < s->names.n; i++) {
		bool keep = covered(s, e[i].family, e[i].addr);

		for (size_t k = out; keep && k-- > 0 &&
		    e[k].family == e[i].family && e[k].addr == e[i].addr;)
			if (strcmp(e[k].name, e[i].name) == 0)
				keep = false;
		if (keep)
			e[out++] = e[i];
		else
			free((char *)e[i].name);
	}
	s->names.n = out;
}

int
space_finish(struct space *s, const struct ports *ports, char *err,
    size_t errlen)
{
	struct block *b;
	unsigned __int128 hosts = 0, probes;

	s->ports = ports;
	normalize(&s->blocks);
	normalize(&s->excl);
	if (subtract(&s->blocks, &s->excl) == -1)
		goto nomem;
	prune_names(s);
	s->name_ptrs = calloc(s->names.n ? s->names.n : 1,
	    sizeof(*s->name_ptrs));
	if (s->name_ptrs == NULL)
		goto nomem;
	for (size_t i = 0; i < s->names.n; i++)
		s->name_ptrs[i] = ((struct name_entry *)s->names.v)[i].name;
	b = s->blocks.v;
	for (size_t i = 0; i < s->blocks.n; i++) {
		/* hi - lo, not hi - lo + 1, which wraps to 0 for ::/0. */
		unsigned __int128 span = b[i].hi - b[i].lo;

		b[i].first = (uint64_t)hosts;
		if (span < UINT64_MAX)
			hosts += span + 1;
		if (span >= UINT64_MAX || hosts > UINT64_MAX) {
			snprintf(err, errlen, "target space too large: more "
			    "than 2^64 addresses");
			return -1;
		}
	}
	probes = hosts * ports_count(ports);
	if (probes > UINT64_MAX) {
		snprintf(err, errlen, "target space too large: more than "
		    "2^64 probes");
		return -1;
	}
	s->hosts = s->own_hosts = (uint64_t)hosts;
	s->probes = (uint64_t)probes;
	s->finished = true;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

uint64_t
space_hosts(const struct space *s)
{
	return s->hosts;
}

uint64_t
space_probes(const struct space *s)
{
	return s->probes;
}

size_t
space_nports(const struct space *s)
{
	return ports_count(s->ports);
}

uint16_t
space_port(const struct space *s, size_t i)
{
	return ports_at(s->ports, i);
}

/* The block of v holding host (counted from v's first block). */
static const struct block *
find_block_in(const struct array *v, uint64_t host)
{
	const struct block *b = v->v;
	size_t lo = 0, hi = v->n;

	/* The last block whose first host is <= host. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (b[mid].first <= host)
			lo = mid;
		else
			hi = mid;
	}
	return &b[lo];
}

int
space_host(const struct space *s, uint64_t host, target_u128 *addr)
{
	const struct block *b;

	if (host >= s->own_hosts) {
		size_t lo = 0, hi = atomic_load_explicit(&s->nparts,
		    memory_order_acquire);

		/* The last part whose first host is <= host. */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->parts[mid].first <= host)
				lo = mid;
			else
				hi = mid;
		}
		host -= s->parts[lo].first;
		b = find_block_in(&s->parts[lo].blocks, host);
	} else {
		b = find_block_in(&s->blocks, host);
	}
	*addr = b->lo + (host - b->first);
	return b->family;
}

socklen_t
space_sockaddr(const struct space *s, uint64_t host, uint16_t port,
    struct sockaddr_storage *ss)
{
	target_u128 addr;
	int family = space_host(s, host, &addr);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl((uint32_t)addr);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		target_to_bytes(AF_INET6, addr, sin6->sin6_addr.s6_addr);
		return sizeof(*sin6);
	}
}

size_t
space_names(const struct space *s, uint64_t host, const char *const **names)
{
	const struct name_entry *e = s->names.v;
	size_t lo = 0, hi = s->names.n, first;
	target_u128 addr;
	int family;

	*names = NULL;
	if (s->names.n == 0)
		return 0;
	family = space_host(s, host, &addr);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e[mid].family != family ?
		    e[mid].family == AF_INET : e[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < s->names.n && e[lo].family == family && e[lo].addr == addr)
		lo++;
	if (lo == first)
		return 0;
	*names = &s->name_ptrs[first];
	return lo - first;
}

bool
space_first_name(const struct space *s, uint64_t host, char *buf,
    size_t size)
{
	const char *const *names;
	const struct name_entry *late = s->late.v, *best = NULL;
	const char *found = NULL;
	target_u128 addr;
	int family;

	if (space_names(s, host, &names) > 0)
		found = names[0];
	else if (s->late.n > 0) {
		family = space_host(s, host, &addr);
		for (size_t i = 0; i < s->late.n; i++)
			if (late[i].family == family && late[i].addr == addr &&
			    (best == NULL || late[i].order < best->order))
				best = &late[i];
		if (best != NULL)
			found = best->name;
	}
	if (found == NULL || strlen(found) >= size)
		return false;
	memcpy(buf, found, strlen(found) + 1);
	return true;
}

int
space_extend(struct space *s, const struct space_addr *addrs, size_t n,
    uint64_t *added)
{
	struct part *p;
	uint64_t hosts = 0;
	size_t nparts = atomic_load_explicit(&s->nparts, memory_order_relaxed);

	*added = 0;
	if (nparts == SPACE_MAX_PARTS) {
		errno = ENOSPC;
		return -1;
	}
	if (s->parts == NULL) {
		s->parts = calloc(SPACE_MAX_PARTS, sizeof(*s->parts));
		if (s->parts == NULL)
			return -1;
	}
	p = &s->parts[nparts];
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		uint64_t h;

		if (space_find(s, addrs[i].family, addrs[i].addr, &h))
			continue;
		if (add_block(&p->blocks, addrs[i].family, addrs[i].addr,
		    addrs[i].addr) == -1)
			goto fail;
	}
	normalize(&p->blocks);
	if (subtract(&p->blocks, &s->excl) == -1)
		goto fail;
	for (size_t i = 0; i < p->blocks.n; i++) {
		struct block *b = &((struct block *)p->blocks.v)[i];

		b->first = hosts;
		hosts += (uint64_t)(b->hi - b->lo) + 1;
	}
	if (hosts == 0) {
		free(p->blocks.v);
		memset(p, 0, sizeof(*p));
		return 0;
	}
	if ((unsigned __int128)(s->hosts + hosts) * ports_count(s->ports) >
	    UINT64_MAX) {
		errno = EOVERFLOW;
		goto fail;
	}
	p->first = s->hosts;
	s->hosts += hosts;
	s->probes = s->hosts * ports_count(s->ports);
	*added = hosts;
	atomic_store_explicit(&s->nparts, nparts + 1, memory_order_release);
	return 0;
fail:
	free(p->blocks.v);
	memset(p, 0, sizeof(*p));
	return -1;
}

int
space_seal_names(struct space *s)
{
	struct name_entry *e;
	const char **ptrs;

	if (s->late.n == 0)
		return 0;
	for (size_t i = 0; i < s->late.n; i++) {
		e = push(&s->names, sizeof(*e));
		if (e == NULL)
			return -1;
		*e = ((struct name_entry *)s->late.v)[i];
	}
	s->late.n = 0;
	prune_names(s);
	ptrs = reallocarray(s->name_ptrs, s->names.n ? s->names.n : 1,
	    sizeof(*ptrs));
	if (ptrs == NULL)
		return -1;
	s->name_ptrs = ptrs;
	for (size_t i = 0; i < s->names.n; i++)
		s->name_ptrs[i] = ((struct name_entry *)s->names.v)[i].name;
	return 0;
}

/* FNV-1a, 64 bits: enough to tell two scans apart, not a MAC. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
space_fingerprint(const struct space *s)
{
	const struct block *b = s->blocks.v;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t nports = ports_count(s->ports);

	for (size_t i = 0; i < s->blocks.n; i++) {
		unsigned char bytes[16];
		int32_t fam = b[i].family;

		h = fnv(h, &fam, sizeof(fam));
		target_to_bytes(AF_INET6, b[i].lo, bytes);
		h = fnv(h, bytes, sizeof(bytes));
		target_to_bytes(AF_INET6, b[i].hi, bytes);
		h = fnv(h, bytes, sizeof(bytes));
	}
	for (size_t k = 0; k < s->nparts; k++) {
		b = s->parts[k].blocks.v;
		for (size_t i = 0; i < s->parts[k].blocks.n; i++) {
			unsigned char bytes[16];

			target_to_bytes(AF_INET6, b[i].lo, bytes);
			h = fnv(h, bytes, sizeof(bytes));
		}
	}
	for (size_t i = 0; i < nports; i++) {
		uint16_t port = ports_at(s->ports, i);

		h = fnv(h, &port, sizeof(port));
	}
	return h;
}
