/*
 * Buffered writer.  One write() per flush, not per record: the scan loop
 * flushes once per dispatch round, so output streams without costing a
 * system call per port.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/wbuf.h"

#define WBUF_SIZE 65536

struct wbuf {
	int fd;
	int owned;
	int err;
	size_t len;
	char *path;
	char buf[WBUF_SIZE];
};

static struct wbuf *
wbuf_alloc(int fd, int owned, const char *path)
{
	struct wbuf *w = malloc(sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->owned = owned;
	w->err = 0;
	w->len = 0;
	w->path = strdup(path);
	if (w->path == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

struct wbuf *
wbuf_open(const char *path, bool append)
{
	struct wbuf *w;
	int fd;

	if (strcmp(path, "-") == 0)
		return wbuf_alloc(STDOUT_FILENO, 0, "-");
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (append ? O_APPEND : O_TRUNC), 0666);
	if (fd < 0)
		return NULL;
	w = wbuf_alloc(fd, 1, path);
	if (w == NULL) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return w;
}

struct wbuf *
wbuf_fdopen(int fd)
{
	return wbuf_alloc(fd, 0, "(fd)");
}

static void
drain(struct wbuf *w, const char *p, size_t n)
{
	while (n > 0 && w->err == 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			break;
		}
		p += k;
		n -= (size_t)k;
	}
}

int
wbuf_flush(struct wbuf *w)
{
	drain(w, w->buf, w->len);
	w->len = 0;
	return w->err;
}

void
wbuf_put(struct wbuf *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n > sizeof(w->buf)) {
		wbuf_flush(w);
		if (n > sizeof(w->buf)) {
			drain(w, s, n);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void
wbuf_puts(struct wbuf *w, const char *s)
{
	wbuf_put(w, s, strlen(s));
}

void
wbuf_putc(struct wbuf *w, char c)
{
	if (w->len == sizeof(w->buf))
		wbuf_flush(w);
	if (w->err == 0)
		w->buf[w->len++] = c;
}

void
wbuf_printf(struct wbuf *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		wbuf_put(w, tmp, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);

		if (big == NULL) {
			w->err = ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		wbuf_put(w, big, (size_t)n);
		free(big);
	}
}

int
wbuf_error(const struct wbuf *w)
{
	return w->err;
}

const char *
wbuf_path(const struct wbuf *w)
{
	return w->path;
}

int
wbuf_close(struct wbuf *w)
{
	int err;

	if (w == NULL)
		return 0;
	err = wbuf_flush(w);
	if (w->owned && close(w->fd) != 0 && err == 0)
		err = errno;
	free(w->path);
	free(w);
	return err;
}
