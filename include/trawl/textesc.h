/*
 * Escaping text we did not write ourselves (names from the command line, from
 * files, later from DNS) for each place it goes.  A name may hold any byte:
 * none of them may reach a terminal raw or break a JSON line.
 */
#ifndef TRAWL_TEXTESC_H
#define TRAWL_TEXTESC_H

#include <stddef.h>

struct wbuf;

/* For people: printable ASCII as is, '\\' and everything else as \xNN. */
void textesc_text(struct wbuf *w, const char *s);
/*
 * The inside of a JSON string: quotes, backslashes and control characters
 * escaped; valid UTF-8 kept; each byte of invalid UTF-8 becomes U+FFFD.
 */
void textesc_json(struct wbuf *w, const char *s);

#endif
