/*
 * One line per message, written with a single write() so that lines from a
 * progress display or another process never interleave inside a line.
 *
 * systemd connects a service's stderr to the journal through a stream
 * socket and says so in JOURNAL_STREAM, the device and inode of that socket.
 * The variable alone proves nothing: it is inherited by every child, whose
 * stderr may have been redirected since, so it counts only when it names the
 * file stderr is now (systemd.exec(5), "$JOURNAL_STREAM").  Then a "<N>"
 * prefix, N a syslog priority, sets the priority of the line (sd-daemon(3)).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "trawl/log.h"
#include "trawl/num.h"
#include "trawl/textesc.h"

/* Set once at start-up, before any thread exists. */
static enum log_level log_level = LOG_LEVEL_INFO;

/* Decided once, whichever thread logs first. */
static pthread_once_t log_journal_once = PTHREAD_ONCE_INIT;
static bool log_journal;

static const int log_priority[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
};

bool
log_journal_match(const char *env, dev_t dev, ino_t ino)
{
	const char *colon;
	uint64_t d, i;

	if (env == NULL || (colon = strchr(env, ':')) == NULL)
		return false;
	if (num_parse(env, (size_t)(colon - env), 0, UINT64_MAX, &d) != 0 ||
	    num_parse_str(colon + 1, 0, UINT64_MAX, &i) != 0)
		return false;
	return d == (uint64_t)dev && i == (uint64_t)ino;
}

static void
log_journal_detect(void)
{
	struct stat st;

	log_journal = fstat(STDERR_FILENO, &st) == 0 &&
	    log_journal_match(getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino);
}

bool
log_to_journal(void)
{
	pthread_once(&log_journal_once, log_journal_detect);
	return log_journal;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* Where the words being read come from ("FILE:LINE"), or NULL. */
static const char *log_context;

void
log_set_context(const char *where)
{
	log_context = where;
}

/*
 * Append s to line (n bytes used, room for 4 bytes per byte of s): messages
 * quote what the user, a file or the network gave, and a control character
 * must not reach the terminal raw (an escape sequence, C1 ones too) nor
 * split the line in two for a log reader; a log stays valid UTF-8.
 */
static size_t
log_escape(char *line, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	while (*s != '\0') {
		size_t len = textesc_printable(s);

		if (len == 0) {
			unsigned char c = (unsigned char)*s++;

			line[n++] = '\\';
			line[n++] = 'x';
			line[n++] = hex[c >> 4];
			line[n++] = hex[c & 15];
		} else {
			memcpy(line + n, s, len);
			n += len;
			s += len;
		}
	}
	return n;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[1024], ctx[257], line[32 + 4 * (sizeof(ctx) + sizeof(msg))];
	va_list ap;
	size_t n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_to_journal())
		n = (size_t)snprintf(line, sizeof(line), "<%d>trawl: ",
		    log_priority[level]);
	else
		n = (size_t)snprintf(line, sizeof(line), "trawl: ");
	if (log_context != NULL) {
		(void)snprintf(ctx, sizeof(ctx), "%s", log_context);
		n = log_escape(line, n, ctx);
		line[n++] = ':';
		line[n++] = ' ';
	}
	n = log_escape(line, n, msg);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}
