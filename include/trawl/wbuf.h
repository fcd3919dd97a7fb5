/*
 * Buffered output to a file descriptor, with a sticky error.
 *
 * Writers format into the buffer and never check for errors one call at a
 * time: the first failed write() is remembered, later output is dropped, and
 * the owner asks wbuf_error() once, when it matters.
 */
#ifndef TRAWL_WBUF_H
#define TRAWL_WBUF_H

#include <stdbool.h>
#include <stddef.h>

struct wbuf;

/*
 * Open n output files together ("-" is standard output), appending to
 * them or, once every one is open, truncating them: a file that cannot be
 * opened leaves the others as they were, and files this call created are
 * removed again.  Returns 0 with ws[0..n) set; -1 with errno when
 * paths[*bad] cannot be opened; -2 when paths[*bad] is the same regular
 * file as paths[*same] under another name.
 */
int wbuf_open_set(const char *const *paths, size_t n, bool append,
    struct wbuf **ws, size_t *bad, size_t *same);
/* An existing descriptor, not closed by wbuf_close() (tests). */
struct wbuf *wbuf_fdopen(int fd);
/* Flush and close; returns 0 or the first errno met. */
int wbuf_close(struct wbuf *w);

void wbuf_put(struct wbuf *w, const char *s, size_t n);
void wbuf_puts(struct wbuf *w, const char *s);
void wbuf_putc(struct wbuf *w, char c);
void wbuf_printf(struct wbuf *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Write out what is buffered; returns 0 or the sticky errno. */
int wbuf_flush(struct wbuf *w);
int wbuf_error(const struct wbuf *w);
/*
 * fn(ctx) runs before each write() that has bytes to write: a terminal
 * shared with a live progress line takes the line off first.
 */
void wbuf_before_write(struct wbuf *w, void (*fn)(void *ctx), void *ctx);
const char *wbuf_path(const struct wbuf *w);
/* The descriptor written to (fsync, fstat: checkpoints). */
int wbuf_fd(const struct wbuf *w);

#endif
