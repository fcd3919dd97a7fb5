/*
 * Source ports picked by trawl, not by connect().
 *
 * connect() on an unbound socket searches the ephemeral range for a free
 * port -- a keyed hash, a lock and a lookup per candidate, and a bind bucket
 * allocated for the winner -- and, when the attempt is refused, gives the
 * port back.  The engine reuses a refused socket for the next probe, so on
 * a sweep of closed ports that search runs for nearly every probe.  A port
 * the socket was bound to by bind() is the socket's until it is closed: the
 * kernel only gives back ports it chose itself.  Bound once, a socket skips
 * the search for the rest of its life; a loopback sweep runs 5-7% faster.
 *
 * Which ports: the ones the kernel itself would choose from, read from this
 * network namespace's ip_local_port_range less ip_local_reserved_ports, so
 * that trawl never takes a port an administrator set aside, nor one outside
 * the range a firewall was told to expect.  The walk starts at a place of
 * the caller's choosing (engines start apart) and goes up one port at a
 * time.  bind() without SO_REUSEADDR fails with EADDRINUSE on a port that
 * anybody holds -- a listener, a connection, a TIME_WAIT -- so a busy port
 * is never shared: we take the next.  When several in a row are busy, the
 * range is crowded: leave the next sockets to connect(), whose search is
 * better at that, and whose EADDRNOTAVAIL the engine already waits out.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trawl/num.h"
#include "trawl/readfile.h"
#include "trawl/srcport.h"

#define RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_FILE "/proc/sys/net/ipv4/ip_local_reserved_ports"
/* One line each; every other port reserved is some 190 KB. */
#define FILE_MAX (1024 * 1024)
/* Busy ports tried per socket before it is left to connect(). */
#define BIND_TRIES 8
/* After a socket found BIND_TRIES busy ports: sockets left to connect(). */
#define BUSY_SKIP 64

struct srcport {
	uint16_t lo, hi;		/* the range, inclusive */
	unsigned count;			/* ports of it not reserved */
	unsigned at;			/* the walk: offset from lo */
	unsigned skip;			/* sockets still left to connect() */
	bool broken;			/* bind() cannot work here */
	uint8_t reserved[65536 / 8];
};

static bool
is_reserved(const struct srcport *sp, unsigned port)
{
	return sp->reserved[port / 8] & (1u << (port % 8));
}

/* A port number 1..65535 at *s, then *s past it; -1 if none. */
static long
parse_port(const char **s)
{
	size_t n = strspn(*s, "0123456789");
	uint64_t v;

	if (num_parse(*s, n, 1, 65535, &v) != 0)
		return -1;
	*s += n;
	return (long)v;
}

static void
skip_space(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\n')
		(*s)++;
}

/* "LOW HIGH", as the kernel prints it (a tab between). */
static int
parse_range(struct srcport *sp, const char *s)
{
	long lo, hi;

	skip_space(&s);
	if ((lo = parse_port(&s)) < 0 || (*s != ' ' && *s != '\t'))
		return -1;
	skip_space(&s);
	if ((hi = parse_port(&s)) < 0 || hi < lo)
		return -1;
	skip_space(&s);
	if (*s != '\0')
		return -1;
	sp->lo = (uint16_t)lo;
	sp->hi = (uint16_t)hi;
	return 0;
}

/* "8080,9148-9150", or nothing at all. */
static int
parse_reserved(struct srcport *sp, const char *s)
{
	skip_space(&s);
	while (*s != '\0') {
		long a, b;

		if ((a = parse_port(&s)) < 0)
			return -1;
		b = a;
		if (*s == '-') {
			s++;
			if ((b = parse_port(&s)) < 0 || b < a)
				return -1;
		}
		for (long p = a; p <= b; p++)
			sp->reserved[p / 8] |= (uint8_t)(1u << (p % 8));
		if (*s == ',')
			s++;
		else {
			skip_space(&s);
			if (*s != '\0')
				return -1;
		}
	}
	return 0;
}

struct srcport *
srcport_from_text(const char *range, const char *reserved, uint32_t seed)
{
	struct srcport *sp = calloc(1, sizeof(*sp));
	unsigned size;

	if (sp == NULL)
		return NULL;
	if (parse_range(sp, range) != 0 ||
	    (reserved != NULL && parse_reserved(sp, reserved) != 0)) {
		free(sp);
		errno = EINVAL;
		return NULL;
	}
	size = (unsigned)sp->hi - sp->lo + 1;
	for (unsigned p = sp->lo; p <= sp->hi; p++)
		sp->count += !is_reserved(sp, p);
	sp->at = seed % size;
	return sp;
}

/* The whole of a /proc file, NUL-terminated; NULL if it cannot be read. */
static char *
read_proc(const char *path)
{
	char *buf;
	size_t len;

	return readfile(path, FILE_MAX, &buf, &len) == 0 ? buf : NULL;
}

struct srcport *
srcport_new(uint32_t seed)
{
	char *range = read_proc(RANGE_FILE);
	char *reserved = read_proc(RESERVED_FILE);
	struct srcport *sp = NULL;

	/*
	 * Without the range we would not know which ports are ours to
	 * take: take none.  Without the reserved list (an old kernel has
	 * none) take the whole range, as the kernel then does.
	 */
	if (range != NULL)
		sp = srcport_from_text(range, reserved, seed);
	if (sp == NULL && errno != ENOMEM)
		sp = calloc(1, sizeof(*sp));	/* count 0: none */
	free(range);
	free(reserved);
	return sp;
}

void
srcport_free(struct srcport *sp)
{
	free(sp);
}

unsigned
srcport_count(const struct srcport *sp)
{
	return sp->count;
}

uint16_t
srcport_next(struct srcport *sp)
{
	unsigned size = (unsigned)sp->hi - sp->lo + 1, port;

	if (sp->count == 0)
		return 0;
	do {
		port = sp->lo + sp->at;
		sp->at = sp->at + 1 < size ? sp->at + 1 : 0;
	} while (is_reserved(sp, port));
	return (uint16_t)port;
}

bool
srcport_bind(struct srcport *sp, int fd, int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned tries = sp->count < BIND_TRIES ? sp->count : BIND_TRIES;

	if (sp->broken || tries == 0)
		return false;
	if (sp->skip > 0) {
		sp->skip--;
		return false;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	for (unsigned i = 0; i < tries; i++) {
		uint16_t port = htons(srcport_next(sp));

		if (family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = port;
		else
			((struct sockaddr_in *)&ss)->sin_port = port;
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return true;
		if (errno != EADDRINUSE) {
			/* EACCES from a sandbox, say: not worth asking again. */
			sp->broken = true;
			return false;
		}
	}
	sp->skip = BUSY_SKIP;
	return false;
}
