/*
 * config_parse_buf(): configuration files.  An accepted file gives
 * "--name" and "--name=value" words with their lines in order; written
 * back as a file (every value quoted), the words parse to themselves.  A
 * refused one leaves nothing behind and says which file.
 */
#include "trawl/config.h"

#include "fuzz.h"

#define NAME "fuzz.conf"

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* The words as a file: "name" or name = "value", escaped; caller frees. */
static char *
write_back(const struct config_args *a, size_t *len)
{
	size_t cap = 1, n = 0;
	char *buf;

	for (size_t i = 0; i < a->argc; i++)
		cap += 2 * strlen(a->argv[i]) + 8;
	buf = malloc(cap);
	FUZZ_CHECK(buf != NULL);
	for (size_t i = 0; i < a->argc; i++) {
		const char *w = a->argv[i] + 2, *eq = strchr(w, '=');

		if (eq == NULL) {
			n += (size_t)sprintf(buf + n, "%s\n", w);
			continue;
		}
		memcpy(buf + n, w, (size_t)(eq - w));
		n += (size_t)(eq - w);
		n += (size_t)sprintf(buf + n, " = \"");
		for (const char *v = eq + 1; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				buf[n++] = '\\';
			buf[n++] = *v;
		}
		n += (size_t)sprintf(buf + n, "\"\n");
	}
	*len = n;
	return buf;
}

static void
check_words(const struct config_args *a, size_t nlines)
{
	FUZZ_CHECK(a->argv != NULL && a->argv[a->argc] == NULL);
	for (size_t i = 0; i < a->argc; i++) {
		const char *w = a->argv[i], *p;

		FUZZ_CHECK(strncmp(w, "--", 2) == 0);
		FUZZ_CHECK(w[2] != '\0' && w[2] != '-' && w[2] != '=');
		for (p = w + 2; *p != '\0' && *p != '='; p++)
			FUZZ_CHECK(name_char(*p));
		for (; *p != '\0'; p++)
			FUZZ_CHECK(*p == '\t' || ((unsigned char)*p >= 0x20 &&
			    *p != 0x7f));
		FUZZ_CHECK(a->lines[i] >= 1 && a->lines[i] <= nlines);
		FUZZ_CHECK(i == 0 || a->lines[i] > a->lines[i - 1]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size), *again;
	char err[512] = "";
	struct config_args a, b;
	size_t nlines = 1, len;

	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n';
	if (config_parse_buf(buf, size, NAME, &a, err, sizeof(err)) == 0) {
		check_words(&a, nlines);
		again = write_back(&a, &len);
		if (config_parse_buf(again, len, NAME, &b, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "written back, refused: %s\n", err);
			FUZZ_CHECK(!"written back, refused");
		}
		FUZZ_CHECK(b.argc == a.argc);
		for (size_t i = 0; i < a.argc; i++) {
			FUZZ_CHECK(strcmp(a.argv[i], b.argv[i]) == 0);
			FUZZ_CHECK(b.lines[i] == i + 1);
		}
		config_args_free(&b);
		free(again);
		config_args_free(&a);
	} else {
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
		FUZZ_CHECK(a.argv == NULL && a.argc == 0);
	}
	free(buf);
	return 0;
}
