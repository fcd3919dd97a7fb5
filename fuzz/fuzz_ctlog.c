/*
 * ctlog_parse(): crt.sh's JSON answer, element by element.  Every name
 * handed on is 1 to CTLOG_NAME_MAX bytes, one line, trimmed, and counted;
 * the parse never reads past the answer's length (it has no NUL after
 * it).  Some inputs also have the callback refuse a name, as a full
 * name table would, to walk that way out.
 */
#include <errno.h>

#include "trawl/ctlog.h"

#include "fuzz.h"

struct count {
	size_t calls;
	size_t stop_at;		/* fail this call (from 1); 0: never */
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
on_name(void *ctx, const char *name, size_t len)
{
	struct count *c = ctx;

	FUZZ_CHECK(len >= 1 && len <= CTLOG_NAME_MAX);
	FUZZ_CHECK(memchr(name, '\n', len) == NULL);
	FUZZ_CHECK(!blank(name[0]) && !blank(name[len - 1]));
	if (++c->calls == c->stop_at) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_copy(data, size);
	char err[256] = "", err2[256] = "";
	struct count c = { .stop_at = 0 }, c2 = { .stop_at = 0 };
	struct ctlog_stats st;
	int rc;

	/* From the size, so as not to spend input bytes on it. */
	if (size % 4 == 3)
		c.stop_at = 1 + size / 4 % 3;
	rc = ctlog_parse(json, size, on_name, &c, &st, err, sizeof(err));
	FUZZ_CHECK(st.names == c.calls);
	if (rc == 0) {
		FUZZ_CHECK(c.stop_at == 0 || c.calls < c.stop_at);
	} else {
		fuzz_check_err(err, sizeof(err));
		if (c.stop_at != 0 && c.calls == c.stop_at)
			FUZZ_CHECK(strcmp(err, strerror(ENOSPC)) == 0);
	}
	/* No stats wanted: the same answer, the same names. */
	if (c.stop_at == 0) {
		FUZZ_CHECK(ctlog_parse(json, size, on_name, &c2, NULL, err2,
		    sizeof(err2)) == rc);
		FUZZ_CHECK(c2.calls == c.calls);
		FUZZ_CHECK(rc == 0 || strcmp(err, err2) == 0);
	}
	free(json);
	return 0;
}
