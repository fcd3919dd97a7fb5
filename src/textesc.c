/*
 * Escapers.  JSON demands valid UTF-8, so the JSON escaper decodes as it
 * goes and replaces what does not decode, rather than trusting its input.
 */
#include <stdint.h>
#include <string.h>

#include "trawl/textesc.h"
#include "trawl/wbuf.h"

static const char hexdigits[] = "0123456789abcdef";

void
textesc_text(struct wbuf *w, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			wbuf_putc(w, (char)*p);
		} else {
			char esc[4] = { '\\', 'x', hexdigits[*p >> 4],
			    hexdigits[*p & 15] };

			wbuf_put(w, esc, sizeof(esc));
		}
	}
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not valid. */
static size_t
utf8_len(const unsigned char *p)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
textesc_json(struct wbuf *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
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
