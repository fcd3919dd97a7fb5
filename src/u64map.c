/* A map of 64-bit keys; see u64map.h. */
#include <errno.h>
#include <stdlib.h>

#include "trawl/u64map.h"

#define FIRST_CAP 64

static size_t
home(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 11) & (cap - 1);
}

/* The slot holding key, or the free one where it would go. */
static size_t
find(const struct u64map *m, uint64_t key)
{
	size_t i = home(key, m->cap);

	while (m->slots[i].key != U64MAP_EMPTY && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

int
u64map_reserve(struct u64map *m, size_t n)
{
	struct u64map old = *m;
	size_t cap = m->cap > 0 ? m->cap : FIRST_CAP;

	while (n * 4 > cap * 3)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	if ((m->slots = malloc(cap * sizeof(*m->slots))) == NULL) {
		*m = old;
		errno = ENOMEM;
		return -1;
	}
	m->cap = cap;
	for (size_t i = 0; i < cap; i++)
		m->slots[i].key = U64MAP_EMPTY;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key != U64MAP_EMPTY)
			m->slots[find(m, old.slots[i].key)] = old.slots[i];
	free(old.slots);
	return 0;
}

uint64_t *
u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find(m, key);
	return m->slots[i].key == key ? &m->slots[i].value : NULL;
}

uint64_t *
u64map_put(struct u64map *m, uint64_t key)
{
	size_t i;

	if (m->cap > 0) {
		i = find(m, key);
		if (m->slots[i].key == key)
			return &m->slots[i].value;
	}
	if (u64map_reserve(m, m->len + 1) != 0)
		return NULL;
	i = find(m, key);
	m->slots[i].key = key;
	m->slots[i].value = 0;
	m->len++;
	return &m->slots[i].value;
}

void
u64map_del(struct u64map *m, uint64_t key)
{
	size_t i, j, mask = m->cap - 1;

	if (m->cap == 0)
		return;
	if (m->slots[i = find(m, key)].key != key)
		return;
	m->slots[i].key = U64MAP_EMPTY;
	m->len--;
	for (j = (i + 1) & mask; m->slots[j].key != U64MAP_EMPTY;
	    j = (j + 1) & mask) {
		size_t h = home(m->slots[j].key, m->cap);

		/* Move it back if its home is not in the cyclic range (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i &&
		    h > j)) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = U64MAP_EMPTY;
			i = j;
		}
	}
}

void
u64map_free(struct u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}
