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
#include <sys/stat.h>
#include <unistd.h>

#include "trawl/wbuf.h"

#define WBUF_SIZE 65536

struct wbuf {
	int fd;
	int owned;
	int err;
	size_t len;
	char *path;
	void (*before_write)(void *ctx);
	void *before_ctx;
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
	w->before_write = NULL;
	w->before_ctx = NULL;
	w->path = strdup(path);
	if (w->path == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

/*
 * Open path for writing, without truncating it; *created: it did not exist
 * and this call made it (so a failure later may remove it again).
 */
static int
open_output(const char *path, bool append, bool *created)
{
	int flags = O_WRONLY | O_CLOEXEC | (append ? O_APPEND : 0), fd;

	*created = false;
	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if ((fd = open(path, flags | O_CREAT | O_EXCL, 0666)) >= 0) {
		*created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	fd = open(path, flags);
	/* A dangling symbolic link: create what it points to, as before. */
	if (fd < 0 && errno == ENOENT)
		fd = open(path, flags | O_CREAT, 0666);
	return fd;
}

int
wbuf_open_set(const char *const *paths, size_t n, bool append,
    struct wbuf **ws, size_t *bad, size_t *same)
{
	struct stat *st = calloc(n > 0 ? n : 1, sizeof(*st));
	bool *created = calloc(n > 0 ? n : 1, sizeof(*created));
	int rc = -1, saved;
	size_t i, k;

	for (i = 0; i < n; i++)
		ws[i] = NULL;
	if (st == NULL || created == NULL) {
		*bad = 0;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		int fd = open_output(paths[i], append, &created[i]);

		*bad = i;
		if (fd < 0 || fstat(fd, &st[i]) != 0 ||
		    (ws[i] = wbuf_alloc(fd, fd != STDOUT_FILENO,
		    paths[i])) == NULL) {
			saved = errno;
			if (fd >= 0 && fd != STDOUT_FILENO)
				close(fd);
			errno = saved;
			goto fail;
		}
		/*
		 * One file under two names (a link, "./a", /dev/stdout):
		 * two formats would interleave in it.  Devices such as
		 * /dev/null take any number of writers.
		 */
		for (k = 0; k < i; k++) {
			if (S_ISREG(st[i].st_mode) && S_ISREG(st[k].st_mode) &&
			    st[i].st_dev == st[k].st_dev &&
			    st[i].st_ino == st[k].st_ino) {
				*same = k;
				rc = -2;
				goto fail;
			}
		}
	}
	/* Only now that all are open: truncate what a new scan replaces. */
	for (i = 0; i < n && !append; i++) {
		*bad = i;
		if (ws[i]->owned && S_ISREG(st[i].st_mode) &&
		    ftruncate(ws[i]->fd, 0) != 0)
			goto fail;
	}
	free(st);
	free(created);
	return 0;
fail:
	saved = errno;
	for (i = 0; i < n; i++) {
		(void)wbuf_close(ws[i]);
		ws[i] = NULL;
		if (created != NULL && created[i])
			(void)unlink(paths[i]);
	}
	free(st);
	free(created);
	errno = saved;
	return rc;
}

struct wbuf *
wbuf_fdopen(int fd)
{
	return wbuf_alloc(fd, 0, "(fd)");
}

static void
drain(struct wbuf *w, const char *p, size_t n)
{
	if (n > 0 && w->err == 0 && w->before_write != NULL)
		w->before_write(w->before_ctx);
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

void
wbuf_before_write(struct wbuf *w, void (*fn)(void *ctx), void *ctx)
{
	w->before_write = fn;
	w->before_ctx = ctx;
}

int
wbuf_error(const struct wbuf *w)
{
	return w->err;
}

int
wbuf_fd(const struct wbuf *w)
{
	return w->fd;
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
