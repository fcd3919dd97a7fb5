/*
 * target_parse(): one word of a command line or a targets file.  A range
 * comes back in order and in its family's width, and both of its ends, in
 * their text form, parse back to themselves; a name comes back whole and
 * valid.
 */
#include <sys/socket.h>

#include "trawl/target.h"

#include "fuzz.h"

/*
 * addr in its text form parses back to exactly addr; an IPv4-mapped IPv6
 * address (the end of a block such as ::/80) to the IPv4 address it is.
 */
static void
round_trip(int family, target_u128 addr)
{
	char text[64], err[256];
	struct target t;
	target_u128 want = addr;
	int want_family = target_unmap(family, &want);

	FUZZ_CHECK(target_ntop(family, addr, text, sizeof(text)) != NULL);
	FUZZ_CHECK(target_parse(text, &t, err, sizeof(err)) == 0);
	FUZZ_CHECK(t.kind == TARGET_RANGE && t.family == want_family);
	FUZZ_CHECK(t.lo == want && t.hi == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *exact = fuzz_copy(data, size);
	char err[256] = "";
	struct target t;
	size_t len = strlen(s);

	if (target_parse(s, &t, err, sizeof(err)) == 0) {
		if (t.kind == TARGET_NAME) {
			FUZZ_CHECK(t.name == s && t.namelen == len);
			FUZZ_CHECK(target_name_valid(t.name, t.namelen));
		} else {
			FUZZ_CHECK(t.kind == TARGET_RANGE);
			FUZZ_CHECK(t.family == AF_INET ||
			    t.family == AF_INET6);
			FUZZ_CHECK(t.lo <= t.hi);
			if (t.family == AF_INET)
				FUZZ_CHECK(t.hi <= UINT32_MAX);
			round_trip(t.family, t.lo);
			round_trip(t.family, t.hi);
		}
	} else {
		fuzz_check_err(err, sizeof(err));
	}
	/* Length-bounded: must not read past size, NUL or not. */
	(void)target_name_valid(exact, size);
	free(exact);
	free(s);
	return 0;
}
