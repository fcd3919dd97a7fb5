/*
 * Names from certificate logs and wordlists.  A log holds whatever a CA was
 * asked to sign: upper case, "*." wildcards, e-mail addresses, names of
 * other domains, stray spaces.  Cleaning gives each host one spelling, so
 * that the set can drop repeats by plain string comparison.
 *
 * The set is open addressing with linear probing over indices into an
 * array of names kept in insertion order; the strings live in an arena of
 * large blocks, because a big domain's log yields millions of short names.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "trawl/names.h"
#include "trawl/target.h"
#include "trawl/vec.h"

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
under(const char *name, size_t len, const char *domain)
{
	size_t dlen = strlen(domain);

	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen == 0)
		return false;
	if (len < dlen || (len > dlen && name[len - dlen - 1] != '.'))
		return false;
	for (size_t i = 0; i < dlen; i++)
		if (name[len - dlen + i] != lower(domain[i]))
			return false;
	return true;
}

enum names_verdict
names_clean(const char *in, size_t len, const char *domain, char *out,
    size_t outlen)
{
	if (len >= 2 && in[0] == '*' && in[1] == '.') {
		in += 2;
		len -= 2;
	}
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len > NAMES_MAX || len >= outlen)
		return NAMES_INVALID;
	for (size_t i = 0; i < len; i++)
		out[i] = lower(in[i]);
	out[len] = '\0';
	/*
	 * The rule names typed on the command line follow, too; but one
	 * trailing dot was all there may be.
	 */
	if ((len > 0 && out[len - 1] == '.') || !target_name_valid(out, len))
		return NAMES_INVALID;
	if (domain != NULL && !under(out, len, domain))
		return NAMES_OUTSIDE;
	return NAMES_OK;
}

const char *
names_verdict_str(enum names_verdict v)
{
	switch (v) {
	case NAMES_OK:
		return "ok";
	case NAMES_INVALID:
		return "invalid";
	case NAMES_OUTSIDE:
		return "outside the domain";
	}
	return "?";
}

/* --- the set ------------------------------------------------------------ */

#define ARENA_BLOCK (64 * 1024)
#define EMPTY SIZE_MAX

struct arena_block {
	struct arena_block *next;
	size_t used;
	char data[];
};

struct names_set {
	uint64_t key[2];
	size_t *slots;		/* index into names, or EMPTY */
	size_t nslots;		/* a power of two */
	const char **names;	/* insertion order */
	size_t n, cap;
	struct arena_block *arena;
};

/*
 * SipHash-1-3: a keyed hash, so that colliding names cannot be chosen
 * without knowing the set's key.
 */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t
siphash(const uint64_t key[2], const char *s, size_t len)
{
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL,
	};
	uint64_t m;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);	/* byte order does not matter here */
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	m = (uint64_t)len << 56;
	for (size_t j = 0; i + j < len; j++)
		m |= (uint64_t)(unsigned char)s[i + j] << (8 * j);
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

struct names_set *
names_set_new(void)
{
	struct names_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	/* No entropy at all is unheard of; a fixed key still works. */
	if (getrandom(s->key, sizeof(s->key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(s->key)) {
		s->key[0] = 0x0123456789abcdefULL;
		s->key[1] = (uint64_t)(uintptr_t)s;
	}
	return s;
}

void
names_set_free(struct names_set *s)
{
	struct arena_block *b, *next;

	if (s == NULL)
		return;
	for (b = s->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(s->slots);
	free(s->names);
	free(s);
}

static char *
arena_copy(struct names_set *s, const char *name, size_t len)
{
	struct arena_block *b = s->arena;
	char *p;

	if (b == NULL || ARENA_BLOCK - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->next = s->arena;
		/* A name longer than a block gets a block of its own, full. */
		b->used = size > ARENA_BLOCK ? ARENA_BLOCK : 0;
		s->arena = b;
		if (size > ARENA_BLOCK) {
			memcpy(b->data, name, len + 1);
			return b->data;
		}
	}
	p = b->data + b->used;
	memcpy(p, name, len + 1);
	b->used += len + 1;
	return p;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t
find(const struct names_set *s, const char *name, size_t len)
{
	size_t mask = s->nslots - 1;
	size_t i = (size_t)siphash(s->key, name, len) & mask;

	while (s->slots[i] != EMPTY && strcmp(s->names[s->slots[i]], name) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Keep the table at most half full, so probe runs stay short. */
static int
grow(struct names_set *s)
{
	size_t nslots = s->nslots ? s->nslots * 2 : 64;
	size_t *slots = malloc(nslots * sizeof(*slots)), *old = s->slots;

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < nslots; i++)
		slots[i] = EMPTY;
	s->slots = slots;
	s->nslots = nslots;
	for (size_t k = 0; k < s->n; k++)
		slots[find(s, s->names[k], strlen(s->names[k]))] = k;
	free(old);
	return 0;
}

int
names_set_add(struct names_set *s, const char *name)
{
	size_t len = strlen(name), i;
	char *copy;

	if ((s->n + 1) * 2 > s->nslots && grow(s) == -1)
		goto nomem;
	i = find(s, name, len);
	if (s->slots[i] != EMPTY)
		return 0;
	if (vec_reserve(&s->names, &s->cap, s->n + 1, sizeof(*s->names)) != 0)
		goto nomem;
	if ((copy = arena_copy(s, name, len)) == NULL)
		goto nomem;
	s->names[s->n] = copy;
	s->slots[i] = s->n++;
	return 1;
nomem:
	errno = ENOMEM;
	return -1;
}

bool
names_set_has(const struct names_set *s, const char *name)
{
	if (s->nslots == 0)
		return false;
	return s->slots[find(s, name, strlen(name))] != EMPTY;
}

size_t
names_set_count(const struct names_set *s)
{
	return s->n;
}

const char *
names_set_name(const struct names_set *s, size_t i)
{
	return i < s->n ? s->names[i] : NULL;
}

const char *const *
names_set_names(const struct names_set *s)
{
	return s->names;
}
