/*
 * Every probe in flight is a descriptor.  Distributions ship a soft limit of
 * 1024 and a hard limit far above it; an unprivileged process may raise its
 * soft limit to the hard one, so we do, rather than fail at socket().
 *
 * What is left is shared out before the scan starts.  Each thread takes one
 * descriptor for its epoll instance and needs at least one socket: threads
 * that could never open a connection would wait for one until the engine
 * gave up (10 s later, "cannot open connections").  So with a tiny limit
 * the threads are fewer, and with none to spare trawl says so at once.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/resource.h>

#include "trawl/fdlimit.h"

unsigned long
fdlimit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = { rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 :
	    (unsigned long)rl.rlim_cur;
}

unsigned long
fdlimit_used(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned long n = 0;
	struct dirent *de;

	if (d == NULL) {
		/* No /proc: ask each descriptor a limit of 1024 allows. */
		for (int fd = 0; fd < 1024; fd++)
			n += fcntl(fd, F_GETFD) != -1;
		return n;
	}
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	/* Not the one that read the directory. */
	return n > 0 ? n - 1 : 0;
}

int
fdlimit_fit(unsigned long limit, unsigned long used, unsigned long more,
    unsigned *threads, unsigned *concurrency)
{
	unsigned long avail, room, slack;

	avail = limit > used + more ? limit - used - more : 0;
	/*
	 * Keep some back for what nobody counted (the resolver's sockets,
	 * a file being saved): all of the reserve when there is plenty, a
	 * quarter of a small limit, so that `ulimit -n 8` still scans.
	 */
	slack = avail >= 4 * FDLIMIT_RESERVE ? FDLIMIT_RESERVE : avail / 4;
	room = avail - slack;
	if (room < 2)
		return -1;
	if (*threads > room / 2)
		*threads = (unsigned)(room / 2);
	if (*concurrency > room - *threads)
		*concurrency = (unsigned)(room - *threads);
	return 0;
}
