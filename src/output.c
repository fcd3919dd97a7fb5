/* The table of output formats. */
#include <string.h>

#include "trawl/output.h"

static const struct out_format *const formats[] = {
	&out_text,
	&out_ndjson,
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
	return "text, ndjson";
}
