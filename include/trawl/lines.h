/*
 * Line-oriented input files (targets, exclusions): '#' starts a comment,
 * blank lines are skipped, surrounding white space is ignored, and so is a
 * UTF-8 byte order mark at the start of the file.
 */
#ifndef TRAWL_LINES_H
#define TRAWL_LINES_H

#include <stddef.h>

/* Called with each significant line, NUL-terminated; non-zero stops. */
typedef int lines_fn(void *ctx, const char *path, size_t lineno, char *line);

/*
 * Read path ("-" is standard input) line by line.  Returns 0, the non-zero
 * value fn returned, or -1 with errno when the file cannot be read.
 */
int lines_each(const char *path, lines_fn *fn, void *ctx);

#endif
