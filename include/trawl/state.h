/*
 * Port states and the one table that turns a connect() outcome into one.
 */
#ifndef TRAWL_STATE_H
#define TRAWL_STATE_H

#include <stdbool.h>

enum state {
	STATE_OPEN,		/* the handshake completed */
	STATE_CLOSED,		/* refused: the host answered with a reset */
	STATE_FILTERED,		/* no answer before the deadline, every try */
	STATE_UNREACHABLE,	/* the network said the host cannot be reached */
	/*
	 * Not a port state: a name that gave no address.  Reported once per
	 * name (--states unresolved), never by the engine.
	 */
	STATE_UNRESOLVED,
	STATE_COUNT
};

#define STATE_BIT(s) (1u << (s))
#define STATE_ALL ((1u << STATE_COUNT) - 1)

enum state_verdict {
	VERDICT_FINAL,		/* the port is in the state given */
	VERDICT_PENDING,	/* the handshake is under way: wait */
	VERDICT_LOCAL,		/* a local shortage: retry later, never a state */
};

/*
 * Classify the errno of socket(), connect() or SO_ERROR (0 meaning
 * success).  Sets *state for VERDICT_FINAL.
 */
enum state_verdict state_classify(int err, enum state *state);

/*
 * nmap's reason word ("syn-ack", "conn-refused", "no-response",
 * "host-unreach", ...) for a final outcome; err is 0 for open and for a
 * silent timeout.
 */
const char *state_reason(int err, enum state state);

const char *state_name(enum state s);
/* "open" -> STATE_OPEN; false for an unknown name. */
bool state_from_name(const char *name, size_t len, enum state *s);
/*
 * Parse a comma-separated list of state names into a mask of STATE_BIT()s;
 * "all" means every state.  Returns 0, or -1 with a message naming the bad
 * word in err.
 */
int state_parse_list(const char *list, unsigned *mask, char *err,
    size_t errlen);

#endif
