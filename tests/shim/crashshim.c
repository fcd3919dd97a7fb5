/*
 * A test's LD_PRELOAD shim: dies, or fails, inside a checkpoint's write.
 *
 *	TRAWL_SHIM_MATCH	a substring of the paths that count (the
 *				resume file's name: its temporary file too)
 *	TRAWL_SHIM_CALL		rename, fsync or write
 *	TRAWL_SHIM_NTH		the Nth such call on a matching path (1 is
 *				the first)
 *	TRAWL_SHIM_DO		kill-before: SIGKILL instead of the call;
 *				kill-after: SIGKILL right after it;
 *				enospc: that call and every later one on a
 *				matching path fails with ENOSPC
 *
 * rename() matches on its new name; fsync() and write() on the name of
 * the descriptor (/proc/self/fd).  Without TRAWL_SHIM_CALL it does
 * nothing at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long seen;
static int failing;

static int
wanted(const char *call, const char *path)
{
	const char *c = getenv("TRAWL_SHIM_CALL");
	const char *m = getenv("TRAWL_SHIM_MATCH");

	return c != NULL && m != NULL && strcmp(c, call) == 0 &&
	    path != NULL && strstr(path, m) != NULL;
}

static const char *
fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, len - 1)) < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* -1: fail with ENOSPC; 1: kill after the call; 0: as usual. */
static int
before(const char *call, const char *path)
{
	const char *what = getenv("TRAWL_SHIM_DO");
	const char *nth = getenv("TRAWL_SHIM_NTH");

	if (!wanted(call, path) || what == NULL)
		return 0;
	if (failing)
		return -1;
	if (++seen != (nth != NULL ? atol(nth) : 1))
		return 0;
	if (strcmp(what, "kill-before") == 0)
		raise(SIGKILL);
	if (strcmp(what, "kill-after") == 0)
		return 1;
	if (strcmp(what, "enospc") == 0) {
		failing = 1;
		return -1;
	}
	return 0;
}

int
rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *) =
	    (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	int how = before("rename", to), rc;

	if (how < 0) {
		errno = ENOSPC;
		return -1;
	}
	rc = real(from, to);
	if (how > 0)
		raise(SIGKILL);
	return rc;
}

int
fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	char buf[4096];
	int how = getenv("TRAWL_SHIM_CALL") != NULL ?
	    before("fsync", fd_path(fd, buf, sizeof(buf))) : 0, rc;

	if (how < 0) {
		errno = ENOSPC;
		return -1;
	}
	rc = real(fd);
	if (how > 0)
		raise(SIGKILL);
	return rc;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) =
	    (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	const char *c = getenv("TRAWL_SHIM_CALL");
	char buf[4096];
	int how = c != NULL && strcmp(c, "write") == 0 ?
	    before("write", fd_path(fd, buf, sizeof(buf))) : 0;
	ssize_t rc;

	if (how < 0) {
		errno = ENOSPC;
		return -1;
	}
	rc = real(fd, p, n);
	if (how > 0)
		raise(SIGKILL);
	return rc;
}
