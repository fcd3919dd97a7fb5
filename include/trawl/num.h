/* Strict decimal numbers, in the spirit of OpenBSD's strtonum(). */
#ifndef TRAWL_NUM_H
#define TRAWL_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse exactly len bytes of s as a decimal number in [min, max].  No sign,
 * no spaces, no leading '+', no empty string.  Returns 0, or -1 when the
 * text is not a number or is out of range.
 */
int num_parse(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out);
/* The same for a NUL-terminated string. */
int num_parse_str(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
