/*
 * Escapers, and the formats that use them.  A name or a service may hold
 * any byte; the end-to-end tests cannot get every byte into one (host names
 * are checked before they are scanned, /etc/services splits on white
 * space), so here every byte goes through each escaper and each format,
 * and what comes out is held to its grammar: XML 1.0 characters and no raw
 * markup, CSV rows that stay rows, grepable lines that stay lines.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/output.h"
#include "trawl/textesc.h"
#include "trawl/wbuf.h"

/*
 * Everything written to a wbuf, read back from its file.  Through the
 * descriptor only: a FILE's idea of the offset would go stale under wbuf.
 */
struct sink {
	FILE *f;		/* owns the file, removed at exit */
	int fd;
	off_t taken;		/* read back up to here */
	struct wbuf *w;
};

static void
sink_open(struct sink *k)
{
	k->f = tmpfile();
	ck_assert_ptr_nonnull(k->f);
	k->fd = fileno(k->f);
	k->taken = 0;
	k->w = wbuf_fdopen(k->fd);
	ck_assert_ptr_nonnull(k->w);
}

/* What was written since the last take, NUL-terminated.  Caller frees. */
static char *
sink_take(struct sink *k)
{
	off_t end, n;
	char *s;

	/*
	 * Check records every assertion that passes: one check here, not
	 * four, keeps the loops below fast.
	 */
	if (wbuf_flush(k->w) != 0 ||
	    (end = lseek(k->fd, 0, SEEK_CUR)) < k->taken ||
	    (s = malloc((size_t)(n = end - k->taken) + 1)) == NULL ||
	    pread(k->fd, s, (size_t)n, k->taken) != n)
		ck_abort_msg("cannot read the output back");
	s[n] = '\0';
	k->taken = end;
	return s;
}

static void
sink_close(struct sink *k)
{
	ck_assert_int_eq(wbuf_close(k->w), 0);
	fclose(k->f);
}

typedef void escaper(struct wbuf *, const char *);

static char *
escape_to(struct sink *k, escaper *fn, const char *in)
{
	fn(k->w, in);
	return sink_take(k);
}

static char *
escape(escaper *fn, const char *in)
{
	struct sink k;
	char *out;

	sink_open(&k);
	out = escape_to(&k, fn, in);
	sink_close(&k);
	return out;
}

struct pair {
	const char *in, *want;
};

static const struct pair xml_pairs[] = {
	{ "", "" },
	{ "www.example.com", "www.example.com" },
	{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f" },
	{ "&amp;", "&amp;amp;" },
	/* A terminal's escape, and the line breaks attributes would lose. */
	{ "\x1b[31mred", "\\x1b[31mred" },
	{ "a\nb\rc\td", "a\\x0ab\\x0dc\\x09d" },
	{ "\x01\x7f", "\\x01\\x7f" },
	/* The escape character itself, so that the escapes read one way. */
	{ "\\x41", "\\x5cx41" },
	/* Valid UTF-8 is text. */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	/* Invalid UTF-8 byte by byte: stray, cut short, overlong, surrogate. */
	{ "\xff\xfe", "\\xff\\xfe" },
	{ "a\xc3", "a\\xc3" },
	{ "\xc3(", "\\xc3(" },
	{ "\xc0\xaf", "\\xc0\\xaf" },
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
	/* XML excludes U+FFFE and U+FFFF; C1 controls a terminal obeys. */
	{ "\xef\xbf\xbe\xef\xbf\xbf", "\\xef\\xbf\\xbe\\xef\\xbf\\xbf" },
	{ "\xc2\x9b" "31m", "\\xc2\\x9b" "31m" },
	{ "\xc2\xa0", "\xc2\xa0" },
	{ "\xef\xbf\xbd", "\xef\xbf\xbd" },
};

START_TEST(xml_table)
{
	const struct pair *p = &xml_pairs[_i];
	char *got = escape(textesc_xml, p->in);

	ck_assert_msg(strcmp(got, p->want) == 0, "xml(%s): got '%s', want '%s'",
	    p->in, got, p->want);
	free(got);
}
END_TEST

static const struct pair csv_pairs[] = {
	{ "", "" },
	{ "ssh", "ssh" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	/* No raw line break, so no quotes needed for one. */
	{ "a\r\nb", "a\\x0d\\x0ab" },
	{ "\x1b]0;title\x07", "\\x1b]0;title\\x07" },
	{ "<&>'", "<&>'" },
	{ "\\", "\\x5c" },
	{ "\xff,\xc3\xa9", "\"\\xff,\xc3\xa9\"" },
};

START_TEST(csv_table)
{
	const struct pair *p = &csv_pairs[_i];
	char *got = escape(textesc_csv, p->in);

	ck_assert_msg(strcmp(got, p->want) == 0, "csv(%s): got '%s', want '%s'",
	    p->in, got, p->want);
	free(got);
}
END_TEST

static const struct pair grep_pairs[] = {
	{ "host.example", "host.example" },
	{ "a/b,c(d)", "a\\x2fb\\x2cc\\x28d\\x29" },
	{ "a\tb\nc", "a\\x09b\\x0ac" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
	{ "\\", "\\x5c" },
};

START_TEST(grep_table)
{
	const struct pair *p = &grep_pairs[_i];
	char *got = escape(textesc_grep, p->in);

	ck_assert_msg(strcmp(got, p->want) == 0, "grep(%s): got '%s', "
	    "want '%s'", p->in, got, p->want);
	free(got);
}
END_TEST

/* The two older escapers, whose UTF-8 decoder is now shared. */
START_TEST(text_and_json)
{
	char *got;

	got = escape(textesc_text, "a\x1b\\b\xc3\xa9");
	ck_assert_str_eq(got, "a\\x1b\\x5cb\\xc3\\xa9");
	free(got);
	got = escape(textesc_json, "a\"\\\x1b\xc3\xa9\xff\xed\xa0\x80");
	ck_assert_str_eq(got, "a\\\"\\\\\\u001b\xc3\xa9\\ufffd\\ufffd\\ufffd"
	    "\\ufffd");
	free(got);
}
END_TEST

/* Bytes that are not a string: a banner's NULs and its last byte. */
static char *
escape_bytes(enum textesc_kind kind, const void *b, size_t n)
{
	struct sink k;
	char *out;

	sink_open(&k);
	textesc_bytes(k.w, kind, b, n);
	out = sink_take(&k);
	sink_close(&k);
	return out;
}

START_TEST(bytes_with_nuls)
{
	static const char b[] = "SSH\0\x1b\"<\xc3\xa9,(/)\xe2\x82";
	size_t n = sizeof(b) - 1;
	char *got;

	got = escape_bytes(TEXTESC_JSON, b, n);
	/* A NUL is a control; a character cut at the end is not UTF-8. */
	ck_assert_str_eq(got, "SSH\\u0000\\u001b\\\"<\xc3\xa9,(/)"
	    "\\ufffd\\ufffd");
	free(got);
	got = escape_bytes(TEXTESC_XML, b, n);
	ck_assert_str_eq(got, "SSH\\x00\\x1b&quot;&lt;\xc3\xa9,(/)"
	    "\\xe2\\x82");
	free(got);
	got = escape_bytes(TEXTESC_TEXT, b, n);
	ck_assert_str_eq(got, "SSH\\x00\\x1b\"<\\xc3\\xa9,(/)"
	    "\\xe2\\x82");
	free(got);
	got = escape_bytes(TEXTESC_GREP, b, n);
	ck_assert_str_eq(got, "SSH\\x00\\x1b\"<\\xc3\\xa9\\x2c\\x28"
	    "\\x2f\\x29\\xe2\\x82");
	free(got);
	got = escape_bytes(TEXTESC_GREP_VERSION, "OpenSSH 9.2 (protocol 2.0)",
	    26);
	ck_assert_str_eq(got, "OpenSSH 9.2 (protocol 2.0)");
	free(got);
	got = escape_bytes(TEXTESC_CSV, b, n);
	ck_assert_str_eq(got, "\"SSH\\x00\\x1b\"\"<\xc3\xa9,(/)"
	    "\\xe2\\x82\"");
	free(got);
	got = escape_bytes(TEXTESC_CSV_INNER, "a\"b,c", 5);
	ck_assert_str_eq(got, "a\"\"b,c");
	free(got);
	/* Nothing at all, and no more than TEXTESC_BYTES_MAX. */
	got = escape_bytes(TEXTESC_JSON, b, 0);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(bytes_bounded)
{
	char big[TEXTESC_BYTES_MAX + 100];
	char *got;

	memset(big, 'a', sizeof(big));
	got = escape_bytes(TEXTESC_TEXT, big, sizeof(big));
	ck_assert_uint_eq(strlen(got), TEXTESC_BYTES_MAX);
	free(got);
	/* A multi-byte character cut by n is escaped, never read past n. */
	got = escape_bytes(TEXTESC_JSON, "\xf0\x9f\x98\x80", 3);
	ck_assert_str_eq(got, "\\ufffd\\ufffd\\ufffd");
	free(got);
}
END_TEST

/* A small, fixed generator: the same strings on every run. */
static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A string of up to 40 bytes, 1..255, biased to what the escapers watch. */
static void
random_string(uint32_t *seed, char *buf, size_t size)
{
	static const char interesting[] = "&<>\"',\\\r\n\t\x1b\x7f\xc2\x9b"
	    "\xe2\x82\xac\xef\xbf\xbe\xed\xa0\x80\xf0\x9f\x98\x80\xff";
	size_t n = next_rand(seed) % 41;

	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = next_rand(seed);

		if (r % 3 == 0)
			buf[i] = interesting[(r >> 8) %
			    (sizeof(interesting) - 1)];
		else
			buf[i] = (char)(1 + (r >> 8) % 255);
	}
	buf[n] = '\0';
}

/*
 * Length of the UTF-8 sequence of an XML 1.0 Char at p (tab, LF and CR
 * aside: the escaper never leaves those), 0 when there is none.
 */
static size_t
xml_char(const unsigned char *p)
{
	uint32_t cp;
	size_t n;

	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    cp == 0xfffe || cp == 0xffff || cp <= 0x9f)
		return 0;
	return n;
}

/*
 * Where s stops being XML text fit for an attribute value (Chars, markup
 * only as entities); -1 when it never does.
 */
static long
xml_bad_at(const char *s)
{
	static const char *const entities[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	};
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = xml_char(p);

		if (n == 0 || *p == '<' || *p == '>' || *p == '"' ||
		    *p == '\'')
			return (long)(p - (const unsigned char *)s);
		if (*p == '&') {
			size_t e;

			for (e = 0; e < 5; e++)
				if (strncmp((const char *)p, entities[e],
				    strlen(entities[e])) == 0)
					break;
			if (e == 5)
				return (long)(p - (const unsigned char *)s);
			n = strlen(entities[e]);
		}
		p += n;
	}
	return -1;
}

/* Where s has a byte outside [lo, hi] or in also; -1 when it has none. */
static long
byte_out_at(const char *s, unsigned char lo, unsigned char hi,
    const char *also)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < lo || *p > hi || strchr(also, *p) != NULL)
			return (long)(p - (const unsigned char *)s);
	return -1;
}

/* What a terminal may get as is: valid UTF-8 that is not a control. */
START_TEST(printable)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{ "a", 1 }, { "~", 1 }, { "\\", 1 }, { " ", 1 },
		{ "\x1b[31m", 0 }, { "\n", 0 }, { "\t", 0 }, { "\x7f", 0 },
		{ "\xc3\xbc", 2 },		/* u with diaeresis */
		{ "\xc2\x9b", 0 },		/* CSI, a C1 control */
		{ "\xc2\x85", 0 },		/* NEL */
		{ "\xc2\xa0", 2 },		/* no-break space */
		{ "\xe2\x82\xac", 3 },	/* euro sign */
		{ "\xf0\x9f\x90\x9f", 4 },	/* a fish */
		{ "\xff", 0 }, { "\xfe", 0 }, { "\xc0\xaf", 0 },	/* overlong */
		{ "\xe0\x80\xaf", 0 }, { "\xed\xa0\x80", 0 },	/* surrogate */
		{ "\xef\xbf\xbe", 0 }, { "\xef\xbf\xbf", 0 },
		{ "\xc3", 0 },			/* cut short by the NUL */
		{ "\xe2\x82", 0 }, { "\xf4\x90\x80\x80", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(textesc_printable(cases[i].s) == cases[i].len,
		    "case %zu: %zu, want %zu", i,
		    textesc_printable(cases[i].s), cases[i].len);
}
END_TEST

START_TEST(xml_any_bytes)
{
	uint32_t seed = 0x9e3779b9u;
	char in[64];
	struct sink k;

	sink_open(&k);
	for (int i = 0; i < 20000; i++) {
		char *got;

		random_string(&seed, in, sizeof(in));
		got = escape_to(&k, textesc_xml, in);
		ck_assert_msg(xml_bad_at(got) < 0, "xml(%s) = '%s': not XML "
		    "text at byte %ld", in, got, xml_bad_at(got));
		free(got);
	}
	sink_close(&k);
}
END_TEST

/*
 * One CSV field, read back as RFC 4180 says: the text, and the number of
 * bytes the field took.  Fails when the field is not well-formed.
 */
static char *
csv_read_field(const char *s, size_t *used)
{
	size_t n = strlen(s), j = 0;
	char *out = malloc(n + 1);

	ck_assert_ptr_nonnull(out);
	if (s[0] != '"') {
		ck_assert_msg(strpbrk(s, ",\"\r\n") == NULL,
		    "unquoted field '%s' needs quotes", s);
		memcpy(out, s, n + 1);
		*used = n;
		return out;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '"' && s[i + 1] == '"') {
			out[j++] = '"';
			i++;
		} else if (s[i] == '"') {
			out[j] = '\0';
			*used = i + 1;
			return out;
		} else {
			out[j++] = s[i];
		}
	}
	ck_abort_msg("quoted field '%s' does not end", s);
	return NULL;
}

START_TEST(csv_any_bytes)
{
	uint32_t seed = 0x1234567u;
	char in[64];
	struct sink k;

	sink_open(&k);
	for (int i = 0; i < 20000; i++) {
		char *got, *back, *plain;
		size_t used;

		random_string(&seed, in, sizeof(in));
		got = escape_to(&k, textesc_csv, in);
		/* No control byte, CR and LF above all. */
		ck_assert_msg(byte_out_at(got, 0x20, 0xff, "\x7f") < 0,
		    "csv(%s) = '%s' holds a control byte", in, got);
		back = csv_read_field(got, &used);
		ck_assert_msg(used == strlen(got), "csv(%s) = '%s' is more "
		    "than one field", in, got);
		/* Unquoted, the field is what the XML escaper leaves of it. */
		plain = escape_to(&k, textesc_xml, in);
		ck_assert_msg(strchr(plain, '&') != NULL ||
		    strcmp(back, plain) == 0, "csv(%s) reads back '%s', not "
		    "'%s'", in, back, plain);
		free(plain);
		free(back);
		free(got);
	}
	sink_close(&k);
}
END_TEST

START_TEST(grep_any_bytes)
{
	uint32_t seed = 0xdeadbeefu;
	char in[64];
	struct sink k;

	sink_open(&k);
	for (int i = 0; i < 20000; i++) {
		char *got;

		random_string(&seed, in, sizeof(in));
		got = escape_to(&k, textesc_grep, in);
		ck_assert_msg(byte_out_at(got, 0x20, 0x7e, "/,()") < 0,
		    "grep(%s) = '%s' holds a byte it must not", in, got);
		free(got);
	}
	sink_close(&k);
}
END_TEST

/* --- the formats -------------------------------------------------------- */

/* Every byte 1..255 in one name, and the markup of each format in another. */
static char every_byte[256];
static const char *const hostile_names[] = {
	every_byte,
	"evil\n\"<&>\r,\t()/\\",
};

static const struct out_port hostile_ports[] = {
	{ .port = 22, .state = STATE_OPEN, .rtt_ns = 1500000,
	  .service = "s\x1b[2J\n,\"<x>&\xff" },
	{ .port = 80, .state = STATE_CLOSED, .rtt_ns = 0, .err = ECONNREFUSED,
	  .service = NULL },
	{ .port = 443, .state = STATE_UNREACHABLE, .err = EHOSTUNREACH,
	  .service = "https" },
};

static const struct out_host hostile_host = {
	.family = AF_INET6,
	.addr = "2001:db8::1",
	.names = hostile_names,
	.nnames = 2,
	.ports = hostile_ports,
	.nports = 3,
	.up = true,
	.start = 1795000000,
	.end = 1795000001,
};

static char *
run_format(const struct out_format *f, const struct out_run *run)
{
	struct out_stats st = { .hosts = 3, .hosts_up = 1, .elapsed_s = 1.5 };
	struct sink k;
	char *out;

	for (int i = 1; i < 256; i++)
		every_byte[i - 1] = (char)i;
	sink_open(&k);
	f->begin(k.w, run);
	f->unresolved(k.w, run, hostile_names[1], "nxdomain");
	f->host(k.w, &hostile_host);
	f->end(k.w, &st);
	out = sink_take(&k);
	sink_close(&k);
	return out;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The fields of a CSV row (CRLF taken off); fails when it is not RFC 4180. */
static size_t
csv_row_fields(const char *line)
{
	const char *p = line;
	size_t fields = 0;

	for (;;) {
		if (*p == '"') {
			for (p++; !(p[0] == '"' && p[1] != '"'); p++) {
				ck_assert_msg(*p != '\0', "quote not closed: "
				    "'%s'", line);
				if (p[0] == '"')
					p++;	/* a doubled quote */
			}
			p++;
		} else {
			for (; *p != ',' && *p != '\0'; p++)
				ck_assert_msg(*p != '"', "quote in an unquoted "
				    "field: '%s'", line);
		}
		fields++;
		if (*p == '\0')
			return fields;
		ck_assert_msg(*p == ',', "junk after a field: '%s'", line);
		p++;
	}
}

START_TEST(format_csv)
{
	char *out = run_format(output_find("csv"), NULL);
	char *line, *save;
	size_t rows = 0;

	/* Header, the unresolved name, three ports times two names. */
	ck_assert_uint_eq(count_char(out, '\n'), 8);
	ck_assert_uint_eq(count_char(out, '\r'), 8);
	ck_assert(strncmp(out, "ip,port,proto,state,host,service,rtt_ms,"
	    "reason\r\n", 48) == 0);
	ck_assert_ptr_nonnull(strstr(out, "\r\n,,tcp,unresolved,\"evil\\x0a"
	    "\"\"<&>\\x0d,\\x09()/\\x5c\",,,nxdomain\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n2001:db8::1,22,tcp,open,"));
	ck_assert_ptr_nonnull(strstr(out, ",1.500,syn-ack\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",unreachable,\"evil\\x0a\"\"<&>"
	    "\\x0d,\\x09()/\\x5c\",https,,host-unreach\r\n"));
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		ck_assert_msg(len > 0 && line[len - 1] == '\r',
		    "row without CRLF: '%s'", line);
		line[len - 1] = '\0';
		for (const unsigned char *p = (unsigned char *)line; *p; p++)
			ck_assert_msg(*p >= 0x20 && *p != 0x7f,
			    "control byte 0x%02x in '%s'", *p, line);
		ck_assert_uint_eq(csv_row_fields(line), 8);
		rows++;
	}
	ck_assert_uint_eq(rows, 8);
	free(out);
}
END_TEST

START_TEST(format_csv_appending)
{
	struct out_run run = { .appending = true };
	char *out = run_format(output_find("csv"), &run);

	ck_assert(strncmp(out, "ip,", 3) != 0);
	ck_assert(strncmp(out, ",,tcp,unresolved,", 17) == 0);
	free(out);
}
END_TEST

START_TEST(format_grep)
{
	struct out_run run = { .args = "trawl -f grep\nHost: 6.6.6.6 ()",
	    .version = "9.9", .start = 0 };
	char *out = run_format(output_find("grep"), &run);
	char *line, *save;
	size_t n = 0;

	/*
	 * The header, the unresolved name, Status and Ports lines for each
	 * name, the trailer: seven lines whatever the names hold.
	 */
	ck_assert_uint_eq(count_char(out, '\n'), 7);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (n == 0 || n == 1 || n == 6) {
			ck_assert_msg(line[0] == '#', "line %zu: '%s'", n,
			    line);
			continue;
		}
		ck_assert_msg(strncmp(line, "Host: 2001:db8::1 (", 19) == 0,
		    "line %zu: '%s'", n, line);
		/* Exactly one tab, and the name closes at the one ')'. */
		ck_assert_uint_eq(count_char(line, '\t'), 1);
		ck_assert_uint_eq(count_char(line, ')'), 1);
		ck_assert_ptr_nonnull(strstr(line, ")\t"));
		for (const unsigned char *p = (unsigned char *)line; *p; p++)
			ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\t',
			    "line %zu holds byte 0x%02x", n, *p);
		if (n % 2 == 0) {
			ck_assert_ptr_nonnull(strstr(line, "\tStatus: Up"));
			continue;
		}
		/* Three ports: two ", " separators, seven '/' in each. */
		ck_assert_ptr_nonnull(strstr(line, "\tPorts: 22/open/tcp//"));
		/* No service name: nmap's "unknown". */
		ck_assert_ptr_nonnull(strstr(line, ", 80/closed/tcp//unknown///, "));
		ck_assert_ptr_nonnull(strstr(line,
		    ", 443/filtered/tcp//https///"));
		ck_assert_uint_eq(count_char(line, ','), 2);
		ck_assert_uint_eq(count_char(line, '/'), 21);
	}
	free(out);
}
END_TEST

START_TEST(format_xml)
{
	struct out_run run = { .args = "trawl -- \"<&>\"\n\x1b", .start = 0,
	    .version = "1--2" };
	char *out = run_format(output_find("xml"), &run);
	const unsigned char *p;

	/* Only XML Chars; line ends are ours alone. */
	for (p = (unsigned char *)out; *p; ) {
		size_t n = *p == '\n' ? 1 : xml_char(p);

		ck_assert_msg(n > 0, "byte 0x%02x at %zu", *p,
		    (size_t)(p - (unsigned char *)out));
		p += n;
	}
	/* One of each element we open, and each closed. */
	ck_assert_ptr_nonnull(strstr(out, "<nmaprun scanner=\"nmap\" args=\""
	    "trawl -- &quot;&lt;&amp;&gt;&quot;\\x0a\\x1b\""));
	ck_assert_ptr_nonnull(strstr(out, "<!-- trawl scan initiated"));
	ck_assert_ptr_null(strstr(out, "1--2 scan"));
	ck_assert_ptr_nonnull(strstr(out, "<address addr=\"2001:db8::1\" "
	    "addrtype=\"ipv6\"/>"));
	ck_assert_ptr_nonnull(strstr(out, "<hostname name=\"evil\\x0a&quot;"
	    "&lt;&amp;&gt;\\x0d,\\x09()/\\x5c\" type=\"user\"/>"));
	ck_assert_ptr_nonnull(strstr(out, "<target specification=\"evil"));
	ck_assert_ptr_nonnull(strstr(out, "<state state=\"filtered\" "
	    "reason=\"host-unreach\""));
	ck_assert_ptr_nonnull(strstr(out, "<hosts up=\"1\" down=\"2\" "
	    "total=\"3\"/>"));
	ck_assert_ptr_nonnull(strstr(out, "</runstats>\n</nmaprun>\n"));
	ck_assert_uint_eq(count_char(out, '<'), count_char(out, '>'));
	free(out);
}
END_TEST

START_TEST(format_xml_no_run)
{
	struct out_stats st = { 0 };
	struct sink k;
	char *out;

	/* Without a run: still a document, its command line "trawl". */
	sink_open(&k);
	out_xml.begin(k.w, NULL);
	out_xml.end(k.w, &st);
	out = sink_take(&k);
	sink_close(&k);
	ck_assert_ptr_nonnull(strstr(out, " args=\"trawl\" "));
	ck_assert_ptr_nonnull(strstr(out, "numservices=\"0\" services=\"\""));
	ck_assert_ptr_nonnull(strstr(out, "<hosts up=\"0\" down=\"0\" "
	    "total=\"0\"/>"));
	free(out);
}
END_TEST

/*
 * A PTR name (--rdns) never reaches a format unchecked (dns.h:
 * dns_ptr_name_clean()), but each format escapes it as it does any name:
 * every byte in it, on a host given by address (the name heads the host
 * in text, fills grep's parentheses) and on one given by names (text's
 * rDNS line).  No raw control byte anywhere; CSV keeps nine fields.
 */
START_TEST(format_ptr)
{
	static const char *const fmts[] = { "text", "ndjson", "csv", "grep",
	    "xml" };
	struct out_run run = { .args = "trawl --rdns", .rdns = true };
	struct out_host named = hostile_host, bare = hostile_host;
	struct out_stats st = { .hosts = 2, .hosts_up = 2 };

	for (int i = 1; i < 256; i++)
		every_byte[i - 1] = (char)i;
	named.ptr = bare.ptr = every_byte;
	named.rdns = bare.rdns = true;
	bare.names = NULL;
	bare.nnames = 0;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		const struct out_format *fmt = output_find(fmts[f]);
		struct sink k;
		char *out, *line, *save;

		sink_open(&k);
		fmt->begin(k.w, &run);
		if (fmt->unresolved != NULL)
			fmt->unresolved(k.w, &run, "gone.example", "nxdomain");
		fmt->host(k.w, &named);
		fmt->host(k.w, &bare);
		fmt->end(k.w, &st);
		out = sink_take(&k);
		sink_close(&k);
		for (line = strtok_r(out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			size_t len = strlen(line);

			if (strcmp(fmts[f], "csv") == 0) {
				ck_assert(len > 0 && line[len - 1] == '\r');
				line[--len] = '\0';
				ck_assert_uint_eq(csv_row_fields(line), 9);
			}
			for (const unsigned char *p = (unsigned char *)line;
			    *p; p++)
				ck_assert_msg(*p >= 0x20 || (*p == '\t' &&
				    strcmp(fmts[f], "grep") == 0),
				    "%s: byte 0x%02x in '%s'", fmts[f], *p,
				    line);
		}
		free(out);
	}
}
END_TEST

static Suite *
textesc_suite(void)
{
	Suite *s = suite_create("textesc");
	TCase *tc = tcase_create("escapers");
	TCase *tf = tcase_create("formats");

	tcase_add_loop_test(tc, xml_table, 0,
	    (int)(sizeof(xml_pairs) / sizeof(xml_pairs[0])));
	tcase_add_loop_test(tc, csv_table, 0,
	    (int)(sizeof(csv_pairs) / sizeof(csv_pairs[0])));
	tcase_add_loop_test(tc, grep_table, 0,
	    (int)(sizeof(grep_pairs) / sizeof(grep_pairs[0])));
	tcase_add_test(tc, text_and_json);
	tcase_add_test(tc, bytes_with_nuls);
	tcase_add_test(tc, bytes_bounded);
	tcase_add_test(tc, printable);
	tcase_add_test(tc, xml_any_bytes);
	tcase_add_test(tc, csv_any_bytes);
	tcase_add_test(tc, grep_any_bytes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tf, format_csv);
	tcase_add_test(tf, format_csv_appending);
	tcase_add_test(tf, format_grep);
	tcase_add_test(tf, format_xml);
	tcase_add_test(tf, format_xml_no_run);
	tcase_add_test(tf, format_ptr);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(textesc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
