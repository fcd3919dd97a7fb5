/*
 * Options from one table.  A row says everything about an option: its long
 * name and letter, the name of its value, its help text and how its value
 * is parsed (into a field of the object the table fills, or by a function).
 * From the table come getopt_long()'s arrays, the --help text, the check
 * of a configuration file's keys and the messages for options that
 * getopt_long() refuses; a program keeps only its rows and its parsers.
 */
#ifndef TRAWL_OPTTAB_H
#define TRAWL_OPTTAB_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opttab_kind {
	OPTTAB_FLAG,	/* a bool at off, set */
	OPTTAB_UINT,	/* an unsigned at off, min..max */
	OPTTAB_STR,	/* a const char * at off; the last given wins */
	OPTTAB_LIST,	/* a struct opttab_list at off; every one kept */
	OPTTAB_FN,	/* fn() */
};

/* A repeatable option's values, in the order given. */
struct opttab_list {
	const char **v;
	size_t n, cap;
};

/* What parsing an option gives, beyond 0. */
#define OPTTAB_USAGE	-1	/* a usage error, said */
#define OPTTAB_NOMEM	-2	/* out of memory, not said */
#define OPTTAB_DONE	1	/* the program is done (--help) */

struct opttab_opt {
	const char *section;	/* a --help heading before this row */
	const char *name;	/* the long name, or NULL */
	int letter;		/* the short option, or 0 */
	const char *arg;	/* the value's name in --help; NULL: none */
	/* '\n' starts a line of its own; "{word}" is the expander's. */
	const char *help;
	enum opttab_kind kind;
	size_t off;		/* in the object the table fills */
	uint64_t min, max;	/* OPTTAB_UINT */
	/* OPTTAB_FN; arg is NULL for an option without a value. */
	int (*fn)(void *obj, const struct opttab_opt *o, const char *arg);
};

struct opttab {
	const struct opttab_opt *opts;
	size_t n;
	struct option *longopts;
	char *shortopts;
};

/* 0, or -1 with errno ENOMEM. */
int opttab_init(struct opttab *t, const struct opttab_opt *opts, size_t n);
void opttab_free(struct opttab *t);
/* The row named exactly name[0..len), or NULL. */
const struct opttab_opt *opttab_named(const struct opttab *t,
    const char *name, size_t len);

/*
 * The next option of argv, as getopt_long() reads it from optind on (set
 * optind = 1 to start).  Returns 1 with *o and *arg, 0 at the end of the
 * options (optind is then the first operand), or OPTTAB_USAGE after saying
 * what is wrong: a missing value, an unknown option, an abbreviation of
 * several ("ambiguous option '--st' (--states, --stats-every)"), a value
 * for an option that takes none.
 */
int opttab_next(const struct opttab *t, int argc, char **argv,
    const struct opttab_opt **o, const char **arg);
/*
 * The values argv gives option o, found the way getopt_long() finds them
 * (every abbreviation it takes, never a word that is another option's
 * value), and nothing said about anything else: at most max into values;
 * returns how many there were.  Leaves optind at the first operand.
 */
size_t opttab_find(const struct opttab *t, int argc, char **argv,
    const struct opttab_opt *o, const char **values, size_t max);
/* Parse one option's value into obj.  0, or an OPTTAB_* value. */
int opttab_apply(const struct opttab_opt *o, void *obj, const char *arg);

/*
 * Check a configuration file's word "--name" or "--name=value": the name
 * in full, of a row that may be configured (not excluded), with a value
 * exactly when it takes one.  0, or -1 with the reason in err (without
 * the file and line).
 */
int opttab_check_word(const struct opttab *t, const char *word,
    const struct opttab_opt *excluded, char *err, size_t errlen);

/*
 * The rows as --help text, each under its section, the help text in a
 * column; expand(word) gives the text of a "{word}" in a row's help.
 */
void opttab_usage(const struct opttab *t, FILE *f,
    const char *(*expand)(const char *word));

#endif
