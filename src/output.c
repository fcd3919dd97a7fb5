/* The table of output formats, and what the formats share. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trawl/output.h"

#ifndef TRAWL_VERSION
#define TRAWL_VERSION "unknown"
#endif

static const struct out_format *const formats[] = {
	&out_text,
	&out_ndjson,
	&out_csv,
	&out_grep,
	&out_xml,
};

const struct out_format *
output_find(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const char *
output_names(void)
{
	return "text, ndjson, csv, grep, xml";
}

void
output_run_fill(const struct out_run *run, struct out_run *out)
{
	if (run != NULL)
		*out = *run;
	else
		memset(out, 0, sizeof(*out));
	if (out->args == NULL)
		out->args = "trawl";
	if (out->version == NULL)
		out->version = TRAWL_VERSION;
	/* Without a start, the format's beginning is the nearest one. */
	if (run == NULL)
		out->start = time(NULL);
}

void
output_timestr(time_t t, char buf[OUTPUT_TIMESTR_SIZE])
{
	struct tm tm;

	/* ctime()'s layout, without its newline and its static buffer. */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, OUTPUT_TIMESTR_SIZE, "%a %b %e %H:%M:%S %Y",
	    &tm) == 0)
		snprintf(buf, OUTPUT_TIMESTR_SIZE, "unknown time");
}
