/*
 * Configuration files, parsed into command-line words.
 *
 * Each word is "--name=value" even when the value starts with '-' or is
 * empty: the '=' form is the one getopt_long() never splits or mistakes for
 * the next option, so a value cannot smuggle in an option of its own.
 *
 * The parser is strict where a mistake would otherwise pass silently: a
 * control character (a binary file, a stray NUL), "name value" without '=',
 * "name =" with nothing after it, a quote in the middle of a value, an
 * escape other than \" and \\.  Each is refused with the file, the line and
 * the text at fault, quoted so that nothing unprintable reaches a terminal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/config.h"
#include "trawl/readfile.h"
#include "trawl/vec.h"

/* Bad text longer than this is cut short in messages. */
#define CONFIG_TOKEN_SHOWN	40

struct config_parser {
	const char *name;		/* of the file, for messages */
	size_t lineno;
	struct config_args *out;
	size_t cap, lines_cap;		/* of out->argv, out->lines */
	char *err;
	size_t errlen;
};

static bool
config_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool
config_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Where a word ends: white space, '=', a comment or the end of the line. */
static const char *
config_word_end(const char *s, const char *e)
{
	while (s < e && !config_space(*s) && *s != '=' && *s != '#')
		s++;
	return s;
}

/* s[0..n) for a message: printable ASCII as is, the rest as \xNN. */
static void
config_quote(char *dst, size_t dstlen, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, shown = n > CONFIG_TOKEN_SHOWN ? CONFIG_TOKEN_SHOWN : n;

	for (size_t i = 0; i < shown && o + 5 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (shown < n && o + 4 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* "NAME:LINE: what 'token'rest"; always -1. */
static int
config_bad(struct config_parser *p, const char *what, const char *tok,
    size_t toklen, const char *rest)
{
	char shown[CONFIG_TOKEN_SHOWN * 4 + 8];

	config_quote(shown, sizeof(shown), tok, toklen);
	snprintf(p->err, p->errlen, "%s:%zu: %s '%s'%s", p->name, p->lineno,
	    what, shown, rest);
	return -1;
}

static int
config_nomem(struct config_parser *p)
{
	snprintf(p->err, p->errlen, "%s: out of memory", p->name);
	return -1;
}

/* Append a copy of "--NAME" or "--NAME=VALUE" (value NULL: a flag). */
static int
config_push(struct config_parser *p, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	struct config_args *a = p->out;
	size_t n = 2 + namelen + (value != NULL ? 1 + valuelen : 0) + 1;
	char *w;

	/* One more word, and the NULL after it; a line for each word. */
	if (vec_reserve(&a->argv, &p->cap, a->argc + 2, sizeof(*a->argv)) !=
	    0 || vec_reserve(&a->lines, &p->lines_cap, a->argc + 1,
	    sizeof(*a->lines)) != 0)
		return config_nomem(p);
	if ((w = malloc(n)) == NULL)
		return config_nomem(p);
	memcpy(w, "--", 2);
	memcpy(w + 2, name, namelen);
	if (value != NULL) {
		w[2 + namelen] = '=';
		memcpy(w + 3 + namelen, value, valuelen);
	}
	w[n - 1] = '\0';
	a->lines[a->argc] = p->lineno;
	a->argv[a->argc++] = w;
	a->argv[a->argc] = NULL;
	return 0;
}

/*
 * The value "..." starting at s (on the opening quote), without the quotes
 * and with its escapes undone, into a new string.
 */
static int
config_quoted(struct config_parser *p, const char *name, size_t namelen,
    const char *s, const char *e)
{
	char *v, *o;
	int rc;

	/* Unquoting only shrinks the text: the line's length is enough. */
	if ((v = malloc((size_t)(e - s) + 1)) == NULL)
		return config_nomem(p);
	o = v;
	for (s++; s < e && *s != '"'; s++) {
		if (*s == '\\' && s + 1 < e) {
			if (s[1] != '"' && s[1] != '\\') {
				free(v);
				return config_bad(p, "bad escape", s, 2,
				    " in a quoted value (only \\\" and \\\\)");
			}
			s++;
		} else if (*s == '\\') {
			/* A backslash last on the line leaves it open. */
			s = e;
			break;
		}
		*o++ = *s;
	}
	if (s == e) {
		free(v);
		return config_bad(p, "unterminated quote in the value of",
		    name, namelen, "");
	}
	for (s++; s < e && config_space(*s); s++)
		continue;
	if (s < e && *s != '#') {
		free(v);
		return config_bad(p, "text after the closing quote:", s,
		    (size_t)(e - s), "");
	}
	rc = config_push(p, name, namelen, v, (size_t)(o - v));
	free(v);
	return rc;
}

/* One line, [s, e) without its newline. */
static int
config_line(struct config_parser *p, const char *s, const char *e)
{
	const char *name, *v, *ve;
	size_t namelen;

	/* CRLF files: the CR is the line's end, not a character in it. */
	if (e > s && e[-1] == '\r')
		e--;
	for (const char *c = s; c < e; c++) {
		unsigned char u = (unsigned char)*c;

		if ((u < 0x20 && u != '\t') || u == 0x7f)
			return config_bad(p, "bad character", c, 1, "");
	}

	while (s < e && config_space(*s))
		s++;
	if (s == e || *s == '#')
		return 0;

	name = s;
	while (s < e && config_name_char(*s))
		s++;
	namelen = (size_t)(s - name);
	if (namelen == 0 && *s == '=')
		return config_bad(p, "missing option name before", "=", 1, "");
	if (namelen == 0 || *name == '-' || (s < e && !config_space(*s) &&
	    *s != '=' && *s != '#'))
		return config_bad(p, "bad option name", name,
		    (size_t)(config_word_end(name, e) - name),
		    *name == '-' ? " (write it without the dashes)" :
		    " (letters, digits and '-')");

	while (s < e && config_space(*s))
		s++;
	if (s == e || *s == '#')
		return config_push(p, name, namelen, NULL, 0);
	if (*s != '=')
		return config_bad(p, "missing '=' after", name, namelen, "");

	for (s++; s < e && config_space(*s); s++)
		continue;
	if (s == e || *s == '#')
		return config_bad(p, "missing value for", name, namelen,
		    " (write \"\" for an empty one)");
	if (*s == '"')
		return config_quoted(p, name, namelen, s, e);

	v = s;
	ve = memchr(v, '#', (size_t)(e - v));
	if (ve == NULL)
		ve = e;
	while (ve > v && config_space(ve[-1]))
		ve--;
	if (memchr(v, '"', (size_t)(ve - v)) != NULL)
		return config_bad(p, "stray quote in the value", v,
		    (size_t)(ve - v), " (quote the whole value)");
	return config_push(p, name, namelen, v, (size_t)(ve - v));
}

void
config_args_free(struct config_args *a)
{
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->lines);
	memset(a, 0, sizeof(*a));
}

int
config_parse_buf(const char *buf, size_t len, const char *name,
    struct config_args *out, char *err, size_t errlen)
{
	struct config_parser p = {
		.name = name, .out = out, .err = err, .errlen = errlen,
	};
	const char *s = buf, *e = buf + len;

	memset(out, 0, sizeof(*out));
	/* Some editors start a UTF-8 file with a byte order mark. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));

		if (nl == NULL)
			nl = e;
		p.lineno++;
		if (config_line(&p, s, nl) != 0) {
			config_args_free(out);
			return -1;
		}
		s = nl + 1;
	}
	/* Callers get an argv, NULL-terminated, even from an empty file. */
	if (out->argv == NULL &&
	    (out->argv = calloc(1, sizeof(*out->argv))) == NULL)
		return config_nomem(&p);
	return 0;
}

int
config_load(const char *path, struct config_args *out, char *err,
    size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (readfile(path, CONFIG_MAX_SIZE, &buf, &len) != 0) {
		if (errno == EFBIG)
			snprintf(err, errlen, "'%s': larger than %d bytes, not "
			    "a configuration file", path, CONFIG_MAX_SIZE);
		else
			snprintf(err, errlen, "cannot read '%s': %s", path,
			    strerror(errno));
		return -1;
	}
	rc = config_parse_buf(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}
