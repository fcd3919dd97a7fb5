/*
 * What answers on an open port (svc.h): one allocation per open port, and
 * the names of its certificate beside it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/svc.h"

struct svc *
svc_new(void)
{
	return calloc(1, sizeof(struct svc));
}

void
svc_free(struct svc *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->tls.nsans; i++)
		free(s->tls.sans[i]);
	free(s);
}

int
svc_add_san(struct svc *s, const char *name)
{
	char *copy;

	if (s->tls.nsans == SVC_SANS_MAX)
		return 0;
	copy = strdup(name);
	if (copy == NULL)
		return -1;
	s->tls.sans[s->tls.nsans++] = copy;
	return 0;
}
