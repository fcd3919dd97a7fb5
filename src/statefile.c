/*
 * State files; see statefile.h for the layout.
 *
 * Reading goes by chunks of a megabyte with lines cut in place, never the
 * whole file at once: a baseline of a large sweep holds millions of lines
 * and loads in about a second, and garbage costs a clear error at a
 * bounded line, never unbounded memory.  A buffer is read the same way,
 * so that the fuzz targets and the unit tests exercise the file's path.
 *
 * Writing never touches the file it replaces until the new one is whole
 * and on disk: a temporary file beside it, synced, then renamed over it.
 * The temporary name is random and created exclusively, so that two runs
 * saving at once (two shards given the same --baseline) each write their
 * own file and the last rename wins whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trawl/statefile.h"
#include "trawl/wbuf.h"

#define READ_CHUNK (1024 * 1024)

struct statefile {
	const char *name, *kind;
	char *err;
	size_t errlen;
	int fd;			/* -1: read from src instead */
	const char *src;
	size_t srclen, srcoff;
	char *buf;		/* cap + 1 bytes: room for a final NUL */
	size_t cap, off, len;
	size_t lineno;
	bool eof;
	bool header;		/* seen */
	int done;		/* 1 after the "end" line, -1 after an error */
};

/* --- reading ------------------------------------------------------------ */

static struct statefile *
reader_new(const char *name, const char *kind, int fd, size_t cap, char *err,
    size_t errlen)
{
	struct statefile *sf = calloc(1, sizeof(*sf));

	if (sf == NULL || (sf->buf = malloc(cap + 1)) == NULL) {
		free(sf);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sf->name = name;
	sf->kind = kind;
	sf->err = err;
	sf->errlen = errlen;
	sf->fd = fd;
	sf->cap = cap;
	return sf;
}

int
statefile_open(const char *path, const char *kind, struct statefile **out,
    char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if ((*out = reader_new(path, kind, fd, READ_CHUNK, err,
	    errlen)) == NULL) {
		close(fd);
		return -1;
	}
	return 1;
}

int
statefile_open_buf(const char *buf, size_t len, const char *name,
    const char *kind, struct statefile **out, char *err, size_t errlen)
{
	/*
	 * A small text fits whole, with a byte to spare for the read that
	 * meets its end; a larger one goes by READ_CHUNK, as a file does.
	 */
	size_t cap = len < READ_CHUNK ? len + 1 : READ_CHUNK;

	if ((*out = reader_new(name, kind, -1, cap, err, errlen)) == NULL)
		return -1;
	(*out)->src = buf;
	(*out)->srclen = len;
	return 0;
}

void
statefile_close(struct statefile *sf)
{
	if (sf == NULL)
		return;
	if (sf->fd >= 0)
		close(sf->fd);
	free(sf->buf);
	free(sf);
}

size_t
statefile_line(const struct statefile *sf)
{
	return sf->lineno;
}

int
statefile_bad(struct statefile *sf, const char *what)
{
	snprintf(sf->err, sf->errlen, "%s:%zu: bad %s file: %s", sf->name,
	    sf->lineno, sf->kind, what);
	sf->done = -1;
	return -1;
}

/* Like read(), from the file or from memory. */
static ssize_t
fill(struct statefile *sf, char *dst, size_t n)
{
	ssize_t k;

	if (sf->fd < 0) {
		if (n > sf->srclen - sf->srcoff)
			n = sf->srclen - sf->srcoff;
		if (n > 0)
			memcpy(dst, sf->src + sf->srcoff, n);
		sf->srcoff += n;
		return (ssize_t)n;
	}
	do
		k = read(sf->fd, dst, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/*
 * The next line, NUL-terminated in place, without its newline.  1, 0 at
 * the end of the file, -1 with errno (E2BIG: longer than
 * STATEFILE_LINE_MAX).
 */
static int
next_line(struct statefile *sf, char **line, size_t *len)
{
	for (;;) {
		char *p = sf->buf + sf->off;
		size_t avail = sf->len - sf->off;
		char *nl = memchr(p, '\n', avail);
		ssize_t k;

		if (nl != NULL || (sf->eof && avail > 0)) {
			size_t n = nl != NULL ? (size_t)(nl - p) : avail;

			if (n > STATEFILE_LINE_MAX) {
				errno = E2BIG;
				return -1;
			}
			p[n] = '\0';
			sf->off += n + (nl != NULL);
			*line = p;
			*len = n;
			return 1;
		}
		if (sf->eof)
			return 0;
		/* The buffer holds more than a line: it can always fill. */
		if (avail > STATEFILE_LINE_MAX) {
			errno = E2BIG;
			return -1;
		}
		memmove(sf->buf, p, avail);
		sf->off = 0;
		sf->len = avail;
		k = fill(sf, sf->buf + sf->len, sf->cap - sf->len);
		if (k < 0)
			return -1;
		if (k == 0)
			sf->eof = true;
		sf->len += (size_t)k;
	}
}

/*
 * Split line at spaces and tabs into at most max words; -1 when there
 * are more (the first max words set all the same).
 */
static int
split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* next_line() failed: a line too long, or the file unreadable. */
static int
read_failed(struct statefile *sf, const char *too_long)
{
	if (errno == E2BIG) {
		sf->lineno++;
		return statefile_bad(sf, too_long);
	}
	snprintf(sf->err, sf->errlen, "cannot read '%s': %s", sf->name,
	    strerror(errno));
	sf->done = -1;
	return -1;
}

static int
not_ours(struct statefile *sf)
{
	char what[64];

	snprintf(what, sizeof(what), "not a trawl %s file", sf->kind);
	return statefile_bad(sf, what);
}

/* The first line: "trawl-KIND 1". */
static int
check_header(struct statefile *sf, char **words, int n)
{
	const char *w = words[0];

	if (strncmp(w, "trawl-", 6) != 0 || strcmp(w + 6, sf->kind) != 0)
		return not_ours(sf);
	if (n != 2 || strcmp(words[1], "1") != 0)
		return statefile_bad(sf,
		    "unsupported version (this trawl reads 1)");
	sf->header = true;
	return 0;
}

/* After the "end" line: nothing at all, not even a blank line. */
static int
check_end(struct statefile *sf)
{
	char *line;
	size_t len;
	int got = next_line(sf, &line, &len);

	if (got < 0)
		return read_failed(sf, "text after 'end'");
	if (got == 1) {
		sf->lineno++;
		return statefile_bad(sf, "text after 'end'");
	}
	sf->done = 1;
	return 0;
}

/* The file ended before its "end" line. */
static int
cut_short(struct statefile *sf)
{
	if (sf->lineno == 0) {
		/* Nothing at all is wrong from its first line on. */
		sf->lineno = 1;
		return statefile_bad(sf, "empty file");
	}
	if (!sf->header)
		return not_ours(sf);
	return statefile_bad(sf, "truncated (no 'end' line)");
}

int
statefile_next(struct statefile *sf, char **words, int max)
{
	char *line, *head[3];
	size_t len;
	int got, n;

	if (sf->done != 0)
		return sf->done > 0 ? 0 : -1;
	while ((got = next_line(sf, &line, &len)) == 1) {
		sf->lineno++;
		if (memchr(line, '\0', len) != NULL)
			return statefile_bad(sf, "NUL byte");
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (!sf->header) {
			/* Two words, and a third only to tell it is there. */
			if ((n = split(line, head, 3)) < 0)
				n = 3;
			if (n > 0 && check_header(sf, head, n) != 0)
				return -1;
			continue;
		}
		if ((n = split(line, words, max)) < 0)
			return statefile_bad(sf, "too many words");
		if (n == 1 && strcmp(words[0], "end") == 0)
			return check_end(sf);
		if (n > 0)
			return n;
	}
	if (got < 0)
		return read_failed(sf, "line too long");
	return cut_short(sf);
}

int
statefile_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
statefile_hex64(const char *word, uint64_t *v)
{
	size_t len = strlen(word);

	/*
	 * Digits only, checked before strtoull(), which alone would take a
	 * sign, spaces and a 0x, and wrap ("-1" was ffffffffffffffff).
	 */
	if (len == 0 || len > 16 ||
	    strspn(word, "0123456789abcdefABCDEF") != len)
		return -1;
	*v = strtoull(word, NULL, 16);
	return 0;
}

/* --- writing ------------------------------------------------------------ */

static const char hexdigits[] = "0123456789abcdef";

/*
 * A new file next to path, under a name no other writer picks: random,
 * and created exclusively, so that a name taken is only another try.
 */
static int
open_temp(const char *path, char **tmp)
{
	size_t len = strlen(path) + 32;

	if ((*tmp = malloc(len)) == NULL)
		return -1;
	for (unsigned tries = 0; tries < 100; tries++) {
		unsigned char r[6];
		char hex[2 * sizeof(r) + 1];
		int fd;

		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
			/* No entropy yet (early boot): time and pid. */
			struct timespec ts;
			uint64_t x;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			x = ((uint64_t)getpid() << 40) ^
			    (uint64_t)ts.tv_nsec ^ ((uint64_t)tries << 30) ^
			    (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ULL;
			memcpy(r, &x, sizeof(r));
		}
		for (size_t i = 0; i < sizeof(r); i++) {
			hex[2 * i] = hexdigits[r[i] >> 4];
			hex[2 * i + 1] = hexdigits[r[i] & 15];
		}
		hex[sizeof(hex) - 1] = '\0';
		snprintf(*tmp, len, "%s.tmp-%s", path, hex);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* The directory of path, allocated: "." for a bare name. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/*
 * fsync the directory holding path, so that the rename itself survives a
 * crash.  Some file systems cannot sync a directory (EINVAL): the rename
 * is then as durable as they make it.
 */
static int
sync_dir(const char *path)
{
	char *dir;
	int fd, rc = 0, saved;

	if ((dir = dir_of(path)) == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	free(dir);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -1;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* The whole file into fd: header, fn's lines, "end".  0 or an errno. */
static int
write_file(int fd, const char *kind, statefile_write_fn *fn,
    const void *ctx)
{
	struct wbuf *w = wbuf_fdopen(fd);
	int e, we;

	if (w == NULL)
		return ENOMEM;
	wbuf_printf(w, "trawl-%s 1\n", kind);
	e = fn(ctx, w);
	wbuf_puts(w, "end\n");
	we = wbuf_close(w);
	return e != 0 ? e : we;
}

int
statefile_save(const char *path, const char *kind, statefile_write_fn *fn,
    const void *ctx, char *err, size_t errlen)
{
	struct stat st;
	char *tmp = NULL;
	const char *what = "cannot write";
	int fd, e;

	if ((fd = open_temp(path, &tmp)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create a temporary file for "
		    "'%s': %s", path, strerror(e));
		free(tmp);
		errno = e;
		return -1;
	}
	if ((e = write_file(fd, kind, fn, ctx)) != 0)
		goto fail;
	/* Whoever made the old file chose its mode: keep it. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    fchmod(fd, st.st_mode & 07777) != 0) {
		e = errno;
		goto fail;
	}
	if (fsync(fd) != 0) {
		e = errno;
		goto fail;
	}
	e = close(fd) != 0 ? errno : 0;
	fd = -1;
	if (e != 0)
		goto fail;
	if (rename(tmp, path) != 0) {
		e = errno;
		what = "cannot replace";
		goto fail;
	}
	free(tmp);
	if (sync_dir(path) != 0) {
		e = errno;
		snprintf(err, errlen, "'%s' written, but its directory could "
		    "not be synced: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	snprintf(err, errlen, "%s '%s': %s", what, path, strerror(e));
	errno = e;
	return -1;
}

void
statefile_sweep(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t blen = strlen(base);
	char *dir;
	DIR *d;
	struct dirent *de;

	if ((dir = dir_of(path)) == NULL)
		return;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *hex = n + blen + 5;

		/* Exactly open_temp()'s names: nothing else is ours. */
		if (strncmp(n, base, blen) != 0 ||
		    strncmp(n + blen, ".tmp-", 5) != 0 || strlen(hex) != 12 ||
		    strspn(hex, hexdigits) != 12)
			continue;
		(void)unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
	free(dir);
}
