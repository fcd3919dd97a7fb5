/*
 * Target words, input files and exclusions to the target space; see
 * targets.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trawl/exitcode.h"
#include "trawl/lines.h"
#include "trawl/log.h"
#include "trawl/names.h"
#include "trawl/space.h"
#include "trawl/target.h"
#include "trawl/targets.h"

struct build {
	const struct runconf_targets *t;
	struct space *space;
	struct names_set *names;	/* host names, resolved later */
	int status;			/* 0, or an exit status */
};

/* One target word; where is "file:line: " or "" for the command line. */
static int
add_target(struct build *b, const char *where, const char *word)
{
	struct target t;
	char err[256];

	if (target_parse(word, &t, err, sizeof(err)) != 0) {
		log_error("%s%s", where, err);
		return b->status = EXIT_USAGE;
	}
	if (t.kind == TARGET_RANGE) {
		if (b->t->family != AF_UNSPEC && t.family != b->t->family) {
			log_warn("%sskipping '%s': not IPv%c", where, word,
			    b->t->family == AF_INET ? '4' : '6');
			return 0;
		}
		if (space_add_range(b->space, t.family, t.lo, t.hi) != 0) {
			log_error("out of memory");
			return b->status = EXIT_FAILED;
		}
	} else if (names_set_add(b->names, word) < 0) {
		log_error("out of memory");
		return b->status = EXIT_FAILED;
	}
	return 0;
}

static int
add_exclusion(struct build *b, const char *where, const char *word)
{
	struct target t;
	char err[256];

	if (target_parse(word, &t, err, sizeof(err)) != 0 ||
	    t.kind != TARGET_RANGE) {
		log_error("%sbad exclusion '%s' (an address, CIDR block or "
		    "range)", where, word);
		return b->status = EXIT_USAGE;
	}
	if (space_exclude(b->space, t.family, t.lo, t.hi) != 0) {
		log_error("out of memory");
		return b->status = EXIT_FAILED;
	}
	return 0;
}

/* "-x 10.0.0.1,10.0.0.0/24": every item an exclusion, none empty. */
static void
add_exclusion_list(struct build *b, const char *arg)
{
	char *list = strdup(arg), *save = NULL, *w;

	if (list == NULL) {
		log_error("out of memory");
		b->status = EXIT_FAILED;
		return;
	}
	if (list[0] == '\0' || strstr(list, ",,") != NULL) {
		log_error("empty item in exclusion list '%s'", arg);
		b->status = EXIT_USAGE;
	}
	for (w = strtok_r(list, ",", &save); w != NULL && b->status == 0;
	    w = strtok_r(NULL, ",", &save))
		add_exclusion(b, "", w);
	free(list);
}

static int
target_line(void *ctx, const char *path, size_t lineno, char *line)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
	return add_target(ctx, where, line);
}

static int
exclusion_line(void *ctx, const char *path, size_t lineno, char *line)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
	return add_exclusion(ctx, where, line);
}

static void
read_file(struct build *b, const char *path, lines_fn *fn)
{
	if (lines_each(path, fn, b) == -1 && b->status == 0) {
		log_error("cannot read '%s': %s", path, strerror(errno));
		b->status = EXIT_FAILED;
	}
}

int
targets_build(const struct runconf_targets *t, struct space *s,
    struct names_set *names)
{
	struct build b = { t, s, names, 0 };
	struct target tt;
	char err[256];

	for (size_t i = 0; i < t->nwords; i++) {
		if (target_parse(t->words[i], &tt, err, sizeof(err)) != 0) {
			log_error("%s", err);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < t->nexcludes && b.status == 0; i++)
		add_exclusion_list(&b, t->excludes[i]);
	for (size_t i = 0; i < t->nexclude_files && b.status == 0; i++)
		read_file(&b, t->exclude_files[i], exclusion_line);
	for (size_t i = 0; i < t->nwords && b.status == 0; i++)
		add_target(&b, "", t->words[i]);
	for (size_t i = 0; i < t->nfiles && b.status == 0; i++)
		read_file(&b, t->files[i], target_line);
	return b.status;
}
