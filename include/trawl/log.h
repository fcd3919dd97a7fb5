/*
 * Messages for the user on stderr, each one line starting "trawl: ".  Under
 * systemd, when stderr is the journal, each line starts with its syslog
 * priority ("<3>trawl: ...") so that the journal files it as one.
 */
#ifndef TRAWL_LOG_H
#define TRAWL_LOG_H

#include <stdbool.h>
#include <sys/types.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
};

/* Messages above level are dropped (-q keeps errors only). */
void log_set_level(enum log_level level);
/*
 * Messages that follow are about words read from where ("FILE:LINE"), which
 * is put after "trawl: "; NULL to stop.  where must outlive its use.
 */
void log_set_context(const char *where);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)

/*
 * Whether stderr is the journal: decided once, on the first call, from
 * JOURNAL_STREAM and stderr.  Nothing meant for a terminal (a live progress
 * line, escape sequences) belongs there.
 */
bool log_to_journal(void);
/*
 * The check behind it, pure: env is JOURNAL_STREAM ("DEVICE:INODE" in
 * decimal, or NULL) and dev, ino what fstat() says of stderr.
 */
bool log_journal_match(const char *env, dev_t dev, ino_t ino);

#endif
