/*
 * crt.sh's JSON, and fetching it.
 *
 * A popular domain's answer runs to tens of megabytes: one element per
 * certificate, most of them repeating the same few names.  json-c has no
 * streaming interface, but its tokener stops at the end of a value and says
 * where, so the array brackets and commas are walked here and each element
 * is parsed, used and freed on its own: memory is the body plus the largest
 * element, not a tree of the whole answer.
 */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/ctlog.h"

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

/* The first bytes of s, printable, for a message about what came instead. */
static void
excerpt(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len && i < 24 && n + 2 < outlen; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[n] = '\0';
}

static int
entry(struct json_object *obj, ctlog_name_fn *fn, void *ctx,
    struct ctlog_stats *st)
{
	struct json_object *nv;
	const char *s;
	size_t len, i = 0;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "name_value", &nv) ||
	    !json_object_is_type(nv, json_type_string)) {
		st->skipped++;
		return 0;
	}
	s = json_object_get_string(nv);
	len = (size_t)json_object_get_string_len(nv);
	/* Length, not strlen(): a "\u0000" must not shorten a name into
	 * another, valid one. */
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : len;
		size_t b = i, e = end;

		while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
		    s[e - 1] == '\r'))
			e--;
		i = end + 1;
		if (b == e)
			continue;
		if (e - b > CTLOG_NAME_MAX) {
			st->skipped++;
			continue;
		}
		st->names++;
		if (fn(ctx, s + b, e - b) == -1)
			return -1;
	}
	return 0;
}

int
ctlog_parse(const char *json, size_t len, ctlog_name_fn *fn, void *ctx,
    struct ctlog_stats *st, char *err, size_t errlen)
{
	struct ctlog_stats local;
	struct json_tokener *tok = NULL;
	char what[32];
	size_t i;
	int rc = -1;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (len > CTLOG_BODY_MAX) {
		snprintf(err, errlen, "answer of %zu bytes is over the limit "
		    "of %zu MiB", len, CTLOG_BODY_MAX >> 20);
		return -1;
	}
	i = skip_ws(json, 0, len);
	if (i == len || json[i] != '[') {
		excerpt(json + i, len - i, what, sizeof(what));
		snprintf(err, errlen, "the answer is not a JSON array "
		    "(it starts \"%s\")", what);
		return -1;
	}
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Strict: JSON, not json-c's relaxed dialect ('a', {"a":1,}).
	 * Trailing characters are the commas between elements. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	i = skip_ws(json, i + 1, len);
	if (i < len && json[i] == ']') {
		i++;
		goto tail;
	}
	for (;;) {
		struct json_object *obj;
		enum json_tokener_error jerr;
		int erc;

		json_tokener_reset(tok);
		obj = json_tokener_parse_ex(tok, json + i, (int)(len - i));
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success) {
			json_object_put(obj);
			if (jerr == json_tokener_continue)
				snprintf(err, errlen, "truncated JSON: the "
				    "answer ends inside an element");
			else
				snprintf(err, errlen, "bad JSON at byte %zu: "
				    "%s", i + json_tokener_get_parse_end(tok),
				    json_tokener_error_desc(jerr));
			goto done;
		}
		i += json_tokener_get_parse_end(tok);
		st->entries++;
		erc = entry(obj, fn, ctx, st);
		json_object_put(obj);
		if (erc == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto done;
		}
		i = skip_ws(json, i, len);
		if (i == len) {
			snprintf(err, errlen, "truncated JSON: the array is "
			    "not closed");
			goto done;
		}
		if (json[i] == ']') {
			i++;
			break;
		}
		if (json[i] != ',') {
			snprintf(err, errlen, "bad JSON at byte %zu: ',' or "
			    "']' expected after an element", i);
			goto done;
		}
		i = skip_ws(json, i + 1, len);
	}
tail:
	i = skip_ws(json, i, len);
	if (i != len) {
		snprintf(err, errlen, "bad JSON at byte %zu: text after the "
		    "array", i);
		goto done;
	}
	rc = 0;
done:
	json_tokener_free(tok);
	return rc;
}

static bool
unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
ctlog_url(const char *base, const char *domain, char *out, size_t outlen)
{
	char enc[3 * CTLOG_NAME_MAX + 1];
	const char *auth, *sep = "?", *slash = "";
	size_t n = 0, blen;
	int len;

	if (base == NULL)
		base = CTLOG_DEFAULT_BASE;
	if (strlen(domain) > CTLOG_NAME_MAX)
		return -1;
	for (const char *p = domain; *p != '\0'; p++) {
		if (unreserved(*p)) {
			enc[n++] = *p;
		} else {
			snprintf(enc + n, 4, "%%%02X", (unsigned char)*p);
			n += 3;
		}
	}
	enc[n] = '\0';
	blen = strlen(base);
	auth = strstr(base, "://");
	auth = auth != NULL ? auth + 3 : base;
	if (auth[strcspn(auth, "/?#")] == '\0')
		slash = "/";
	if (strchr(base, '?') != NULL)
		sep = "&";
	if (blen > 0 && (base[blen - 1] == '?' || base[blen - 1] == '&'))
		sep = "";
	/* %25 is '%', crt.sh's wildcard: every name under the domain. */
	len = snprintf(out, outlen, "%s%s%sq=%%25.%s&output=json", base, slash,
	    sep, enc);
	return len < 0 || (size_t)len >= outlen ? -1 : 0;
}

/* "crt.sh" for the messages, from the base URL; no user:password@. */
static void
host_of(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://"), *at;
	size_t n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/?#");
	at = memchr(p, '@', n);
	while (at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
		at = memchr(p, '@', n);
	}
	snprintf(out, outlen, "%.*s", (int)n, p);
}

struct body {
	char *p;
	size_t n, cap;
	bool too_big, nomem;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t add = size * nmemb;

	/* Returning short makes curl stop with CURLE_WRITE_ERROR. */
	if (add > CTLOG_BODY_MAX - b->n) {
		b->too_big = true;
		return 0;
	}
	if (b->n + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;
		char *p;

		while (cap < b->n + add + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->nomem = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, add);
	b->n += add;
	return add;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init() is not safe to race with other threads: once only. */
static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
ctlog_fetch(const char *base, const char *domain, long timeout_ms,
    ctlog_name_fn *fn, void *ctx, struct ctlog_stats *st, char *err,
    size_t errlen)
{
	char url[2048], host[256], cerr[CURL_ERROR_SIZE] = "", perr[256];
	struct body b = { 0 };
	CURL *c = NULL;
	CURLcode rc;
	long status = 0;
	int ret = -1;

	if (base == NULL)
		base = CTLOG_DEFAULT_BASE;
	host_of(base, host, sizeof(host));
	if (ctlog_url(base, domain, url, sizeof(url)) == -1) {
		snprintf(err, errlen, "%s: URL for '%.40s' too long", host,
		    domain);
		return -1;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || (c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl: %s",
		    curl_easy_strerror(curl_init_rc != CURLE_OK ?
		    curl_init_rc : CURLE_FAILED_INIT));
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	/* No SIGALRM for name look-ups: other threads may be scanning. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms :
	    0L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* The answer is repetitive JSON: compressed it is a tenth. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
#ifdef TRAWL_VERSION
	curl_easy_setopt(c, CURLOPT_USERAGENT, "trawl/" TRAWL_VERSION);
#endif
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (b.too_big)
			snprintf(err, errlen, "%s: answer over the limit of "
			    "%zu MiB; too many certificates to be a list of "
			    "hosts", host, CTLOG_BODY_MAX >> 20);
		else if (b.nomem)
			snprintf(err, errlen, "%s: out of memory", host);
		else
			snprintf(err, errlen, "cannot reach '%s': %s", url,
			    cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errlen, "%s: HTTP %ld", host, status);
		goto done;
	}
	if (ctlog_parse(b.p != NULL ? b.p : "", b.n, fn, ctx, st, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, errlen, "%s: %s", host, perr);
		goto done;
	}
	ret = 0;
done:
	curl_easy_cleanup(c);
	free(b.p);
	return ret;
}
