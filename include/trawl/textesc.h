/*
 * Escaping text we did not write ourselves (names from the command line, from
 * files, later from DNS) for each place it goes.  A name may hold any byte:
 * none of them may reach a terminal raw or break a JSON line.
 */
#ifndef TRAWL_TEXTESC_H
#define TRAWL_TEXTESC_H

#include <stddef.h>

struct wbuf;

/*
 * Length in bytes of the character at s when it can go to a terminal as
 * is: valid UTF-8 and not a control (C0, DEL, C1) nor U+FFFE/U+FFFF.  0
 * when its first byte must be escaped.
 */
size_t textesc_printable(const char *s);

/* For people: printable ASCII as is, '\\' and everything else as \xNN. */
void textesc_text(struct wbuf *w, const char *s);
/*
 * One field of nmap's grepable lines: as textesc_text, and also the
 * characters that separate its fields ('/', ',', '(' and ')') as \xNN.
 */
void textesc_grep(struct wbuf *w, const char *s);
/*
 * The inside of a JSON string: quotes, backslashes and control characters
 * escaped; valid UTF-8 kept; each byte of invalid UTF-8 becomes U+FFFD.
 */
void textesc_json(struct wbuf *w, const char *s);
/*
 * Text or an attribute value in XML 1.0: & < > " ' as entities; valid
 * UTF-8 kept; as \xNN, each byte of what XML cannot hold (invalid UTF-8,
 * control characters, U+FFFE, U+FFFF) or a terminal would obey (DEL, C1
 * controls), and of '\\', so that an escape reads back one way only.
 */
void textesc_xml(struct wbuf *w, const char *s);
/*
 * A whole CSV field (RFC 4180): valid UTF-8 kept, the bytes textesc_xml
 * writes as \xNN written so here too (no CR or LF is ever raw, so a row
 * stays a line), and the field in double quotes, quotes doubled, when it
 * holds a comma or a quote.
 */
void textesc_csv(struct wbuf *w, const char *s);

/*
 * Bytes that are not a string (a server's banner: NULs and all, at most
 * TEXTESC_BYTES_MAX of them), escaped as the escaper of that kind does;
 * a NUL as any other control.
 */
#define TEXTESC_BYTES_MAX 1024
enum textesc_kind {
	TEXTESC_TEXT,
	TEXTESC_GREP,
	/* The version field of a grepable port: '(' and ')' are nmap's. */
	TEXTESC_GREP_VERSION,
	TEXTESC_JSON,
	TEXTESC_XML,
	TEXTESC_CSV,
	/* Part of a CSV field the caller quotes: quotes doubled. */
	TEXTESC_CSV_INNER,
};
void textesc_bytes(struct wbuf *w, enum textesc_kind kind, const void *b,
    size_t n);

#endif
