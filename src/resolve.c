/*
 * Start-up resolution with getaddrinfo().  No AI_ADDRCONFIG: it hides
 * addresses of a family that only loopback carries, which is exactly the
 * machine (or namespace) where "localhost" must still resolve.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/resolve.h"

int
resolve_name(const char *name, int family, resolve_fn *fn, void *ctx)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0)
		return rc;
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ai->ai_addr;

			if (fn(ctx, AF_INET, target_from_bytes(AF_INET,
			    (const unsigned char *)&sin->sin_addr)) != 0)
				rc = EAI_MEMORY;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;

			if (fn(ctx, AF_INET6, target_from_bytes(AF_INET6,
			    (const unsigned char *)&s6->sin6_addr)) != 0)
				rc = EAI_MEMORY;
		}
	}
	freeaddrinfo(res);
	return rc;
}
