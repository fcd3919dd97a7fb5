#!/usr/bin/env python3
"""End-to-end tests of -T/--threads: results, counts, text output and
resume files are the same whatever the number of reactor threads.

    python3 tests/e2e/test_threads.py /path/to/trawl

Runs itself in a private network namespace (unshare -n) holding only lo,
with listeners on random (address, port) pairs of 127.0.0.0/23 x ports
1-200 and nft drop rules on a few more (filtered), and compares trawl's
output with that ground truth.
  1. -T 1, 2, 3 and 8 each give exactly the ground truth, the same summary
     counts, and byte for byte the same text output for one seed.
  2. A scan interrupted at random moments under one thread count and
     resumed under others ends with exactly the ground truth, and every
     listener got exactly one connection (no probe lost or repeated).
Exit 0 pass, 1 fail, 77 skip, 99 harness error.  TRAWL_THREADS_SEED=N
repeats a run's random choices.
"""
import ipaddress
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_util as U  # noqa: E402
from sweep_util import Fail, check, log  # noqa: E402

NET = '127.0.0.0/23'
HOSTS = [str(a) for a in ipaddress.ip_network(NET)]
PORTS = list(range(1, 201))
SUMMARY_RE = re.compile(r'^trawl: (\d+) probes, (\d+) open, (\d+) closed, '
                        r'(\d+) filtered, (\d+) unreachable in ')


def drop_rules(pairs):
    """Silently drop SYNs to pairs: those ports are filtered."""
    elems = ', '.join('%s . %d' % p for p in sorted(pairs))
    script = ('table inet thdrop {\n'
              '  chain i {\n'
              '    type filter hook input priority -10; policy accept;\n'
              '    ip daddr . tcp dport { %s } drop\n'
              '  }\n}\n' % elems)
    r = subprocess.run(['nft', '-f', '-'], input=script, capture_output=True,
                       text=True)
    if r.returncode != 0:
        U.hard_error('nft: ' + r.stderr.strip())


def counts(res):
    for line in res.err.splitlines():
        m = SUMMARY_RE.match(line)
        if m:
            return tuple(int(x) for x in m.groups())
    raise Fail('no summary line on stderr\n' + res.describe())


def test_same_results(binary, tmp, truth):
    base = ['-p', '1-200', NET, '-t', '300', '--retries', '0', '-c', '600',
            '--seed', '12345']
    texts = {}
    want = (len(truth),
            sum(1 for t in truth if t[2] == 'open'),
            sum(1 for t in truth if t[2] == 'closed'),
            sum(1 for t in truth if t[2] == 'filtered'), 0)
    for n in (1, 2, 3, 8):
        res = U.run_trawl(binary, base + ['-T', n, '--states', 'all', '-f',
                                          'ndjson'], cwd=tmp)
        U.expect_rc(res, 0, '-T %d' % n)
        U.compare(U.parse_ndjson(res.out, '-T %d' % n), truth, '-T %d' % n)
        check(counts(res) == want, '-T %d: summary counts %r, want %r'
              % (n, counts(res), want))
        res = U.run_trawl(binary, base + ['-T', n, '-q'], cwd=tmp)
        U.expect_rc(res, 0, '-T %d, text' % n)
        texts[n] = res.out
        log('  -T %d: ground truth, counts %r' % (n, want))
    first = texts[1]
    for n, t in texts.items():
        check(t == first, 'text output of -T %d differs from -T 1 with the '
              'same seed:\n--- -T 1\n%s\n--- -T %d\n%s'
              % (n, first[:600].decode(), n, t[:600].decode()))
    check(first.count(b'/tcp') == want[1], 'text output lists %d ports, '
          'want %d open' % (first.count(b'/tcp'), want[1]))
    log('  text output byte-identical for -T 1, 2, 3, 8')


def test_resume(binary, tmp, truth, lis, rng):
    out, state = os.path.join(tmp, 'r.ndjson'), os.path.join(tmp, 'r.resume')
    args = ['-p', '1-200', NET, '-t', '300', '--retries', '0', '--states',
            'all', '-f', 'ndjson', '-o', out, '--resume', state, '-c', '300']
    lis.reset()
    # 102400 probes at 15000/s.  Each run is signalled after a random
    # number of probes, 3000 to 12000 of them (the namespace's TCP
    # ActiveOpens): at most 60000 in five runs, so that every run still
    # has 40000 probes, more than two seconds at the capped rate, to go.
    for k, n in enumerate((3, 1, 4, 2, 5)):
        after = rng.randrange(3000, 12001)
        base = U.active_opens()
        p = U.start_trawl(binary, args + ['-T', n, '--rate', 15000],
                          cwd=tmp)
        if not (U.wait_ready(p) and U.wait_probes(p, after, base)):
            raise Fail('run %d finished before %d probes had started: the '
                       'test needs a slower scan\n%s'
                       % (k + 1, after, U.finish_trawl(p, 60).describe()))
        U.send_signal(p, signal.SIGINT)
        res = U.finish_trawl(p, 60)
        U.expect_rc(res, 130, 'run %d (-T %d), SIGINT after %d probes'
                    % (k + 1, n, after))
        check(os.path.exists(state), 'run %d: no resume file' % (k + 1))
        done = U.read_ndjson(out, 'after run %d' % (k + 1))
        left, _, _, _, resumed = U.parse_dry(U.run_trawl(
            binary, args + ['--dry-run'], cwd=tmp), 'dry run')
        check(resumed and left == len(truth) - len(done),
              'after run %d (-T %d): %d reported, dry run says %d left of %d'
              % (k + 1, n, len(done), left, len(truth)))
        log('  run %d: -T %d, SIGINT after %d probes: %d of %d done'
            % (k + 1, n, after, len(done), len(truth)))
    res = U.run_trawl(binary, args + ['-T', 2], cwd=tmp)
    U.expect_rc(res, 0, 'last run')
    check(not os.path.exists(state), 'resume file left after the end')
    U.compare(U.read_ndjson(out, 'all runs'), truth,
              'five interrupted runs with 1-5 threads and a last one')
    snap = lis.snapshot()
    bad = sorted((p, snap.get(p, 0)) for p in lis.pairs
                 if snap.get(p, 0) != 1)
    check(not bad, 'listeners must get exactly one connection each; %d did '
          'not: %s' % (len(bad), bad[:8]))
    log('  resumed across thread counts: exact, every listener once')


def main():
    if len(sys.argv) != 2:
        print('usage: %s /path/to/trawl' % sys.argv[0], file=sys.stderr)
        sys.exit(U.HARD_ERROR)
    binary = os.path.abspath(sys.argv[1])
    if shutil.which('nft') is None:
        U.skip('nft(8) not found: cannot make filtered ports')
    U.enter_private_netns()
    seed = int(os.environ.get('TRAWL_THREADS_SEED') or
               random.SystemRandom().randrange(1, 2 ** 31))
    log('seed = %d (rerun with TRAWL_THREADS_SEED=%d)' % (seed, seed))
    rng = random.Random(seed)
    cells = rng.sample(range(len(HOSTS) * len(PORTS)), 440)
    pairs = [(HOSTS[i // len(PORTS)], PORTS[i % len(PORTS)]) for i in cells]
    lis = U.Listeners(pairs[:400])
    dropped = set(pairs[400:])
    drop_rules(dropped)
    truth = {(h, p, 'filtered' if (h, p) in dropped else
              'open' if (h, p) in lis.pairs else 'closed')
             for h in HOSTS for p in PORTS}
    tmp = tempfile.mkdtemp(prefix='trawl-threads-')
    failed = False
    for name, fn in (('same results with any -T',
                      lambda: test_same_results(binary, tmp, truth)),
                     ('resume across thread counts',
                      lambda: test_resume(binary, tmp, truth, lis, rng))):
        log('--- ' + name)
        try:
            fn()
            log('ok   ' + name)
        except Fail as e:
            failed = True
            log('FAIL %s:\n%s' % (name, e))
    lis.close()
    if failed:
        log('files kept in ' + tmp)
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
