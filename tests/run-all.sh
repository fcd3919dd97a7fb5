#!/bin/sh
# Build trawl twice (plain, and with AddressSanitizer + UndefinedBehavior-
# Sanitizer), both with -Werror, and run the whole test suite in each; in
# the plain build the end-to-end tests run trawl as nobody, and a share of
# the suite runs under valgrind too.
# End-to-end tests create private network namespaces: run as root, or
# they skip (exit 77) and say why.
set -eu
cd "$(dirname "$0")/.."

meson setup --reconfigure -Dwerror=true build >/dev/null 2>&1 ||
	meson setup -Dwerror=true build
ninja -C build
# Here every trawl the end-to-end tests start runs as nobody with no
# capability (the results must not need privilege); as root in build-asan.
meson test -C build --setup=nobody --print-errorlogs
# A share of the suite under valgrind's memcheck (all of it: meson test -C
# build --setup=valgrind, some 8 minutes on 2 CPUs).
meson test -C build --setup=valgrind --suite unit --print-errorlogs
meson test -C build --setup=valgrind --print-errorlogs \
	e2e-basic e2e-formats e2e-hostile e2e-baseline e2e-banners

meson setup --reconfigure -Dwerror=true -Db_sanitize=address,undefined \
	-Db_lundef=false build-asan >/dev/null 2>&1 ||
	meson setup -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false build-asan
ninja -C build-asan
# (Check's time limit of each unit test case stretched as meson's is.)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
CK_TIMEOUT_MULTIPLIER=3 \
	meson test -C build-asan --print-errorlogs --timeout-multiplier 3
