/*
 * baseline_parse_buf(): baseline files.  An accepted one differs from
 * itself in nothing, from an empty baseline in one change per host and
 * per port (each told by every writer that has a place for changes), from
 * a part of itself in just the ports left out and the hosts left with
 * none (and still so once the part has carried over what answered), and
 * saved and loaded again it tells the same changes, names and all, and
 * saves to the same bytes.  Its certificates near their end are told by
 * every writer too.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/baseline.h"
#include "trawl/output.h"
#include "trawl/wbuf.h"

#include "fuzz.h"

#define NAME "fuzz.baseline"

/* An open port, and which host (in the order of the changes) it is on. */
struct open {
	int family;
	target_u128 addr;
	uint16_t port;
	size_t host;
};

struct tally {
	struct wbuf *w;		/* /dev/null: the formatting is exercised */
	uint64_t hash;		/* of every change, in order */
	size_t hosts, ports;
	struct open *open;	/* ports of the changes, when not NULL */
};

/* Changes between a baseline and a part of it: all one way. */
struct part_count {
	bool up;
	size_t hosts, ports;
};

static void
mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ULL;	/* FNV-1a */
}

/* A change to every format that has a place for one, as compare.c does. */
static void
write_change(struct wbuf *w, const struct out_change *c, bool first)
{
	static const char *const formats[] = { "text", "changes", "grep",
	    "xml" };

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		output_find(formats[i])->change(w, c, first);
}

static void
on_change(void *ctx, const struct baseline_change *c)
{
	struct tally *t = ctx;
	const struct out_change *o = &c->out;
	bool first = t->hosts + t->ports == 0;
	unsigned char bytes[16];

	FUZZ_CHECK(o->kind == OUT_HOST_UP || o->kind == OUT_PORT_OPENED);
	FUZZ_CHECK(o->family == AF_INET || o->family == AF_INET6);
	FUZZ_CHECK((o->kind == OUT_HOST_UP) == (o->port == 0));
	/* The address as text is the same address. */
	FUZZ_CHECK(inet_pton(o->family, o->addr, bytes) == 1 &&
	    target_from_bytes(o->family, bytes) == c->addr);
	for (size_t i = 0; i < o->nnames; i++) {
		size_t len = strlen(o->names[i]);

		FUZZ_CHECK(len >= 1 && len <= BASELINE_NAME_MAX);
		FUZZ_CHECK(i == 0 || strcmp(o->names[i - 1],
		    o->names[i]) < 0);
		mix(&t->hash, o->names[i], len + 1);
	}
	mix(&t->hash, &o->kind, sizeof(o->kind));
	mix(&t->hash, &o->family, sizeof(o->family));
	mix(&t->hash, &c->addr, sizeof(c->addr));
	mix(&t->hash, &o->port, sizeof(o->port));
	if (o->kind == OUT_HOST_UP) {
		t->hosts++;
	} else {
		if (t->open != NULL)
			t->open[t->ports] = (struct open){ o->family, c->addr,
			    o->port, t->hosts - 1 };
		t->ports++;
	}
	write_change(t->w, o, first);
}

static void
on_part_change(void *ctx, const struct baseline_change *c)
{
	struct part_count *pc = ctx;
	enum out_change_kind kind = c->out.kind;

	if (kind == OUT_HOST_UP || kind == OUT_HOST_DOWN) {
		FUZZ_CHECK((kind == OUT_HOST_UP) == pc->up);
		pc->hosts++;
	} else {
		FUZZ_CHECK((kind == OUT_PORT_OPENED) == pc->up);
		pc->ports++;
	}
}

/*
 * A part of b: the open ports that a bit of their position picks.  From b
 * to it, what was left out closed (and hosts with nothing left went
 * down); back again, the same opened.
 */
static void
diff_part(const struct baseline *b, const struct open *open, size_t n)
{
	struct baseline *part = baseline_new(0);
	struct part_count down = { .up = false }, up = { .up = true };
	size_t kept = 0, gone = 0, host_kept = 0;

	FUZZ_CHECK(part != NULL);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && open[i].host != open[i - 1].host) {
			gone += host_kept == 0;
			host_kept = 0;
		}
		if (((open[i].port ^ i) & 1) == 0) {
			FUZZ_CHECK(baseline_add(part, open[i].family,
			    open[i].addr, open[i].port, NULL, 0) == 0);
			kept++;
			host_kept++;
		}
	}
	gone += n > 0 && host_kept == 0;
	FUZZ_CHECK(baseline_diff(b, part, on_part_change, &down) ==
	    (ssize_t)(n - kept + gone));
	FUZZ_CHECK(down.ports == n - kept && down.hosts == gone);
	FUZZ_CHECK(baseline_diff(part, b, on_part_change, &up) ==
	    (ssize_t)(n - kept + gone));
	/* What answered, carried over, is what b says: no change. */
	FUZZ_CHECK(baseline_carry(part, b) == 0);
	down.hosts = down.ports = up.hosts = up.ports = 0;
	FUZZ_CHECK(baseline_diff(b, part, on_part_change, &down) ==
	    (ssize_t)(n - kept + gone));
	FUZZ_CHECK(baseline_diff(part, b, on_part_change, &up) ==
	    (ssize_t)(n - kept + gone));
	baseline_free(part);
}

/* Everything in b, as changes from nothing. */
static uint64_t
tally(const struct baseline *b, int devnull)
{
	struct baseline *empty = baseline_new(0);
	struct tally t = { .hash = 0xcbf29ce484222325ULL };
	ssize_t n;

	t.open = malloc((baseline_ports(b) + 1) * sizeof(*t.open));
	FUZZ_CHECK(t.open != NULL);

	FUZZ_CHECK(empty != NULL);
	t.w = wbuf_fdopen(devnull);
	FUZZ_CHECK(t.w != NULL);
	n = baseline_diff(empty, b, on_change, &t);
	FUZZ_CHECK(n >= 0 && (size_t)n == t.hosts + t.ports);
	FUZZ_CHECK(t.hosts == baseline_hosts(b));
	FUZZ_CHECK(t.ports == baseline_ports(b));
	FUZZ_CHECK(wbuf_close(t.w) == 0);
	diff_part(b, t.open, t.ports);
	free(t.open);
	baseline_free(empty);
	return t.hash;
}

static void
on_expiring(void *ctx, const struct baseline_change *c)
{
	struct tally *t = ctx;
	const struct out_change *o = &c->out;

	FUZZ_CHECK(o->kind == OUT_CERT_EXPIRING && o->port != 0);
	FUZZ_CHECK(o->now != NULL && o->now->sha256 != NULL &&
	    strlen(o->now->sha256) == 64 && o->now->not_after != 0);
	write_change(t->w, o, t->ports++ == 0);
}

/* Every certificate with an expiry, as expiring: into every writer. */
static void
expiring(const struct baseline *b, int devnull)
{
	struct tally t = { .hash = 0 };

	t.w = wbuf_fdopen(devnull);
	FUZZ_CHECK(t.w != NULL);
	FUZZ_CHECK(baseline_expiring(b, 0, 36500, NULL, NULL) >= 0);
	FUZZ_CHECK(baseline_expiring(b, (time_t)INT32_MAX * 2, 36500,
	    on_expiring, &t) == (ssize_t)t.ports);
	FUZZ_CHECK(wbuf_close(t.w) == 0);
}

/* The bytes of path; the caller frees. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, got;

	FUZZ_CHECK(f != NULL);
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			FUZZ_CHECK(buf != NULL);
		}
		got = fread(buf + *len, 1, cap - *len, f);
		*len += got;
	} while (got > 0);
	fclose(f);
	return buf;
}

/* Through a real file: baseline_save() and baseline_load(). */
static void
round_trip(const struct baseline *b, uint64_t hash, int devnull)
{
	char path[64], err[512] = "";
	struct baseline *back = NULL;

	snprintf(path, sizeof(path), "/tmp/trawl-fuzz-baseline-%ld",
	    (long)getpid());
	if (baseline_save(b, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot save: %s\n", err);
		FUZZ_CHECK(!"cannot save");
	}
	if (baseline_load(path, &back, err, sizeof(err)) != 1) {
		fprintf(stderr, "saved, refused: %s\n", err);
		FUZZ_CHECK(!"saved, refused");
	}
	{
		char again[80], *x, *y;
		size_t nx, ny;

		snprintf(again, sizeof(again), "%s.again", path);
		FUZZ_CHECK(baseline_save(back, again, err, sizeof(err)) == 0);
		x = slurp(path, &nx);
		y = slurp(again, &ny);
		FUZZ_CHECK(nx == ny && memcmp(x, y, nx) == 0);
		free(x);
		free(y);
		unlink(again);
	}
	unlink(path);
	FUZZ_CHECK(baseline_fingerprint(back) == baseline_fingerprint(b));
	FUZZ_CHECK(baseline_diff(b, back, NULL, NULL) == 0);
	FUZZ_CHECK(tally(back, devnull) == hash);
	baseline_free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	char err[512] = "";
	struct baseline *b = NULL;
	int devnull;

	if (baseline_parse_buf(buf, size, NAME, &b, err, sizeof(err)) == 0) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		FUZZ_CHECK(devnull >= 0);
		FUZZ_CHECK(baseline_diff(b, b, NULL, NULL) == 0);
		round_trip(b, tally(b, devnull), devnull);
		expiring(b, devnull);
		close(devnull);
		baseline_free(b);
	} else {
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(b == NULL);
	}
	free(buf);
	return 0;
}
