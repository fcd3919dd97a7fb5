/*
 * A map from 64-bit keys to 64-bit values: open addressing with linear
 * probing, Fibonacci hashing (consecutive keys, such as host numbers,
 * spread over the table), at most three quarters full, and deletion by
 * backward shift, so that probe chains stay whole without tombstones.
 * For the collector's hosts held for output and the engine's sockets per
 * host: keys are host numbers, which never reach U64MAP_EMPTY.
 */
#ifndef TRAWL_U64MAP_H
#define TRAWL_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* The one key that cannot be stored: it marks a free slot. */
#define U64MAP_EMPTY UINT64_MAX

struct u64map_slot {
	uint64_t key;
	uint64_t value;
};

struct u64map {
	struct u64map_slot *slots;	/* cap of them; iterate over those */
	size_t cap, len;		/* whose key is not U64MAP_EMPTY */
};

/* Room for n keys with no allocation.  0, or -1 with errno ENOMEM. */
int u64map_reserve(struct u64map *m, size_t n);
/* key's value, or NULL when key is not there. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
/*
 * key's value, added with value 0 when new.  NULL with errno ENOMEM (the
 * map as it was).
 */
uint64_t *u64map_put(struct u64map *m, uint64_t key);
/* Remove key, if it is there. */
void u64map_del(struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);

#endif
