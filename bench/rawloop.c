/*
 * rawloop: the floor of the usual connect scan, for bench/run.
 *
 * Only what a connect scanner does the usual way: socket(), a non-blocking
 * connect(), epoll until the connect is decided or its deadline passes,
 * close().  No retries, no random order, no rate, no output formatting
 * beyond one line per open port.  Whatever a real scanner spends on top of
 * this loop is its own overhead.
 *
 * T threads, one epoll loop each.  Probe i is address i / P, port i % P
 * (P ports); thread k walks the static slice [N*k/T, N*(k+1)/T) of the N
 * probes with its share of the C sockets in flight.
 *
 * Deadlines cost O(1): every socket gets the same timeout and sockets start
 * in time order, so a thread's sockets, kept in a list in the order they
 * started, are in deadline order too.  The head of the list is the next to
 * expire; no heap is needed.
 *
 *	rawloop [-c concurrency] [-T threads] [-t timeout_ms] -p PORTS
 *	    ADDRESS[-ADDRESS]...
 *
 * PORTS is a list of ports and ranges: 22,80,8000-8100.  Addresses are IPv4.
 * Writes "ADDRESS PORT" for each open port to stdout, and a summary line to
 * stderr.  Exit 0, 1 if the machine ran short of something (descriptors,
 * local ports, buffers: the bench's setup is wrong, and the numbers are
 * not the kernel's floor), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ULL
#define MAX_EVENTS 256

enum verdict { OPEN, CLOSED, FILTERED, OTHER, LOCAL };

struct slot {
	struct slot *prev, *next;	/* in flight: in start order */
	uint64_t deadline;
	uint64_t probe;
	int fd;
};

struct worker {
	pthread_t thread;
	uint64_t next, end;		/* probes not yet started */
	unsigned cap, inflight;
	struct slot *slots;
	struct slot *free;		/* linked through next */
	struct slot busy;		/* sentinel of the in-flight list */
	int epfd;
	uint64_t *open;
	size_t nopen, open_cap;
	uint64_t count[LOCAL + 1];
	int local_errno;		/* the first shortage met */
};

static uint32_t *addrs;
static size_t naddrs;
static uint16_t *ports;
static size_t nports;
static uint64_t timeout_ns = 1000 * NS_PER_MS;

static uint64_t
clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The errnos that describe this machine, not the target. */
static enum verdict
verdict_of(int err)
{
	switch (err) {
	case 0:
		return OPEN;
	case ECONNREFUSED:
	case ECONNRESET:
		return CLOSED;
	case ETIMEDOUT:
	case EPERM:
		return FILTERED;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL:
	case EADDRINUSE:
	case EAGAIN:
		return LOCAL;
	default:
		return OTHER;
	}
}

static void
record(struct worker *w, uint64_t probe, enum verdict v, int err)
{
	w->count[v]++;
	if (v == LOCAL && w->local_errno == 0)
		w->local_errno = err;
	if (v != OPEN)
		return;
	if (w->nopen == w->open_cap) {
		size_t cap = w->open_cap ? 2 * w->open_cap : 64;
		uint64_t *p = realloc(w->open, cap * sizeof(*p));

		if (p == NULL) {
			/* Losing an open port would pass for a wrong answer. */
			perror("rawloop: realloc");
			exit(1);
		}
		w->open = p;
		w->open_cap = cap;
	}
	w->open[w->nopen++] = probe;
}

static void
finish(struct worker *w, struct slot *s, enum verdict v, int err)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	close(s->fd);
	record(w, s->probe, v, err);
	s->next = w->free;
	w->free = s;
	w->inflight--;
}

static void
start(struct worker *w, uint64_t probe)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLOUT };
	struct slot *s;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		record(w, probe, LOCAL, errno);
		return;
	}
	sin.sin_addr.s_addr = htonl(addrs[probe / nports]);
	sin.sin_port = htons(ports[probe % nports]);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    errno != EINPROGRESS) {
		record(w, probe, verdict_of(errno), errno);
		close(fd);
		return;
	}
	s = w->free;
	w->free = s->next;
	s->fd = fd;
	s->probe = probe;
	/*
	 * The clock now, not at the top of the round: starting thousands of
	 * connects takes a while, and each socket gets its whole timeout.
	 */
	s->deadline = clock_ns() + timeout_ns;
	ev.data.ptr = s;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		record(w, probe, LOCAL, errno);
		close(fd);
		s->next = w->free;
		w->free = s;
		return;
	}
	s->prev = w->busy.prev;
	s->next = &w->busy;
	w->busy.prev->next = s;
	w->busy.prev = s;
	w->inflight++;
}

static int
wait_ms(const struct worker *w)
{
	uint64_t first = w->busy.next->deadline, now = clock_ns();

	if (first <= now)
		return 0;
	/* Round up: waking a little early would only spin. */
	return (int)((first - now + NS_PER_MS - 1) / NS_PER_MS);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[MAX_EVENTS];
	uint64_t now;
	int n;

	for (;;) {
		/* A shortage stops new probes: the run is void anyway. */
		while (w->inflight < w->cap && w->next < w->end &&
		    w->count[LOCAL] == 0)
			start(w, w->next++);
		if (w->inflight == 0)
			break;
		n = epoll_wait(w->epfd, evs, MAX_EVENTS, wait_ms(w));
		if (n == -1 && errno != EINTR) {
			perror("rawloop: epoll_wait");
			exit(1);
		}
		now = clock_ns();
		for (int i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			finish(w, s, verdict_of(err), err);
		}
		while (w->inflight > 0 && w->busy.next->deadline <= now)
			finish(w, w->busy.next, FILTERED, ETIMEDOUT);
	}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rawloop [-c concurrency] [-T threads] "
	    "[-t timeout_ms] -p PORTS ADDRESS[-ADDRESS]...\n");
	exit(2);
}

static unsigned long
number(const char *what, const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "rawloop: %s '%s': not in %lu..%lu\n", what, s,
		    lo, hi);
		exit(2);
	}
	return v;
}

static void *
grow(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n, size);
	if (p == NULL) {
		perror("rawloop: realloc");
		exit(1);
	}
	return p;
}

static void
parse_ports(char *list)
{
	for (char *tok = strtok(list, ","); tok != NULL;
	    tok = strtok(NULL, ",")) {
		char *dash = strchr(tok, '-');
		unsigned long lo, hi;

		if (dash != NULL)
			*dash = '\0';
		lo = number("port", tok, 1, 65535);
		hi = dash != NULL ? number("port", dash + 1, lo, 65535) : lo;
		ports = grow(ports, nports + (hi - lo + 1), sizeof(*ports));
		for (unsigned long p = lo; p <= hi; p++)
			ports[nports++] = (uint16_t)p;
	}
}

static uint32_t
parse_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "rawloop: not an IPv4 address: '%s'\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static void
parse_range(char *arg)
{
	char *dash = strchr(arg, '-');
	uint32_t lo, hi;

	if (dash != NULL)
		*dash = '\0';
	lo = parse_addr(arg);
	hi = dash != NULL ? parse_addr(dash + 1) : lo;
	if (hi < lo || hi - lo >= (1U << 24)) {
		fprintf(stderr, "rawloop: bad address range\n");
		exit(2);
	}
	addrs = grow(addrs, naddrs + (hi - lo + 1), sizeof(*addrs));
	for (uint64_t a = lo; a <= hi; a++)
		addrs[naddrs++] = (uint32_t)a;
}

int
main(int argc, char *argv[])
{
	unsigned long concurrency = 1024, threads = 1;
	uint64_t total, count[LOCAL + 1] = { 0 }, t0;
	struct worker *ws;
	int opt, local_errno = 0;

	while ((opt = getopt(argc, argv, "c:p:T:t:")) != -1) {
		switch (opt) {
		case 'c':
			concurrency = number("concurrency", optarg, 1,
			    1000000);
			break;
		case 'p':
			parse_ports(optarg);
			break;
		case 'T':
			threads = number("threads", optarg, 1, 1024);
			break;
		case 't':
			timeout_ns = number("timeout", optarg, 1, 3600000) *
			    NS_PER_MS;
			break;
		default:
			usage();
		}
	}
	if (nports == 0 || optind == argc)
		usage();
	for (int i = optind; i < argc; i++)
		parse_range(argv[i]);
	total = (uint64_t)naddrs * nports;
	if (threads > concurrency)
		threads = concurrency;

	ws = calloc(threads, sizeof(*ws));
	if (ws == NULL) {
		perror("rawloop: calloc");
		return 1;
	}
	t0 = clock_ns();
	for (unsigned k = 0; k < threads; k++) {
		struct worker *w = &ws[k];

		w->next = total * k / threads;
		w->end = total * (k + 1) / threads;
		w->cap = concurrency / threads +
		    (k < concurrency % threads ? 1 : 0);
		w->slots = calloc(w->cap, sizeof(*w->slots));
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->slots == NULL || w->epfd == -1) {
			perror("rawloop: setting up");
			return 1;
		}
		for (unsigned i = w->cap; i-- > 0;) {
			w->slots[i].next = w->free;
			w->free = &w->slots[i];
		}
		w->busy.next = w->busy.prev = &w->busy;
		errno = pthread_create(&w->thread, NULL, run, w);
		if (errno != 0) {
			perror("rawloop: pthread_create");
			return 1;
		}
	}
	for (unsigned k = 0; k < threads; k++)
		pthread_join(ws[k].thread, NULL);

	for (unsigned k = 0; k < threads; k++) {
		const struct worker *w = &ws[k];

		for (size_t i = 0; i < w->nopen; i++) {
			char buf[INET_ADDRSTRLEN];
			struct in_addr a = {
				htonl(addrs[w->open[i] / nports])
			};

			printf("%s %u\n", inet_ntop(AF_INET, &a, buf,
			    sizeof(buf)), ports[w->open[i] % nports]);
		}
		for (int v = 0; v <= LOCAL; v++)
			count[v] += w->count[v];
		if (local_errno == 0)
			local_errno = w->local_errno;
	}
	fprintf(stderr, "rawloop: %llu probes, %llu open, %llu closed, "
	    "%llu filtered, %llu other, %llu local errors in %.3f s\n",
	    (unsigned long long)total, (unsigned long long)count[OPEN],
	    (unsigned long long)count[CLOSED],
	    (unsigned long long)count[FILTERED],
	    (unsigned long long)count[OTHER],
	    (unsigned long long)count[LOCAL],
	    (double)(clock_ns() - t0) / 1e9);
	if (local_errno != 0) {
		fprintf(stderr, "rawloop: the machine ran short: %s\n",
		    strerror(local_errno));
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
