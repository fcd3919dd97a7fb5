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
struct resume;
struct resume_output;

/*
 * Open every output (appended to when append: a resumed scan adds to the
 * output of the run it continues) and add it to col.  With resume_path
 * (--resume), the regular files are made ready for checkpoints, and a file
 * that saved (the resume file loaded, or NULL) continues must still exist.
 * NULL with *status the exit status, the reason said: EXIT_USAGE for one
 * file given under two names or a saved one gone, EXIT_FAILED for a file
 * that cannot be opened.
 */
struct outfiles *outfiles_open(const struct runconf_output *o, size_t n,
    bool append, const struct resume *saved, const char *resume_path,
    struct collect *col, int *status);
/*
 * With --resume, before anything is written: every regular file that
 * saved names is checked against it (resume_output_check()) and will be
 * cut back to its saved cut; each output continues a document (col's
 * appending) when it keeps some of a saved one, or, not saved, when it is
 * a regular file that is not empty and resumed.  Nothing is changed yet.
 * 0, or the exit status said: EXIT_USAGE for a file that is not as saved.
 */
int outfiles_continue(struct outfiles *f, const struct resume *saved,
    const char *resume_path, bool resumed, struct collect *col);
/* Cut the files back as outfiles_continue() decided.  0 or EXIT_FAILED. */
int outfiles_cut(struct outfiles *f);
/* When the files are recorded, which says where a continuing run cuts. */
enum outfiles_when {
	OUTFILES_NOW,		/* a checkpoint: here, and more may follow */
	OUTFILES_STOPPED,	/* a stop: at outfiles_mark(), nothing after
				   the trailers written since */
	OUTFILES_CUT,		/* before outfiles_cut(): as it will leave them */
};
/*
 * The regular files (not standard output, pipes or devices) as a resume
 * file records them, into *out (outfiles_state_free()): flushed, synced
 * to the disk, their lengths and tail hashes read back.  0, or -1 with
 * errno and "'FILE': ..." in err.
 */
int outfiles_state(struct outfiles *f, enum outfiles_when when,
    struct resume_output **out, size_t *n, char *err, size_t errlen);
void outfiles_state_free(struct resume_output *o, size_t n);
/* Flush, and remember each file's length as where a continuing run cuts. */
void outfiles_mark(struct outfiles *f);
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
