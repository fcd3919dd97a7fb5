#!/bin/sh
# Install every Debian package that building trawl and running its whole
# test suite need (Debian 12; run as root):
#
#   sh tests/deps.sh && sh tests/run-all.sh
#
# build: compiler, meson, ninja, pkg-config, c-ares, libcurl, json-c;
# unit tests: check; end-to-end tests: python3, private network namespaces
# (iproute2, util-linux's unshare and setpriv), nft drops and counters,
# /etc/services (netbase), dnsmasq, nmap's DTD, nmap.xsl and ndiff,
# xmllint, xsltproc; the
# man page: mandoc; operations: systemd-analyze, bash and zsh completion;
# memcheck: valgrind; fuzzing (tests/fuzz-run.sh): clang and libFuzzer;
# --banners: OpenSSL (libssl-dev) and, for e2e-banners, the real daemons it
# identifies (openssh-server, nginx-light, redis-server, vsftpd, opensmtpd,
# openssl), which the test starts itself in its namespace: a policy-rc.d
# keeps apt from starting them on this machine.
# .ci/run installs through this script too: the list lives here only.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "$0: run as root (apt-get install)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# No daemon the packages bring may start on this machine (invoke-rc.d asks
# policy-rc.d; 101: action forbidden).  One that was there stays as it is.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tests/deps.sh: no daemon starts while it installs\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
unpolicy() {
	if [ -n "$made_policy" ]; then
		rm -f "$policy"
	fi
}
trap unpolicy EXIT
trap 'unpolicy; exit 1' HUP INT TERM

apt-get update
apt-get install -y --no-install-recommends \
	build-essential meson ninja-build pkg-config check python3 \
	netbase nftables iproute2 mandoc util-linux \
	libc-ares-dev libcurl4-openssl-dev libjson-c-dev libssl-dev \
	dnsmasq-base \
	nmap ndiff libxml2-utils xsltproc systemd zsh bash-completion \
	clang libclang-rt-14-dev valgrind \
	openssh-server openssh-client nginx-light redis-server vsftpd \
	opensmtpd openssl
