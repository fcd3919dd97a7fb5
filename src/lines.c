/* Reading line-oriented input files, streaming: millions of lines are fine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "trawl/lines.h"

static char *
trim(char *s)
{
	char *end;

	s[strcspn(s, "#")] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/*
 * A NUL inside a line would cut it short into something else (an address
 * followed by junk that is never seen).  Spell each one out as the four
 * characters \x00 instead: no target, exclusion or name may hold a
 * backslash, so the line is refused, and the error shows what it held.
 * Returns the line, reallocated when it had to grow, or NULL.
 */
static char *
spell_nuls(char *line, size_t len, size_t *cap)
{
	size_t nuls = 0, j;
	char *out;

	for (size_t i = 0; i < len; i++)
		nuls += line[i] == '\0';
	if (nuls == 0)
		return line;
	if ((out = malloc(len + 3 * nuls + 1)) == NULL)
		return NULL;
	j = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\0') {
			memcpy(out + j, "\\x00", 4);
			j += 4;
		} else {
			out[j++] = line[i];
		}
	}
	out[j] = '\0';
	free(line);
	*cap = len + 3 * nuls + 1;
	return out;
}

int
lines_each(const char *path, lines_fn *fn, void *ctx)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0, saved;

	if (f == NULL)
		return -1;
	errno = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		char *s, *spelt = spell_nuls(line, (size_t)len, &cap);

		if (spelt == NULL) {
			rc = -1;
			break;
		}
		line = spelt;
		s = line;
		/*
		 * Some editors start a UTF-8 file with a byte order mark; it
		 * is invisible, so "bad target '127.0.0.1'" would be a riddle.
		 */
		if (lineno == 0 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		s = trim(s);
		lineno++;
		if (*s != '\0' && (rc = fn(ctx, path, lineno, s)) != 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = -1;
	saved = errno;
	free(line);
	if (f != stdin)
		fclose(f);
	errno = saved;
	return rc;
}
