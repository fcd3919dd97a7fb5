/*
 * The targets of a run to the target space: target words and -i files
 * (addresses, blocks and ranges go in the space, host names into a set to
 * resolve), exclusions from -x lists and --exclude-file files.
 */
#ifndef TRAWL_TARGETS_H
#define TRAWL_TARGETS_H

#include "trawl/runconf.h"

struct names_set;
struct space;

/*
 * Exclusions first, then targets, and every target word is checked before
 * a file is read: a typo costs no DNS traffic and no half-read file.  A
 * literal of the other family than -4/-6 asks for is skipped with a
 * warning.  Returns 0, or the exit status (EXIT_USAGE for a bad word or
 * line, EXIT_FAILED for an unreadable file or no memory), the reason said.
 */
int targets_build(const struct runconf_targets *t, struct space *s,
    struct names_set *names);

#endif
