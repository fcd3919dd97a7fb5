#!/usr/bin/env python3
"""Loopback connects that meet themselves.

A connect() from 127.0.0.1 to 127.0.0.1:P, P in the ephemeral range, can get
P as its own source port: TCP simultaneous open, and connect() succeeds with
nobody listening.  The kernel never hands out a port somebody listens on as
a source port, so such a port is not open.

(a) With a 10-port ephemeral range (this namespace only), scanning those
    ports over and over: never "open", always closed, exit 0.
(b) With a 2-port range the kernel picks the port under test again and
    again; trawl must still come to an end, with the truth (closed).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-selfconnect')

# --- (a) ------------------------------------------------------------------

netns.set_local_port_range(40000, 40009)
PORTS = list(range(40000, 40010))
IPS = ['127.0.0.1', '::1']
truth = netns.Truth().build(IPS, PORTS, set(), set())
RUNS = 40

# The harness's own witness that the situation arises here at all.
met = 0
for _ in range(RUNS):
    got = netns.probe([(ip, p) for ip in IPS for p in PORTS], concurrency=20)
    met += sum(1 for v in got.values() if v == 'open')
netns.log('(a) reference prober: %d of %d plain connects met themselves'
          % (met, RUNS * len(IPS) * len(PORTS)))

bad_runs = 0
for i in range(RUNS):
    r = netns.run([trawl, '-q', '-f', 'ndjson', '--states', 'all',
                   '-p', '40000-40009', *IPS], timeout=20)
    before = ck.failures
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), truth,
                  what='10 ephemeral ports, run %d' % (i + 1))
    if ck.failures != before:
        bad_runs += 1
        if bad_runs >= 3:
            break

# --- (b) ------------------------------------------------------------------

netns.set_local_port_range(40000, 40001)
truth2 = netns.Truth().build(['127.0.0.1'], [40000, 40001], set(), set())
for i in range(5):
    r = netns.run([trawl, '-q', '-f', 'ndjson', '--states', 'all',
                   '-p', '40000-40001', '127.0.0.1'], timeout=10)
    if not ck.check(r.rc is not None, 'trawl never ended: with only two '
                    'ephemeral ports it meets itself on every retry (%s, '
                    'ip_local_port_range "40000 40001" in the namespace)'
                    % r.cmd):
        break
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), truth2,
                  what='2 ephemeral ports, run %d' % (i + 1))

ck.finish()
