/* The command line: options to a validated configuration. */
#ifndef TRAWL_CLI_H
#define TRAWL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_args;
struct ports;
struct out_format;

/* One -o [FORMAT:]FILE; path "-" is the standard output. */
struct cli_output {
	const struct out_format *format;
	const char *path;
};

struct cli {
	struct ports *ports;
	unsigned concurrency;
	unsigned timeout_ms;
	unsigned retries;
	const struct out_format *format;	/* -f: for -o FILE and stdout */
	struct cli_output *outputs;	/* at least one */
	size_t noutputs;
	const char **output_args;	/* -o words, resolved after -f */
	size_t noutput_args;
	unsigned report;		/* STATE_BIT()s to report */
	bool quiet;
	int family;			/* AF_UNSPEC, AF_INET, AF_INET6 */
	char **targets;
	int ntargets;

	/* The target space at scale (issue: shards, resume, rate...). */
	int order;			/* enum iter_order */
	uint64_t seed;
	bool seed_given;
	unsigned shard_i, shard_n;	/* 0/0: not sharded */
	unsigned shards_env;		/* --shards N: index from the env */
	const char **excludes;		/* -x lists */
	size_t nexcludes;
	const char **exclude_files;
	size_t nexclude_files;
	const char **input_files;
	size_t ninput_files;
	uint64_t rate;
	unsigned host_concurrency;
	unsigned threads;		/* 0: one per CPU */
	const char *resume;
	int progress;			/* -1 auto, 0 off, 1 on */
	unsigned stats_every;
	bool dry_run;

	/* Names at scale. */
	const char **resolvers;		/* --resolver ADDR[:PORT] */
	size_t nresolvers;
	unsigned dns_concurrency;	/* 0: the default */
	const char **domains;		/* --subdomains DOMAIN */
	size_t ndomains;
	const char *ct_url;		/* NULL: crt.sh */
	const char *wordlist;
	bool list_names;
	char **argv;			/* for the resume hint */
	const char *config;		/* --config FILE */
	const char *baseline;		/* --baseline FILE */
	bool fail_on_change;
	struct config_args *config_args;	/* its words: optargs point in */
	char **words;			/* argv with the config's words */
};

enum cli_result {
	CLI_RUN,		/* scan */
	CLI_DONE,		/* --help or --version: exit 0 */
	CLI_USAGE,		/* bad usage, already said: exit 2 */
	CLI_FAIL,		/* out of memory: exit 1 */
};

enum cli_result cli_parse(struct cli *c, int argc, char **argv);
void cli_free(struct cli *c);

#endif
