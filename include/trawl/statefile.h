/*
 * State files: what trawl keeps from one run for the next (resume files,
 * baselines), all in one text layout that a person can read, grep and
 * diff, and whose damaged copies are refused with the line at fault:
 *
 *	trawl-KIND 1		what the file is, and the version of its layout
 *	key word ...		one fact a line, words split at spaces and tabs
 *	end			a file cut short has none; nothing may follow
 *
 * Blank lines are skipped and a CR before the newline is dropped, so that
 * a file that went through an editor still reads; a NUL byte, or a line
 * longer than STATEFILE_LINE_MAX bytes, is refused.  This module knows the
 * layout, the module of each kind what the words mean.
 *
 * A state file is replaced atomically: a crash leaves the old file or the
 * new one, never a mix.
 */
#ifndef TRAWL_STATEFILE_H
#define TRAWL_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

struct statefile;
struct wbuf;

/* The longest line read, in bytes, without its newline. */
#define STATEFILE_LINE_MAX 8192

/*
 * Open path, a state file of kind ("resume" for "trawl-resume 1"), for
 * reading with statefile_next().  path, kind and err are kept, not
 * copied, until statefile_close(): every message of the reader goes to
 * err (errlen bytes).  Returns 1 with the reader in *out; 0 when path does
 * not exist; -1 with "cannot read 'PATH': ..." in err.
 */
int statefile_open(const char *path, const char *kind, struct statefile **out,
    char *err, size_t errlen);
/*
 * The same for len bytes of buf (not copied: keep it until the close),
 * name standing for the file in messages.  0, or -1 when out of memory.
 */
int statefile_open_buf(const char *buf, size_t len, const char *name,
    const char *kind, struct statefile **out, char *err, size_t errlen);

/*
 * The next line after the header that is not blank, split into at most
 * max (at least 1) words in words[], NUL-terminated and valid until the
 * next call.  Returns the number of words; 0 at the "end" line, once it is
 * known that nothing follows it; -1 with a message in err, "NAME:LINE: bad
 * KIND file: ..." for what is wrong with the layout (no header or another
 * version, a NUL byte, a line too long, more than max words, no "end"
 * line, text after it), or "cannot read 'NAME': ..." when reading fails.
 */
int statefile_next(struct statefile *sf, char **words, int max);
/* The number of the line statefile_next() returned last (1 is the first). */
size_t statefile_line(const struct statefile *sf);
/*
 * Refuse the file over what its module found wrong with the last line
 * (or, after the "end" line, with the whole): "NAME:LINE: bad KIND file:
 * what" in err.  Returns -1.
 */
int statefile_bad(struct statefile *sf, const char *what);
void statefile_close(struct statefile *sf);
/*
 * A word of 1 to 16 hex digits, either case, into *v: a fingerprint, as
 * the kinds write it ("%016" PRIx64).  0, or -1 for anything else.
 */
int statefile_hex64(const char *word, uint64_t *v);
/* A hex digit's value, either case, or -1: for %XX escapes in paths. */
int statefile_hexdigit(char c);

/*
 * Write the lines between the header and "end" into w.  Write errors are
 * w's to remember (wbuf.h); return 0, or an errno value to give up.
 */
typedef int statefile_write_fn(const void *ctx, struct wbuf *w);

/*
 * Replace path with a state file of kind whose lines fn writes: into a
 * new file in the same directory under a name no other writer picks
 * ("PATH.tmp-" and random hex), synced, renamed over path, and the
 * directory synced so that the rename lasts too.  The new file keeps the
 * mode of the one it replaces; a first one gets 0666 less the umask.  A
 * symbolic link at path is replaced, not followed.  Returns 0, or -1 with
 * errno and a message in err (none when errlen is 0: err may be NULL); on
 * failure path is as it was and the temporary file removed, but for a
 * directory that cannot be synced: path is replaced then, and the message
 * says so.
 */
int statefile_save(const char *path, const char *kind, statefile_write_fn *fn,
    const void *ctx, char *err, size_t errlen);
/*
 * Remove the temporary files statefile_save() left next to path when it
 * was killed between creating one and renaming it ("PATH.tmp-" and 12 hex
 * digits): for the end of a scan, once nothing saves path any more.
 */
void statefile_sweep(const char *path);

#endif
