/*
 * The port table: which TCP ports a scan visits, in the order it visits
 * them, each once.
 */
#ifndef TRAWL_PORTS_H
#define TRAWL_PORTS_H

#include <stddef.h>
#include <stdint.h>

#define PORTS_TOP_MAX 1000

struct ports;

struct ports *ports_new(void);
void ports_free(struct ports *p);

/*
 * Add the ports of spec: "22,80,8000-8100", "-1024" (1-1024), "60000-"
 * (60000-65535), "-" or "all" (1-65535).  A port already present is not
 * added twice.  Returns 0, or -1 with a one-line message in err naming the
 * bad token (p may then hold part of the list).
 */
int ports_parse(struct ports *p, const char *spec, char *err, size_t errlen);
/* Add the n most common ports, most common first; n in 1..PORTS_TOP_MAX. */
int ports_add_top(struct ports *p, unsigned n, char *err, size_t errlen);

size_t ports_count(const struct ports *p);
uint16_t ports_at(const struct ports *p, size_t i);

/* The embedded ranking, generated at build time from data/top-tcp-ports.txt. */
extern const uint16_t ports_top_table[];
extern const size_t ports_top_table_len;

#endif
