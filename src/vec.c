/* Growable arrays; see vec.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/vec.h"

int
vec_reserve(void *vp, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap > 0 ? *cap : VEC_FIRST;
	void *v, *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		ncap *= 2;
	}
	/*
	 * reallocarray() would refuse too, but AddressSanitizer takes an
	 * overflowing size for a bug and aborts instead of returning NULL.
	 */
	if (size > 0 && ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	/* The pointer is copied out and back: vp is a T **, not a void **. */
	memcpy(&v, vp, sizeof(v));
	if ((nv = reallocarray(v, ncap, size)) == NULL)
		return -1;
	memcpy(vp, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}
