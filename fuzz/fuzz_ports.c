/*
 * ports_parse(): the -p list.  Whatever it accepts, in part or whole, the
 * table holds distinct ports from 1 to 65535; a list accepted once adds
 * nothing when given again.
 */
#include "trawl/ports.h"

#include "fuzz.h"

/*
 * Each item may walk all 65535 ports, even when they are all in already:
 * a long list of "-" takes seconds here (with sanitizers and coverage)
 * and is no more interesting than a short one.
 */
#define SPEC_MAX 1024

static void
check_table(const struct ports *p)
{
	static uint8_t seen[65536 / 8];
	size_t n = ports_count(p);

	FUZZ_CHECK(n <= 65535);
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n; i++) {
		uint16_t port = ports_at(p, i);

		FUZZ_CHECK(port != 0);
		FUZZ_CHECK(!(seen[port / 8] & (1u << (port % 8))));
		seen[port / 8] |= (uint8_t)(1u << (port % 8));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec, err[256] = "";
	struct ports *p;
	size_t n;

	if (size > SPEC_MAX)
		return 0;
	spec = fuzz_string(data, size);
	p = ports_new();
	FUZZ_CHECK(p != NULL);
	if (ports_parse(p, spec, err, sizeof(err)) == 0) {
		FUZZ_CHECK(ports_count(p) > 0);
		check_table(p);
		n = ports_count(p);
		FUZZ_CHECK(ports_parse(p, spec, err, sizeof(err)) == 0);
		FUZZ_CHECK(ports_count(p) == n);
	} else {
		fuzz_check_err(err, sizeof(err));
		check_table(p);
	}
	ports_free(p);
	free(spec);
	return 0;
}
