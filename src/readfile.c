/*
 * One way to read a whole file, for the few that trawl reads whole.  The
 * buffer grows as the file does, so a bound of a megabyte costs a
 * megabyte only for a file that large; reading one byte past the bound
 * tells a file of exactly max bytes from a larger one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "trawl/readfile.h"

#define FIRST_CAP 4096

int
readfile(const char *path, size_t max, char **buf, size_t *len)
{
	size_t cap = FIRST_CAP, n = 0;
	char *p = NULL, *np;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		ssize_t k;

		/* Room for one byte past max, and for the NUL. */
		if (p == NULL || n == cap) {
			if (p != NULL)
				cap = cap <= max / 2 ? cap * 2 : max + 1;
			if ((np = realloc(p, cap + 1)) == NULL)
				goto fail;
			p = np;
		}
		k = read(fd, p + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
fail:
	saved = errno;
	close(fd);
	free(p);
	errno = saved;
	return -1;
}
