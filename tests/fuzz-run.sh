#!/bin/sh
# Fuzz every parser for a while: build the libFuzzer targets of fuzz/ with
# clang (AddressSanitizer + UndefinedBehaviorSanitizer) in build-fuzz, then
# run each for FUZZ_SECONDS (default 60) on a copy of its corpus, so that
# what it finds stays out of the repository, FUZZ_JOBS (default: one per
# CPU) at a time.  Installs nothing: it needs
# clang and libFuzzer's runtime (Debian 12: clang libclang-rt-14-dev, and
# llvm for symbolized stack traces).
#
# Exits 1 on any finding (crash, broken check, leak, timeout, memory
# limit) after printing the input and its base64; add it to
# fuzz/corpus/NAME once fixed, and the corpus test keeps it fixed.
set -eu
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets="target ports config ctlog resume baseline ptr svcid cert"

CC=${FUZZ_CC:-clang}
export CC
meson setup --reconfigure -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false build-fuzz >/dev/null 2>&1 ||
	meson setup -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false build-fuzz
set --
for t in $targets; do
	set -- "$@" "fuzz/fuzz_$t"
done
ninja -C build-fuzz "$@"

# A report of UBSan is a finding, not a line in the log.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

work=build-fuzz/fuzz-run
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}

# One target: fuzz it, then write its verdict (ok or bad) to $work/$t.rc.
fuzz_one() {
	t=$1
	corpus=$work/corpus-$t
	found=$work/found-$t
	log=$work/fuzz_$t.log
	rm -rf "$corpus" "$found"
	mkdir -p "$corpus" "$found"
	cp fuzz/corpus/"$t"/* "$corpus"/
	if build-fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$found/" "$corpus" >"$log" 2>&1; then
		echo ok >"$work/$t.rc"
	else
		echo bad >"$work/$t.rc"
	fi
}

# $jobs targets at a time (one per CPU): the wall time is what CI counts.
mkdir -p "$work"
echo "fuzzing each target for $seconds s on a copy of fuzz/corpus/NAME," \
    "$jobs at a time"
n=0
for t in $targets; do
	rm -f "$work/$t.rc"
	fuzz_one "$t" &
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		wait
		n=0
	fi
done
wait

failed=
for t in $targets; do
	log=$work/fuzz_$t.log
	bad=
	echo "fuzz_$t:"
	if [ "$(cat "$work/$t.rc" 2>/dev/null)" != ok ]; then
		bad=1
		tail -n 80 "$log"
	fi
	grep -E '^#[0-9]+' "$log" | tail -n 1 || :
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
	    "$log" || :
	for f in "$work/found-$t"/*; do
		[ -f "$f" ] || continue
		bad=1
		echo "fuzz_$t: finding in $f (add it to fuzz/corpus/$t/):"
		base64 "$f"
	done
	[ -z "$bad" ] || failed="$failed $t"
done

if [ -n "$failed" ]; then
	echo "fuzzing found problems in:$failed (logs in $work)" >&2
	exit 1
fi
echo "fuzzing: no finding in $seconds s per target"
