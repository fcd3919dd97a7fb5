/*
 * The grab (--banners): what answers on an open port, found on the
 * connection the probe opened, in the engine's own reactor.  Each grab has
 * one socket at a time and one deadline in the heap; it waits for a
 * server-first greeting, or sends the probe the port suggests, then falls
 * back in turn (HTTP, TLS with SNI and HTTP inside it, Redis, PostgreSQL),
 * each on a new connection when the last one is spent.  It reads a few KiB
 * at most, and ends at its deadline whatever it has.
 */
#ifndef TRAWL_GRAB_H
#define TRAWL_GRAB_H

#include <stdint.h>
#include <sys/socket.h>

struct reactor;
struct svc;
struct grabber;

struct grab_config {
	unsigned timeout_ms;	/* per port, every connection included */
};

/* Bytes read from one connection, at most. */
#define GRAB_READ_MAX 4096
/* Default of --banner-timeout. */
#define GRAB_TIMEOUT_MS 5000

/*
 * A grab ended: svc is what it found (the receiver owns it), NULL when
 * memory ran out.  Called from the reactor, or from grab_stop().
 */
typedef void grab_done_fn(void *arg, struct svc *svc);

/* One per reactor (thread).  NULL with errno on failure. */
struct grabber *grabber_new(struct reactor *r, const struct grab_config *cfg);
/* Every grab still going is ended first, its done called. */
void grabber_free(struct grabber *g);
/*
 * Identify what answers on fd, a connected socket to `to` (port in it),
 * reached by name (NULL: by address), for HTTP's Host: and TLS's SNI.
 * The grab owns fd from here on, and calls done exactly once.  0, or -1
 * with errno (ENOMEM): fd is the caller's still.
 */
int grab_start(struct grabber *g, int fd, const struct sockaddr_storage *to,
    socklen_t len, const char *name, grab_done_fn *done, void *arg);
/* End every grab now with what it has (the scan stops). */
void grabber_stop(struct grabber *g);
/* Grabs going on. */
unsigned grabber_active(const struct grabber *g);

#endif
