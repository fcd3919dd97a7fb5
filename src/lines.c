/* Reading line-oriented input files, streaming: millions of lines are fine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
lines_each(const char *path, lines_fn *fn, void *ctx)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0, saved;

	if (f == NULL)
		return -1;
	errno = 0;
	while (getline(&line, &cap, f) != -1) {
		char *s = trim(line);

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
