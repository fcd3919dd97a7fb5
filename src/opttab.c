/*
 * Options from one table; see opttab.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/log.h"
#include "trawl/num.h"
#include "trawl/opttab.h"
#include "trawl/vec.h"

/* Where the help text starts, after "  -p, --ports LIST". */
#define HELP_COLUMN 26

/* getopt_long()'s value for a row: its letter, or one past every byte. */
static int
val_of(const struct opttab *t, const struct opttab_opt *o)
{
	return o->letter != 0 ? o->letter : 256 + (int)(o - t->opts);
}

int
opttab_init(struct opttab *t, const struct opttab_opt *opts, size_t n)
{
	size_t nl = 0, ns = 0;

	t->opts = opts;
	t->n = n;
	t->longopts = calloc(n + 1, sizeof(*t->longopts));
	/* ':' first: a missing value is told apart from an unknown option. */
	t->shortopts = calloc(1 + 2 * n + 1, 1);
	if (t->longopts == NULL || t->shortopts == NULL) {
		opttab_free(t);
		errno = ENOMEM;
		return -1;
	}
	t->shortopts[ns++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct opttab_opt *o = &opts[i];

		if (o->name != NULL) {
			t->longopts[nl].name = o->name;
			t->longopts[nl].has_arg = o->arg != NULL ?
			    required_argument : no_argument;
			t->longopts[nl].val = val_of(t, o);
			nl++;
		}
		if (o->letter != 0) {
			t->shortopts[ns++] = (char)o->letter;
			if (o->arg != NULL)
				t->shortopts[ns++] = ':';
		}
	}
	return 0;
}

void
opttab_free(struct opttab *t)
{
	free(t->longopts);
	free(t->shortopts);
	memset(t, 0, sizeof(*t));
}

const struct opttab_opt *
opttab_named(const struct opttab *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->opts[i].name != NULL && strlen(t->opts[i].name) == len &&
		    memcmp(t->opts[i].name, name, len) == 0)
			return &t->opts[i];
	return NULL;
}

/* --- options getopt_long() refused ------------------------------------- */

/* The word getopt_long() just refused, or "?". */
static const char *
refused_word(int argc, char **argv)
{
	return optind - 1 < argc && optind > 1 ? argv[optind - 1] : "?";
}

/* The option as the user typed it, for messages. */
static void
option_word(int argc, char **argv, char *buf, size_t len)
{
	const char *w = refused_word(argc, argv);

	if (optopt != 0 && (w[0] != '-' || w[1] != '-')) {
		snprintf(buf, len, "-%c", optopt);
		return;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(w, "="), w);
}

/*
 * getopt_long() returns the same '?' for an unknown name, an ambiguous
 * abbreviation and a value given to an option that takes none: tell them
 * apart for the user.
 */
static void
refused(const struct opttab *t, int argc, char **argv)
{
	const char *w = refused_word(argc, argv), *name;
	const struct opttab_opt *match;
	char word[64], list[256] = "";
	size_t len;
	int n = 0;

	option_word(argc, argv, word, sizeof(word));
	if (strncmp(w, "--", 2) != 0 || w[2] == '\0' || w[2] == '=') {
		log_error("unknown option '%s' (see trawl --help)", word);
		return;
	}
	name = w + 2;
	len = strcspn(name, "=");
	if ((match = opttab_named(t, name, len)) == NULL) {
		for (size_t i = 0; i < t->n; i++) {
			size_t used = strlen(list);

			if (t->opts[i].name == NULL ||
			    strncmp(t->opts[i].name, name, len) != 0)
				continue;
			match = &t->opts[i];
			n++;
			snprintf(list + used, sizeof(list) - used, "%s--%s",
			    used > 0 ? ", " : "", t->opts[i].name);
		}
	}
	if (n > 1)
		log_error("ambiguous option '%s' (%s)", word, list);
	else if (match != NULL && match->arg == NULL && name[len] == '=')
		log_error("option '--%s' takes no value", match->name);
	else
		log_error("unknown option '%s' (see trawl --help)", word);
}

int
opttab_next(const struct opttab *t, int argc, char **argv,
    const struct opttab_opt **o, const char **arg)
{
	char word[64];
	int ch;

	opterr = 0;
	if ((ch = getopt_long(argc, argv, t->shortopts, t->longopts,
	    NULL)) == -1)
		return 0;
	if (ch == ':') {
		option_word(argc, argv, word, sizeof(word));
		log_error("option '%s' needs a value", word);
		return OPTTAB_USAGE;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (val_of(t, &t->opts[i]) == ch) {
			*o = &t->opts[i];
			*arg = optarg;
			return 1;
		}
	}
	refused(t, argc, argv);
	return OPTTAB_USAGE;
}

size_t
opttab_find(const struct opttab *t, int argc, char **argv,
    const struct opttab_opt *o, const char **values, size_t max)
{
	size_t n = 0;
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, t->shortopts, t->longopts,
	    NULL)) != -1) {
		if (ch != val_of(t, o))
			continue;
		if (n < max)
			values[n] = optarg;
		n++;
	}
	return n;
}

int
opttab_apply(const struct opttab_opt *o, void *obj, const char *arg)
{
	char *field = (char *)obj + o->off;
	struct opttab_list *l;
	const char **slot;
	uint64_t v;

	switch (o->kind) {
	case OPTTAB_FLAG:
		*(bool *)(void *)field = true;
		return 0;
	case OPTTAB_UINT:
		if (num_parse_str(arg, o->min, o->max, &v) != 0) {
			log_error("bad %s '%s' (%llu..%llu)", o->name, arg,
			    (unsigned long long)o->min,
			    (unsigned long long)o->max);
			return OPTTAB_USAGE;
		}
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case OPTTAB_STR:
		*(const char **)(void *)field = arg;
		return 0;
	case OPTTAB_LIST:
		l = (struct opttab_list *)(void *)field;
		if ((slot = VEC_PUSH(l->v, l->n, l->cap)) == NULL)
			return OPTTAB_NOMEM;
		*slot = arg;
		return 0;
	case OPTTAB_FN:
		return o->fn(obj, o, arg);
	}
	return OPTTAB_USAGE;
}

int
opttab_check_word(const struct opttab *t, const char *word,
    const struct opttab_opt *excluded, char *err, size_t errlen)
{
	const char *name = word + 2;
	size_t len = strcspn(name, "=");
	const struct opttab_opt *o = opttab_named(t, name, len);

	if (o == NULL || o == excluded) {
		snprintf(err, errlen, "unknown option '%.*s'", (int)len, name);
		return -1;
	}
	/*
	 * getopt_long() would take the next word of the command line as the
	 * value of "--output", and refuse "--quiet=yes" as an unknown
	 * option: say what is really wrong.
	 */
	if (o->arg != NULL && name[len] != '=') {
		snprintf(err, errlen, "missing value for '%s'", o->name);
		return -1;
	}
	if (o->arg == NULL && name[len] == '=') {
		snprintf(err, errlen, "'%s' takes no value (write just '%s')",
		    o->name, o->name);
		return -1;
	}
	return 0;
}

/* --- --help -------------------------------------------------------------- */

static void
help_text(FILE *f, const char *h, const char *(*expand)(const char *word))
{
	for (; *h != '\0'; h++) {
		const char *close = *h == '{' ? strchr(h, '}') : NULL;

		if (close != NULL && expand != NULL) {
			char word[32];

			snprintf(word, sizeof(word), "%.*s",
			    (int)(close - h - 1), h + 1);
			fputs(expand(word), f);
			h = close;
		} else if (*h == '\n') {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
		} else {
			fputc(*h, f);
		}
	}
	fputc('\n', f);
}

void
opttab_usage(const struct opttab *t, FILE *f,
    const char *(*expand)(const char *word))
{
	for (size_t i = 0; i < t->n; i++) {
		const struct opttab_opt *o = &t->opts[i];
		const char *arg = o->arg != NULL ? o->arg : "";
		const char *blank = o->arg != NULL ? " " : "";
		int n;

		if (o->section != NULL)
			fprintf(f, "%s:\n", o->section);
		if (o->letter != 0 && o->name != NULL)
			n = fprintf(f, "  -%c, --%s%s%s", o->letter, o->name,
			    blank, arg);
		else if (o->letter != 0)
			n = fprintf(f, "  -%c", o->letter);
		else
			n = fprintf(f, "      --%s%s%s", o->name, blank, arg);
		/* A long left side pushes the text over, two blanks on. */
		fprintf(f, "%*s", n < HELP_COLUMN ? HELP_COLUMN - n : 2, "");
		help_text(f, o->help, expand);
	}
}
