/*
 * trawl's exit statuses, the contract scripts rely on (trawl(1), EXIT
 * STATUS).  The program's modules return them, 0 meaning "go on".
 */
#ifndef TRAWL_EXITCODE_H
#define TRAWL_EXITCODE_H

enum {
	EXIT_DONE = 0,		/* the scan ran to its end */
	EXIT_FAILED = 1,	/* could not run: said why */
	EXIT_USAGE = 2,		/* a bad word, line or file: said which */
	EXIT_CHANGED = 3,	/* --fail-on-change, and something changed */
	/* 128 + n: stopped by signal n, the rest saved for --resume. */
};

#endif
