/*
 * Resume files: what resume_save() writes loads back the same, a missing
 * file is "nothing to resume", and every damaged or hand-made oddity is
 * refused with its line -- numbers above all, which once wrapped silently.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trawl/resume.h"

#define HEAD "trawl-resume 1\nfingerprint 9a3c5e0d12ab34cd\nseed 1234\n" \
	"order random\n"

/* Parse a literal (sizeof - 1 keeps embedded NULs); 0 or -1. */
#define PARSE(lit, r, err) \
	resume_parse_buf((lit), sizeof(lit) - 1, "t.resume", (r), (err), \
	    sizeof(err))

START_TEST(parse)
{
	static const char text[] = HEAD "shard 2/3\nrange 0 1000\n"
	    "range 1000 1001\nrange 5000 18446744073709551615\nend\n";
	struct resume r;
	char err[256] = "";

	ck_assert_msg(PARSE(text, &r, err) == 0, "refused: %s", err);
	ck_assert_uint_eq(r.fingerprint, 0x9a3c5e0d12ab34cdULL);
	ck_assert_uint_eq(r.seed, 1234);
	ck_assert_int_eq(r.order, ITER_RANDOM);
	ck_assert_uint_eq(r.shard_i, 2);
	ck_assert_uint_eq(r.shard_n, 3);
	ck_assert_uint_eq(r.nranges, 3);
	ck_assert_uint_eq(r.ranges[1].lo, 1000);
	ck_assert_uint_eq(r.ranges[2].hi, UINT64_MAX);
	resume_free(&r);
}
END_TEST

START_TEST(line_endings)
{
	/* CRLF, blank lines, tabs, no final newline. */
	static const char text[] = "\r\ntrawl-resume 1\r\n\n\tfingerprint "
	    "ff \nseed 7\norder sequential\nshard 1/1\nend";
	/* A NUL byte is damage, not the end of a line (it was once). */
	static const char nul[] = "trawl-resume 1\nfingerprint ff\0junk\n"
	    "seed 7\norder sequential\nshard 1/1\nend\n";
	struct resume r;
	char err[256] = "";

	ck_assert_msg(PARSE(text, &r, err) == 0, "refused: %s", err);
	ck_assert_uint_eq(r.fingerprint, 0xff);
	ck_assert_int_eq(r.order, ITER_SEQUENTIAL);
	ck_assert_uint_eq(r.nranges, 0);
	resume_free(&r);
	ck_assert_int_eq(PARSE(nul, &r, err), -1);
	ck_assert_str_eq(err, "t.resume:2: bad resume file: NUL byte");
	ck_assert_ptr_null(r.ranges);
}
END_TEST

struct bad_case {
	const char *text;
	const char *want;
};

static const struct bad_case bads[] = {
	{ "", "t.resume:1: bad resume file: empty file" },
	{ "\n\n", "t.resume:2: bad resume file: not a trawl resume file" },
	{ "trawl-baseline 1\n",
	    "t.resume:1: bad resume file: not a trawl resume file" },
	{ "trawl-resume 2\n", "t.resume:1: bad resume file: unsupported "
	    "version (this trawl reads 1)" },
	{ HEAD "shard 1/1\n",
	    "t.resume:5: bad resume file: truncated (no 'end' line)" },
	{ HEAD "shard 1/1\nrange 0 5\nen",
	    "t.resume:7: bad resume file: unknown line" },
	/* With its "end", a file lacking a line is not cut short. */
	{ HEAD "end\n", "t.resume:5: bad resume file: no shard line" },
	{ "trawl-resume 1\nseed 7\norder random\nshard 1/1\nend\n",
	    "t.resume:5: bad resume file: no fingerprint line" },
	{ "trawl-resume 1\nfingerprint 1\norder random\nshard 1/1\nend\n",
	    "t.resume:5: bad resume file: no seed line" },
	{ "trawl-resume 1\nfingerprint 1\nseed 7\nshard 1/1\nend\n",
	    "t.resume:5: bad resume file: no order line" },
	{ HEAD "shard 1/1\nend\nrange 0 1\n",
	    "t.resume:7: bad resume file: text after 'end'" },
	{ HEAD "shard 1/1\nend\n\n",
	    "t.resume:7: bad resume file: text after 'end'" },
	{ HEAD "shard 1/1\nrange 0 1 2\nend\n",
	    "t.resume:6: bad resume file: too many words" },
	{ HEAD "shard 1/1\nend now\n",
	    "t.resume:6: bad resume file: unknown line" },
	{ HEAD "shard 1/1\nrange 5 5\nend\n",
	    "t.resume:6: bad resume file: range" },
	{ HEAD "shard 1/1\nrange 9 10\nrange 0 5\nend\n",
	    "t.resume:7: bad resume file: range" },
	{ HEAD "shard 1/1\nrange 0 18446744073709551616\nend\n",
	    "t.resume:6: bad resume file: range" },
	{ HEAD "shard 1/1\nrange 0\nend\n",
	    "t.resume:6: bad resume file: unknown line" },
	{ HEAD "shard 0/1\nend\n", "t.resume:5: bad resume file: shard" },
	{ HEAD "shard 3/2\nend\n", "t.resume:5: bad resume file: shard" },
	{ HEAD "shard 1/2x\nend\n", "t.resume:5: bad resume file: shard" },
	/* sscanf("%u") read these as 1/1 and 1/4294967295. */
	{ HEAD "shard 1/4294967297\nend\n",
	    "t.resume:5: bad resume file: shard" },
	{ HEAD "shard 1/-1\nend\n", "t.resume:5: bad resume file: shard" },
	{ HEAD "shard +1/2\nend\n", "t.resume:5: bad resume file: shard" },
	/* strtoull() read these as ffffffffffffffff, 1f and 1. */
	{ "trawl-resume 1\nfingerprint -1\n",
	    "t.resume:2: bad resume file: fingerprint" },
	{ "trawl-resume 1\nfingerprint 0x1f\n",
	    "t.resume:2: bad resume file: fingerprint" },
	{ "trawl-resume 1\nfingerprint 00000000000000001\n",
	    "t.resume:2: bad resume file: fingerprint" },
	{ "trawl-resume 1\nseed -1\n", "t.resume:2: bad resume file: seed" },
	{ "trawl-resume 1\norder shuffled\n",
	    "t.resume:2: bad resume file: order" },
	/* Output lines: every word checked, the path absolute and whole. */
	{ HEAD "shard 1/1\noutput 1 2 3 4 grown ff\nend\n",
	    "t.resume:6: bad resume file: output" },
	{ HEAD "shard 1/1\noutput 1 2 5 4 grown ff /o\nend\n",
	    "t.resume:6: bad resume file: output" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 maybe ff /o\nend\n",
	    "t.resume:6: bad resume file: output" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact 0xff /o\nend\n",
	    "t.resume:6: bad resume file: output" },
	{ HEAD "shard 1/1\noutput -1 2 3 4 exact ff /o\nend\n",
	    "t.resume:6: bad resume file: output" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff out.ndjson\nend\n",
	    "t.resume:6: bad resume file: output path" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff /a%00b\nend\n",
	    "t.resume:6: bad resume file: output path" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff /a%4\nend\n",
	    "t.resume:6: bad resume file: output path" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff /a%zz\nend\n",
	    "t.resume:6: bad resume file: output path" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff /o\n"
	    "output 5 6 7 8 grown 1 /o\nend\n",
	    "t.resume:7: bad resume file: output named twice" },
	{ HEAD "shard 1/1\noutput 1 2 3 4 exact ff /o x\nend\n",
	    "t.resume:6: bad resume file: too many words" },
	/* Found lines: a slot of two, the side file's hash and length. */
	{ HEAD "shard 1/1\nfound 2 ff 10\nend\n",
	    "t.resume:6: bad resume file: found" },
	{ HEAD "shard 1/1\nfound 0 0xff 10\nend\n",
	    "t.resume:6: bad resume file: found" },
	{ HEAD "shard 1/1\nfound 0 ff -1\nend\n",
	    "t.resume:6: bad resume file: found" },
	{ HEAD "shard 1/1\nfound 0 ff\nend\n",
	    "t.resume:6: bad resume file: found" },
	{ HEAD "shard 1/1\nfound 0 ff 10 x\nend\n",
	    "t.resume:6: bad resume file: found" },
	{ HEAD "shard 1/1\nfound 0 ff 10\nfound 1 ff 10\nend\n",
	    "t.resume:7: bad resume file: found named twice" },
};

START_TEST(refused)
{
	const struct bad_case *c = &bads[_i];
	struct resume r;
	char err[256] = "";

	ck_assert_int_eq(resume_parse_buf(c->text, strlen(c->text),
	    "t.resume", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, c->want);
	ck_assert_ptr_null(r.ranges);
	ck_assert_uint_eq(r.nranges, 0);
}
END_TEST

START_TEST(save_and_load)
{
	struct iter_range ranges[] = { { 3, 9 }, { 10, 11 }, { 40, 400 } };
	struct resume w = {
		.fingerprint = 0x0123456789abcdefULL,
		.seed = UINT64_MAX,
		.order = ITER_SEQUENTIAL,
		.shard_i = 7,
		.shard_n = 1000000,
		.ranges = ranges,
		.nranges = 3,
	}, r;
	char dir[] = "/tmp/trawl-resume-XXXXXX", path[64], err[256] = "";
	struct stat st;
	DIR *d;
	struct dirent *e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r", dir);
	ck_assert_int_eq(resume_load(path, &r, err, sizeof(err)), 0);
	ck_assert_msg(resume_save(path, &w, err, sizeof(err)) == 0,
	    "cannot save: %s", err);
	/* Saved again over a file the user made private: it stays so. */
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(resume_save(path, &w, NULL, 0), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_msg(resume_load(path, &r, err, sizeof(err)) == 1,
	    "refused: %s", err);
	ck_assert_uint_eq(r.fingerprint, w.fingerprint);
	ck_assert_uint_eq(r.seed, w.seed);
	ck_assert_int_eq(r.order, w.order);
	ck_assert_uint_eq(r.shard_i, 7);
	ck_assert_uint_eq(r.shard_n, 1000000);
	ck_assert_uint_eq(r.nranges, 3);
	ck_assert_mem_eq(r.ranges, ranges, sizeof(ranges));
	resume_free(&r);
	/* The file alone: no temporary file beside it. */
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		ck_assert_msg(strcmp(e->d_name, "r") == 0 ||
		    e->d_name[0] == '.', "left in the directory: %s",
		    e->d_name);
	closedir(d);
	unlink(path);

	ck_assert_int_eq(rmdir(dir), 0);

	/* The directory gone: a message that says which file, and errno. */
	errno = 0;
	ck_assert_int_eq(resume_save(path, &w, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	{
		char want[160];

		snprintf(want, sizeof(want), "cannot create a temporary file "
		    "for '%s': No such file or directory", path);
		ck_assert_str_eq(err, want);
	}

	/* Not readable as a file at all: an error, not "missing". */
	ck_assert_int_eq(resume_load("/", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot read '/': Is a directory");
}
END_TEST

/* Ranges must lie inside the slice of the scan the file continues. */
/* Outputs, with the bytes a path may hold, saved and loaded back alike. */
START_TEST(outputs_round_trip)
{
	struct resume_output o[] = {
		{ "/tmp/a b\t%c\xc3\xa9\n.xml", 2049, 131, 5120, 5200, true,
		    0x0123456789abcdefULL },
		{ "/out.ndjson", 0, UINT64_MAX, 0, 0, false, 0 },
	};
	struct iter_range ranges[] = { { 3, 9 } };
	struct resume w = {
		.fingerprint = 1, .seed = 2, .order = ITER_RANDOM,
		.shard_i = 1, .shard_n = 1, .ranges = ranges, .nranges = 1,
		.outputs = o, .noutputs = 2,
	}, r;
	char dir[] = "/tmp/trawl-resume-XXXXXX", path[64], err[256] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r", dir);
	ck_assert_msg(resume_save(path, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(resume_load(path, &r, err, sizeof(err)) == 1, "%s", err);
	ck_assert_uint_eq(r.noutputs, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(r.outputs[i].path, o[i].path);
		ck_assert_uint_eq(r.outputs[i].dev, o[i].dev);
		ck_assert_uint_eq(r.outputs[i].ino, o[i].ino);
		ck_assert_uint_eq(r.outputs[i].cut, o[i].cut);
		ck_assert_uint_eq(r.outputs[i].length, o[i].length);
		ck_assert_int_eq(r.outputs[i].exact, o[i].exact);
		ck_assert_uint_eq(r.outputs[i].tail, o[i].tail);
	}
	ck_assert_ptr_eq(resume_output_find(&r, "/out.ndjson"),
	    &r.outputs[1]);
	ck_assert_ptr_null(resume_output_find(&r, "/out"));
	resume_free(&r);
	ck_assert_ptr_null(r.outputs);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The side file's line (--baseline), saved and loaded back alike. */
START_TEST(found_round_trip)
{
	struct iter_range ranges[] = { { 3, 9 } };
	struct resume w = {
		.fingerprint = 1, .seed = 2, .order = ITER_RANDOM,
		.shard_i = 1, .shard_n = 1, .ranges = ranges, .nranges = 1,
		.found = true, .found_slot = 1,
		.found_hash = 0xfedcba9876543210ULL, .found_length = UINT64_MAX,
	}, r;
	static const char old[] = HEAD "shard 1/1\nrange 0 5\nend\n";
	char dir[] = "/tmp/trawl-resume-XXXXXX", path[64], err[256] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r", dir);
	ck_assert_msg(resume_save(path, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(resume_load(path, &r, err, sizeof(err)) == 1, "%s", err);
	ck_assert(r.found);
	ck_assert_uint_eq(r.found_slot, 1);
	ck_assert_uint_eq(r.found_hash, w.found_hash);
	ck_assert_uint_eq(r.found_length, UINT64_MAX);
	resume_free(&r);
	ck_assert(!r.found);
	/* Without one, none comes back. */
	w.found = false;
	ck_assert_msg(resume_save(path, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(resume_load(path, &r, err, sizeof(err)) == 1, "%s", err);
	ck_assert(!r.found);
	resume_free(&r);
	unlink(path);
	rmdir(dir);
	/* A file of an older trawl, which wrote none, still loads. */
	ck_assert_msg(PARSE(old, &r, err) == 0, "refused: %s", err);
	ck_assert(!r.found);
	ck_assert_uint_eq(r.nranges, 1);
	resume_free(&r);
}
END_TEST

START_TEST(tail_hash)
{
	/* 64-bit FNV-1a: its published values. */
	ck_assert_uint_eq(resume_tail_hash("", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(resume_tail_hash("a", 1), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_ne(resume_tail_hash("ab", 2), resume_tail_hash("ba", 2));
}
END_TEST

/* Files as found against files as saved: what passes, what is refused. */
START_TEST(output_check)
{
	struct resume_output grown = { "/o/x.xml", 1, 2, 100, 100, false, 7 };
	struct resume_output exact = { "/o/x.xml", 1, 2, 90, 100, true, 7 };
	char err[512] = "";

	/* A checkpoint's file may have grown since: it is cut back. */
	ck_assert_int_eq(resume_output_check(&grown, 1, 2, 100, 7, "/r", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(resume_output_check(&grown, 1, 2, 5000, 7, "/r", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(resume_output_check(&exact, 1, 2, 100, 7, "/r", err,
	    sizeof(err)), 0);
	/* Replaced: another inode, or another device. */
	ck_assert_int_eq(resume_output_check(&grown, 1, 3, 100, 7, "/r", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'/o/x.xml' is not the file"));
	ck_assert_int_eq(resume_output_check(&grown, 9, 2, 100, 7, "/r", err,
	    sizeof(err)), -1);
	/* Cut. */
	ck_assert_int_eq(resume_output_check(&grown, 1, 2, 99, 0, "/r", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'/o/x.xml' is shorter (99 bytes)"));
	ck_assert_ptr_nonnull(strstr(err, "remove '/r'"));
	/* Grown after a stop: someone else wrote to it. */
	ck_assert_int_eq(resume_output_check(&exact, 1, 2, 101, 7, "/r", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'/o/x.xml' grew (101 bytes"));
	/* Edited: the same length, other last bytes. */
	ck_assert_int_eq(resume_output_check(&exact, 1, 2, 100, 8, "/r", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'/o/x.xml' was edited"));
	ck_assert_int_eq(resume_output_check(&grown, 1, 2, 200, 8, "/r", err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(fits)
{
	static const char text[] = HEAD "shard 1/1\nrange 5 10\n"
	    "range 20 96000\nend\n";
	struct resume r;
	char err[256] = "";

	ck_assert_msg(PARSE(text, &r, err) == 0, "refused: %s", err);
	ck_assert_int_eq(resume_fits(&r, 0, 96000, "t.resume", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(resume_fits(&r, 5, 96000, "t.resume", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(resume_fits(&r, 0, 95999, "t.resume", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "t.resume: bad resume file: its ranges run "
	    "outside the scan's positions 0-95999");
	ck_assert_int_eq(resume_fits(&r, 6, 96000, "t.resume", err,
	    sizeof(err)), -1);
	resume_free(&r);
	/* Nothing left: fits any slice, an empty one too. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(resume_fits(&r, 7, 7, "t.resume", err,
	    sizeof(err)), 0);
}
END_TEST

static Suite *
resume_suite(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse);
	tcase_add_test(tc, line_endings);
	tcase_add_loop_test(tc, refused, 0, sizeof(bads) / sizeof(bads[0]));
	tcase_add_test(tc, save_and_load);
	tcase_add_test(tc, fits);
	tcase_add_test(tc, outputs_round_trip);
	tcase_add_test(tc, found_round_trip);
	tcase_add_test(tc, tail_hash);
	tcase_add_test(tc, output_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resume_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
