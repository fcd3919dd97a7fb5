#!/usr/bin/env python3
"""trawl short of descriptors and of local ports must still be exact.

(a) An open-file limit of 64 with -c 10000: the clamp is said on stderr and
    every port still comes out right.  A soft limit below the hard one is
    raised first.
(b) The open-file limit lowered under a running scan: socket() fails with
    EMFILE, which is a local shortage to wait out, never a state.
(c) 100 ephemeral ports (this namespace only), then 1, for a scan of 3000
    ports of which 2000 listen: every open port is found, none is lost to a
    shortage of local ports.
(Connects that meet themselves: test_selfconnect.py.)
"""
import os
import random
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-pressure')
rng = random.Random(netns.seed_from_env(64))

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 2600:
    netns.skip('this test needs 2600 descriptors for its listeners; the '
               'limit is %d' % soft)

lst = netns.Listeners()
CLAMP_RE = re.compile(r'^trawl: concurrency lowered to (\d+) '
                      r'\(open file limit (\d+)\)$')

# --- (a) few descriptors ---------------------------------------------------

IPS_A = ['127.0.2.%d' % i for i in range(1, 5)]
PORTS_A = list(range(25000, 25500))
listening = set()
for ip in IPS_A:
    for port in rng.sample(PORTS_A, 12):
        lst.add(ip, port)
        listening.add((ip, port))
lst.add('127.0.2.1', 22)
listening.add(('127.0.2.1', 22))
dropped = set(rng.sample(sorted((i, p) for i in IPS_A for p in PORTS_A), 6))
netns.nft_drop(dropped)

# --- listeners of (c) ----------------------------------------------------

PORTS_C = list(range(20000, 23000))
OPEN_C = set(rng.sample(PORTS_C, 2000))
for port in OPEN_C:
    if lst.add('127.0.0.1', port) is None:
        netns.hard_error('127.0.0.1:%d taken in a fresh namespace' % port)
lst.start()

truth_a = netns.Truth().build(IPS_A, [22] + PORTS_A, listening, dropped)
truth_a.self_check()
netns.log('(a) ground truth: %s' % truth_a.counts())

SCAN_A = ['-f', 'ndjson', '--states', 'all', '-t', '500', '--retries', '1',
          '-c', '10000', '-p', '22,25000-25499', '127.0.2.1-4']

for what, limit, wrap in (
        ('ulimit -n 64', 64, ['sh', '-c', 'ulimit -n 64 && exec "$@"', 'sh']),
        ('soft 64, hard 4096', min(4096, hard),
         ['sh', '-c', 'ulimit -Sn 64 && ulimit -Hn %d && exec "$@"'
          % min(4096, hard), 'sh'])):
    netns.log('(a) %s' % what)
    r = netns.run([trawl, *SCAN_A], wrap=wrap)
    ck.check(r.rc == 0, 'exit %r, want 0 (%s): %s' % (r.rc, what, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), truth_a, what=what)
    clamp = [m for m in map(CLAMP_RE.match, r.err_lines) if m]
    if ck.check(len(clamp) == 1, 'want one "trawl: concurrency lowered to N '
                '(open file limit %d)" line, stderr: %r' % (limit, r.err)):
        n, lim = int(clamp[0].group(1)), int(clamp[0].group(2))
        # Under valgrind (TRAWL_WRAPPER) the client sees a limit lowered by
        # the descriptors valgrind keeps, and cannot raise its soft limit.
        ck.check(lim == limit or (netns.WRAPPED and 32 <= lim <= limit),
                 'clamp names open file limit %d, want %d'
                 ' (%s)' % (lim, limit, what))
        ck.check(1 <= n < lim, 'concurrency lowered to %d, not below the '
                 'limit %d' % (n, lim))
    ck.check(netns.SUMMARY_RE.match(r.err_lines[-1] if r.err_lines else ''),
             'no summary line at the end of stderr: %r' % r.err)
    netns.check_summary(ck, r, truth_a.counts(), only_line=False)

# --- (b) the limit drops under a running scan -----------------------------

# Many drops keep sockets in flight for the whole timeout, so that trawl
# holds far more descriptors than the new limit when it comes.
IPS_B = ['127.0.3.%d' % i for i in range(1, 5)]
PORTS_B = list(range(26000, 26500))
listen_b = set()
for ip in IPS_B:
    for port in rng.sample(PORTS_B, 12):
        lst.add(ip, port)
        listen_b.add((ip, port))
drop_b = set(rng.sample(sorted((i, p) for i in IPS_B for p in PORTS_B), 400))
netns.nft_drop(dropped | drop_b)
truth_b = netns.Truth().build(IPS_B, PORTS_B, listen_b, drop_b)
netns.log('(b) ground truth: %s' % truth_b.counts())
truth_b.self_check()
argv = [trawl, '-f', 'ndjson', '--states', 'all', '-t', '800', '--retries',
        '0', '-c', '1000', '-p', '26000-26499', '127.0.3.1-4']
netns.log('+ %s  # open-file limit lowered to 40 under it'
          % ' '.join(argv))


def lower_nofile(pid, n):
    """prlimit(2) on pid.  When trawl runs as another user (meson test
    --setup=nobody) and this process lacks CAP_SYS_RESOURCE, a child that
    has become that user does it: lowering one's own limits needs no
    privilege."""
    try:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
        return
    except PermissionError:
        with open('/proc/%d/status' % pid) as f:
            ids = {l.split(':')[0]: int(l.split()[1]) for l in f
                   if l.startswith(('Uid:', 'Gid:'))}
    child = os.fork()
    if child == 0:
        code = 1
        try:
            os.setgid(ids['Gid'])
            os.setuid(ids['Uid'])
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise PermissionError('prlimit as uid %d failed' % ids['Uid'])


t0 = time.monotonic()
p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
# Once trawl holds over 200 descriptors (the drops keep their sockets for
# 800 ms each; it soon holds near -c 1000), lower its limit under it.
netns.poll_until(lambda: len(netns.fd_links(p.pid)) > 200, p)
try:
    nfd = len(os.listdir('/proc/%d/fd' % p.pid))
    lower_nofile(p.pid, 40)
    netns.log('  limit lowered to 40 while trawl held %d descriptors' % nfd)
except (OSError, ProcessLookupError) as e:
    nfd = None
    netns.log('  could not lower the limit in time: %s' % e)
try:
    out, err = p.communicate(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
    ck.check(False, 'trawl did not finish after its open-file limit was '
             'lowered: %s' % ' '.join(argv))
netns.log('  exit %r in %.2f s, stderr: %s' % (p.returncode,
                                             time.monotonic() - t0,
                                             err.strip()[-600:]))
r = netns.Run(argv, p.returncode, out, err, 0)
ck.check(r.rc == 0, 'exit %r, want 0: %s (limit lowered)' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth_b, what='limit lowered')
netns.check_summary(ck, r, truth_b.counts(), only_line=False)
if nfd is None or nfd <= 40:
    ck.cannot_run('the open-file limit was not lowered under trawl while it '
                  'held more than 40 descriptors (%r): EMFILE path not '
                  'exercised' % nfd)

# --- (c) few local ports ---------------------------------------------------

truth_c = netns.Truth().build(['127.0.0.1'], PORTS_C,
                              {('127.0.0.1', p) for p in OPEN_C}, set())
netns.log('(c) ground truth: %s' % truth_c.counts())
for lo, hi, extra in ((40000, 40099, []), (40000, 40099, ['-c', '5000']),
                      (40000, 40000, [])):
    netns.set_local_port_range(lo, hi)
    netns.log('(c) ephemeral ports %d-%d' % (lo, hi))
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *extra,
                   '-p', '20000-22999', '127.0.0.1'], timeout=90)
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), truth_c,
                  what='ephemeral ports %d-%d %s' % (lo, hi, ' '.join(extra)))
    netns.check_summary(ck, r, truth_c.counts(), only_line=False)

lst.close()
ck.finish()
