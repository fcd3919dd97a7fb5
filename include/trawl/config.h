/*
 * Configuration files (--config FILE): long options, one a line, turned into
 * the words a command line would have so that the CLI parses both the same
 * way.  The parser knows the syntax only, never which options exist:
 *
 *	# a comment; blank lines are skipped
 *	ports = 22,80,443		"--ports=22,80,443"
 *	quiet				"--quiet"
 *	exclude = 10.0.0.1		repeated names give repeated words
 *	exclude = 10.0.0.9
 *	output = "ndjson:/srv/a b.ndjson"	quoted: spaces and '#' kept
 *
 * Inside quotes, \" is a quote and \\ a backslash; nothing else is escaped.
 */
#ifndef TRAWL_CONFIG_H
#define TRAWL_CONFIG_H

#include <stddef.h>

/* Larger files are refused: a configuration is small, /dev/zero is not. */
#define CONFIG_MAX_SIZE	(1024 * 1024)

struct config_args {
	char **argv;		/* argc words, then NULL */
	size_t *lines;		/* the line each word came from, from 1 */
	size_t argc;
};

/*
 * Parse len bytes of buf (NUL bytes included, which are an error) as a
 * configuration; name is the file name for messages.  Returns 0 with the
 * words in out ("--name=value" or "--name"), or -1 with a one-line message
 * "NAME:LINE: ..." quoting the bad text in err and out empty.
 */
int config_parse_buf(const char *buf, size_t len, const char *name,
    struct config_args *out, char *err, size_t errlen);
/* Read and parse path; -1 with a message when unreadable or malformed. */
int config_load(const char *path, struct config_args *out, char *err,
    size_t errlen);
void config_args_free(struct config_args *a);

#endif
