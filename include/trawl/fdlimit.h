/* The open-file limit, and how many sockets fit under it. */
#ifndef TRAWL_FDLIMIT_H
#define TRAWL_FDLIMIT_H

/* Descriptors kept back for stdio, outputs, epoll, the resolver. */
#define FDLIMIT_RESERVE 32

/*
 * Raise RLIMIT_NOFILE's soft limit to the hard limit and return the soft
 * limit now in force.
 */
unsigned long fdlimit_raise(void);
/* The largest concurrency that fits under limit (at least 1). */
unsigned fdlimit_fit(unsigned long limit, unsigned wanted);

#endif
