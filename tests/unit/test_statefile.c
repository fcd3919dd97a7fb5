/*
 * State files: the layout read the same from a buffer and from a file,
 * every way a damaged one is refused with its line, lines split across
 * the reader's chunks, the fingerprint word, and the atomic replace -- the mode kept, nothing
 * left behind when it fails (in ways root cannot get around), and two
 * writers at once never in the same temporary file.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trawl/statefile.h"
#include "trawl/wbuf.h"

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/trawl-statefile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove dir and what is in it, one level of subdirectories too. */
static void
remove_tree(const char *top)
{
	DIR *d = opendir(top);
	struct dirent *e;
	char path[512];

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, e->d_name);
		if (unlink(path) != 0 && (errno == EISDIR || errno == EPERM))
			remove_tree(path);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(top), 0);
}

/* Entries of dir, comma-separated and sorted; the caller frees. */
static char *
list_dir(void)
{
	struct dirent **ents;
	char *out = calloc(1, 4096);
	int n = scandir(dir, &ents, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			if (out[0] != '\0')
				strcat(out, ",");
			strncat(out, ents[i]->d_name, 4096 - strlen(out) - 2);
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static void
assert_dir(const char *want)
{
	char *ls = list_dir();

	ck_assert_str_eq(ls, want);
	free(ls);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static char *
read_file(const char *path)
{
	struct stat st;
	char *text;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	text = calloc(1, (size_t)st.st_size + 1);
	ck_assert_int_eq(read(fd, text, (size_t)st.st_size), st.st_size);
	close(fd);
	return text;
}

static void
append(char *out, size_t outlen, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + used, outlen - used, fmt, ap);
	va_end(ap);
}

/*
 * What a reader gives, as "LINE:word|word ..." and "LINE:end" at the end;
 * statefile_next()'s last return.
 */
static int
transcript(struct statefile *sf, int max, char *out, size_t outlen)
{
	char *w[8];
	int n;

	out[0] = '\0';
	while ((n = statefile_next(sf, w, max)) > 0) {
		append(out, outlen, "%zu:", statefile_line(sf));
		for (int i = 0; i < n; i++)
			append(out, outlen, "%s%s", i > 0 ? "|" : "", w[i]);
		append(out, outlen, " ");
	}
	if (n == 0)
		append(out, outlen, "%zu:end", statefile_line(sf));
	return n;
}

/* text from a buffer named "t": the transcript, or the message. */
static int
read_buf(const char *text, size_t len, int max, char *out, size_t outlen)
{
	struct statefile *sf;
	char err[512] = "";
	int n;

	ck_assert_int_eq(statefile_open_buf(text, len, "t", "test", &sf, err,
	    sizeof(err)), 0);
	n = transcript(sf, max, out, outlen);
	if (n < 0)
		snprintf(out, outlen, "%s", err);
	/* Once done, done: the same answer again. */
	ck_assert_int_eq(statefile_next(sf, (char *[8]){ NULL }, max), n);
	statefile_close(sf);
	return n;
}

/* --- reading ------------------------------------------------------------ */

START_TEST(reads_lines)
{
	static const char text[] = "trawl-test 1\nkey a b\n\n \t \nother\n"
	    "\tx\t\ty  \nend\n";
	char out[512];

	ck_assert_int_eq(read_buf(text, sizeof(text) - 1, 3, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "2:key|a|b 5:other 6:x|y 7:end");
}
END_TEST

/* CRLF line ends, blank lines before the header, no final newline. */
START_TEST(edited_by_hand)
{
	static const char text[] = "\r\n\ntrawl-test 1\r\nkey a\r\n\r\n"
	    "end\r\n";
	static const char bare[] = "trawl-test 1\nkey a\nend";
	char out[512];

	ck_assert_int_eq(read_buf(text, sizeof(text) - 1, 3, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "4:key|a 6:end");
	ck_assert_int_eq(read_buf(bare, sizeof(bare) - 1, 3, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "2:key|a 3:end");
}
END_TEST

struct bad_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *want;
};

static const struct bad_case bads[] = {
	{ "", 0, "t:1: bad test file: empty file" },
	{ "\n \n", 0, "t:2: bad test file: not a trawl test file" },
	{ "hello\n", 0, "t:1: bad test file: not a trawl test file" },
	{ "trawl-other 1\n", 0, "t:1: bad test file: not a trawl test file" },
	{ "trawl-testing 1\n", 0,
	    "t:1: bad test file: not a trawl test file" },
	{ "trawl-\n", 0, "t:1: bad test file: not a trawl test file" },
	{ "trawl-test 2\n", 0,
	    "t:1: bad test file: unsupported version (this trawl reads 1)" },
	{ "trawl-test\n", 0,
	    "t:1: bad test file: unsupported version (this trawl reads 1)" },
	{ "trawl-test 1 1\n", 0,
	    "t:1: bad test file: unsupported version (this trawl reads 1)" },
	{ "trawl-test 1 a b c d e\n", 0,
	    "t:1: bad test file: unsupported version (this trawl reads 1)" },
	{ "trawl-test 1\r\r\n", 0,
	    "t:1: bad test file: unsupported version (this trawl reads 1)" },
	/* Cut short. */
	{ "trawl-test 1\n", 0, "t:1: bad test file: truncated (no 'end' line)" },
	{ "trawl-test 1", 0, "t:1: bad test file: truncated (no 'end' line)" },
	{ "trawl-test 1\nkey a\n", 0,
	    "t:2: bad test file: truncated (no 'end' line)" },
	{ "trawl-test 1\nkey a\nen", 0,
	    "t:3: bad test file: truncated (no 'end' line)" },
	{ "trawl-test 1\nkey a\n\n\n", 0,
	    "t:4: bad test file: truncated (no 'end' line)" },
	{ "trawl-test 1\nEND\n", 0,
	    "t:2: bad test file: truncated (no 'end' line)" },
	/* Nothing after "end", not even a blank line. */
	{ "trawl-test 1\nend\nkey a\n", 0,
	    "t:3: bad test file: text after 'end'" },
	{ "trawl-test 1\nend\n\n", 0, "t:3: bad test file: text after 'end'" },
	{ "trawl-test 1\nend\n\r\n", 0,
	    "t:3: bad test file: text after 'end'" },
	{ "trawl-test 1\nend\nend\n", 0,
	    "t:3: bad test file: text after 'end'" },
	{ "trawl-test 1\nend\n\0", 18, "t:3: bad test file: text after 'end'" },
	/* Words. */
	{ "trawl-test 1\nkey a b c\nend\n", 0,
	    "t:2: bad test file: too many words" },
	/* NUL bytes, wherever they are. */
	{ "trawl\0-test 1\nend\n", 18, "t:1: bad test file: NUL byte" },
	{ "trawl-test 1\nkey a\0b\nend\n", 25, "t:2: bad test file: NUL byte" },
	{ "trawl-test 1\n\0\nend\n", 19, "t:2: bad test file: NUL byte" },
	{ "trawl-test 1\nkey\nend\0\n", 22, "t:3: bad test file: NUL byte" },
};

START_TEST(refused)
{
	const struct bad_case *c = &bads[_i];
	char out[512];

	ck_assert_int_eq(read_buf(c->text, c->len ? c->len : strlen(c->text),
	    3, out, sizeof(out)), -1);
	ck_assert_str_eq(out, c->want);
}
END_TEST

/* The same texts as files: the same answers, under the file's name. */
START_TEST(file_like_buffer)
{
	char path[128], want[600], out[600], err[512];

	make_dir();
	snprintf(path, sizeof(path), "%s/f", dir);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad_case *c = &bads[i];
		struct statefile *sf;

		write_file(path, c->text, c->len ? c->len : strlen(c->text));
		ck_assert_int_eq(statefile_open(path, "test", &sf, err,
		    sizeof(err)), 1);
		ck_assert_int_eq(transcript(sf, 3, out, sizeof(out)), -1);
		statefile_close(sf);
		snprintf(want, sizeof(want), "%s%s", path, c->want + 1);
		ck_assert_str_eq(err, want);
	}
	remove_tree(dir);
}
END_TEST

START_TEST(missing_and_unreadable)
{
	struct statefile *sf = NULL;
	char err[256] = "", out[256];

	ck_assert_int_eq(statefile_open("/nonexistent/trawl-state", "test",
	    &sf, err, sizeof(err)), 0);
	ck_assert_ptr_null(sf);
	ck_assert_str_eq(err, "");
	/* Not readable as a file at all: an error, not "missing". */
	ck_assert_int_eq(statefile_open("/", "test", &sf, err, sizeof(err)),
	    1);
	ck_assert_int_eq(transcript(sf, 3, out, sizeof(out)), -1);
	ck_assert_str_eq(err, "cannot read '/': Is a directory");
	statefile_close(sf);
}
END_TEST

/* The caller refuses a line, or the whole file at its "end". */
START_TEST(refused_by_caller)
{
	static const char text[] = "trawl-test 1\nkey a\n\nend\n";
	struct statefile *sf;
	char *w[3], err[256] = "";

	ck_assert_int_eq(statefile_open_buf(text, sizeof(text) - 1, "t",
	    "test", &sf, err, sizeof(err)), 0);
	ck_assert_int_eq(statefile_next(sf, w, 3), 2);
	ck_assert_int_eq(statefile_bad(sf, "bad key"), -1);
	ck_assert_str_eq(err, "t:2: bad test file: bad key");
	/* Refused is done: the reader says so from then on. */
	ck_assert_int_eq(statefile_next(sf, w, 3), -1);
	statefile_close(sf);

	ck_assert_int_eq(statefile_open_buf(text, sizeof(text) - 1, "t",
	    "test", &sf, err, sizeof(err)), 0);
	ck_assert_int_eq(statefile_next(sf, w, 3), 2);
	ck_assert_int_eq(statefile_next(sf, w, 3), 0);
	ck_assert_uint_eq(statefile_line(sf), 4);
	ck_assert_int_eq(statefile_bad(sf, "no seed line"), -1);
	ck_assert_str_eq(err, "t:4: bad test file: no seed line");
	statefile_close(sf);
}
END_TEST

/* Lines up to STATEFILE_LINE_MAX bytes; longer ones cost an error only. */
START_TEST(long_lines)
{
	static char out[STATEFILE_LINE_MAX + 64];
	size_t big = 3 * 1024 * 1024;
	char *text = malloc(big + STATEFILE_LINE_MAX + 64);
	size_t n;

	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "trawl-test 1\nk ");
	memset(text + n, 'a', STATEFILE_LINE_MAX - 2);
	n += STATEFILE_LINE_MAX - 2;
	n += (size_t)sprintf(text + n, "\nend\n");
	ck_assert_int_eq(read_buf(text, n, 3, out, sizeof(out)), 0);
	ck_assert_str_eq(out + strlen(out) - 6, " 3:end");

	/* One byte more. */
	n = (size_t)sprintf(text, "trawl-test 1\nk ");
	memset(text + n, 'a', STATEFILE_LINE_MAX - 1);
	n += STATEFILE_LINE_MAX - 1;
	n += (size_t)sprintf(text + n, "\nend\n");
	ck_assert_int_eq(read_buf(text, n, 3, out, sizeof(out)), -1);
	ck_assert_str_eq(out, "t:2: bad test file: line too long");

	/* Too long at the end, without a newline; and after "end". */
	n = (size_t)sprintf(text, "trawl-test 1\n\nk\n");
	memset(text + n, 'a', STATEFILE_LINE_MAX + 1);
	ck_assert_int_eq(read_buf(text, n + STATEFILE_LINE_MAX + 1, 3, out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "t:4: bad test file: line too long");
	n = (size_t)sprintf(text, "trawl-test 1\nend\n");
	memset(text + n, 'a', STATEFILE_LINE_MAX + 1);
	ck_assert_int_eq(read_buf(text, n + STATEFILE_LINE_MAX + 1, 3, out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "t:3: bad test file: text after 'end'");

	/* Megabytes without a newline: refused, not swallowed. */
	memset(text, 'x', big);
	ck_assert_int_eq(read_buf(text, big, 3, out, sizeof(out)), -1);
	ck_assert_str_eq(out, "t:1: bad test file: line too long");
	free(text);
}
END_TEST

/* Fingerprints: hex digits as written, nothing strtoull() would let by. */
START_TEST(hex64)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x1f", "g", "12345678901234567",
		"00000000000000001", "1.0",
	};
	uint64_t v = 7;

	ck_assert_int_eq(statefile_hex64("9a3c5e0d12ab34cd", &v), 0);
	ck_assert_uint_eq(v, 0x9a3c5e0d12ab34cdULL);
	ck_assert_int_eq(statefile_hex64("FFFFFFFFFFFFFFFF", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(statefile_hex64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(statefile_hex64("00ff", &v), 0);
	ck_assert_uint_eq(v, 0xff);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		ck_assert_msg(statefile_hex64(bad[i], &v) == -1,
		    "'%s' taken", bad[i]);
		ck_assert_uint_eq(v, 7);
	}
}
END_TEST

/*
 * Megabytes of lines of every length, read from a file and from memory
 * by chunks: each line whole and in its place, wherever a chunk ends.
 */
START_TEST(across_chunks)
{
	enum { LINES = 200000 };
	size_t cap = (size_t)LINES * 40 + 64, n = 0;
	char *text = malloc(cap), path[128], err[256];
	unsigned lens[] = { 1, 7, 30 };

	ck_assert_ptr_nonnull(text);
	n += (size_t)sprintf(text, "trawl-test 1\n");
	for (unsigned i = 0; i < LINES; i++) {
		n += (size_t)sprintf(text + n, "k%u ", i);
		memset(text + n, 'v', lens[i % 3]);
		n += lens[i % 3];
		text[n++] = i % 5 == 0 ? '\r' : ' ';
		text[n++] = '\n';
	}
	n += (size_t)sprintf(text + n, "end\n");
	ck_assert_uint_gt(n, 2 * 1024 * 1024);
	make_dir();
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, text, n);
	for (int from_file = 0; from_file < 2; from_file++) {
		struct statefile *sf;
		char *w[3], key[32];
		unsigned i = 0;
		int k;

		if (from_file)
			ck_assert_int_eq(statefile_open(path, "test", &sf, err,
			    sizeof(err)), 1);
		else
			ck_assert_int_eq(statefile_open_buf(text, n, "t",
			    "test", &sf, err, sizeof(err)), 0);
		while ((k = statefile_next(sf, w, 3)) > 0) {
			/* Plain tests: ck_assert() costs a system call. */
			snprintf(key, sizeof(key), "k%u", i);
			if (k != 2 || strcmp(w[0], key) != 0 ||
			    strlen(w[1]) != lens[i % 3] ||
			    strspn(w[1], "v") != lens[i % 3] ||
			    statefile_line(sf) != i + 2)
				ck_abort_msg("line %u read wrong", i + 2);
			i++;
		}
		ck_assert_msg(k == 0, "refused: %s", err);
		ck_assert_uint_eq(i, LINES);
		ck_assert_uint_eq(statefile_line(sf), LINES + 2);
		statefile_close(sf);
	}
	free(text);
	remove_tree(dir);
}
END_TEST

/* --- writing ------------------------------------------------------------ */

struct lines {
	const char *text;	/* written as is */
	size_t repeat;		/* times */
	int fail;		/* an errno to give up with after writing */
};

static int
write_lines(const void *ctx, struct wbuf *w)
{
	const struct lines *l = ctx;

	for (size_t i = 0; i < l->repeat; i++)
		wbuf_puts(w, l->text);
	return l->fail;
}

START_TEST(save_and_read_back)
{
	struct lines l = { "key a b\n", 2, 0 };
	char path[128], err[256] = "", out[256], *text;
	struct statefile *sf;
	struct stat st;
	mode_t old = umask(027);

	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	ck_assert_msg(statefile_save(path, "test", write_lines, &l, err,
	    sizeof(err)) == 0, "cannot save: %s", err);
	umask(old);
	text = read_file(path);
	ck_assert_str_eq(text, "trawl-test 1\nkey a b\nkey a b\nend\n");
	free(text);
	/* A first file: 0666 less the umask, as -o files. */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	assert_dir("state");

	ck_assert_int_eq(statefile_open(path, "test", &sf, err, sizeof(err)),
	    1);
	ck_assert_int_eq(transcript(sf, 3, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2:key|a|b 3:key|a|b 4:end");
	statefile_close(sf);

	/* A bare name lands in the current directory. */
	{
		char cwd[4096];

		ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
		ck_assert_int_eq(chdir(dir), 0);
		ck_assert_int_eq(statefile_save("other", "test", write_lines,
		    &l, err, sizeof(err)), 0);
		ck_assert_int_eq(chdir(cwd), 0);
		assert_dir("other,state");
	}
	remove_tree(dir);
}
END_TEST

START_TEST(save_keeps_mode)
{
	struct lines one = { "v 1\n", 1, 0 }, two = { "v 2\n", 1, 0 };
	char path[128], target[128], err[256] = "", *text;
	struct stat st;

	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &one, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &two, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0604);
	text = read_file(path);
	ck_assert_str_eq(text, "trawl-test 1\nv 2\nend\n");
	free(text);
	assert_dir("state");

	/* A symbolic link is replaced, what it points to left alone. */
	snprintf(target, sizeof(target), "%s/target", dir);
	write_file(target, "mine\n", 5);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink("target", path), 0);
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &one, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	text = read_file(target);
	ck_assert_str_eq(text, "mine\n");
	free(text);
	assert_dir("state,target");
	remove_tree(dir);
}
END_TEST

/*
 * Every failure leaves the old file as it was and nothing beside it.
 * Tests may run as root, who writes where others may not, so the
 * failures are ones root meets too: a path through a regular file, a
 * file size limit, a directory in the way of the rename, and the
 * writer giving up.
 */
START_TEST(save_fails_cleanly)
{
	struct lines old = { "v old\n", 1, 0 };
	struct lines big = { "v a-line-of-some-length-to-fill-a-file\n", 20000,
	    0 };
	struct lines gives_up = { "v 1\n", 1, ENOMEM };
	char path[128], bad[160], want[512], err[512] = "", *text;
	struct rlimit saved, small;

	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &old, err,
	    sizeof(err)), 0);

	/* Under a regular file: no temporary file can be made. */
	snprintf(bad, sizeof(bad), "%s/state/x", dir);
	errno = 0;
	ck_assert_int_eq(statefile_save(bad, "test", write_lines, &old, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	snprintf(want, sizeof(want), "cannot create a temporary file for "
	    "'%s': Not a directory", bad);
	ck_assert_str_eq(err, want);
	assert_dir("state");

	/* The file size limit, met halfway through the writing. */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &big, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(want, sizeof(want), "cannot write '%s': File too large",
	    path);
	ck_assert_str_eq(err, want);
	assert_dir("state");

	/* The writer gives up. */
	ck_assert_int_eq(statefile_save(path, "test", write_lines, &gives_up,
	    err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot write '%s': Cannot allocate "
	    "memory", path);
	ck_assert_str_eq(err, want);
	assert_dir("state");
	text = read_file(path);
	ck_assert_str_eq(text, "trawl-test 1\nv old\nend\n");
	free(text);

	/* A directory where the file goes: written, but not renamed. */
	snprintf(bad, sizeof(bad), "%s/sub", dir);
	ck_assert_int_eq(mkdir(bad, 0755), 0);
	snprintf(want, sizeof(want), "%s/sub/keep", dir);
	write_file(want, "x", 1);
	ck_assert_int_eq(statefile_save(bad, "test", write_lines, &old, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, EISDIR);
	snprintf(want, sizeof(want), "cannot replace '%s': Is a directory",
	    bad);
	ck_assert_str_eq(err, want);
	assert_dir("state,sub");
	/* No message wanted: errno alone. */
	errno = 0;
	ck_assert_int_eq(statefile_save(bad, "test", write_lines, &old, NULL,
	    0), -1);
	ck_assert_int_eq(errno, EISDIR);
	assert_dir("state,sub");
	remove_tree(dir);
}
END_TEST

/*
 * A writer that, halfway through its own file, lets a second writer save
 * the same path: each has its own temporary file, and the last rename
 * wins whole.
 */
static struct {
	const char *path;
	int depth;
	char seen[512];		/* the directory while both write */
} nest;

static int
write_nested(const void *ctx, struct wbuf *w)
{
	char err[256];

	(void)ctx;
	if (nest.depth++ == 0) {
		wbuf_puts(w, "who outer\n");
		ck_assert_msg(statefile_save(nest.path, "test", write_nested,
		    NULL, err, sizeof(err)) == 0, "inner: %s", err);
	} else {
		char *ls = list_dir();

		snprintf(nest.seen, sizeof(nest.seen), "%s", ls);
		free(ls);
		wbuf_puts(w, "who inner\n");
	}
	return 0;
}

/* The temporaries a killed save left, and nothing else, are swept. */
START_TEST(sweep_litter)
{
	static const char *const names[] = {
		"r.resume", "r.resume.tmp-0123456789ab", "r.resume.tmp-xyz",
		"r.resume.tmp-0123456789abc", "other.tmp-0123456789ab",
		"r.resume.found.0.tmp-a1b2c3d4e5f6",
	};
	char path[512], *got;

	make_dir();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/r.resume", dir);
	statefile_sweep(path);
	got = list_dir();
	ck_assert_str_eq(got, "other.tmp-0123456789ab,r.resume,"
	    "r.resume.found.0.tmp-a1b2c3d4e5f6,r.resume.tmp-0123456789abc,"
	    "r.resume.tmp-xyz");
	free(got);
	snprintf(path, sizeof(path), "%s/r.resume.found.0", dir);
	statefile_sweep(path);
	got = list_dir();
	ck_assert_str_eq(got, "other.tmp-0123456789ab,r.resume,"
	    "r.resume.tmp-0123456789abc,r.resume.tmp-xyz");
	free(got);
	remove_tree(dir);
}
END_TEST

START_TEST(two_writers)
{
	char path[128], err[256], *text, *a, *b;

	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	nest.path = path;
	ck_assert_int_eq(statefile_save(path, "test", write_nested, NULL, err,
	    sizeof(err)), 0);
	/* Two temporary files, "state.tmp-" and 12 hex digits each. */
	a = nest.seen;
	ck_assert_msg(strlen(a) == 2 * 22 + 1 && a[22] == ',' &&
	    strncmp(a, "state.tmp-", 10) == 0 &&
	    strncmp(a + 23, "state.tmp-", 10) == 0 &&
	    strspn(a + 10, "0123456789abcdef") == 12 &&
	    strspn(a + 33, "0123456789abcdef") == 12, "while both wrote: %s",
	    a);
	b = a + 23;
	ck_assert(strncmp(a, b, 22) != 0);
	text = read_file(path);
	ck_assert_str_eq(text, "trawl-test 1\nwho outer\nend\n");
	free(text);
	assert_dir("state");
	remove_tree(dir);
}
END_TEST

/* Processes saving the same file at once: always one whole file. */
START_TEST(writers_at_once)
{
	enum { PROCS = 4, SAVES = 50 };
	char path[128], err[256], out[512], want[64], *text;
	struct statefile *sf;
	pid_t pids[PROCS];
	int status, count = 0;

	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	for (int p = 0; p < PROCS; p++) {
		ck_assert_int_ge(pids[p] = fork(), 0);
		if (pids[p] == 0) {
			char line[32];
			struct lines l = { line, 1000, 0 };

			snprintf(line, sizeof(line), "writer %d\n", p);
			for (int i = 0; i < SAVES; i++)
				if (statefile_save(path, "test", write_lines,
				    &l, err, sizeof(err)) != 0) {
					fprintf(stderr, "%s\n", err);
					_exit(1);
				}
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_dir("state");
	ck_assert_int_eq(statefile_open(path, "test", &sf, err, sizeof(err)),
	    1);
	ck_assert_int_eq(transcript(sf, 3, out, sizeof(out)), 0);
	ck_assert_uint_eq(statefile_line(sf), 1002);
	statefile_close(sf);
	/* All of it from one writer. */
	text = read_file(path);
	ck_assert(sscanf(text, "trawl-test 1\n%63[^\n]", want) == 1);
	for (char *p = text; (p = strstr(p, want)) != NULL; p += strlen(want))
		count++;
	ck_assert_int_eq(count, 1000);
	free(text);
	remove_tree(dir);
}
END_TEST

static Suite *
statefile_suite(void)
{
	Suite *s = suite_create("statefile");
	TCase *rd = tcase_create("read");
	TCase *wr = tcase_create("write");

	tcase_add_test(rd, reads_lines);
	tcase_add_test(rd, edited_by_hand);
	tcase_add_loop_test(rd, refused, 0,
	    (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(rd, file_like_buffer);
	tcase_add_test(rd, missing_and_unreadable);
	tcase_add_test(rd, refused_by_caller);
	tcase_add_test(rd, long_lines);
	tcase_add_test(rd, across_chunks);
	tcase_add_test(rd, hex64);
	tcase_set_timeout(rd, 60);
	suite_add_tcase(s, rd);
	tcase_add_test(wr, save_and_read_back);
	tcase_add_test(wr, save_keeps_mode);
	tcase_add_test(wr, save_fails_cleanly);
	tcase_add_test(wr, sweep_litter);
	tcase_add_test(wr, two_writers);
	tcase_add_test(wr, writers_at_once);
	tcase_set_timeout(wr, 60);
	suite_add_tcase(s, wr);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(statefile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
