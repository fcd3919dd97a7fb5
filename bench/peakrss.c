/*
 * peakrss: run a command, report its peak RSS and wall time, for bench/run.
 *
 *	peakrss FILE COMMAND [ARG...]
 *
 * Writes "MAXRSS_KIB WALL_NS USER_US SYS_US" to FILE when COMMAND ends (peak
 * resident set, wall time from fork() to wait4(), CPU time in user space and
 * in the kernel), and exits with its exit status (128 + N if signal N killed
 * it).
 *
 * Why not wait4() straight from Python: ru_maxrss is a high-water mark that
 * survives exec, and a forked child starts with its parent's resident pages
 * counted.  A tool started by the bench's Python process would report at
 * least Python's RSS (tens of MiB, more than the tools themselves); started
 * from this small program, the floor is this program's few hundred KiB.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t
clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	struct rusage ru;
	uint64_t t0, t1;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: peakrss FILE COMMAND [ARG...]\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (out == NULL) {
		fprintf(stderr, "peakrss: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	t0 = clock_ns();
	pid = fork();
	if (pid == -1) {
		perror("peakrss: fork");
		return 1;
	}
	if (pid == 0) {
		fclose(out);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "peakrss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("peakrss: wait4");
			return 1;
		}
	}
	t1 = clock_ns();
	fprintf(out, "%ld %llu %lld %lld\n", ru.ru_maxrss,
	    (unsigned long long)(t1 - t0),
	    (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	    (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	if (fclose(out) != 0) {
		perror("peakrss: writing the result");
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
