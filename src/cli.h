/* The command line and the --config file, to a run configuration. */
#ifndef TRAWL_CLI_H
#define TRAWL_CLI_H

#include "trawl/runconf.h"

struct cli;

enum cli_result {
	CLI_RUN,		/* scan */
	CLI_DONE,		/* --help or --version: exit 0 */
	CLI_USAGE,		/* bad usage, already said: exit 2 */
	CLI_FAIL,		/* out of memory, not said: exit 1 */
};

/*
 * Parse argv (and the --config file it names) into *out, which the caller
 * frees with cli_free() whatever the result; *out may be NULL on CLI_FAIL.
 * getopt_long() permutes argv.
 */
enum cli_result cli_parse(int argc, char **argv, struct cli **out);
/* The run's configuration: valid until cli_free(). */
const struct runconf *cli_runconf(const struct cli *c);
void cli_free(struct cli *c);

#endif
