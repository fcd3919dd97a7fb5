/*
 * Names before the scan: found under --subdomains domains (certificate
 * logs, wordlists) and, when the scan order must be known in advance or
 * when they are few, resolved into the target space before it is
 * finished.  Names that gave no address are kept for the outputs, which
 * open later; --list-names gets its lines.
 */
#ifndef TRAWL_NAMEPREP_H
#define TRAWL_NAMEPREP_H

#include <stdbool.h>
#include <stddef.h>

#include "trawl/namefeed.h"
#include "trawl/runconf.h"

struct collect;
struct names_set;
struct space;
struct nameprep;

/*
 * Resolved addresses go into space.  NULL with errno ENOMEM.  stop:
 * discovery and resolution give up when it becomes non-zero (a signal).
 */
struct nameprep *nameprep_new(const struct runconf_names *cfg,
    struct space *space, const volatile sig_atomic_t *stop);
void nameprep_free(struct nameprep *p);
/*
 * The names to resolve: targets.c adds the typed and read ones,
 * discovery its finds; those left after nameprep_resolve() (none) or
 * without it resolve while the scan runs.
 */
struct names_set *nameprep_names(struct nameprep *p);
/*
 * Every name found before the scan, resolved already or not: what a name
 * found later (sanfeed.h) is new against.
 */
struct names_set *nameprep_known(struct nameprep *p);
/*
 * Certificate logs and wordlists of every --subdomains domain.  0, or the
 * exit status, the reason said (128 + n when signal n stopped it).
 */
int nameprep_discover(struct nameprep *p);
/*
 * Resolve every name of the set into the space, then empty the set.  0 or
 * the exit status, as above.
 */
int nameprep_resolve(struct nameprep *p);
/* --list-names: one line per resolved name, sorted, to stdout. */
void nameprep_list(struct nameprep *p);
/* The names with no address, to the collector's outputs. */
void nameprep_unresolved(const struct nameprep *p, struct collect *col);
/* Names discovered (0 without --subdomains), and what resolving found. */
size_t nameprep_discovered(const struct nameprep *p);
const struct namefeed_stats *nameprep_stats(const struct nameprep *p);

#endif
