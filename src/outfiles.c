/*
 * The -o files; see outfiles.h.
 *
 * For checkpoints, each regular file is also open for reading: the hash
 * of its last bytes is read back from the file itself, what is on disk,
 * not from what trawl believes it wrote.  Standard output, pipes and
 * devices cannot be cut back, so they are neither recorded nor checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trawl/collect.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/outfiles.h"
#include "trawl/progress.h"
#include "trawl/resume.h"
#include "trawl/wbuf.h"

/*
 * The longest absolute path a resume file records: escaped (three bytes
 * for one at worst) it must fit a state file's line.
 */
#define RECORD_PATH_MAX 2048

/* A regular file among the outputs, as checkpoints see it. */
struct outfile {
	char *abs;		/* absolute path: NULL when not recorded */
	int rfd;		/* read back for the tail hash */
	uint64_t dev, ino;
	uint64_t cut;		/* where the work saved last ends */
};

struct outfiles {
	size_t n;
	const char **paths;	/* as given; "-" is stdout */
	struct wbuf **w;
	struct outfile *file;	/* [n] */
};

static const char *
out_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard output" : path;
}

static void
outfiles_free(struct outfiles *f)
{
	for (size_t i = 0; f->file != NULL && i < f->n; i++) {
		free(f->file[i].abs);
		if (f->file[i].rfd >= 0)
			close(f->file[i].rfd);
	}
	free(f->file);
	free(f->paths);
	free(f->w);
	free(f);
}

/* path made absolute (not resolved: the name the user gave); NULL: ENOMEM. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if ((abs = malloc(strlen(cwd) + strlen(path) + 2)) == NULL)
		return NULL;
	sprintf(abs, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	return abs;
}

/*
 * Before anything is opened (which would create it): a file the resume
 * file continues must still be there.  0, or EXIT_USAGE said.
 */
static int
precheck(const struct runconf_output *o, size_t n, const struct resume *saved,
    const char *resume_path)
{
	for (size_t i = 0; saved != NULL && i < n; i++) {
		struct stat st;
		char *abs;
		int gone;

		if (strcmp(o[i].path, "-") == 0)
			continue;
		if ((abs = absolute(o[i].path)) == NULL)
			continue;	/* said again when opened */
		gone = resume_output_find(saved, abs) != NULL &&
		    stat(o[i].path, &st) != 0 && errno == ENOENT;
		free(abs);
		if (gone) {
			log_error("'%s' is gone, but '%s' continues it: put "
			    "the scan's file back, or remove '%s' to start "
			    "afresh", o[i].path, resume_path, resume_path);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Each regular file: its identity, a descriptor to read it back. */
static int
files_init(struct outfiles *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct outfile *of = &f->file[i];
		struct stat st, rst;

		of->rfd = -1;
		if (strcmp(f->paths[i], "-") == 0 ||
		    fstat(wbuf_fd(f->w[i]), &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		of->dev = st.st_dev;
		of->ino = st.st_ino;
		of->cut = (uint64_t)st.st_size;
		if ((of->abs = absolute(f->paths[i])) == NULL) {
			log_error("cannot name '%s' for the resume file: %s",
			    f->paths[i], strerror(errno));
			return EXIT_FAILED;
		}
		if (strlen(of->abs) > RECORD_PATH_MAX) {
			log_error("'%s': a path this long cannot be recorded "
			    "in a resume file (%d bytes at most)", of->abs,
			    RECORD_PATH_MAX);
			return EXIT_USAGE;
		}
		of->rfd = open(f->paths[i], O_RDONLY | O_CLOEXEC);
		if (of->rfd < 0 || fstat(of->rfd, &rst) != 0 ||
		    rst.st_dev != st.st_dev || rst.st_ino != st.st_ino) {
			log_error("cannot read back '%s' for the resume file: "
			    "%s", f->paths[i], of->rfd < 0 ? strerror(errno) :
			    "it was replaced while being opened");
			return EXIT_FAILED;
		}
	}
	return 0;
}

struct outfiles *
outfiles_open(const struct runconf_output *o, size_t n, bool append,
    const struct resume *saved, const char *resume_path,
    struct collect *col, int *status)
{
	struct outfiles *f;
	size_t bad = 0, same = 0;
	int rc;

	if (resume_path != NULL &&
	    (*status = precheck(o, n, saved, resume_path)) != 0)
		return NULL;
	*status = EXIT_FAILED;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->paths = calloc(n, sizeof(*f->paths))) == NULL ||
	    (f->w = calloc(n, sizeof(*f->w))) == NULL ||
	    (f->file = calloc(n, sizeof(*f->file))) == NULL) {
		log_error("out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		f->file[i].rfd = -1;
	f->n = n;
	for (size_t i = 0; i < n; i++)
		f->paths[i] = o[i].path;
	rc = wbuf_open_set(f->paths, n, append, f->w, &bad, &same);
	if (rc == -2) {
		log_error("outputs '%s' and '%s' are the same file",
		    out_name(f->paths[same]), out_name(f->paths[bad]));
		*status = EXIT_USAGE;
		goto fail;
	}
	if (rc != 0) {
		log_error("cannot open '%s': %s", f->paths[bad],
		    strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (collect_add_output(col, o[i].format, f->w[i]) != 0) {
			log_error("too many outputs");
			goto fail_close;
		}
	}
	if (resume_path != NULL && (*status = files_init(f)) != 0)
		goto fail_close;
	*status = EXIT_DONE;
	return f;
fail_close:
	for (size_t k = 0; k < n; k++)
		(void)wbuf_close(f->w[k]);
fail:
	if (f != NULL)
		outfiles_free(f);
	return NULL;
}

/* The tail hash of the bytes of fd before end; -1 with errno. */
static int
tail_hash(int fd, uint64_t end, uint64_t *hash)
{
	char buf[RESUME_TAIL];
	size_t n = end < RESUME_TAIL ? (size_t)end : RESUME_TAIL, got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got,
		    (off_t)(end - n + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;	/* cut short meanwhile */
			return -1;
		}
		got += (size_t)k;
	}
	*hash = resume_tail_hash(buf, n);
	return 0;
}

int
outfiles_continue(struct outfiles *f, const struct resume *saved,
    const char *resume_path, bool resumed, struct collect *col)
{
	for (size_t i = 0; i < f->n; i++) {
		struct outfile *of = &f->file[i];
		const struct resume_output *ro;
		uint64_t size = of->cut, tail = 0;
		char err[1024];

		if (of->abs == NULL) {
			/* Cannot be cut back: begins as a resumed run did. */
			collect_set_appending(col, f->w[i], false);
			continue;
		}
		ro = saved != NULL ? resume_output_find(saved, of->abs) : NULL;
		if (ro == NULL) {
			/* Not the saved scan's: continued only if not empty. */
			collect_set_appending(col, f->w[i], resumed &&
			    size > 0);
			continue;
		}
		if (size >= ro->length && tail_hash(of->rfd, ro->length,
		    &tail) != 0) {
			log_error("cannot read '%s': %s", f->paths[i],
			    strerror(errno));
			return EXIT_FAILED;
		}
		if (resume_output_check(ro, of->dev, of->ino, size, tail,
		    resume_path, err, sizeof(err)) != 0) {
			log_error("%s", err);
			return EXIT_USAGE;
		}
		of->cut = ro->cut;
		collect_set_appending(col, f->w[i], of->cut > 0);
	}
	return 0;
}

int
outfiles_cut(struct outfiles *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct outfile *of = &f->file[i];
		struct stat st;

		if (of->abs == NULL || fstat(wbuf_fd(f->w[i]), &st) != 0 ||
		    (uint64_t)st.st_size == of->cut)
			continue;
		if (ftruncate(wbuf_fd(f->w[i]), (off_t)of->cut) != 0 ||
		    fsync(wbuf_fd(f->w[i])) != 0) {
			log_error("cannot cut '%s' back to %" PRIu64 " bytes: "
			    "%s", f->paths[i], of->cut, strerror(errno));
			return EXIT_FAILED;
		}
	}
	return 0;
}

void
outfiles_mark(struct outfiles *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct stat st;

		if (f->file[i].abs != NULL && wbuf_flush(f->w[i]) == 0 &&
		    fstat(wbuf_fd(f->w[i]), &st) == 0)
			f->file[i].cut = (uint64_t)st.st_size;
	}
}

int
outfiles_state(struct outfiles *f, enum outfiles_when when,
    struct resume_output **out, size_t *nout, char *err, size_t errlen)
{
	struct resume_output *ro = calloc(f->n > 0 ? f->n : 1, sizeof(*ro));
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (ro == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < f->n; i++) {
		struct outfile *of = &f->file[i];
		struct resume_output *r = &ro[n];
		struct stat st;
		int fd = wbuf_fd(f->w[i]), e;

		if (of->abs == NULL)
			continue;
		/*
		 * What the checkpoint counts as done must be on the disk
		 * before the checkpoint says so.
		 */
		if ((e = wbuf_flush(f->w[i])) != 0) {
			errno = e;
			goto fail;
		}
		if (fsync(fd) != 0 || fstat(fd, &st) != 0)
			goto fail;
		r->length = when == OUTFILES_CUT ? of->cut :
		    (uint64_t)st.st_size;
		r->cut = when == OUTFILES_NOW ? r->length : of->cut;
		if (r->cut > r->length || r->length > (uint64_t)st.st_size ||
		    tail_hash(of->rfd, r->length, &r->tail) != 0)
			goto fail;
		if ((r->path = strdup(of->abs)) == NULL)
			goto fail;
		r->dev = of->dev;
		r->ino = of->ino;
		r->exact = when == OUTFILES_STOPPED;
		n++;
		continue;
fail:
		e = errno;
		snprintf(err, errlen, "'%s': %s", f->paths[i], strerror(e));
		for (size_t k = 0; k < n; k++)
			free(ro[k].path);
		free(ro);
		errno = e;
		return -1;
	}
	*out = ro;
	*nout = n;
	return 0;
}

void
outfiles_state_free(struct resume_output *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].path);
	free(o);
}

void
outfiles_share_terminal(struct outfiles *f, struct progress *p)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->paths[i], "-") == 0 && isatty(STDOUT_FILENO))
			wbuf_before_write(f->w[i], p != NULL ?
			    progress_clear_cb : NULL, p);
}

int
outfiles_close(struct outfiles *f, const struct collect *col)
{
	const struct wbuf *bad;
	const char *path = NULL;
	int err;

	bad = collect_failed(col, &err);
	for (size_t i = 0; i < f->n; i++) {
		int e = wbuf_close(f->w[i]);

		if (f->w[i] == bad || (err == 0 && e != 0)) {
			path = f->paths[i];
			if (err == 0)
				err = e;
		}
	}
	outfiles_free(f);
	if (err == 0)
		return 0;
	if (err == EPIPE) {
		/* The reader left (| head): end as a filter does. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	log_error("cannot write to '%s': %s", path != NULL ? out_name(path) :
	    "output", strerror(err));
	return EXIT_FAILED;
}
