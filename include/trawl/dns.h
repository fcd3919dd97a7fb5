/*
 * Asynchronous DNS for names at scale: thousands of look-ups in flight
 * inside a reactor, with c-ares speaking the protocol.
 *
 * Only DNS is asked: no search domains, no HOSTALIASES, and /etc/hosts only
 * when asked (dns_config.hosts_file) -- names found at scale are full DNS
 * names, and a search domain would turn every miss into several more
 * queries.  Names the user typed look in /etc/hosts first, as the system's
 * resolver would.
 *
 * Everything runs in the reactor's thread: sockets are registered with
 * reactor_io_*, c-ares's retransmission deadlines with one reactor timer.
 */
#ifndef TRAWL_DNS_H
#define TRAWL_DNS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trawl/target.h"

struct dns;
struct reactor;

/*
 * Names in flight by default.  With A and AAAA that is 128 datagrams sent
 * at once, which a small resolver's default socket buffer (dnsmasq,
 * systemd-resolved: 208 KiB, about 160 small datagrams) still holds; what
 * overflows it is dropped and costs a retransmission timeout.  On a real
 * network 64 in flight is some thousands of names a second.
 */
#define DNS_DEFAULT_CONCURRENCY 64
#define DNS_DEFAULT_TIMEOUT_MS 2000	/* first try; c-ares doubles it */
#define DNS_DEFAULT_TRIES 3

struct dns_config {
	int family;			/* AF_UNSPEC (A and AAAA), AF_INET
					   (A only) or AF_INET6 (AAAA only) */
	const char *const *resolvers;	/* "ADDR[:PORT]" words, see
					   dns_resolver_parse(); none: the
					   system's (/etc/resolv.conf) */
	size_t nresolvers;
	unsigned concurrency;		/* names in flight; the rest queue.
					   0: DNS_DEFAULT_CONCURRENCY */
	unsigned timeout_ms;		/* 0: DNS_DEFAULT_TIMEOUT_MS */
	unsigned tries;			/* per name; 0: DNS_DEFAULT_TRIES */
	/*
	 * Look in /etc/hosts first, as the system's resolver does: for names
	 * the user typed (localhost, names only the hosts file knows).
	 */
	bool hosts_file;
	/* dns_resolve_all() gives up when this becomes non-zero. */
	const volatile sig_atomic_t *stop;
};

/* A resolver given on the command line. */
struct dns_resolver {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; IPv4 in the first 4 */
	uint16_t port;
};

#define DNS_DEFAULT_PORT 53

/*
 * "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]" or
 * "[2001:db8::1]:5353".  Returns 0, or -1 with a message naming the word
 * in err.  Pure.
 */
int dns_resolver_parse(const char *s, struct dns_resolver *out, char *err,
    size_t errlen);

enum dns_status {
	DNS_RESOLVED,		/* naddrs >= 1; a PTR query: ptr set */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* it exists, without an address of the
				   families asked for */
	DNS_FAILED,		/* no answer: timeout, SERVFAIL, refused... */
};

/* As the target space takes addresses: IPv4 in the low 32 bits. */
struct dns_addr {
	int family;
	target_u128 addr;
};

struct dns_answer {
	const char *name;		/* as submitted */
	enum dns_status status;
	const char *error;		/* why, for DNS_FAILED; else NULL */
	const struct dns_addr *addrs;	/* sorted by family (IPv4 first),
					   then address; no repeats */
	size_t naddrs;
	/* A PTR query's host name, checked (dns_ptr_name_clean()). */
	const char *ptr;
};

/* The answer and its arrays are valid during the call only. */
typedef void dns_result_fn(void *ctx, const struct dns_answer *a);

/*
 * A resolver working in r.  Returns NULL with a one-line message in err:
 * a bad --resolver word, a bad family, or c-ares failing to start (no
 * memory, an unreadable resolv.conf).
 */
struct dns *dns_new(struct reactor *r, const struct dns_config *cfg,
    char *err, size_t errlen);
/*
 * Drop every pending name without calling its callback, close the
 * sockets.  Not from inside a callback.
 */
void dns_free(struct dns *d);

/*
 * Resolve name (copied); cb is called once, from the reactor (or from
 * inside this call, for a name c-ares refuses at once).  Callbacks may
 * submit more names.  Returns 0, or -1 with errno ENOMEM, or EINVAL for a
 * name longer than a DNS name can be.
 */
int dns_submit(struct dns *d, const char *name, dns_result_fn *cb,
    void *ctx);
/* Names submitted whose callback has not run yet. */
size_t dns_pending(const struct dns *d);

/*
 * Reverse look-ups (--rdns): the PTR name of an address, through the same
 * queue, concurrency and servers as names.  Only DNS is asked, never
 * /etc/hosts: it names the machine trawl runs on, not the hosts scanned.
 * cb gets DNS_RESOLVED with ptr, DNS_NXDOMAIN, DNS_NODATA (no PTR record,
 * or none that is a host name) or DNS_FAILED (no answer, SERVFAIL, a
 * message c-ares cannot parse); a.name is the name asked for
 * ("4.3.2.1.in-addr.arpa").  Returns 0, or -1 with errno ENOMEM.
 */
int dns_submit_ptr(struct dns *d, int family, target_u128 addr,
    dns_result_fn *cb, void *ctx);

/*
 * The name a PTR query asks for: "1.0.0.127.in-addr.arpa" for 127.0.0.1,
 * 32 nibbles then "ip6.arpa" for IPv6 (RFC 3596).  Pure.
 */
#define DNS_PTR_QNAME_SIZE 74
void dns_ptr_qname(int family, target_u128 addr,
    char buf[DNS_PTR_QNAME_SIZE]);

/*
 * A PTR answer is text from whoever runs the address's reverse zone, and
 * goes into every output next to the address: it is taken only when it is
 * a host name, by target_name_valid()'s rule (labels of letters, digits,
 * '-' and '_', the last one not all digits, so that no address poses as a
 * name), one trailing dot dropped, its case kept.  Anything else -- a
 * blank, '<', a quote, a control byte, an escape c-ares wrote, "1.2.3.4"
 * -- refuses the whole name rather than escaping it: it names nothing one
 * could connect to.  true with the name in out (DNS_NAME_BUFSIZE bytes
 * always do).  Pure.
 */
#define DNS_NAME_BUFSIZE 254
bool dns_ptr_name_clean(const char *in, char *out, size_t outlen);

/*
 * The host name a PTR answer (the message as received) gives addr: the
 * first of its PTR records that dns_ptr_name_clean() takes.  DNS_RESOLVED
 * with it in out; DNS_NODATA when none does; DNS_FAILED when c-ares cannot
 * parse the message.  Pure but for c-ares's own allocations.
 */
enum dns_status dns_ptr_parse(const unsigned char *abuf, size_t alen,
    int family, target_u128 addr, char *out, size_t outlen);

const char *dns_status_str(enum dns_status s);
/*
 * The reason word of an unresolved name in trawl's outputs: "nxdomain",
 * "no-address" or "dns-error".
 */
const char *dns_status_reason(enum dns_status s);

/*
 * Resolve n names with a private reactor and return when every callback
 * has run: for start-up, --list-names and tests.  Returns 0, or -1 with a
 * message in err (setup failed, out of memory, cfg->stop raised, the
 * reactor failed); callbacks already run stay run.
 */
int dns_resolve_all(const struct dns_config *cfg, const char *const *names,
    size_t n, dns_result_fn *cb, void *ctx, char *err, size_t errlen);

#endif
