/*
 * Service names by TCP port, as nmap names them: nmap's own table
 * (data/tcp-service-names.txt, embedded at build time) first, so that
 * ndiff and nmap's parsers see the names they expect, then the system's
 * services database for the ports nmap leaves unnamed.
 */
#ifndef TRAWL_SERVICES_H
#define TRAWL_SERVICES_H

#include <stddef.h>
#include <stdint.h>

struct services;

/* An empty table; the names are read when the first one is asked for. */
struct services *services_new(void);
void services_free(struct services *s);

/* The name of port, or NULL when neither nmap nor the system names it. */
const char *services_name(struct services *s, uint16_t port);

/* The embedded table, generated from data/tcp-service-names.txt. */
struct services_row {
	uint16_t port;
	const char *name;
};
extern const struct services_row services_nmap_table[];
extern const size_t services_nmap_table_len;

#endif
