/*
 * From errno to port state.
 *
 * This is the only place that decides what an error means, and the man page
 * copies this table.  Three kinds of outcome:
 *
 *  - the target answered: a SYN-ACK (open) or a reset (closed);
 *  - the network answered for it: an ICMP error or a route that rejects the
 *    destination (unreachable), or a firewall (filtered);
 *  - our own machine ran short of something: descriptors, memory, buffers,
 *    local ports.  That says nothing about the target, so it is never a
 *    state: the engine waits and tries the same probe again.  Scanners that
 *    call these "closed" lose open ports exactly when they are busiest.
 *
 * Silence (no answer before the deadline) is decided by the engine, which
 * owns the clock: it is filtered once every try has timed out.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "trawl/state.h"

struct rule {
	int err;
	enum state_verdict verdict;
	enum state state;
	const char *reason;	/* nmap's word for why, in its XML */
};

static const struct rule rules[] = {
	{ 0,		VERDICT_FINAL,	 STATE_OPEN, "syn-ack" },
	{ EINPROGRESS,	VERDICT_PENDING, STATE_OPEN, NULL },
	/* A non-blocking connect interrupted still goes on in the kernel. */
	{ EINTR,	VERDICT_PENDING, STATE_OPEN, NULL },
	{ ECONNREFUSED,	VERDICT_FINAL,	 STATE_CLOSED, "conn-refused" },
	{ ECONNRESET,	VERDICT_FINAL,	 STATE_CLOSED, "conn-refused" },
	{ ECONNABORTED,	VERDICT_FINAL,	 STATE_CLOSED, "conn-refused" },
	/* The kernel's own SYN retries ran out (only with very long -t). */
	{ ETIMEDOUT,	VERDICT_FINAL,	 STATE_FILTERED, "no-response" },
	/* A local firewall (nft/iptables OUTPUT) refused to send the SYN. */
	{ EPERM,	VERDICT_FINAL,	 STATE_FILTERED, "admin-prohibited" },
	{ EHOSTUNREACH,	VERDICT_FINAL,	 STATE_UNREACHABLE, "host-unreach" },
	{ ENETUNREACH,	VERDICT_FINAL,	 STATE_UNREACHABLE, "net-unreach" },
	{ EHOSTDOWN,	VERDICT_FINAL,	 STATE_UNREACHABLE, "host-unreach" },
	{ ENETDOWN,	VERDICT_FINAL,	 STATE_UNREACHABLE, "net-unreach" },
	{ ENONET,	VERDICT_FINAL,	 STATE_UNREACHABLE, "net-unreach" },
	{ EPROTO,	VERDICT_FINAL,	 STATE_UNREACHABLE, "proto-unreach" },
	/* A "prohibit" route, or a broadcast address. */
	{ EACCES,	VERDICT_FINAL,	 STATE_UNREACHABLE, "admin-prohibited" },
	/* A "blackhole" route. */
	{ EINVAL,	VERDICT_FINAL,	 STATE_UNREACHABLE, "net-unreach" },
	/* No IPv6 (or IPv4) in this kernel or namespace. */
	{ EAFNOSUPPORT,	VERDICT_FINAL,	 STATE_UNREACHABLE, "net-unreach" },
	/* Out of descriptors, memory, buffers or local ports: retry. */
	{ EMFILE,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ ENFILE,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ ENOBUFS,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ ENOMEM,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ EADDRNOTAVAIL, VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ EADDRINUSE,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
	{ EAGAIN,	VERDICT_LOCAL,	 STATE_OPEN, NULL },
};

static const char *const names[STATE_COUNT] = {
	[STATE_OPEN] = "open",
	[STATE_CLOSED] = "closed",
	[STATE_FILTERED] = "filtered",
	[STATE_UNREACHABLE] = "unreachable",
	[STATE_UNRESOLVED] = "unresolved",
};

enum state_verdict
state_classify(int err, enum state *state)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].err == err) {
			*state = rules[i].state;
			return rules[i].verdict;
		}
	}
	/*
	 * Anything else is an error about the destination we have no better
	 * word for; it is not a shortage, so retrying would not change it.
	 */
	*state = STATE_UNREACHABLE;
	return VERDICT_FINAL;
}

const char *
state_reason(int err, enum state state)
{
	/* Silence has no errno: the engine's own deadline decided it. */
	if (state == STATE_FILTERED && err == 0)
		return "no-response";
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].err == err && rules[i].reason != NULL)
			return rules[i].reason;
	return "error";
}

const char *
state_name(enum state s)
{
	return (unsigned)s < STATE_COUNT ? names[s] : "?";
}

bool
state_from_name(const char *name, size_t len, enum state *s)
{
	for (unsigned i = 0; i < STATE_COUNT; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
			*s = (enum state)i;
			return true;
		}
	}
	return false;
}

int
state_parse_list(const char *list, unsigned *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		enum state s;

		if (len == 3 && memcmp(p, "all", 3) == 0) {
			*mask |= STATE_ALL;
		} else if (state_from_name(p, len, &s)) {
			*mask |= STATE_BIT(s);
		} else {
			snprintf(err, errlen, "bad state '%.*s'", (int)len, p);
			return -1;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}
