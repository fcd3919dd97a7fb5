/*
 * Service names by port.  nmap's names come first: a scan read by ndiff
 * or by an nmap parser must name 8080 "http-proxy" and 111 "rpcbind" as
 * nmap does, or every port would show as a change.  The system's
 * services database fills the ports nmap leaves out, and is read whole
 * once: getservbyport() rereads /etc/services from the top at every call,
 * which made a scan reporting every port spend most of its time there.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/services.h"
#include "trawl/vec.h"

struct services {
	const char **name;	/* by port; NULL: no name */
	char **owned;		/* the names read from the system */
	size_t nowned, owned_cap;
	bool read;
};

struct services *
services_new(void)
{
	return calloc(1, sizeof(struct services));
}

void
services_free(struct services *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->name);
	free(s);
}

/* Keep a copy of a system name; false when memory ran out. */
static bool
own(struct services *s, uint16_t port, const char *name)
{
	char *copy, **slot;

	if ((copy = strdup(name)) == NULL)
		return false;
	if ((slot = VEC_PUSH(s->owned, s->nowned, s->owned_cap)) == NULL) {
		free(copy);
		return false;
	}
	*slot = copy;
	s->name[port] = copy;
	return true;
}

static void
services_read(struct services *s)
{
	struct servent *se;
	size_t i;

	s->read = true;
	if ((s->name = calloc(65536, sizeof(*s->name))) == NULL)
		return;		/* no names: the ports are still right */
	for (i = 0; i < services_nmap_table_len; i++)
		s->name[services_nmap_table[i].port] =
		    services_nmap_table[i].name;
	/* The first entry for a port wins, as with getservbyport(). */
	setservent(1);
	while ((se = getservent()) != NULL) {
		uint16_t port = ntohs((uint16_t)se->s_port);

		if (se->s_proto == NULL || strcmp(se->s_proto, "tcp") != 0 ||
		    se->s_name == NULL || s->name[port] != NULL)
			continue;
		if (!own(s, port, se->s_name))
			break;	/* a name less, not a wrong one */
	}
	endservent();
}

const char *
services_name(struct services *s, uint16_t port)
{
	if (!s->read)
		services_read(s);
	if (s->name == NULL)
		return NULL;
	return s->name[port];
}
