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
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

NET = '127.0.0.0/23'
HOSTS = [str(a) for a in ipaddress.ip_network(NET)]
PORTS = list(range(1, 201))


def drop_rules(pairs):
    """Silently drop SYNs to pairs as they arrive: those ports are
    filtered, and each probe of one waits for its timeout."""
    why = netns.nft_table('thdrop', (
        '  chain i {\n'
        '    type filter hook input priority -10; policy accept;\n'
        '    ip daddr . tcp dport { %s } drop\n'
        '  }' % ', '.join('%s . %d' % p for p in sorted(pairs))))
    if why is not None:
        netns.hard_error('nft: ' + why)


def test_same_results(ck, trawl, tmp, truth):
    base = ['-p', '1-200', NET, '-t', '300', '--retries', '0', '-c', '600',
            '--seed', '12345']
    texts = {}
    counts = truth.counts()
    for n in (1, 2, 3, 8):
        r = netns.run([trawl, *base, '-T', n, '--states', 'all', '-f',
                       'ndjson'], cwd=tmp, timeout=120)
        if not ck.check(r.rc == 0, '-T %d: exit %r, want 0' % (n, r.rc)):
            return
        netns.compare(ck, netns.parse_ndjson(ck, r), truth, what='-T %d' % n)
        netns.check_summary(ck, r, counts, only_line=False)
        r = netns.run([trawl, *base, '-T', n, '-q'], cwd=tmp, timeout=120)
        if not ck.check(r.rc == 0, '-T %d, text: exit %r, want 0'
                        % (n, r.rc)):
            return
        texts[n] = r.out
        netns.log('  -T %d: ground truth, counts %r' % (n, counts))
    first = texts[1]
    for n, t in texts.items():
        ck.check(t == first, 'text output of -T %d differs from -T 1 with '
                 'the same seed:\n--- -T 1\n%s\n--- -T %d\n%s'
                 % (n, first[:600], n, t[:600]))
    ck.check(first.count('/tcp') == counts['open'], 'text output lists %d '
             'ports, want %d open' % (first.count('/tcp'), counts['open']))
    netns.log('  text output byte-identical for -T 1, 2, 3, 8')


def test_resume(ck, trawl, tmp, truth, lis, rng):
    out, state = os.path.join(tmp, 'r.ndjson'), os.path.join(tmp, 'r.resume')
    args = [trawl, '-p', '1-200', NET, '-t', '300', '--retries', '0',
            '--states', 'all', '-f', 'ndjson', '-o', out, '--resume', state,
            '-c', '300']
    total = len(truth.state)
    lis.take()
    # 102400 probes at 15000/s.  Each run is signalled after a random
    # number of probes, 3000 to 12000 of them (the namespace's TCP
    # ActiveOpens): at most 60000 in five runs, so that every run still
    # has 40000 probes, more than two seconds at the capped rate, to go.
    for k, n in enumerate((3, 1, 4, 2, 5)):
        after = rng.randrange(3000, 12001)
        base = netns.active_opens()
        p = netns.start(args + ['-T', n, '--rate', 15000], cwd=tmp)
        going = netns.wait_ready(p) and netns.wait_probes(p, after, base)
        if going:
            p.send_signal(signal.SIGINT)
        r = netns.finish(p)
        if not ck.check(going, 'run %d finished before %d probes had '
                        'started: the test needs a slower scan (exit %r)'
                        % (k + 1, after, r.rc)):
            return
        if not ck.check(r.rc == 130, 'run %d (-T %d), SIGINT after %d '
                        'probes: exit %r, want 130' % (k + 1, n, after,
                                                       r.rc)):
            return
        ck.check(os.path.exists(state), 'run %d: no resume file' % (k + 1))
        done = netns.read_ndjson(ck, out)
        dry = netns.parse_dry(ck, netns.run(args + ['--dry-run'], cwd=tmp,
                                            timeout=120))
        if dry is None:
            return
        left, resumed = dry[0], dry[4]
        ck.check(resumed and left == total - len(done),
                 'after run %d (-T %d): %d reported, dry run says %d left of '
                 '%d' % (k + 1, n, len(done), left, total))
        netns.log('  run %d: -T %d, SIGINT after %d probes: %d of %d done'
                  % (k + 1, n, after, len(done), total))
    r = netns.run(args + ['-T', 2], cwd=tmp, timeout=120)
    if not ck.check(r.rc == 0, 'last run: exit %r, want 0' % r.rc):
        return
    ck.check(not os.path.exists(state), 'resume file left after the end')
    # (Sorted: a host split by an interruption is in two runs' records.)
    netns.compare(ck, sorted(netns.read_ndjson(ck, out),
                             key=lambda x: (x['ip'], x['port'])), truth,
                  what='five interrupted runs with 1-5 threads and a last '
                  'one')
    snap = lis.settle()
    bad = sorted((p, snap.get(p, 0)) for p in lis.pairs
                 if snap.get(p, 0) != 1)
    ck.check(not bad, 'listeners must get exactly one connection each; %d '
             'did not: %s' % (len(bad), bad[:8]))
    netns.log('  resumed across thread counts: exact, every listener once')


def main():
    if shutil.which('nft') is None:
        netns.skip('nft(8) not found: cannot make filtered ports')
    netns.enter_namespace()
    trawl = netns.trawl_path()
    ck = netns.Checker('e2e-threads')
    seed = int(os.environ.get('TRAWL_THREADS_SEED') or
               random.SystemRandom().randrange(1, 2 ** 31))
    netns.log('seed = %d (rerun with TRAWL_THREADS_SEED=%d)' % (seed, seed))
    rng = random.Random(seed)
    cells = rng.sample(range(len(HOSTS) * len(PORTS)), 440)
    pairs = [(HOSTS[i // len(PORTS)], PORTS[i % len(PORTS)]) for i in cells]
    lis = netns.listen(pairs[:400])
    dropped = set(pairs[400:])
    drop_rules(dropped)
    truth = netns.Truth().build(HOSTS, PORTS, lis.pairs, dropped)
    tmp = tempfile.mkdtemp(prefix='trawl-threads-')
    for name, fn in (('same results with any -T',
                      lambda: test_same_results(ck, trawl, tmp, truth)),
                     ('resume across thread counts',
                      lambda: test_resume(ck, trawl, tmp, truth, lis, rng))):
        netns.log('--- ' + name)
        failures = ck.failures
        fn()
        netns.log('%s %s' % ('ok  ' if ck.failures == failures else 'FAIL',
                             name))
    lis.close()
    if ck.failures:
        netns.log('files kept in ' + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == '__main__':
    main()
