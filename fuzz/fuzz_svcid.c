/*
 * svcid_enough(), svcid_identify() and svcid_http(): what a server sent,
 * read as the grab reads it.  The first byte picks the probe the reply
 * answers, the rest is the reply.  Every string that comes back is
 * terminated inside its array and holds no CR or LF; an identified
 * service has a name; an HTTP reply has a status of three digits.
 */
#include "trawl/svcid.h"

#include "fuzz.h"

static void
check_str(const char *s, size_t size, bool line)
{
	const char *end = memchr(s, '\0', size);

	FUZZ_CHECK(end != NULL);
	if (line)
		FUZZ_CHECK(memchr(s, '\r', (size_t)(end - s)) == NULL &&
		    memchr(s, '\n', (size_t)(end - s)) == NULL);
}

static void
check_http(const struct svc_http *h)
{
	FUZZ_CHECK(h->status >= 100 && h->status <= 999);
	check_str(h->server, sizeof(h->server), true);
	check_str(h->location, sizeof(h->location), true);
	/* The title's white space is folded: no CR or LF either. */
	check_str(h->title, sizeof(h->title), true);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum svc_probe probe;
	struct svc *s;
	struct svc_http h;
	uint8_t *b;

	if (size == 0)
		return 0;
	probe = (enum svc_probe)(data[0] % SVC_PROBE_COUNT);
	b = (uint8_t *)fuzz_copy(data + 1, size - 1);
	size--;
	(void)svcid_enough(probe, b, size);
	s = svc_new();
	FUZZ_CHECK(s != NULL);
	if (svcid_identify(probe, b, size, s)) {
		FUZZ_CHECK(s->identified && s->name[0] != '\0');
		check_str(s->name, sizeof(s->name), true);
		check_str(s->product, sizeof(s->product), true);
		check_str(s->version, sizeof(s->version), true);
		check_str(s->extrainfo, sizeof(s->extrainfo), true);
		if (s->has_http)
			check_http(&s->http);
	} else {
		FUZZ_CHECK(!s->identified && !s->has_http &&
		    s->name[0] == '\0');
	}
	if (svcid_http(b, size, &h))
		check_http(&h);
	else
		FUZZ_CHECK(h.status == 0);
	svc_free(s);
	free(b);
	return 0;
}
