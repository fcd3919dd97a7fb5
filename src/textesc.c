/*
 * Escapers.  JSON and XML demand valid UTF-8, so their escapers decode as
 * they go and replace what does not decode, rather than trusting their
 * input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static const char hexdigits[] = "0123456789abcdef";

static void
put_hex(struct wbuf *w, unsigned char c)
{
	char esc[4] = { '\\', 'x', hexdigits[c >> 4], hexdigits[c & 15] };

	wbuf_put(w, esc, sizeof(esc));
}

/*
 * Printable ASCII but '\\' and the characters of extra; \xNN for the rest.
 * [p, end): a NUL inside is a byte like any other.
 */
static void
text_escape(struct wbuf *w, const unsigned char *p, const unsigned char *end,
    const char *extra)
{
	for (; p < end; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\' &&
		    strchr(extra, *p) == NULL)
			wbuf_putc(w, (char)*p);
		else
			put_hex(w, *p);
	}
}

static const unsigned char *
end_of(const char *s)
{
	return (const unsigned char *)s + strlen(s);
}

void
textesc_text(struct wbuf *w, const char *s)
{
	text_escape(w, (const unsigned char *)s, end_of(s), "");
}

void
textesc_grep(struct wbuf *w, const char *s)
{
	text_escape(w, (const unsigned char *)s, end_of(s), "/,()");
}

/*
 * Length of the valid UTF-8 sequence at p, its code point in *cp; 0 when
 * it is not valid.
 */
static size_t
utf8_decode(const unsigned char *p, uint32_t *cp)
{
	size_t n;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		*cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		*cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		*cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return 0;
	return n;
}

size_t
textesc_printable(const char *s)
{
	uint32_t cp;
	size_t n = utf8_decode((const unsigned char *)s, &cp);

	if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/*
 * [p, end), a NUL at end: utf8_decode() stops there at the latest.  A NUL
 * inside is a control like any other.
 */
static void
json_escape(struct wbuf *w, const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		uint32_t cp;
		size_t n = *p == 0 ? 1 : utf8_decode(p, &cp);

		if (n == 0 || p + n > end) {
			wbuf_puts(w, "\\ufffd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			wbuf_putc(w, '\\');
			wbuf_putc(w, (char)*p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hexdigits[*p >> 4],
			    hexdigits[*p & 15] };

			wbuf_put(w, esc, sizeof(esc));
			p++;
		} else {
			wbuf_put(w, (const char *)p, n);
			p += n;
		}
	}
}

void
textesc_json(struct wbuf *w, const char *s)
{
	json_escape(w, (const unsigned char *)s, end_of(s));
}

/*
 * Valid UTF-8 as is, but for the ASCII characters the format quotes its own
 * way (ascii[c] not NULL) and what is not text at all: invalid UTF-8,
 * C0 and C1 controls, DEL, the two code points XML 1.0 excludes (U+FFFE,
 * U+FFFF), and '\\' so that "\x1b" in the output means one thing only.
 * Those go out byte by byte as \xNN: unlike U+FFFD, the bytes survive.
 * XML could carry tab, CR and LF as character references, but a reader
 * would then hand them raw to whatever prints the name.
 */
static void
utf8_escape(struct wbuf *w, const unsigned char *p, const unsigned char *end,
    const char *const ascii[128])
{
	while (p < end) {
		size_t n = *p == 0 ? 0 :
		    textesc_printable((const char *)p);

		/*
		 * One byte at a time: the rest of an escaped character is
		 * not UTF-8 on its own, so it is escaped next, byte by byte.
		 */
		if (n == 0 || p + n > end || *p == '\\') {
			put_hex(w, *p);
			n = 1;
		} else if (*p < 0x80 && ascii[*p] != NULL) {
			wbuf_puts(w, ascii[*p]);
		} else {
			wbuf_put(w, (const char *)p, n);
		}
		p += n;
	}
}

static const char *const xml_ascii[128] = {
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&apos;",
};

void
textesc_xml(struct wbuf *w, const char *s)
{
	utf8_escape(w, (const unsigned char *)s, end_of(s), xml_ascii);
}

static const char *const csv_ascii[128] = {
	['"'] = "\"\"",
};

static void
csv_escape(struct wbuf *w, const unsigned char *p, const unsigned char *end)
{
	/* Raw CR and LF cannot occur: the escaper writes them as \xNN. */
	bool quote = false;

	for (const unsigned char *q = p; q < end; q++)
		if (*q == ',' || *q == '"')
			quote = true;
	if (quote)
		wbuf_putc(w, '"');
	utf8_escape(w, p, end, csv_ascii);
	if (quote)
		wbuf_putc(w, '"');
}

void
textesc_csv(struct wbuf *w, const char *s)
{
	csv_escape(w, (const unsigned char *)s, end_of(s));
}

/*
 * The *_bytes escapers: n bytes that may hold NULs (a server's banner),
 * copied with a NUL after them so that no decoder reads past the end.
 */
void
textesc_bytes(struct wbuf *w, enum textesc_kind kind, const void *b,
    size_t n)
{
	unsigned char tmp[TEXTESC_BYTES_MAX + 4] = { 0 };
	const unsigned char *end;

	if (n > TEXTESC_BYTES_MAX)
		n = TEXTESC_BYTES_MAX;
	if (n > 0)
		memcpy(tmp, b, n);
	end = tmp + n;
	switch (kind) {
	case TEXTESC_TEXT:
		text_escape(w, tmp, end, "");
		break;
	case TEXTESC_GREP:
		text_escape(w, tmp, end, "/,()");
		break;
	case TEXTESC_GREP_VERSION:
		text_escape(w, tmp, end, "/,");
		break;
	case TEXTESC_JSON:
		json_escape(w, tmp, end);
		break;
	case TEXTESC_XML:
		utf8_escape(w, tmp, end, xml_ascii);
		break;
	case TEXTESC_CSV:
		csv_escape(w, tmp, end);
		break;
	case TEXTESC_CSV_INNER:
		utf8_escape(w, tmp, end, csv_ascii);
		break;
	}
}
