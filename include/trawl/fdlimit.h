/* The open-file limit, and how many sockets and threads fit under it. */
#ifndef TRAWL_FDLIMIT_H
#define TRAWL_FDLIMIT_H

/* Descriptors kept back, beyond those counted, when there are plenty. */
#define FDLIMIT_RESERVE 32

/*
 * Raise RLIMIT_NOFILE's soft limit to the hard limit and return the soft
 * limit now in force.
 */
unsigned long fdlimit_raise(void);
/* Descriptors open now. */
unsigned long fdlimit_used(void);
/*
 * Fit a scan under limit: used descriptors are open, more will be (output
 * files, the resolver's sockets); each of *threads takes one for its epoll
 * instance and at least one socket.  Lowers *threads and *concurrency to
 * what fits and returns 0; -1 when not even one thread with one socket
 * fits.
 */
int fdlimit_fit(unsigned long limit, unsigned long used, unsigned long more,
    unsigned *threads, unsigned *concurrency);

#endif
