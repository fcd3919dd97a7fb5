/*
 * Baselines: what counts as a change and in what order it is told, the
 * file round trip with hostile names, the atomic replace, every way a
 * damaged file is refused (with its line), and a million ports in seconds.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trawl/baseline.h"
#include "trawl/output.h"
#include "trawl/target.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static target_u128
ip(const char *s, int *family)
{
	unsigned char b[16];

	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, s, b), 1);
	return target_from_bytes(*family, b);
}

static void
add(struct baseline *b, const char *addr, uint16_t port,
    const char *const *names, size_t nnames)
{
	int family;
	target_u128 a = ip(addr, &family);

	ck_assert_int_eq(baseline_add(b, family, a, port, names, nnames), 0);
}

/* Output written to an unlinked file, read back as one string. */
struct sink {
	int fd;
	struct wbuf *w;
	int ndjson;
};

static void
sink_open(struct sink *s, int ndjson)
{
	char path[] = "/tmp/trawl-changes-XXXXXX";

	s->fd = mkstemp(path);
	ck_assert_int_ge(s->fd, 0);
	unlink(path);
	s->w = wbuf_fdopen(s->fd);
	ck_assert_ptr_nonnull(s->w);
	s->ndjson = ndjson;
}

/* The text so far (caller frees); the sink is closed. */
static char *
sink_close(struct sink *s)
{
	off_t len;
	char *text;

	ck_assert_int_eq(wbuf_close(s->w), 0);
	len = lseek(s->fd, 0, SEEK_END);
	text = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(pread(s->fd, text, (size_t)len, 0), len);
	close(s->fd);
	return text;
}

/*
 * A change as the outputs write it (output.h): the line of the text
 * format, or the record of the changes format.  What a change says --
 * which, in what order, with which names -- is the baseline's; how it is
 * written, the writers' (test_writers.c has it byte for byte in every
 * format).
 */
static void
on_change(void *ctx, const struct baseline_change *c)
{
	struct sink *s = ctx;

	if (s->ndjson) {
		out_changes.change(s->w, &c->out, false);
	} else {
		output_change_line(s->w, &c->out, textesc_text);
		wbuf_putc(s->w, '\n');
	}
}

/* The changes from old to now, as text lines; *n gets the count. */
static char *
diff_text(const struct baseline *old, const struct baseline *now,
    ssize_t *n, int ndjson)
{
	struct sink s;

	sink_open(&s, ndjson);
	*n = baseline_diff(old, now, on_change, &s);
	ck_assert_int_ge(*n, 0);
	return sink_close(&s);
}

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/trawl-baseline-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Entries of dir, comma-separated and sorted; the caller frees. */
static char *
list_dir(void)
{
	struct dirent **ents;
	char *out = calloc(1, 4096);
	int n = scandir(dir, &ents, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			if (out[0] != '\0')
				strcat(out, ",");
			strncat(out, ents[i]->d_name, 4096 - strlen(out) - 2);
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static char *
read_file(const char *path)
{
	struct stat st;
	char *text;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	text = calloc(1, (size_t)st.st_size + 1);
	ck_assert_int_eq(read(fd, text, (size_t)st.st_size), st.st_size);
	close(fd);
	return text;
}

/* --- comparing ---------------------------------------------------------- */

START_TEST(diff_all_kinds)
{
	static const char *const a[] = { "a.example" };
	static const char *const ba[] = { "b.example", "a.example" };
	static const char *const fresh[] = { "new.example" };
	struct baseline *old = baseline_new(1), *now = baseline_new(1);
	ssize_t n;
	char *text;

	add(old, "192.0.2.1", 22, a, 1);
	add(old, "192.0.2.1", 80, a, 1);
	add(old, "192.0.2.4", 22, NULL, 0);
	add(old, "2001:db8::1", 443, NULL, 0);
	add(old, "2001:db8::5", 25, NULL, 0);

	add(now, "2001:db8::2", 22, NULL, 0);
	add(now, "192.0.2.9", 8080, fresh, 1);
	add(now, "192.0.2.1", 443, ba, 2);
	add(now, "192.0.2.1", 80, ba, 2);
	add(now, "2001:db8::1", 443, NULL, 0);

	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text,
	    "- 192.0.2.1 (a.example, b.example) port 22/tcp no longer open\n"
	    "+ 192.0.2.1 (a.example, b.example) port 443/tcp open\n"
	    "- host 192.0.2.4 down\n"
	    "- 192.0.2.4 port 22/tcp no longer open\n"
	    "+ host 192.0.2.9 (new.example) up\n"
	    "+ 192.0.2.9 (new.example) port 8080/tcp open\n"
	    "+ host 2001:db8::2 up\n"
	    "+ 2001:db8::2 port 22/tcp open\n"
	    "- host 2001:db8::5 down\n"
	    "- 2001:db8::5 port 25/tcp no longer open\n");
	ck_assert_int_eq(n, 10);
	free(text);

	text = diff_text(old, now, &n, 1);
	ck_assert_str_eq(text,
	    "{\"change\":\"port-closed\",\"ip\":\"192.0.2.1\",\"port\":22,"
	    "\"proto\":\"tcp\",\"names\":[\"a.example\",\"b.example\"]}\n"
	    "{\"change\":\"port-opened\",\"ip\":\"192.0.2.1\",\"port\":443,"
	    "\"proto\":\"tcp\",\"names\":[\"a.example\",\"b.example\"]}\n"
	    "{\"change\":\"host-down\",\"ip\":\"192.0.2.4\"}\n"
	    "{\"change\":\"port-closed\",\"ip\":\"192.0.2.4\",\"port\":22,"
	    "\"proto\":\"tcp\"}\n"
	    "{\"change\":\"host-up\",\"ip\":\"192.0.2.9\","
	    "\"names\":[\"new.example\"]}\n"
	    "{\"change\":\"port-opened\",\"ip\":\"192.0.2.9\",\"port\":8080,"
	    "\"proto\":\"tcp\",\"names\":[\"new.example\"]}\n"
	    "{\"change\":\"host-up\",\"ip\":\"2001:db8::2\"}\n"
	    "{\"change\":\"port-opened\",\"ip\":\"2001:db8::2\",\"port\":22,"
	    "\"proto\":\"tcp\"}\n"
	    "{\"change\":\"host-down\",\"ip\":\"2001:db8::5\"}\n"
	    "{\"change\":\"port-closed\",\"ip\":\"2001:db8::5\",\"port\":25,"
	    "\"proto\":\"tcp\"}\n");
	free(text);

	/* Backwards, every change turns around. */
	text = diff_text(now, old, &n, 0);
	ck_assert_int_eq(n, 10);
	ck_assert_ptr_nonnull(strstr(text, "+ 192.0.2.1 (a.example) port "
	    "22/tcp open\n- 192.0.2.1 (a.example) port 443/tcp no longer "
	    "open\n+ host 192.0.2.4 up\n"));
	free(text);

	ck_assert_int_eq(baseline_diff(old, old, NULL, NULL), 0);
	ck_assert_int_eq(baseline_diff(now, now, NULL, NULL), 0);
	baseline_free(old);
	baseline_free(now);
}
END_TEST

START_TEST(diff_names_fall_back)
{
	static const char *const a[] = { "a.example" };
	struct baseline *old = baseline_new(1), *now = baseline_new(1);
	ssize_t n;
	char *text;

	/* Reached by address this time: the baseline's names still help. */
	add(old, "192.0.2.1", 22, a, 1);
	add(old, "192.0.2.1", 80, a, 1);
	add(now, "192.0.2.1", 80, NULL, 0);
	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text,
	    "- 192.0.2.1 (a.example) port 22/tcp no longer open\n");
	free(text);
	baseline_free(old);
	baseline_free(now);
}
END_TEST

START_TEST(empty_sides)
{
	struct baseline *e = baseline_new(0), *b = baseline_new(0);
	ssize_t n;
	char *text;

	ck_assert_int_eq(baseline_diff(e, e, NULL, NULL), 0);
	add(b, "::1", 1, NULL, 0);
	text = diff_text(e, b, &n, 0);
	ck_assert_str_eq(text, "+ host ::1 up\n+ ::1 port 1/tcp open\n");
	ck_assert_int_eq(n, 2);
	free(text);
	text = diff_text(b, e, &n, 0);
	ck_assert_str_eq(text, "- host ::1 down\n- ::1 port 1/tcp no longer "
	    "open\n");
	free(text);
	baseline_free(e);
	baseline_free(b);
}
END_TEST

START_TEST(repeats_and_errors)
{
	static const char *const one[] = { "x.example" };
	static const char *const two[] = { "y.example", "x.example", "",
	    "x.example" };
	struct baseline *b = baseline_new(0);
	char *long_name = malloc(BASELINE_NAME_MAX + 2);
	const char *longs[2] = { long_name, "z.example" };
	ssize_t n;
	char *text;

	ck_assert_ptr_nonnull(long_name);
	add(b, "192.0.2.1", 80, one, 1);
	add(b, "192.0.2.1", 80, one, 1);
	add(b, "192.0.2.1", 443, two, 4);
	add(b, "192.0.2.1", 443, one, 1);
	memset(long_name, 'a', BASELINE_NAME_MAX + 1);
	long_name[BASELINE_NAME_MAX + 1] = '\0';
	add(b, "192.0.2.1", 443, longs, 2);
	ck_assert_uint_eq(baseline_hosts(b), 1);
	ck_assert_uint_eq(baseline_ports(b), 2);

	{
		struct baseline *e = baseline_new(0);

		text = diff_text(e, b, &n, 0);
		ck_assert_str_eq(text,
		    "+ host 192.0.2.1 (x.example, y.example, z.example) up\n"
		    "+ 192.0.2.1 (x.example, y.example, z.example) port "
		    "80/tcp open\n"
		    "+ 192.0.2.1 (x.example, y.example, z.example) port "
		    "443/tcp open\n");
		free(text);
		baseline_free(e);
	}

	errno = 0;
	ck_assert_int_eq(baseline_add(b, AF_INET, 1, 0, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(baseline_add(b, AF_UNIX, 1, 80, NULL, 0), -1);
	ck_assert_int_eq(baseline_add(b, AF_INET, (target_u128)1 << 32, 80,
	    NULL, 0), -1);
	ck_assert_int_eq(baseline_add(b, AF_INET6, (target_u128)1 << 32, 80,
	    NULL, 0), 0);
	/* The same number as IPv4 and as IPv6 is two addresses. */
	ck_assert_int_eq(baseline_add(b, AF_INET, 1, 80, NULL, 0), 0);
	ck_assert_int_eq(baseline_add(b, AF_INET6, 1, 80, NULL, 0), 0);
	ck_assert_uint_eq(baseline_hosts(b), 4);
	free(long_name);
	baseline_free(b);
}
END_TEST

START_TEST(escaping_in_reports)
{
	static const char *const odd[] = { "q\"\\\n\x1b[31m\xff.example" };
	struct baseline *e = baseline_new(0), *b = baseline_new(0);
	ssize_t n;
	char *text;

	add(b, "192.0.2.3", 7, odd, 1);
	text = diff_text(e, b, &n, 0);
	ck_assert_str_eq(text,
	    "+ host 192.0.2.3 (q\"\\x5c\\x0a\\x1b[31m\\xff.example) up\n"
	    "+ 192.0.2.3 (q\"\\x5c\\x0a\\x1b[31m\\xff.example) port 7/tcp "
	    "open\n");
	free(text);
	text = diff_text(b, e, &n, 1);
	ck_assert_str_eq(text,
	    "{\"change\":\"host-down\",\"ip\":\"192.0.2.3\",\"names\":"
	    "[\"q\\\"\\\\\\u000a\\u001b[31m\\ufffd.example\"]}\n"
	    "{\"change\":\"port-closed\",\"ip\":\"192.0.2.3\",\"port\":7,"
	    "\"proto\":\"tcp\",\"names\":"
	    "[\"q\\\"\\\\\\u000a\\u001b[31m\\ufffd.example\"]}\n");
	free(text);
	baseline_free(e);
	baseline_free(b);
}
END_TEST

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * The same pairs added in two different orders report the same changes,
 * and the report is sorted by family, address, then port.
 */
START_TEST(order_is_deterministic)
{
	enum { N = 5000 };
	struct {
		int family;
		target_u128 addr;
		uint16_t port;
	} *e = calloc(N, sizeof(*e));
	struct baseline *x = baseline_new(0), *y = baseline_new(0);
	struct baseline *none = baseline_new(0);
	ssize_t nx, ny;
	char *tx, *ty;

	for (size_t i = 0; i < N; i++) {
		e[i].family = next_rand() & 1 ? AF_INET : AF_INET6;
		e[i].addr = next_rand() % 64;
		if (e[i].family == AF_INET6)
			e[i].addr |= (target_u128)0x20010db8 << 96;
		e[i].port = (uint16_t)(next_rand() % 100 + 1);
		ck_assert_int_eq(baseline_add(x, e[i].family, e[i].addr,
		    e[i].port, NULL, 0), 0);
	}
	for (size_t i = N; i-- > 0;)
		ck_assert_int_eq(baseline_add(y, e[i].family, e[i].addr,
		    e[i].port, NULL, 0), 0);
	tx = diff_text(none, x, &nx, 0);
	ty = diff_text(none, y, &ny, 0);
	ck_assert_int_eq(nx, ny);
	ck_assert_str_eq(tx, ty);
	ck_assert_int_eq(baseline_diff(x, y, NULL, NULL), 0);
	/* IPv4 first, and every port after its host line in order. */
	ck_assert_ptr_nonnull(strstr(tx, "+ host 0.0.0.0 up\n"));
	ck_assert(strstr(tx, "+ host 0.0.0.0 up") < strstr(tx, "2001:db8::"));
	{
		char *p = tx, *end;
		unsigned last = 0;

		while ((p = strstr(p, "+ 0.0.0.0 port ")) != NULL) {
			unsigned port = (unsigned)strtoul(p + 15, &end, 10);

			ck_assert_uint_gt(port, last);
			last = port;
			p = end;
		}
		ck_assert_uint_gt(last, 0);
	}
	free(tx);
	free(ty);
	free(e);
	baseline_free(x);
	baseline_free(y);
	baseline_free(none);
}
END_TEST

/* --- what answered (--banners) ----------------------------------------- */

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DEC12 1797033600	/* 2026-12-12T00:00:00Z */
#define MAR01 1803859200	/* 2027-03-01T00:00:00Z */

static void
answer(struct baseline *b, const char *addr, uint16_t port,
    const struct out_answer *a)
{
	int family;
	target_u128 x = ip(addr, &family);

	ck_assert_int_eq(baseline_set_answer(b, family, x, port, a), 0);
}

static const struct out_answer ssh92 = { "ssh", false, "OpenSSH", "9.2p1",
    NULL, 0, NULL };
static const struct out_answer nginx122_a = { "http", true, "nginx",
    "1.22.1", SHA_A, DEC12, "CN=www.example.com" };
static const struct out_answer nginx124_b = { "http", true, "nginx",
    "1.24.0", SHA_B, MAR01, "CN=www.example.com" };
static const struct out_answer nginx122 = { "http", false, "nginx",
    "1.22.1", NULL, 0, NULL };
static const struct out_answer simple = { "http", false, "SimpleHTTP",
    "0.6 Python/3.11.2", NULL, 0, NULL };
static const struct out_answer http_bare = { "http", false, NULL, NULL,
    NULL, 0, NULL };
static const struct out_answer nginx_noversion = { "http", false, "nginx",
    NULL, NULL, 0, NULL };
static const struct out_answer cert_only_b = { NULL, false, NULL, NULL,
    SHA_B, MAR01, "CN=b.example" };

/*
 * A port open in both runs: what both saw and saw differently is a
 * change, the service before the certificate; what one run did not learn
 * (no --banners, a grab that found nothing, a product or version not
 * sent) is none.
 */
START_TEST(diff_answers)
{
	static const char *const www[] = { "www.example.com" };
	struct baseline *old = baseline_new(1), *now = baseline_new(1);
	ssize_t n;
	char *text;

	add(old, "192.0.2.9", 22, www, 1);
	answer(old, "192.0.2.9", 22, &ssh92);
	add(old, "192.0.2.9", 443, www, 1);
	answer(old, "192.0.2.9", 443, &nginx122_a);
	add(old, "192.0.2.9", 8080, www, 1);
	answer(old, "192.0.2.9", 8080, &nginx122);
	add(old, "192.0.2.9", 8081, www, 1);
	answer(old, "192.0.2.9", 8081, &http_bare);
	add(old, "192.0.2.9", 8082, www, 1);
	answer(old, "192.0.2.9", 8082, &nginx122);
	add(old, "192.0.2.9", 8083, www, 1);
	answer(old, "192.0.2.9", 8083, &nginx122_a);
	add(old, "2001:db8::1", 22, NULL, 0);
	answer(old, "2001:db8::1", 22, &ssh92);

	add(now, "192.0.2.9", 22, www, 1);
	answer(now, "192.0.2.9", 22, &ssh92);		/* the same */
	add(now, "192.0.2.9", 443, www, 1);
	answer(now, "192.0.2.9", 443, &nginx124_b);	/* both changed */
	add(now, "192.0.2.9", 8080, www, 1);
	answer(now, "192.0.2.9", 8080, &simple);	/* another product */
	add(now, "192.0.2.9", 8081, www, 1);
	answer(now, "192.0.2.9", 8081, &nginx122);	/* learned: no news */
	add(now, "192.0.2.9", 8082, www, 1);
	answer(now, "192.0.2.9", 8082, &nginx_noversion); /* not sent */
	add(now, "192.0.2.9", 8083, www, 1);		/* nothing learned */
	add(now, "192.0.2.9", 9000, www, 1);
	answer(now, "192.0.2.9", 9000, &nginx124_b);	/* just opened */
	add(now, "2001:db8::1", 22, NULL, 0);
	answer(now, "2001:db8::1", 22, &nginx122);	/* ssh to http */

	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text,
	    "~ 192.0.2.9 (www.example.com) port 443/tcp service nginx 1.22.1 "
	    "-> nginx 1.24.0\n"
	    "~ 192.0.2.9 (www.example.com) port 443/tcp certificate replaced "
	    "(not after 2026-12-12 -> 2027-03-01)\n"
	    "~ 192.0.2.9 (www.example.com) port 8080/tcp service nginx "
	    "1.22.1 -> SimpleHTTP 0.6 Python/3.11.2\n"
	    "+ 192.0.2.9 (www.example.com) port 9000/tcp open\n"
	    "~ 2001:db8::1 port 22/tcp service ssh OpenSSH 9.2p1 -> http "
	    "nginx 1.22.1\n");
	ck_assert_int_eq(n, 5);
	free(text);

	text = diff_text(old, now, &n, 1);
	ck_assert_str_eq(text,
	    "{\"change\":\"service-changed\",\"ip\":\"192.0.2.9\","
	    "\"port\":443,\"proto\":\"tcp\",\"names\":[\"www.example.com\"],"
	    "\"was\":{\"service\":\"http\",\"tunnel\":\"ssl\","
	    "\"product\":\"nginx\",\"version\":\"1.22.1\"},"
	    "\"now\":{\"service\":\"http\",\"tunnel\":\"ssl\","
	    "\"product\":\"nginx\",\"version\":\"1.24.0\"}}\n"
	    "{\"change\":\"cert-changed\",\"ip\":\"192.0.2.9\","
	    "\"port\":443,\"proto\":\"tcp\",\"names\":[\"www.example.com\"],"
	    "\"was\":{\"sha256\":\"" SHA_A "\","
	    "\"not_after\":\"2026-12-12T00:00:00Z\","
	    "\"subject\":\"CN=www.example.com\"},"
	    "\"now\":{\"sha256\":\"" SHA_B "\","
	    "\"not_after\":\"2027-03-01T00:00:00Z\","
	    "\"subject\":\"CN=www.example.com\"}}\n"
	    "{\"change\":\"service-changed\",\"ip\":\"192.0.2.9\","
	    "\"port\":8080,\"proto\":\"tcp\",\"names\":[\"www.example.com\"],"
	    "\"was\":{\"service\":\"http\",\"product\":\"nginx\","
	    "\"version\":\"1.22.1\"},\"now\":{\"service\":\"http\","
	    "\"product\":\"SimpleHTTP\",\"version\":\"0.6 Python/3.11.2\"}}\n"
	    "{\"change\":\"port-opened\",\"ip\":\"192.0.2.9\",\"port\":9000,"
	    "\"proto\":\"tcp\",\"names\":[\"www.example.com\"]}\n"
	    "{\"change\":\"service-changed\",\"ip\":\"2001:db8::1\","
	    "\"port\":22,\"proto\":\"tcp\",\"was\":{\"service\":\"ssh\","
	    "\"product\":\"OpenSSH\",\"version\":\"9.2p1\"},"
	    "\"now\":{\"service\":\"http\",\"product\":\"nginx\","
	    "\"version\":\"1.22.1\"}}\n");
	free(text);

	/* Backwards: the same ports change, the sides swapped. */
	text = diff_text(now, old, &n, 0);
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(text, "port 443/tcp certificate replaced "
	    "(not after 2027-03-01 -> 2026-12-12)\n"));
	free(text);
	ck_assert_int_eq(baseline_diff(now, now, NULL, NULL), 0);
	baseline_free(old);
	baseline_free(now);
}
END_TEST

/* Only the tunnel changed: the service names say so. */
START_TEST(diff_tunnel)
{
	struct baseline *old = baseline_new(1), *now = baseline_new(1);
	struct out_answer plain = nginx122_a;
	ssize_t n;
	char *text;

	plain.tunnel_ssl = false;
	add(old, "192.0.2.9", 443, NULL, 0);
	answer(old, "192.0.2.9", 443, &plain);
	add(now, "192.0.2.9", 443, NULL, 0);
	answer(now, "192.0.2.9", 443, &nginx122_a);
	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text, "~ 192.0.2.9 port 443/tcp service http nginx "
	    "1.22.1 -> ssl/http nginx 1.22.1\n");
	free(text);
	baseline_free(old);
	baseline_free(now);
}
END_TEST

/*
 * A run that learned nothing on a port keeps what the last one learned;
 * what it learned itself stays; a port no longer open takes nothing.
 */
START_TEST(carry_over)
{
	struct baseline *old = baseline_new(7), *now = baseline_new(7);
	char path[128], err[256], *text;
	ssize_t n;

	add(old, "192.0.2.9", 22, NULL, 0);
	answer(old, "192.0.2.9", 22, &ssh92);
	add(old, "192.0.2.9", 443, NULL, 0);
	answer(old, "192.0.2.9", 443, &nginx122_a);
	add(old, "192.0.2.9", 8443, NULL, 0);
	answer(old, "192.0.2.9", 8443, &nginx122_a);
	add(old, "192.0.2.10", 80, NULL, 0);
	answer(old, "192.0.2.10", 80, &nginx122);

	add(now, "192.0.2.9", 22, NULL, 0);
	add(now, "192.0.2.9", 443, NULL, 0);
	add(now, "192.0.2.9", 8443, NULL, 0);
	answer(now, "192.0.2.9", 8443, &cert_only_b);
	ck_assert_int_eq(baseline_diff(old, now, NULL, NULL), 3);
	ck_assert_int_eq(baseline_carry(now, old), 0);
	/* Carried: no news, now or when compared with the old again. */
	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text,
	    "~ 192.0.2.9 port 8443/tcp certificate replaced (not after "
	    "2026-12-12 -> 2027-03-01)\n"
	    "- host 192.0.2.10 down\n"
	    "- 192.0.2.10 port 80/tcp no longer open\n");
	free(text);

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	ck_assert_int_eq(baseline_save(now, path, err, sizeof(err)), 0);
	text = read_file(path);
	ck_assert_str_eq(text,
	    "trawl-baseline 1\n"
	    "fingerprint 0000000000000007\n"
	    "open 192.0.2.9 22\n"
	    "service 192.0.2.9 22 ssh\n"
	    "product 192.0.2.9 22 OpenSSH\n"
	    "version 192.0.2.9 22 9.2p1\n"
	    "open 192.0.2.9 443\n"
	    "service 192.0.2.9 443 http ssl\n"
	    "product 192.0.2.9 443 nginx\n"
	    "version 192.0.2.9 443 1.22.1\n"
	    "cert 192.0.2.9 443 " SHA_A " 1797033600\n"
	    "subject 192.0.2.9 443 CN=www.example.com\n"
	    "open 192.0.2.9 8443\n"
	    "service 192.0.2.9 8443 http ssl\n"
	    "product 192.0.2.9 8443 nginx\n"
	    "version 192.0.2.9 8443 1.22.1\n"
	    "cert 192.0.2.9 8443 " SHA_B " 1803859200\n"
	    "subject 192.0.2.9 8443 CN=b.example\n"
	    "end\n");
	free(text);
	baseline_free(old);
	baseline_free(now);
	remove_dir();
}
END_TEST

/* The certificates within the window, the expired ones too, in order. */
START_TEST(expiring)
{
	static const char *const www[] = { "www.example.com" };
	struct baseline *b = baseline_new(1);
	struct out_answer a = nginx122_a, unknown = nginx122_a;
	time_t t = DEC12 - 4 * 86400 - 3600;	/* 4 days 1 hour before */
	struct sink s;
	ssize_t n;
	char *text;

	unknown.not_after = 0;
	add(b, "2001:db8::1", 443, NULL, 0);
	answer(b, "2001:db8::1", 443, &nginx122_a);	/* 4 days left */
	add(b, "192.0.2.9", 443, www, 1);
	a.not_after = t + 7 * 86400;			/* on the edge */
	answer(b, "192.0.2.9", 443, &a);
	add(b, "192.0.2.9", 444, www, 1);
	a.not_after = t + 7 * 86400 + 1;		/* just outside */
	answer(b, "192.0.2.9", 444, &a);
	add(b, "192.0.2.9", 445, www, 1);
	a.not_after = t - 86400 - 1;			/* expired */
	a.subject = NULL;
	answer(b, "192.0.2.9", 445, &a);
	add(b, "192.0.2.9", 446, www, 1);
	answer(b, "192.0.2.9", 446, &unknown);		/* expiry unknown */
	add(b, "192.0.2.9", 22, www, 1);
	answer(b, "192.0.2.9", 22, &ssh92);		/* no certificate */

	sink_open(&s, 0);
	n = baseline_expiring(b, t, 7, on_change, &s);
	text = sink_close(&s);
	ck_assert_str_eq(text,
	    "! 192.0.2.9 (www.example.com) port 443/tcp certificate expires "
	    "in 7 days (not after 2026-12-14, CN=www.example.com)\n"
	    "! 192.0.2.9 (www.example.com) port 445/tcp certificate expired "
	    "2 days ago (not after 2026-12-06)\n"
	    "! 2001:db8::1 port 443/tcp certificate expires in 4 days (not "
	    "after 2026-12-12, CN=www.example.com)\n");
	ck_assert_int_eq(n, 3);
	free(text);

	sink_open(&s, 1);
	n = baseline_expiring(b, t, 1, on_change, &s);
	text = sink_close(&s);
	ck_assert_str_eq(text,
	    "{\"change\":\"cert-expiring\",\"ip\":\"192.0.2.9\",\"port\":445,"
	    "\"proto\":\"tcp\",\"names\":[\"www.example.com\"],"
	    "\"days_left\":-2,\"sha256\":\"" SHA_A "\","
	    "\"not_after\":\"2026-12-06T22:59:59Z\"}\n");
	ck_assert_int_eq(n, 1);
	free(text);
	ck_assert_int_eq(baseline_expiring(b, t, 36500, NULL, NULL), 4);
	baseline_free(b);
}
END_TEST

START_TEST(answer_errors)
{
	struct baseline *b = baseline_new(1);
	struct out_answer a = nginx122_a;
	char *big = malloc(BASELINE_NAME_MAX + 2);

	ck_assert_ptr_nonnull(big);
	add(b, "192.0.2.9", 443, NULL, 0);
	errno = 0;
	ck_assert_int_eq(baseline_set_answer(b, AF_INET, 1, 443, &a), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(baseline_set_answer(b, AF_INET6, 0xc0000209, 443,
	    &a), -1);
	ck_assert_int_eq(errno, ENOENT);
	a.sha256 = "ABCDEF";
	ck_assert_int_eq(baseline_set_answer(b, AF_INET, 0xc0000209, 443,
	    &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	a.sha256 = SHA_A;
	memset(big, 'x', BASELINE_NAME_MAX + 1);
	big[BASELINE_NAME_MAX + 1] = '\0';
	a.product = big;
	ck_assert_int_eq(baseline_set_answer(b, AF_INET, 0xc0000209, 443,
	    &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Empty strings are none: nothing known, nothing kept. */
	a = (struct out_answer){ "", false, "", "", "", 0, "" };
	ck_assert_int_eq(baseline_set_answer(b, AF_INET, 0xc0000209, 443,
	    &a), 0);
	free(big);
	baseline_free(b);
}
END_TEST

/* --- the file ----------------------------------------------------------- */

START_TEST(save_format)
{
	static const char *const names[] = { "www.example.com", "a b\\c" };
	struct baseline *b = baseline_new(0x9a3c5e0d12ab34cdULL);
	char path[128], err[256], *text;

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	add(b, "2001:db8::1", 80, NULL, 0);
	add(b, "192.0.2.7", 443, names, 2);
	add(b, "192.0.2.7", 22, names, 2);
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	text = read_file(path);
	ck_assert_str_eq(text,
	    "trawl-baseline 1\n"
	    "fingerprint 9a3c5e0d12ab34cd\n"
	    "open 192.0.2.7 22\n"
	    "open 192.0.2.7 443\n"
	    "name 192.0.2.7 a\\x20b\\x5cc\n"
	    "name 192.0.2.7 www.example.com\n"
	    "open 2001:db8::1 80\n"
	    "end\n");
	free(text);
	baseline_free(b);
	remove_dir();
}
END_TEST

START_TEST(round_trip)
{
	char *longest = malloc(BASELINE_NAME_MAX + 1);
	const char *names[] = {
		"www.example.com", "with space", "back\\slash", "\\x41",
		"tab\there", "nl\nhere", "\x01\x7f\x80\xfe\xff", "caf\xc3\xa9",
		"#hash", "end", longest,
	};
	const size_t nn = sizeof(names) / sizeof(names[0]);
	struct baseline *b = baseline_new(42), *l = NULL, *e = baseline_new(0);
	char path[128], err[256], *t1, *t2;
	ssize_t n1, n2;

	ck_assert_ptr_nonnull(longest);
	memset(longest, '\xff', BASELINE_NAME_MAX);
	longest[BASELINE_NAME_MAX] = '\0';
	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	add(b, "192.0.2.1", 80, names, nn);
	add(b, "192.0.2.1", 65535, names, nn);
	add(b, "0.0.0.0", 1, NULL, 0);
	add(b, "255.255.255.255", 9, names + 3, 1);
	add(b, "::", 2, NULL, 0);
	add(b, "::ffff:192.0.2.1", 3, names, 2);
	add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 4, names + 5, 3);
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), 1);
	ck_assert_uint_eq(baseline_fingerprint(l), 42);
	ck_assert_uint_eq(baseline_hosts(l), baseline_hosts(b));
	ck_assert_uint_eq(baseline_ports(l), baseline_ports(b));
	ck_assert_int_eq(baseline_diff(b, l, NULL, NULL), 0);
	/* Names too: everything reported from either reads the same. */
	t1 = diff_text(e, b, &n1, 1);
	t2 = diff_text(e, l, &n2, 1);
	ck_assert_int_eq(n1, n2);
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	t1 = diff_text(e, b, &n1, 0);
	t2 = diff_text(e, l, &n2, 0);
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);

	/* And a loaded baseline saves to the same bytes. */
	{
		char path2[160], *f1, *f2;

		snprintf(path2, sizeof(path2), "%s/again", dir);
		ck_assert_int_eq(baseline_save(l, path2, err, sizeof(err)), 0);
		f1 = read_file(path);
		f2 = read_file(path2);
		ck_assert_str_eq(f1, f2);
		free(f1);
		free(f2);
	}
	free(longest);
	baseline_free(b);
	baseline_free(l);
	baseline_free(e);
	remove_dir();
}
END_TEST

/*
 * What answered, saved and read back: the same file again, the same
 * changes against a third run; hostile text escaped to one word.
 */
START_TEST(answers_round_trip)
{
	static const struct out_answer odd = { "x y\\z", true,
	    "pro duct\x1b[31m", "v\xff 1", SHA_B, -86400, "CN=a b,O=\\" };
	struct baseline *b = baseline_new(3), *l = NULL, *other =
	    baseline_new(3);
	char path[128], path2[160], err[256], *f1, *f2, *t1, *t2;
	ssize_t n1, n2;

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	snprintf(path2, sizeof(path2), "%s/again", dir);
	add(b, "192.0.2.9", 443, NULL, 0);
	answer(b, "192.0.2.9", 443, &nginx122_a);
	add(b, "192.0.2.9", 444, NULL, 0);
	answer(b, "192.0.2.9", 444, &odd);
	add(b, "192.0.2.9", 445, NULL, 0);
	answer(b, "192.0.2.9", 445, &cert_only_b);
	add(b, "192.0.2.9", 446, NULL, 0);
	answer(b, "192.0.2.9", 446, &http_bare);
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	f1 = read_file(path);
	ck_assert_ptr_nonnull(strstr(f1,
	    "open 192.0.2.9 444\n"
	    "service 192.0.2.9 444 x\\x20y\\x5cz ssl\n"
	    "product 192.0.2.9 444 pro\\x20duct\\x1b[31m\n"
	    "version 192.0.2.9 444 v\\xff\\x201\n"
	    "cert 192.0.2.9 444 " SHA_B " -86400\n"
	    "subject 192.0.2.9 444 CN=a\\x20b,O=\\x5c\n"
	    "open 192.0.2.9 445\n"
	    "cert 192.0.2.9 445 " SHA_B " 1803859200\n"
	    "subject 192.0.2.9 445 CN=b.example\n"
	    "open 192.0.2.9 446\n"
	    "service 192.0.2.9 446 http\n"
	    "end\n"));
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), 1);
	ck_assert_int_eq(baseline_save(l, path2, err, sizeof(err)), 0);
	f2 = read_file(path2);
	ck_assert_str_eq(f1, f2);
	ck_assert_int_eq(baseline_diff(b, l, NULL, NULL), 0);
	/* Against a run that saw otherwise, both tell the same. */
	for (uint16_t p = 443; p <= 446; p++) {
		add(other, "192.0.2.9", p, NULL, 0);
		answer(other, "192.0.2.9", p, &ssh92);
	}
	answer(other, "192.0.2.9", 444, &nginx122_a);
	t1 = diff_text(b, other, &n1, 1);
	t2 = diff_text(l, other, &n2, 1);
	ck_assert_str_eq(t1, t2);
	ck_assert_int_eq(n1, 4);
	ck_assert_int_eq(n1, n2);
	free(t1);
	free(t2);
	free(f1);
	free(f2);
	baseline_free(b);
	baseline_free(l);
	baseline_free(other);
	remove_dir();
}
END_TEST

/*
 * A file from before what answered was kept loads, and against a run that
 * saw what answered it tells the ports alone.
 */
START_TEST(old_format_loads)
{
	static const char before[] = "trawl-baseline 1\n"
	    "fingerprint 9a3c5e0d12ab34cd\n"
	    "open 192.0.2.7 22\n"
	    "open 192.0.2.7 443\n"
	    "name 192.0.2.7 www.example.com\n"
	    "open 2001:db8::1 80\n"
	    "end\n";
	static const char *const www[] = { "www.example.com" };
	struct baseline *old = NULL, *now = baseline_new(0x9a3c5e0d12ab34cdULL);
	char err[256] = "", *text;
	ssize_t n;

	ck_assert_msg(baseline_parse_buf(before, sizeof(before) - 1, "before",
	    &old, err, sizeof(err)) == 0, "refused: %s", err);
	ck_assert_uint_eq(baseline_ports(old), 3);
	add(now, "192.0.2.7", 22, www, 1);
	answer(now, "192.0.2.7", 22, &ssh92);
	add(now, "192.0.2.7", 443, www, 1);
	answer(now, "192.0.2.7", 443, &nginx124_b);
	add(now, "192.0.2.7", 8443, www, 1);
	answer(now, "192.0.2.7", 8443, &nginx124_b);
	text = diff_text(old, now, &n, 0);
	ck_assert_str_eq(text,
	    "+ 192.0.2.7 (www.example.com) port 8443/tcp open\n"
	    "- host 2001:db8::1 down\n"
	    "- 2001:db8::1 port 80/tcp no longer open\n");
	free(text);
	ck_assert_int_eq(baseline_carry(now, old), 0);
	ck_assert_int_eq(baseline_diff(old, now, NULL, NULL), 3);
	baseline_free(old);
	baseline_free(now);
}
END_TEST

START_TEST(atomic_replace)
{
	struct baseline *b = baseline_new(1), *l = NULL;
	char path[128], err[256], *ls;
	struct stat st;

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	add(b, "192.0.2.1", 80, NULL, 0);
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	ls = list_dir();
	ck_assert_str_eq(ls, "base");
	free(ls);

	/* Replacing keeps the mode the user gave the file. */
	ck_assert_int_eq(chmod(path, 0640), 0);
	add(b, "192.0.2.2", 80, NULL, 0);
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	ls = list_dir();
	ck_assert_str_eq(ls, "base");
	free(ls);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), 1);
	ck_assert_uint_eq(baseline_ports(l), 2);
	baseline_free(l);

	/* A file in a directory that is not there: an error, nothing made. */
	{
		char bad[160];

		snprintf(bad, sizeof(bad), "%s/missing/base", dir);
		ck_assert_int_eq(baseline_save(b, bad, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, bad));
		ls = list_dir();
		ck_assert_str_eq(ls, "base");
		free(ls);
	}
	/* A bare file name lands in the current directory. */
	{
		char cwd[4096];

		ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
		ck_assert_int_eq(chdir(dir), 0);
		ck_assert_int_eq(baseline_save(b, "other", err, sizeof(err)),
		    0);
		ck_assert_int_eq(chdir(cwd), 0);
		ls = list_dir();
		ck_assert_str_eq(ls, "base,other");
		free(ls);
	}
	baseline_free(b);
	remove_dir();
}
END_TEST

START_TEST(missing_file)
{
	struct baseline *l = NULL;
	char err[256] = "";

	ck_assert_int_eq(baseline_load("/nonexistent/trawl-baseline", &l, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(l);
	ck_assert_str_eq(err, "");
	/* Not readable as a file at all: an error, not "missing". */
	ck_assert_int_eq(baseline_load("/", &l, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read '/'"));
}
END_TEST

#define HEAD "trawl-baseline 1\nfingerprint 0123456789abcdef\n"

struct bad_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *want;	/* after "FILE:" */
};

static const struct bad_case bads[] = {
	{ "", 0, "1: bad baseline file: empty file" },
	{ "hello\n", 0, "1: bad baseline file: not a trawl baseline file" },
	{ "\n", 0, "1: bad baseline file: not a trawl baseline file" },
	{ "trawl-resume 1\n", 0,
	    "1: bad baseline file: not a trawl baseline file" },
	{ "trawl-baseline 2\n", 0,
	    "1: bad baseline file: unsupported version (this trawl reads 1)" },
	{ "trawl-baseline\n", 0,
	    "1: bad baseline file: unsupported version (this trawl reads 1)" },
	{ "trawl-baseline 1\n", 0,
	    "1: bad baseline file: truncated (no 'end' line)" },
	{ "trawl-baseline 1\nfingerprint zz\n", 0,
	    "2: bad baseline file: bad fingerprint" },
	{ "trawl-baseline 1\nfingerprint 0123456789abcdef0\n", 0,
	    "2: bad baseline file: bad fingerprint" },
	{ "trawl-baseline 1\nfingerprint\n", 0,
	    "2: bad baseline file: no fingerprint" },
	{ "trawl-baseline 1\nopen 192.0.2.1 80\nend\n", 0,
	    "2: bad baseline file: no fingerprint" },
	{ HEAD, 0, "2: bad baseline file: truncated (no 'end' line)" },
	{ HEAD "open 192.0.2.1 80\n", 0,
	    "3: bad baseline file: truncated (no 'end' line)" },
	{ HEAD "open 192.0.2.1 80\nen", 0,
	    "4: bad baseline file: unknown line" },
	{ HEAD "open 192.0.2.1 0\nend\n", 0, "3: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.1 65536\nend\n", 0,
	    "3: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.1 +80\nend\n", 0,
	    "3: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.1 http\nend\n", 0,
	    "3: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.300 80\nend\n", 0,
	    "3: bad baseline file: bad address" },
	{ HEAD "open www.example.com 80\nend\n", 0,
	    "3: bad baseline file: bad address" },
	{ HEAD "open 2001:db8::g 80\nend\n", 0,
	    "3: bad baseline file: bad address" },
	{ HEAD "open 192.0.2.1\nend\n", 0,
	    "3: bad baseline file: 'open' wants an address and a port" },
	{ HEAD "open 192.0.2.1 80 x\nend\n", 0,
	    "3: bad baseline file: too many words" },
	{ HEAD "name 192.0.2.1 x\nend\n", 0,
	    "3: bad baseline file: name of an address with no open port "
	    "before it" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.1\nend\n", 0,
	    "4: bad baseline file: 'name' wants an address and a name" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.1 a\\x0\nend\n", 0,
	    "4: bad baseline file: bad name" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.1 a\\x00b\nend\n", 0,
	    "4: bad baseline file: bad name" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.1 a\\q\nend\n", 0,
	    "4: bad baseline file: bad name" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.1 a\\\nend\n", 0,
	    "4: bad baseline file: bad name" },
	{ HEAD "open 192.0.2.1 80\nname 192.0.2.2 a\nend\n", 0,
	    "4: bad baseline file: name of an address with no open port "
	    "before it" },
	{ HEAD "bogus\nend\n", 0, "3: bad baseline file: unknown line" },
	{ HEAD "end now\n", 0, "3: bad baseline file: unknown line" },
	{ HEAD "end\n\n", 0, "4: bad baseline file: text after 'end'" },
	{ HEAD "end\nopen 192.0.2.1 80\n", 0,
	    "4: bad baseline file: text after 'end'" },
	{ HEAD "open 192.0.2.1 80\r\r\nend\n", 0,
	    "3: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.1\r80\nend\n", 0,
	    "3: bad baseline file: 'open' wants an address and a port" },
	{ HEAD "open 192.0.2.1\0 80\nend\n", sizeof(HEAD) + 22,
	    "3: bad baseline file: NUL byte" },
	{ HEAD "service 192.0.2.1 80 http\nend\n", 0,
	    "3: bad baseline file: what answered on a port not open before "
	    "it" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 81 http\nend\n", 0,
	    "4: bad baseline file: what answered on a port not open before "
	    "it" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 80\nend\n", 0,
	    "4: bad baseline file: 'service' wants an address, a port, a name "
	    "and maybe 'ssl'" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 80 http tls\nend\n", 0,
	    "4: bad baseline file: 'service' wants 'ssl' or nothing after the "
	    "name" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 80 http ssl x\nend\n",
	    0, "4: bad baseline file: too many words" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 80 a\\x00\nend\n", 0,
	    "4: bad baseline file: bad text" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 0 http\nend\n", 0,
	    "4: bad baseline file: bad port" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2 80 http\nend\n", 0,
	    "4: bad baseline file: bad address" },
	{ HEAD "open 192.0.2.1 80\nproduct 192.0.2.1 80 nginx\nend\n", 0,
	    "4: bad baseline file: product or version with no 'service' "
	    "before it" },
	{ HEAD "open 192.0.2.1 80\nversion 192.0.2.1 80 1.0\nend\n", 0,
	    "4: bad baseline file: product or version with no 'service' "
	    "before it" },
	{ HEAD "open 192.0.2.1 80\nservice 192.0.2.1 80 http\n"
	    "product 192.0.2.1 80\nend\n", 0,
	    "5: bad baseline file: what answered wants an address, a port "
	    "and one word" },
	{ HEAD "open 192.0.2.1 80\nsubject 192.0.2.1 80 CN=x\nend\n", 0,
	    "4: bad baseline file: subject with no 'cert' before it" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A "\nend\n", 0,
	    "4: bad baseline file: 'cert' wants an address, a port, a "
	    "SHA-256 and a time" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A "0 1\nend\n", 0,
	    "4: bad baseline file: bad SHA-256" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1"
	    "\nend\n", 0, "4: bad baseline file: bad SHA-256" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A " +1\nend\n", 0,
	    "4: bad baseline file: bad time" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A " --1\nend\n",
	    0, "4: bad baseline file: bad time" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A
	    " 9223372036854775808\nend\n", 0, "4: bad baseline file: bad time" },
	{ HEAD "open 192.0.2.1 80\ncert 192.0.2.1 80 " SHA_A " -\nend\n", 0,
	    "4: bad baseline file: bad time" },
	{ HEAD "name 192.0.2.1 a b\nend\n", 0,
	    "3: bad baseline file: too many words" },
};

START_TEST(malformed)
{
	const struct bad_case *c = &bads[_i];
	struct baseline *l = NULL;
	char path[128], err[512], want[512];

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	write_file(path, c->text, c->len ? c->len : strlen(c->text));
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), -1);
	ck_assert_ptr_null(l);
	snprintf(want, sizeof(want), "%s:%s", path, c->want);
	ck_assert_str_eq(err, want);
	remove_dir();
}
END_TEST

/*
 * What an editor does to a file: CRLF line ends, blank lines.  It reads
 * as it was written; a CR anywhere else is still refused (above).
 */
START_TEST(edited_by_hand)
{
	static const char clean[] = HEAD "open 192.0.2.1 80\n"
	    "name 192.0.2.1 a.example\nopen 2001:db8::1 443\nend\n";
	static const char edited[] = "\r\ntrawl-baseline 1\r\n"
	    "fingerprint 0123456789abcdef\r\n\r\n\topen 192.0.2.1 80 \r\n"
	    "\n  \nname 192.0.2.1 a.example\r\nopen 2001:db8::1 443\r\nend";
	struct baseline *a = NULL, *b = NULL;
	char err[256] = "";

	ck_assert_msg(baseline_parse_buf(clean, sizeof(clean) - 1, "clean",
	    &a, err, sizeof(err)) == 0, "refused: %s", err);
	ck_assert_msg(baseline_parse_buf(edited, sizeof(edited) - 1, "edited",
	    &b, err, sizeof(err)) == 0, "refused: %s", err);
	ck_assert_uint_eq(baseline_fingerprint(b), 0x0123456789abcdefULL);
	ck_assert_uint_eq(baseline_ports(b), 2);
	ck_assert_int_eq(baseline_diff(a, b, NULL, NULL), 0);
	{
		struct baseline *e = baseline_new(0);
		ssize_t n1, n2;
		char *t1 = diff_text(e, a, &n1, 0), *t2 = diff_text(e, b,
		    &n2, 0);

		ck_assert_str_eq(t1, t2);
		free(t1);
		free(t2);
		baseline_free(e);
	}
	baseline_free(a);
	baseline_free(b);
}
END_TEST

START_TEST(long_lines)
{
	size_t big = 3 * 1024 * 1024;
	char *text = malloc(big + 256);
	struct baseline *l = NULL;
	char path[128], err[512], want[512];
	size_t n;

	ck_assert_ptr_nonnull(text);
	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);

	/* A name line too long, after lines that are fine. */
	n = (size_t)sprintf(text, HEAD "open 192.0.2.1 80\nname 192.0.2.1 ");
	memset(text + n, 'a', 10000);
	n += 10000;
	n += (size_t)sprintf(text + n, "\nend\n");
	write_file(path, text, n);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: bad baseline file: line too long",
	    path);
	ck_assert_str_eq(err, want);

	/* The longest name that may be, escaped all through, is fine. */
	n = (size_t)sprintf(text, HEAD "open 192.0.2.1 80\nname 192.0.2.1 ");
	for (size_t i = 0; i < BASELINE_NAME_MAX; i++)
		n += (size_t)sprintf(text + n, "\\x01");
	n += (size_t)sprintf(text + n, "\nend\n");
	write_file(path, text, n);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), 1);
	baseline_free(l);
	l = NULL;
	/* One more byte is not. */
	n = (size_t)sprintf(text, HEAD "open 192.0.2.1 80\nname 192.0.2.1 ");
	memset(text + n, 'b', BASELINE_NAME_MAX + 1);
	n += BASELINE_NAME_MAX + 1;
	n += (size_t)sprintf(text + n, "\nend\n");
	write_file(path, text, n);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: bad baseline file: bad name",
	    path);
	ck_assert_str_eq(err, want);

	/* Megabytes without a newline: refused, not swallowed. */
	memset(text, 'x', big);
	write_file(path, text, big);
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: bad baseline file: line too long",
	    path);
	ck_assert_str_eq(err, want);
	free(text);
	remove_dir();
}
END_TEST

/* Damaged copies of a good file: loaded or refused, never a crash. */
START_TEST(garbage)
{
	static const char *const names[] = { "a.example", "b\\x20" };
	struct baseline *b = baseline_new(7);
	char path[128], err[512], *good;
	size_t len;

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	for (unsigned i = 1; i <= 40; i++) {
		add(b, "192.0.2.1", (uint16_t)i, names, 2);
		add(b, "2001:db8::9", (uint16_t)i, names + 1, 1);
	}
	ck_assert_int_eq(baseline_save(b, path, err, sizeof(err)), 0);
	good = read_file(path);
	len = strlen(good);
	for (int round = 0; round < 2000; round++) {
		char *t = malloc(len + 1);
		struct baseline *l = NULL;
		size_t tlen = len;
		int flips = (int)(next_rand() % 8) + 1, rc;

		memcpy(t, good, len);
		for (int k = 0; k < flips; k++)
			t[next_rand() % len] = (char)next_rand();
		if (round % 3 == 0)
			tlen = next_rand() % len;
		write_file(path, t, tlen);
		rc = baseline_load(path, &l, err, sizeof(err));
		ck_assert(rc == 1 || rc == -1);
		if (rc == 1)
			baseline_free(l);
		else
			ck_assert_ptr_nonnull(strstr(err, path));
		free(t);
	}
	/* Random bytes from the start. */
	for (int round = 0; round < 200; round++) {
		char t[4096];
		struct baseline *l = NULL;

		for (size_t k = 0; k < sizeof(t); k++)
			t[k] = (char)next_rand();
		write_file(path, t, sizeof(t));
		ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)),
		    -1);
	}
	free(good);
	baseline_free(b);
	remove_dir();
}
END_TEST

/* --- scale -------------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A million open ports: a /14 sweep with four ports a host and a name on
 * every tenth.  Built, compared, saved and loaded within seconds (the
 * bound is loose for sanitizer builds; the time is printed).
 */
START_TEST(million)
{
	enum { HOSTS = 250000, PORTS = 4 };
	static const uint16_t ports[PORTS] = { 22, 80, 443, 8080 };
	struct baseline *old = baseline_new(1), *now = baseline_new(1);
	struct baseline *l = NULL;
	char path[128], err[256], name[64];
	const char *names[1] = { name };
	double t0 = now_s(), t1, t2, t3, t4;
	ssize_t n;

	make_dir();
	snprintf(path, sizeof(path), "%s/base", dir);
	for (uint32_t h = 0; h < HOSTS; h++) {
		target_u128 a = 0x0a000000u + h;

		snprintf(name, sizeof(name), "host-%u.example.com", h);
		/*
		 * Plain tests in the loop: every ck_assert() leaves a mark
		 * for Check through a system call, which would be what is
		 * timed.
		 */
		for (int p = 0; p < PORTS; p++) {
			if (baseline_add(old, AF_INET, a, ports[p], names,
			    h % 10 == 0) != 0)
				ck_abort_msg("add: %s", strerror(errno));
			/* Now: one host in 1000 gone, port 8080 closed. */
			if (h % 1000 != 0 && ports[p] != 8080 &&
			    baseline_add(now, AF_INET, a, ports[p], names,
			    h % 10 == 0) != 0)
				ck_abort_msg("add: %s", strerror(errno));
		}
	}
	ck_assert_uint_eq(baseline_ports(old), HOSTS * PORTS);
	t1 = now_s();
	n = baseline_diff(old, now, NULL, NULL);
	/* 250 hosts down (host + 4 ports), 249750 ports 8080 closed. */
	ck_assert_int_eq(n, 250 * 5 + (HOSTS - 250));
	t2 = now_s();
	ck_assert_int_eq(baseline_save(old, path, err, sizeof(err)), 0);
	t3 = now_s();
	ck_assert_int_eq(baseline_load(path, &l, err, sizeof(err)), 1);
	t4 = now_s();
	ck_assert_int_eq(baseline_diff(old, l, NULL, NULL), 0);
	fprintf(stderr, "million: add %.2f s, diff %.2f s, save %.2f s, load "
	    "%.2f s, total %.2f s\n", t1 - t0, t2 - t1, t3 - t2, t4 - t3,
	    now_s() - t0);
	ck_assert_msg(now_s() - t0 < 60, "a million ports took %.1f s",
	    now_s() - t0);
	baseline_free(old);
	baseline_free(now);
	baseline_free(l);
	remove_dir();
}
END_TEST

static Suite *
baseline_suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *cmp = tcase_create("compare");
	TCase *file = tcase_create("file");
	TCase *scale = tcase_create("scale");

	tcase_add_test(cmp, diff_all_kinds);
	tcase_add_test(cmp, diff_names_fall_back);
	tcase_add_test(cmp, empty_sides);
	tcase_add_test(cmp, repeats_and_errors);
	tcase_add_test(cmp, escaping_in_reports);
	tcase_add_test(cmp, order_is_deterministic);
	tcase_add_test(cmp, diff_answers);
	tcase_add_test(cmp, diff_tunnel);
	tcase_add_test(cmp, carry_over);
	tcase_add_test(cmp, expiring);
	tcase_add_test(cmp, answer_errors);
	suite_add_tcase(s, cmp);
	tcase_add_test(file, save_format);
	tcase_add_test(file, round_trip);
	tcase_add_test(file, answers_round_trip);
	tcase_add_test(file, old_format_loads);
	tcase_add_test(file, atomic_replace);
	tcase_add_test(file, missing_file);
	tcase_add_loop_test(file, malformed, 0,
	    (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(file, edited_by_hand);
	tcase_add_test(file, long_lines);
	tcase_add_test(file, garbage);
	tcase_set_timeout(file, 60);
	suite_add_tcase(s, file);
	tcase_add_test(scale, million);
	tcase_set_timeout(scale, 110);
	suite_add_tcase(s, scale);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(baseline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
