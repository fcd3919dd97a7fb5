/*
 * The run's outputs (-o): opened together, all or none, handed to the
 * collector, and closed with the first error that any of them met.
 */
#ifndef TRAWL_OUTFILES_H
#define TRAWL_OUTFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "trawl/runconf.h"

struct collect;
struct progress;
struct outfiles;

/*
 * Open every output (appended to when append: a resumed scan adds to the
 * output of the run it continues) and add it to col.  NULL with *status
 * the exit status, the reason said: EXIT_USAGE for one file given under
 * two names, EXIT_FAILED for a file that cannot be opened.
 */
struct outfiles *outfiles_open(const struct runconf_output *o, size_t n,
    bool append, struct collect *col, int *status);
/*
 * Outputs on the terminal p's live line is on take the line off before
 * each write; p NULL: no more (before p is freed).
 */
void outfiles_share_terminal(struct outfiles *f, struct progress *p);
/*
 * Close every output; the first error wins, since a failed write is often
 * seen again at close.  0, or EXIT_FAILED with the file named.  When the
 * reader of a pipe left (EPIPE), trawl ends as a filter does: by SIGPIPE.
 */
int outfiles_close(struct outfiles *f, const struct collect *col);

#endif
