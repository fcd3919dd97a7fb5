/*
 * The -o files; see outfiles.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl/collect.h"
#include "trawl/exitcode.h"
#include "trawl/log.h"
#include "trawl/outfiles.h"
#include "trawl/progress.h"
#include "trawl/wbuf.h"

struct outfiles {
	size_t n;
	const char **paths;	/* as given; "-" is stdout */
	struct wbuf **w;
};

static const char *
out_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard output" : path;
}

static void
outfiles_free(struct outfiles *f)
{
	free(f->paths);
	free(f->w);
	free(f);
}

struct outfiles *
outfiles_open(const struct runconf_output *o, size_t n, bool append,
    struct collect *col, int *status)
{
	struct outfiles *f = calloc(1, sizeof(*f));
	size_t bad = 0, same = 0;
	int rc;

	*status = EXIT_FAILED;
	if (f == NULL || (f->paths = calloc(n, sizeof(*f->paths))) == NULL ||
	    (f->w = calloc(n, sizeof(*f->w))) == NULL) {
		log_error("out of memory");
		goto fail;
	}
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
			for (size_t k = 0; k < n; k++)
				(void)wbuf_close(f->w[k]);
			goto fail;
		}
	}
	*status = EXIT_DONE;
	return f;
fail:
	if (f != NULL)
		outfiles_free(f);
	return NULL;
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
