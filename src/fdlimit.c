/*
 * Every probe in flight is a descriptor.  Distributions ship a soft limit of
 * 1024 and a hard limit far above it; an unprivileged process may raise its
 * soft limit to the hard one, so we do, rather than fail at socket().
 */
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

unsigned
fdlimit_fit(unsigned long limit, unsigned wanted)
{
	unsigned long room;

	/*
	 * With a tiny limit keep half of it for ourselves rather than the
	 * full reserve, so that `ulimit -n 40` still scans.
	 */
	if (limit > 2 * FDLIMIT_RESERVE)
		room = limit - FDLIMIT_RESERVE;
	else
		room = limit / 2;
	if (room < 1)
		room = 1;
	return wanted <= room ? wanted : (unsigned)room;
}
