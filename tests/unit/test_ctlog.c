/*
 * crt.sh's JSON as it comes, as it breaks, and as an attacker could write
 * it; the request URL; and the fetch against a one-connection HTTP server
 * on loopback (port 0, read back), for the status and error messages.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/ctlog.h"
#include "trawl/names.h"

/* Collects raw names, as text joined by '|', and counts them. */
struct got {
	char text[4096];
	size_t n;
	size_t maxlen;
	int fail_after;		/* > 0: fail with ENOMEM on that name */
};

static int
on_name(void *arg, const char *name, size_t len)
{
	struct got *g = arg;
	size_t used = strlen(g->text);

	g->n++;
	if (len > g->maxlen)
		g->maxlen = len;
	if (g->fail_after > 0 && g->n == (size_t)g->fail_after) {
		errno = ENOMEM;
		return -1;
	}
	if (used + len + 2 < sizeof(g->text)) {
		if (used > 0)
			g->text[used++] = '|';
		memcpy(g->text + used, name, len);
		g->text[used + len] = '\0';
	}
	return 0;
}

static int
parse(const char *json, struct got *g, struct ctlog_stats *st, char *err,
    size_t errlen)
{
	memset(g, 0, sizeof(*g));
	err[0] = '\0';
	return ctlog_parse(json, strlen(json), on_name, g, st, err, errlen);
}

/* Shaped like a real answer: several certificates, names repeated. */
static const char real[] =
    "[{\"issuer_ca_id\":183267,\"issuer_name\":\"C=US, O=Let's Encrypt, "
    "CN=R3\",\"common_name\":\"example.com\",\"name_value\":\"example.com"
    "\\nwww.example.com\",\"id\":9876543210,\"entry_timestamp\":"
    "\"2024-01-01T00:00:00.123\",\"not_before\":\"2024-01-01T00:00:00\","
    "\"not_after\":\"2024-03-31T00:00:00\",\"serial_number\":\"04ab\","
    "\"result_count\":2},\n"
    " {\"issuer_ca_id\":1,\"common_name\":\"*.example.com\",\"name_value\":"
    "\"*.example.com\\r\\nexample.com\\n\\n  mail.example.com  \\n\","
    "\"id\":2},\n"
    " {\"id\":3,\"name_value\":\"admin@example.com\"}]\n";

START_TEST(parse_real)
{
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_int_eq(parse(real, &g, &st, err, sizeof(err)), 0);
	ck_assert_str_eq(g.text, "example.com|www.example.com|*.example.com|"
	    "example.com|mail.example.com|admin@example.com");
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.names, 6);
	ck_assert_uint_eq(st.skipped, 0);
}
END_TEST

START_TEST(parse_empty_array)
{
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_int_eq(parse("[]", &g, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_int_eq(parse(" \r\n\t[ \n ] \n", &g, &st, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(g.n, 0);
}
END_TEST

/* Elements of the wrong shape are skipped, the rest still used. */
START_TEST(parse_wrong_types)
{
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_int_eq(parse("[1, \"a.example.com\", null, true, [\"x\"], "
	    "{}, {\"name_value\": 5}, {\"name_value\": null}, "
	    "{\"name_value\": [\"a.example.com\"]}, {\"name_value\": {}}, "
	    "{\"NAME_VALUE\": \"b.example.com\"}, {\"name_value\": \"\"}, "
	    "{\"name_value\": \"ok.example.com\"}, -1.5e300]",
	    &g, &st, err, sizeof(err)), 0);
	ck_assert_str_eq(g.text, "ok.example.com");
	ck_assert_uint_eq(st.entries, 14);
	/* Everything but the empty name_value and the good one. */
	ck_assert_uint_eq(st.skipped, 12);
}
END_TEST

/* "\u0000" inside a name is passed on with its length, not cut short. */
START_TEST(parse_nul_in_name)
{
	struct got g;
	char err[256], out[NAMES_BUFSIZE];
	const char *json = "[{\"name_value\":\"a.example.com\\u0000.evil\"}]";

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_parse(json, strlen(json), on_name, &g, NULL,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(g.maxlen, 19);
	ck_assert_int_eq(names_clean("a.example.com\0.evil", 19, "example.com",
	    out, sizeof(out)), NAMES_INVALID);
}
END_TEST

struct bad_case {
	const char *json;
	const char *msg;	/* a part of the message */
};

static const struct bad_case bads[] = {
	{ "", "not a JSON array" },
	{ "   ", "not a JSON array" },
	{ "{}", "not a JSON array (it starts \"{}\")" },
	{ "{\"name_value\":\"a.example.com\"}", "not a JSON array" },
	{ "null", "not a JSON array" },
	{ "\"[]\"", "not a JSON array" },
	{ "<html><body>502 Bad Gateway</body></html>",
	    "it starts \"<html><body>502 Bad Gate\")" },
	{ "\x01\x02[]", "it starts \"??[]\"" },
	{ "[", "truncated JSON" },
	{ "[ ", "truncated JSON" },
	{ "[{", "truncated JSON" },
	{ "[{\"name_value\":\"a.example.com", "truncated JSON" },
	{ "[{\"name_value\":\"a\"}", "the array is not closed" },
	{ "[{\"name_value\":\"a\"},", "truncated JSON" },
	{ "[{\"name_value\":\"a\"}, ]", "bad JSON at byte" },
	{ "[,]", "bad JSON at byte 1" },
	{ "[{\"name_value\":\"a\"} {}]", "',' or ']' expected" },
	{ "[{\"name_value\":\"a\"}]x", "text after the array" },
	{ "[] []", "text after the array" },
	{ "[{name_value:\"a\"}]", "bad JSON at byte" },
	{ "[{\"name_value\":\"a\",}]", "bad JSON at byte" },
	{ "[{\"name_value\":'a'}]", "bad JSON at byte" },
	{ "[{\"name_value\":\"a\\q\"}]", "bad JSON at byte" },
	{ "[tru]", "bad JSON at byte" },
	{ "[{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
	    "bad JSON at byte" },
};

START_TEST(parse_malformed)
{
	const struct bad_case *c = &bads[_i];
	struct got g;
	char err[256];

	ck_assert_msg(parse(c->json, &g, NULL, err, sizeof(err)) == -1,
	    "'%s' accepted", c->json);
	ck_assert_msg(strstr(err, c->msg) != NULL, "'%s': message '%s', want "
	    "'%s' in it", c->json, err, c->msg);
}
END_TEST

/* An element that parses before the damage still counts; none after. */
START_TEST(parse_error_after_names)
{
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_int_eq(parse("[{\"name_value\":\"a.example.com\"},{\"name_"
	    "value\":", &g, &st, err, sizeof(err)), -1);
	ck_assert_str_eq(g.text, "a.example.com");
	ck_assert_uint_eq(st.entries, 1);
}
END_TEST

START_TEST(parse_callback_stops)
{
	struct got g;
	char err[256];
	const char *json = "[{\"name_value\":\"a\\nb\\nc\"},{\"name_value\":"
	    "\"d\"}]";

	memset(&g, 0, sizeof(g));
	g.fail_after = 2;
	ck_assert_int_eq(ctlog_parse(json, strlen(json), on_name, &g, NULL,
	    err, sizeof(err)), -1);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(err, strerror(ENOMEM));
}
END_TEST

/* Builds [{"name_value":"<body>"}] around a large body. */
static char *
wrap(const char *body, size_t len, size_t *outlen)
{
	static const char head[] = "[{\"name_value\":\"", tail[] = "\"}]";
	char *s = malloc(sizeof(head) + len + sizeof(tail));

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, sizeof(head) - 1);
	memcpy(s + sizeof(head) - 1, body, len);
	memcpy(s + sizeof(head) - 1 + len, tail, sizeof(tail));
	*outlen = sizeof(head) - 1 + len + sizeof(tail) - 1;
	return s;
}

/* One name of 6 MB: skipped, and the parse goes on. */
START_TEST(parse_huge_name)
{
	size_t len = 6 << 20, jlen;
	char *body = malloc(len), *json;
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_ptr_nonnull(body);
	memset(body, 'a', len);
	memcpy(body + len - 20, "\\nshort.example.com", 19);
	json = wrap(body, len - 1, &jlen);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_parse(json, jlen, on_name, &g, &st, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(g.text, "short.example.com");
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_le(g.maxlen, CTLOG_NAME_MAX);
	free(body);
	free(json);
}
END_TEST

/* A field of several MB made of many names: all of them arrive. */
START_TEST(parse_huge_field_of_names)
{
	static const char one[] = "host.example.com\\n";
	size_t n = 300000, each = sizeof(one) - 1, jlen;
	char *body = malloc(n * each), *json;
	struct ctlog_stats st;
	struct got g;
	char err[256];

	ck_assert_ptr_nonnull(body);
	for (size_t i = 0; i < n; i++)
		memcpy(body + i * each, one, each);
	json = wrap(body, n * each, &jlen);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_parse(json, jlen, on_name, &g, &st, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(g.n, n);
	ck_assert_uint_eq(st.names, n);
	free(body);
	free(json);
}
END_TEST

START_TEST(parse_over_limit)
{
	size_t len = CTLOG_BODY_MAX + 1;
	char *json = malloc(len), err[256];

	ck_assert_ptr_nonnull(json);
	memset(json, ' ', len);
	json[0] = '[';
	json[len - 1] = ']';
	ck_assert_int_eq(ctlog_parse(json, len, on_name, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "over the limit of 64 MiB") != NULL, "%s",
	    err);
	free(json);
}
END_TEST

/* Random damage to a good answer: an error or a parse, never a crash. */
START_TEST(parse_mutations)
{
	size_t len = strlen(real);
	char *buf = malloc(len + 1), err[256];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	static const char junk[] = "[]{}\",:\\\n\0 aZ9-.*";

	ck_assert_ptr_nonnull(buf);
	for (int round = 0; round < 20000; round++) {
		struct got g;
		size_t cut;

		memcpy(buf, real, len + 1);
		for (int k = 0; k < 1 + round % 4; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[rng % len] = (rng >> 32) % 3 == 0 ?
			    (char)(rng >> 40) :
			    junk[(rng >> 40) % (sizeof(junk) - 1)];
		}
		cut = round % 7 == 0 ? (size_t)(rng >> 20) % len : len;
		memset(&g, 0, sizeof(g));
		(void)ctlog_parse(buf, cut, on_name, &g, NULL, err,
		    sizeof(err));
		ck_assert_uint_le(g.maxlen, CTLOG_NAME_MAX);
	}
	free(buf);
}
END_TEST

struct url_case {
	const char *base, *domain, *want;
};

static const struct url_case urls[] = {
	{ NULL, "example.com",
	    "https://crt.sh/?q=%25.example.com&output=json" },
	{ "https://crt.sh/", "example.com",
	    "https://crt.sh/?q=%25.example.com&output=json" },
	{ "http://127.0.0.1:8080", "example.com",
	    "http://127.0.0.1:8080/?q=%25.example.com&output=json" },
	{ "http://[::1]:8080/mirror/ct", "a-b_c.example",
	    "http://[::1]:8080/mirror/ct?q=%25.a-b_c.example&output=json" },
	{ "https://ct.example/api?key=abc", "example.com",
	    "https://ct.example/api?key=abc&q=%25.example.com&output=json" },
	{ "https://crt.sh/?", "example.com",
	    "https://crt.sh/?q=%25.example.com&output=json" },
	{ "https://crt.sh/", "a b&c=d%", 
	    "https://crt.sh/?q=%25.a%20b%26c%3Dd%25&output=json" },
};

START_TEST(url)
{
	const struct url_case *c = &urls[_i];
	char out[512];

	ck_assert_int_eq(ctlog_url(c->base, c->domain, out, sizeof(out)), 0);
	ck_assert_str_eq(out, c->want);
}
END_TEST

START_TEST(url_too_long)
{
	char out[30], big[400];

	ck_assert_int_eq(ctlog_url(NULL, "example.com", out, sizeof(out)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(ctlog_url(NULL, big, out, sizeof(out)), -1);
}
END_TEST

/* --- fetching, against a server of our own -------------------------------- */

struct server {
	int fd;
	int port;
	const char *reply;	/* NULL: accept, then say nothing */
	pthread_t thread;
	char request[2048];
};

static void *
serve_one(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	size_t got = 0;

	if (c == -1)
		return NULL;
	/* Read the request head, then answer and close. */
	while (got + 1 < sizeof(s->request)) {
		ssize_t n = read(c, s->request + got,
		    sizeof(s->request) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		s->request[got] = '\0';
		if (strstr(s->request, "\r\n\r\n") != NULL)
			break;
	}
	if (s->reply == NULL) {
		sleep(2);
	} else {
		size_t len = strlen(s->reply), off = 0;

		while (off < len) {
			ssize_t n = write(c, s->reply + off, len - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(c);
	return NULL;
}

static void
server_start(struct server *s, const char *reply)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->reply = reply;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s->fd, 4), 0);
	ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void
server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

/* A proxy from the environment would stand between us and loopback. */
static void
no_proxy(void)
{
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	setenv("no_proxy", "*", 1);
}

static const char ok_reply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    "Connection: close\r\n\r\n"
    "[{\"name_value\":\"a.example.com\\nb.example.com\"},"
    "{\"name_value\":\"A.example.com\"}]";

START_TEST(fetch_ok)
{
	struct server s;
	struct ctlog_stats st;
	struct got g;
	char base[64], err[512] = "";

	no_proxy();
	server_start(&s, ok_reply);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", s.port);
	memset(&g, 0, sizeof(g));
	ck_assert_msg(ctlog_fetch(base, "example.com", 5000, on_name, &g, &st,
	    err, sizeof(err)) == 0, "%s", err);
	server_stop(&s);
	ck_assert_str_eq(g.text, "a.example.com|b.example.com|A.example.com");
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_msg(strncmp(s.request, "GET /?q=%25.example.com&output=json "
	    "HTTP/1.1\r\n", 46) == 0, "request: %s", s.request);
}
END_TEST

START_TEST(fetch_http_error)
{
	struct server s;
	struct got g;
	char base[64], want[64], err[512] = "";

	no_proxy();
	server_start(&s, "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 4\r\nConnection: close\r\n\r\nbusy");
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", s.port);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_fetch(base, "example.com", 5000, on_name, &g,
	    NULL, err, sizeof(err)), -1);
	server_stop(&s);
	snprintf(want, sizeof(want), "127.0.0.1:%d: HTTP 503", s.port);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(fetch_bad_body)
{
	struct server s;
	struct got g;
	char base[64], err[512] = "";

	no_proxy();
	server_start(&s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
	    "<html>rate limited</html>");
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", s.port);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_fetch(base, "example.com", 5000, on_name, &g,
	    NULL, err, sizeof(err)), -1);
	server_stop(&s);
	ck_assert_msg(strstr(err, ": the answer is not a JSON array (it "
	    "starts \"<html>rate limited</html\")") != NULL, "%s", err);
}
END_TEST

START_TEST(fetch_timeout)
{
	struct server s;
	struct got g;
	char base[64], err[512] = "";

	no_proxy();
	server_start(&s, NULL);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", s.port);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ctlog_fetch(base, "example.com", 300, on_name, &g,
	    NULL, err, sizeof(err)), -1);
	server_stop(&s);
	ck_assert_msg(strstr(err, "cannot reach 'http://127.0.0.1:") != NULL &&
	    strstr(err, "imed out") != NULL, "%s", err);
}
END_TEST

START_TEST(fetch_refused)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char base[64], want[128], err[512] = "";
	int fd;

	/* A port that was free a moment ago and has no listener. */
	no_proxy();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/",
	    ntohs(sin.sin_port));
	ck_assert_int_eq(ctlog_fetch(base, "example.com", 5000, on_name, NULL,
	    NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot reach 'http://127.0.0.1:%d/?q=%%25"
	    ".example.com&output=json': ", ntohs(sin.sin_port));
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
}
END_TEST

START_TEST(fetch_no_file_urls)
{
	char err[512] = "";

	ck_assert_int_eq(ctlog_fetch("file:///etc/", "passwd", 5000, on_name,
	    NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot reach 'file:///etc/") != NULL, "%s",
	    err);
}
END_TEST

static Suite *
ctlog_suite(void)
{
	Suite *s = suite_create("ctlog");
	TCase *p = tcase_create("parse");
	TCase *u = tcase_create("url");
	TCase *f = tcase_create("fetch");

	tcase_add_test(p, parse_real);
	tcase_add_test(p, parse_empty_array);
	tcase_add_test(p, parse_wrong_types);
	tcase_add_test(p, parse_nul_in_name);
	tcase_add_loop_test(p, parse_malformed, 0,
	    (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(p, parse_error_after_names);
	tcase_add_test(p, parse_callback_stops);
	tcase_add_test(p, parse_huge_name);
	tcase_add_test(p, parse_huge_field_of_names);
	tcase_add_test(p, parse_over_limit);
	tcase_add_test(p, parse_mutations);
	tcase_set_timeout(p, 60);
	suite_add_tcase(s, p);
	tcase_add_loop_test(u, url, 0, (int)(sizeof(urls) / sizeof(urls[0])));
	tcase_add_test(u, url_too_long);
	suite_add_tcase(s, u);
	tcase_add_test(f, fetch_ok);
	tcase_add_test(f, fetch_http_error);
	tcase_add_test(f, fetch_bad_body);
	tcase_add_test(f, fetch_timeout);
	tcase_add_test(f, fetch_refused);
	tcase_add_test(f, fetch_no_file_urls);
	tcase_set_timeout(f, 30);
	suite_add_tcase(s, f);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctlog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
