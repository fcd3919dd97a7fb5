/* Whole small files into memory: configuration, resume state, /proc. */
#ifndef TRAWL_READFILE_H
#define TRAWL_READFILE_H

#include <stddef.h>

/*
 * Read all of the file at path, at most max bytes, into a new buffer with
 * a NUL after the *len bytes read (the file may hold NULs of its own).
 * 0, and *buf is the caller's to free().  -1 with errno: open()'s or
 * read()'s, ENOMEM, or EFBIG when the file holds more than max bytes.
 */
int readfile(const char *path, size_t max, char **buf, size_t *len);

#endif
