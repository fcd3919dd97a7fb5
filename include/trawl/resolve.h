/*
 * Names to addresses, at start-up, with the system resolver.
 */
#ifndef TRAWL_RESOLVE_H
#define TRAWL_RESOLVE_H

#include <stddef.h>

#include "trawl/target.h"

typedef int resolve_fn(void *ctx, int family, target_u128 addr);

/*
 * Resolve name (AF_UNSPEC, AF_INET or AF_INET6) and call fn (which returns
 * 0, or -1 when out of memory) for every address.  Returns 0, or a
 * getaddrinfo() error code: EAI_MEMORY when fn failed.
 */
int resolve_name(const char *name, int family, resolve_fn *fn, void *ctx);

#endif
