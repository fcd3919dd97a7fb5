/*
 * One line per message, written with a single write() so that lines from a
 * progress display or another process never interleave inside a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "trawl/log.h"

/* Set once at start-up, before any thread exists. */
static enum log_level log_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "trawl: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
