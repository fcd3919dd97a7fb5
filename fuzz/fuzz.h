/*
 * What the fuzz targets share.  Each is a libFuzzer entry point that feeds
 * one parser the input and then checks what the parser promises, so that
 * a wrong answer is a finding too, not only a crash.  standalone.c runs
 * the same entry points over a corpus without libFuzzer.
 */
#ifndef TRAWL_FUZZ_H
#define TRAWL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash: libFuzzer keeps the input that caused it. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
			    __FILE__, __LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/*
 * A copy of exactly the input, on the heap and with nothing after it, so
 * that AddressSanitizer sees a read one byte too far.  Never NULL.
 */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size > 0 ? size : 1);

	FUZZ_CHECK(p != NULL);
	if (size > 0)
		memcpy(p, data, size);
	return p;
}

/* The input as a C string: it ends at its first NUL byte, if any. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	FUZZ_CHECK(p != NULL);
	if (size > 0)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* A message parsers write on failure: present and terminated. */
static inline void
fuzz_check_err(const char *err, size_t errlen)
{
	FUZZ_CHECK(err[0] != '\0');
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
}

#endif
