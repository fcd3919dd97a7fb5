/*
 * A main() for the fuzz targets without libFuzzer: every file named on the
 * command line, and every file in every directory named, is one input to
 * LLVMFuzzerTestOneInput().  With it the corpus is a regression test in
 * every build (gcc, no sanitizer runtime needed), not only where clang
 * fuzzes.  No input at all is a failure: a corpus that went missing must
 * not pass for one that was checked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* The whole of path, in a buffer of exactly its size (never NULL). */
static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	ssize_t k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		fprintf(stderr, "standalone: %s: out of memory\n", path);
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size && (k = read(fd, buf + len,
	    (size_t)st.st_size - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			fprintf(stderr, "standalone: %s: %s\n", path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)k;
	}
	close(fd);
	/* Named first: an abort in the target then says which input. */
	fprintf(stderr, "%s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every regular file of dir, in name order; the count, or -1. */
static long
run_dir(const char *dir)
{
	struct dirent **list;
	long count = 0;
	int n = scandir(dir, &list, skip_dot, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(list[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;

		if (path == NULL) {
			rc = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, list[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) == 0)
					count++;
				else
					rc = -1;
			}
		}
		free(path);
		free(list[i]);
	}
	free(list);
	return rc == 0 ? count : -1;
}

int
main(int argc, char **argv)
{
	long total = 0, n;
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "standalone: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) :
		    run_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "standalone: no inputs\n");
		return 1;
	}
	printf("%ld inputs, no finding\n", total);
	return 0;
}
