#!/bin/sh
# The exe_wrapper of `meson test --setup=valgrind` (tests/meson.build):
#
#   valgrind-wrap.sh BUILD_ROOT VALGRIND [VALGRIND-OPTIONS...] -- TEST [ARGS...]
#
# A test program built here (the unit tests) runs under valgrind.  Any
# other test command -- python3 running an end-to-end script, sh, mandoc --
# runs as it is: the end-to-end scripts run each trawl under valgrind
# themselves, from TRAWL_WRAPPER (tests/e2e/trawlwrap.py), which the setup
# also sets.  Wrapping python itself would test python.
set -eu
root=$1
shift
vg=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	vg="$vg $(printf '%s' "$1" | sed "s/'/'\\\\''/g; s/^/'/; s/\$/'/")"
	shift
done
[ $# -gt 0 ] && shift
case $1 in
"$root"/*)
	eval "exec $vg \"\$@\""
	;;
esac
exec "$@"
