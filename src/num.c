#include <string.h>

#include "trawl/num.h"

int
num_parse(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_str(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return num_parse(s, strlen(s), min, max, out);
}
