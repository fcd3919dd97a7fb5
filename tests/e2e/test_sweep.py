#!/usr/bin/env python3
"""End-to-end tests of trawl's issue-3 features: shards, interrupt and
resume, exclusions, --dry-run, input files, --rate / --host-concurrency and
the scan order.

    python3 tests/e2e/test_sweep.py /path/to/trawl

Runs itself in a private network namespace (unshare -n) holding only lo,
starts its own listeners on random (address, port) pairs of
127.0.0.0/23 x ports 1-300 (plus ::1) and compares trawl's NDJSON with that
ground truth by (ip, port, state).  Every listener records each connection
it gets, so "never probed" and "probed exactly once" are checked at the
network level too.  Exit 0 pass, 1 fail, 77 skip, 99 harness error.
Set TRAWL_SWEEP_SEED=N to repeat a run's random choices.
"""

import collections
import hashlib
import ipaddress
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_util as U  # noqa: E402
from sweep_util import Fail, check, log  # noqa: E402

NET = '127.0.0.0/23'
HOSTS = [str(a) for a in ipaddress.ip_network(NET)]        # 512
PSPEC = '1-300'
PORTS = list(range(1, 301))
BASE = ['-p', PSPEC, NET, '--states', 'all', '-f', 'ndjson']

# Exclusions of test 3/4.  Run A: -x only (a CIDR, a single address, a
# range, and a second -x with a short range).  Run B: --exclude-file (CIDR,
# range, IPv6 address, comments, blank lines) plus one -x.
EXCL_A_ARGS = ['-x', '127.0.1.0/26,127.0.0.77,127.0.0.100-127.0.0.120',
               '-x', '127.0.1.250-254']
EXCL_A_ITEMS = ['127.0.1.0/26', '127.0.0.77', '127.0.0.100-127.0.0.120',
                '127.0.1.250-127.0.1.254']
EXCL_B_FILE = ('# never scan these\n'
               '\n'
               '127.0.0.128/28\n'
               '# a range\n'
               '127.0.1.200-127.0.1.210\n'
               '\n'
               '::1\n')
EXCL_B_ITEMS = ['127.0.0.128/28', '127.0.1.200-127.0.1.210', '::1',
                '127.0.0.5']
EXCL_B_X = ['-x', '127.0.0.5']


class Ctx:
    pass


def setup(binary):
    seed = int(os.environ.get('TRAWL_SWEEP_SEED') or
               random.SystemRandom().randrange(1, 2 ** 31))
    log('seed = %d (rerun with TRAWL_SWEEP_SEED=%d)' % (seed, seed))
    rng = random.Random(seed)
    c = Ctx()
    c.binary = binary
    c.rng = rng
    c.tmp = tempfile.mkdtemp(prefix='trawl-sweep-')
    # 600 random listeners over the whole space...
    idx = rng.sample(range(len(HOSTS) * len(PORTS)), 600)
    pairs = {(HOSTS[i // len(PORTS)], PORTS[i % len(PORTS)]) for i in idx}
    # ... plus one on each edge of every exclusion item and just outside
    # of it (off-by-one), and two on ::1.
    for item in EXCL_A_ITEMS + EXCL_B_ITEMS:
        addrs = sorted(U.expand(item))
        lo, hi = int(addrs[0]), int(addrs[-1])
        for a in {lo, hi, (lo + hi) // 2, lo - 1, hi + 1}:
            ip = str(ipaddress.ip_address(a))
            if ip in HOSTS or ip == '::1':
                pairs.add((ip, rng.choice(PORTS)))
    pairs.add(('::1', rng.choice(PORTS)))
    pairs.add(('::1', rng.choice(PORTS)))
    c.lis = U.Listeners(sorted(pairs))
    if c.lis.skipped:
        log('skipped %d pairs in use: %r' % (len(c.lis.skipped),
                                             c.lis.skipped))
    c.open4 = {p for p in c.lis.pairs if ':' not in p[0]}
    c.open6 = {p for p in c.lis.pairs if ':' in p[0]}
    c.truth = U.space(HOSTS, PORTS, c.open4)
    log('%d listeners (%d on IPv4, %d on ::1); space %s x ports %s = %d '
        'probes' % (len(c.lis.pairs), len(c.open4), len(c.open6), NET, PSPEC,
                    len(c.truth)))
    return c


def run_ok(c, args, what, **kw):
    res = U.run_trawl(c.binary, args, cwd=c.tmp, **kw)
    U.expect_rc(res, 0, what)
    return res


def records_of(res, what):
    return U.parse_ndjson(res.out, what)


def path(c, name):
    return os.path.join(c.tmp, name)


def check_each_once(c, counts, pairs, what):
    """Every listener of pairs got exactly one connection."""
    bad = sorted((p, counts.get(p, 0)) for p in pairs
                 if counts.get(p, 0) != 1)
    check(not bad, '%s: listeners must get exactly one connection each; '
          '%d did not: %s' % (what, len(bad), bad[:8]))


# --- 1. shards ---------------------------------------------------------------

def test_shards(c):
    c.lis.reset()
    full = records_of(run_ok(c, BASE, 'full scan'), 'full scan')
    U.compare(full, c.truth, 'full scan vs ground truth')
    check_each_once(c, c.lis.snapshot(), c.open4, 'full scan')
    log('  full scan: %d records = ground truth' % len(full))

    def three(extra_args, envs, what):
        c.lis.reset()
        res = U.run_parallel(c.binary, [BASE + a for a in extra_args], envs,
                             cwd=c.tmp)
        sets = []
        for i, r in enumerate(res):
            U.expect_rc(r, 0, '%s #%d' % (what, i + 1))
            recs = records_of(r, '%s #%d' % (what, i + 1))
            dups = [t for t, k in collections.Counter(recs).items() if k > 1]
            check(not dups, '%s #%d: duplicated records %r'
                  % (what, i + 1, dups[:5]))
            sets.append(set(recs))
        for i in range(3):
            for j in range(i + 1, 3):
                both = sets[i] & sets[j]
                check(not both, '%s: slices %d and %d overlap in %d pairs, '
                      'e.g. %r' % (what, i + 1, j + 1, len(both),
                                   sorted(both)[:5]))
        union = [t for s in sets for t in s]
        U.compare(union, c.truth, '%s: union of the 3 slices vs full scan'
                  % what)
        check_each_once(c, c.lis.snapshot(), c.open4, what)
        log('  %s: slices of %s records, disjoint, union = full scan'
            % (what, '/'.join(str(len(s)) for s in sets)))
        return sets

    shard = three([['--shard', '%d/3' % i] for i in (1, 2, 3)], None,
                  '--shard I/3')
    for i in (1, 2, 3):
        n = U.parse_dry(U.run_trawl(c.binary, BASE + ['--shard', '%d/3' % i,
                                                      '--dry-run'],
                                    cwd=c.tmp), 'dry-run shard')[0]
        check(n == len(shard[i - 1]), '--shard %d/3: --dry-run says %d '
              'probes, the scan reported %d' % (i, n, len(shard[i - 1])))
    job = three([['--shards', '3']] * 3,
                [{'JOB_COMPLETION_INDEX': str(i)} for i in (0, 1, 2)],
                '--shards 3 + JOB_COMPLETION_INDEX=0..2')
    for i in range(3):
        check(job[i] == shard[i], 'JOB_COMPLETION_INDEX=%d gave a different '
              'slice than --shard %d/3 (%d vs %d records, %d differ)'
              % (i, i + 1, len(job[i]), len(shard[i]),
                 len(job[i] ^ shard[i])))
    slurm = three([['--shards', '3']] * 3,
                  [{'SLURM_ARRAY_TASK_ID': str(i), 'SLURM_ARRAY_TASK_MIN': '1'}
                   for i in (1, 2, 3)],
                  '--shards 3 + SLURM_ARRAY_TASK_ID=1..3 (MIN=1)')
    for i in range(3):
        check(slurm[i] == shard[i], 'SLURM_ARRAY_TASK_ID=%d (MIN=1) gave a '
              'different slice than --shard %d/3' % (i + 1, i + 1))
    three([['--shard', '%d/3' % i, '--seed', '12345'] for i in (1, 2, 3)],
          None, '--shard I/3 --seed 12345')


# --- 2. interrupt and resume -----------------------------------------------

def file_state(p):
    if not os.path.exists(p):
        return None
    with open(p, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_resume(c):
    rng = random.Random(c.rng.random())
    out, state = 'resume.ndjson', 'sweep.resume'
    outp, statep = path(c, out), path(c, state)
    # 153600 probes at 20000/s: about 7.7 s of scanning in all.  Each run
    # is signalled after a random number of probes, 3000 to 15000 of
    # them (counted as the namespace's TCP ActiveOpens): at most 90000 in
    # six runs, so that at the signal every run still has over 60000
    # probes, three seconds at the capped rate, before it ends, however
    # slowly trawl starts or runs.
    args = BASE + ['-o', out, '--resume', state, '-c', '200',
                   '--rate', 20000]
    total = len(c.truth)
    sigs = [signal.SIGINT] * 6
    sigs[rng.randrange(1, 6)] = signal.SIGTERM
    c.lis.reset()
    interrupts = 0
    for k, sig in enumerate(sigs):
        after = rng.randrange(3000, 15001)
        base = U.active_opens()
        p = U.start_trawl(c.binary, args, cwd=c.tmp)
        finished = not (U.wait_ready(p) and U.wait_probes(p, after, base))
        if not finished:
            U.send_signal(p, sig)
        res = U.finish_trawl(p, 60)
        if finished:
            raise Fail('run %d finished before the %s after %d probes: the '
                       'test needs a slower scan\n%s'
                       % (k + 1, U.SIGNAMES[sig], after, res.describe()))
        interrupts += 1
        want = 128 + sig
        U.expect_rc(res, want, 'run %d, %s after %d probes'
                    % (k + 1, U.SIGNAMES[sig], after))
        check(os.path.exists(statep), 'run %d: interrupted but %s was not '
              'written' % (k + 1, state))
        # Saved atomically: nothing left beside it, and the mode the
        # user gave it after the first run kept by every later save.
        left = [f for f in os.listdir(c.tmp) if f.startswith(state + '.')]
        check(not left, 'run %d: temporary files left: %r' % (k + 1, left))
        if k == 0:
            os.chmod(statep, 0o600)
        else:
            mode = os.stat(statep).st_mode & 0o7777
            check(mode == 0o600, 'run %d: %s saved with mode %o, not the '
                  '600 it had' % (k + 1, state, mode))
        msg = ('trawl: stopped; to continue: trawl --resume %s with the same '
               'arguments' % state)
        check(msg in res.err.splitlines(), 'run %d: stderr lacks %r\n%s'
              % (k + 1, msg, res.describe()))
        done = U.read_ndjson(outp, 'output after interrupt %d' % (k + 1))
        # --dry-run of the resumed scan: the probes left, nothing touched.
        before = (file_state(outp), file_state(statep))
        n, h, pp, sh, resumed = U.parse_dry(
            U.run_trawl(c.binary, args + ['--dry-run'], cwd=c.tmp),
            'dry-run --resume')
        check(resumed and h == len(HOSTS) and pp == len(PORTS) and not sh,
              'dry-run of a saved scan: expected "(512 hosts x 300 ports, '
              'resumed)", got %r' % ((n, h, pp, sh, resumed),))
        check(n == total - len(done), 'dry-run --resume after interrupt %d '
              'says %d probes left, but %d of %d were reported'
              % (k + 1, n, len(done), total))
        check((file_state(outp), file_state(statep)) == before,
              '--dry-run --resume changed the output or the resume file')
        log('  run %d: %s after %d probes -> exit %d, %d/%d records so '
            'far, dry-run says %d left' % (k + 1, U.SIGNAMES[sig], after,
                                           res.rc, len(done), total, n))
        if k == 1:
            # A different scan must be refused, leaving everything as is.
            assert args[:3] == ['-p', PSPEC, NET]
            for what, a in (
                    ('other ports', ['-p', '1-301'] + args[2:]),
                    ('other targets', args[:2] + ['127.0.0.0/24'] + args[3:]),
                    ('other seed', args + ['--seed', '99']),
                    ('other order', args + ['--order', 'sequential']),
                    ('a shard', args + ['--shard', '1/2'])):
                r = U.run_trawl(c.binary, a, cwd=c.tmp)
                U.expect_rc(r, 2, 'resume with %s' % what)
                lines = r.err.splitlines()
                check(len(lines) == 1 and lines[0].startswith('trawl: '),
                      'resume with %s: expected a one-line error, got\n%s'
                      % (what, r.describe()))
                check((file_state(outp), file_state(statep)) == before,
                      'refused resume (%s) changed %s or %s'
                      % (what, out, state))
            log('  resuming with other ports/targets/seed/order/shard: '
                'refused (exit 2, one line, files untouched): %s' % lines[0])
    check(interrupts >= 5, 'only %d interrupts' % interrupts)
    # The last run goes at full speed: --rate is not part of the saved
    # scan (targets, ports, order, seed and shard are).
    last = args[:args.index('--rate')]
    res = U.run_trawl(c.binary, last, cwd=c.tmp)
    U.expect_rc(res, 0, 'final resumed run (without --rate)')
    check(not os.path.exists(statep), 'scan completed but %s still exists'
          % state)
    recs = U.read_ndjson(outp, 'concatenated output')
    U.compare(recs, c.truth, 'output of %d interrupted runs + the last one'
              % interrupts)
    check_each_once(c, c.lis.snapshot(), c.open4,
                    'interrupted and resumed scan (no probe repeated)')
    log('  final run (no --rate): exit 0, %s removed; %d records = ground truth, every '
        'listener connected once' % (state, len(recs)))

    # Without --resume the rest goes to ./trawl.resume; --resume continues.
    sub = os.path.join(c.tmp, 'default-resume')
    os.mkdir(sub)
    # 25600 probes at 10000/s, signalled after 2000: two seconds early.
    args2 = ['-p', '1-100', '127.0.0.0/24', '--states', 'all', '-f', 'ndjson',
             '-o', 'o.ndjson', '--rate', 10000]
    truth2 = U.space(HOSTS[:256], range(1, 101), c.open4)
    base = U.active_opens()
    p = U.start_trawl(c.binary, args2, cwd=sub)
    if not (U.wait_ready(p) and U.wait_probes(p, 2000, base)):
        raise Fail('scan of 25600 probes at 10000/s finished before 2000 '
                   'had started\n%s' % U.finish_trawl(p, 60).describe())
    U.send_signal(p, signal.SIGINT)
    res = U.finish_trawl(p, 60)
    U.expect_rc(res, 130, 'SIGINT without --resume')
    check(os.path.exists(os.path.join(sub, 'trawl.resume')),
          'interrupted without --resume: ./trawl.resume not written')
    res = U.run_trawl(c.binary, args2 + ['--resume', 'trawl.resume'],
                      cwd=sub)
    U.expect_rc(res, 0, '--resume trawl.resume')
    check(not os.path.exists(os.path.join(sub, 'trawl.resume')),
          'trawl.resume left after the scan completed')
    U.compare(U.read_ndjson(os.path.join(sub, 'o.ndjson'), 'o.ndjson'),
              truth2, 'default ./trawl.resume, resumed')
    log('  without --resume: ./trawl.resume written on SIGINT, resumed to '
        'the exact result')


# --- 3. exclusions -----------------------------------------------------------

def excluded_hosts(items):
    return {str(a) for a in U.expand_all(items)}


def test_exclusions(c):
    with open(path(c, 'excl.txt'), 'w') as f:
        f.write(EXCL_B_FILE)
    runs = [('-x', EXCL_A_ARGS, EXCL_A_ITEMS),
            ('--exclude-file + -x', ['--exclude-file', 'excl.txt'] + EXCL_B_X,
             EXCL_B_ITEMS)]
    for what, xargs, items in runs:
        ex = excluded_hosts(items)
        hosts = [h for h in HOSTS + ['::1'] if h not in ex]
        expected = U.space(hosts, PORTS, c.lis.pairs)
        controls = ['127.0.0.76', '127.0.0.78', '127.0.1.64', '127.0.0.99',
                    '127.0.0.121', '127.0.1.249', '127.0.1.255']
        controls = [x for x in controls if x not in ex]
        nft_items = [i for i in items] + controls
        counter = U.SynCounter(nft_items)
        c.lis.reset()
        res = run_ok(c, ['-p', PSPEC, NET, '::1', '--states', 'all', '-f',
                         'ndjson'] + xargs, what)
        recs = records_of(res, what)
        seen_ex = sorted({ip for ip, _, _ in recs if ip in ex},
                         key=U.addr_key)
        check(not seen_ex, '%s: excluded addresses in the output: %s'
              % (what, seen_ex[:10]))
        U.compare(recs, expected, '%s: output vs ground truth minus '
                  'exclusions' % what)
        counts = c.lis.snapshot()
        touched = sorted((p, k) for p, k in counts.items() if p[0] in ex)
        check(not touched, '%s: listeners on EXCLUDED addresses got '
              'connections: %s' % (what, touched[:10]))
        lis_ex = sorted(p for p in c.lis.pairs if p[0] in ex)
        check(len(lis_ex) >= len(items), 'harness: too few listeners on '
              'excluded addresses')
        check_each_once(c, counts, {p for p in c.lis.pairs if p[0] not in ex},
                        what)
        extra = '(no nft: %s)' % counter.why
        if counter.ok:
            got = counter.read()
            hit = {i: n for i, n in got.items() if i in items and n}
            check(not hit, '%s: nft counted SYNs sent to excluded items: %r'
                  % (what, hit))
            bad = {i: n for i, n in got.items()
                   if i in controls and n != len(PORTS)}
            check(not bad, '%s: nft: each non-excluded control address must '
                  'get exactly %d SYNs, got %r' % (what, len(PORTS), bad))
            extra = 'nft: 0 SYNs to excluded items, %d to each of %d ' \
                'controls' % (len(PORTS), len(controls))
        log('  %s: %d records, %d listeners on excluded addresses got 0 '
            'connections, all others found once; %s'
            % (what, len(recs), len(lis_ex), extra))
    # Bad exclusions are usage errors.
    r = U.run_trawl(c.binary, BASE + ['-x', '127.0.0.1/33'], cwd=c.tmp)
    U.expect_rc(r, 2, "-x '127.0.0.1/33'")
    check(r.err.startswith("trawl: bad exclusion '127.0.0.1/33'") and
          len(r.err.splitlines()) == 1, 'bad -x: expected one line '
          "\"trawl: bad exclusion '127.0.0.1/33' (...)\", got %r" % r.err)
    with open(path(c, 'badexcl.txt'), 'w') as f:
        f.write('# x\n127.0.0.1\n\nnot-an-address!\n')
    r = U.run_trawl(c.binary, BASE + ['--exclude-file', 'badexcl.txt'],
                    cwd=c.tmp)
    U.expect_rc(r, 2, '--exclude-file with a bad line')
    check("bad exclusion 'not-an-address!'" in r.err and
          len(r.err.splitlines()) == 1,
          'bad --exclude-file line: expected one line naming it, got %r'
          % r.err)
    log('  bad -x / --exclude-file line: exit 2, one line')


# --- 4. dry run --------------------------------------------------------------

def test_dry_run(c):
    counter = U.SynCounter(['127.0.0.0/8', '::/0'])
    c.lis.reset()
    with open(path(c, 'excl.txt'), 'w') as f:
        f.write(EXCL_B_FILE)
    cases = [
        ('no exclusions', [], set(), False),
        ('-x', EXCL_A_ARGS, excluded_hosts(EXCL_A_ITEMS), True),
        ('--exclude-file + -x', ['--exclude-file', 'excl.txt'] + EXCL_B_X,
         excluded_hosts(EXCL_B_ITEMS), True),
    ]
    for what, xargs, ex, v6 in cases:
        targets = [NET] + (['::1'] if v6 else [])
        hosts = [h for h in HOSTS + (['::1'] if v6 else []) if h not in ex]
        base = ['-p', PSPEC] + targets + xargs + ['--dry-run']
        n, h, p, sh, resumed = U.parse_dry(U.run_trawl(c.binary, base,
                                                       cwd=c.tmp), what)
        want = len(hosts) * len(PORTS)
        check((n, h, p, sh, resumed) == (want, len(hosts), len(PORTS), '',
                                         False),
              '%s: --dry-run said "%d probes (%d hosts x %d ports%s)", '
              'expected %d probes (%d hosts x %d ports)'
              % (what, n, h, p, ', ' + sh if sh else '', want, len(hosts),
                 len(PORTS)))
        parts = []
        for i in (1, 2, 3):
            ns, hs, ps, shs, _ = U.parse_dry(U.run_trawl(
                c.binary, base + ['--shard', '%d/3' % i], cwd=c.tmp),
                '%s --shard %d/3' % (what, i))
            check((hs, ps, shs) == (len(hosts), len(PORTS), 'shard %d/3' % i),
                  '%s --shard %d/3: dry-run said (%d hosts x %d ports, %s)'
                  % (what, i, hs, ps, shs))
            parts.append(ns)
            nj, _, _, shj, _ = U.parse_dry(U.run_trawl(
                c.binary, base + ['--shards', '3'], cwd=c.tmp,
                env={'JOB_COMPLETION_INDEX': str(i - 1)}),
                '%s --shards 3 JOB_COMPLETION_INDEX=%d' % (what, i - 1))
            check((nj, shj) == (ns, 'shard %d/3' % i),
                  '%s: --shards 3 with JOB_COMPLETION_INDEX=%d said %d '
                  'probes (%s), --shard %d/3 said %d'
                  % (what, i - 1, nj, shj, i, ns))
        check(sum(parts) == n, '%s: shard counts %r add up to %d, not %d'
              % (what, parts, sum(parts), n))
        log('  %s: %d probes (%d hosts x %d ports); shards %s add up'
            % (what, n, h, p, '+'.join(map(str, parts))))
    big = [
        (['-p', '-', '127.0.0.0/8'], 2 ** 24, 65535),
        (['-p', '1-1000', '127.0.0.0/8', '-x', '127.128.0.0/9,127.0.0.1'],
         2 ** 23 - 1, 1000),
        (['-p', '80', '::/112', '-x', '::/120,::1:0-::1:ff'],
         65536 - 256, 1),
    ]
    for args, hosts, ports in big:
        t0 = time.monotonic()
        r = U.run_trawl(c.binary, args + ['--dry-run'], cwd=c.tmp, timeout=20)
        n, h, p, _, _ = U.parse_dry(r, ' '.join(args))
        check((n, h, p) == (hosts * ports, hosts, ports),
              '%s --dry-run: said %d probes (%d hosts x %d ports), expected '
              '%d (%d x %d)' % (' '.join(args), n, h, p, hosts * ports, hosts,
                                ports))
        log('  %s --dry-run: %d probes in %.2f s'
            % (' '.join(args), n, time.monotonic() - t0))
    counts = c.lis.snapshot()
    check(not counts, '--dry-run made connections: %r'
          % sorted(counts.items())[:10])
    extra = 'no nft: ' + counter.why
    if counter.ok:
        got = counter.read()
        check(not any(got.values()), '--dry-run sent SYNs (nft): %r' % got)
        extra = 'nft counted 0 SYNs'
    log('  no connection during any --dry-run (%s)' % extra)


# --- 5. input files ------------------------------------------------------------

INPUT_LINES = [
    '# targets for trawl',
    '',
    '127.0.0.64/27',
    '127.0.1.10-127.0.1.40',
    '# a short range',
    '127.0.0.200-210',
    '',
    '127.0.0.5',
    '127.0.1.255',
    '127.0.0.70',
    '::1',
]


def test_input_file(c):
    words = [w for w in INPUT_LINES if w and not w.startswith('#')]
    hosts = sorted({str(a) for a in U.expand_all(words)}, key=U.addr_key)
    expected = U.space(hosts, PORTS, c.lis.pairs)
    text = '\n'.join(INPUT_LINES) + '\n'
    with open(path(c, 'targets.txt'), 'w') as f:
        f.write(text)
    opts = ['-p', PSPEC, '--states', 'all', '-f', 'ndjson']
    r_file = records_of(run_ok(c, opts + ['-i', 'targets.txt'], '-i FILE'),
                        '-i FILE')
    U.compare(r_file, expected, '-i FILE vs ground truth')
    r_args = records_of(run_ok(c, opts + words, 'targets as arguments'),
                        'targets as arguments')
    U.compare(r_args, expected, 'targets as arguments vs ground truth')
    check(set(r_file) == set(r_args), '-i FILE and arguments differ')
    r_stdin = records_of(run_ok(c, opts + ['-i', '-'], '-i -',
                                stdin=text.encode()), '-i -')
    U.compare(r_stdin, expected, '-i - (stdin) vs ground truth')
    log('  -i FILE, -i - and the same targets as arguments: %d records, '
        'same set = ground truth' % len(r_file))
    # Repeatable, and together with TARGET arguments: the union.
    half = len(INPUT_LINES) // 2
    with open(path(c, 't1.txt'), 'w') as f:
        f.write('\n'.join(INPUT_LINES[:half]) + '\n')
    with open(path(c, 't2.txt'), 'w') as f:
        f.write('\n'.join(INPUT_LINES[half:]) + '\n')
    hosts2 = sorted(set(hosts) | {'127.0.0.9'}, key=U.addr_key)
    r2 = records_of(run_ok(c, opts + ['-i', 't1.txt', '-i', 't2.txt',
                                      '127.0.0.9'], '-i A -i B TARGET'),
                    '-i A -i B TARGET')
    U.compare(r2, U.space(hosts2, PORTS, c.lis.pairs),
              '-i t1 -i t2 127.0.0.9 vs ground truth')
    log('  -i A -i B TARGET: the union (%d records)' % len(r2))
    # A bad line: exit 2, "trawl: FILE:LINE: bad target 'WORD'", no probe.
    bad = INPUT_LINES[:6] + ['127.0.0.1/33'] + INPUT_LINES[6:]
    with open(path(c, 'bad.txt'), 'w') as f:
        f.write('\n'.join(bad) + '\n')
    c.lis.reset()
    for name in ('bad.txt', path(c, 'bad.txt')):
        r = U.run_trawl(c.binary, opts + ['-i', name], cwd=c.tmp)
        U.expect_rc(r, 2, '-i with a bad line 7')
        want = "trawl: %s:7: bad target '127.0.0.1/33'" % name
        check(r.err.splitlines() == [want], '-i %s with a bad line 7: '
              'expected stderr %r, got %r' % (name, want, r.err))
        check(r.out == b'', 'bad -i file: output %r' % r.out[:200])
    counts = c.lis.snapshot()
    check(not counts, 'a bad -i file still made connections: %r'
          % sorted(counts.items())[:5])
    log('  bad line 7: exit 2, %r, nothing probed' % want)


# --- 6. rate and host concurrency ------------------------------------------

def test_rate(c):
    hosts = HOSTS[:128]
    ports = sorted({p for h, p in c.open4 if h in hosts})[:12]
    rest = [p for p in PORTS if p not in ports]
    ports = sorted(ports + c.rng.sample(rest, 24 - len(ports)))
    expected = U.space(hosts, ports, c.open4)
    n = len(hosts) * len(ports)
    res = run_ok(c, ['-p', ','.join(map(str, ports)), '127.0.0.0/25',
                     '--states', 'all', '-f', 'ndjson', '--rate', '2000'],
                 '--rate 2000')
    U.compare(records_of(res, '--rate 2000'), expected,
              '--rate 2000 vs ground truth')
    lower = 1.2
    check(res.elapsed >= lower, '--rate 2000 scanned %d probes in %.2f s: '
          'at 2000/s that takes about %.2f s; less than %.1f s means the '
          'cap does not hold' % (n, res.elapsed, n / 2000, lower))
    log('  --rate 2000: %d probes in %.2f s (>= %.1f s), exact result'
        % (n, res.elapsed, lower))
    c.lis.reset()
    res = run_ok(c, BASE + ['--host-concurrency', '1'], '--host-concurrency 1')
    U.compare(records_of(res, '--host-concurrency 1'), c.truth,
              '--host-concurrency 1 vs ground truth')
    check_each_once(c, c.lis.snapshot(), c.open4, '--host-concurrency 1')
    log('  --host-concurrency 1: %d records = ground truth in %.2f s'
        % (len(c.truth), res.elapsed))


# --- 7. order -------------------------------------------------------------------

def host_runs(recs, what):
    """Hosts in output order; each host's records must be contiguous and in
    ascending port order."""
    hosts, seen = [], set()
    for i, (ip, port, _) in enumerate(recs):
        if not hosts or hosts[-1] != ip:
            check(ip not in seen, '%s: records of %s are not grouped '
                  '(it comes back at line %d)' % (what, ip, i + 1))
            seen.add(ip)
            hosts.append(ip)
        elif port <= recs[i - 1][1]:
            check(False, '%s: ports of %s not ascending at line %d (%d after '
                  '%d)' % (what, ip, i + 1, port, recs[i - 1][1]))
    return hosts


def test_order(c):
    seq = records_of(run_ok(c, BASE + ['--order', 'sequential'],
                            '--order sequential'), '--order sequential')
    U.compare(seq, c.truth, '--order sequential vs ground truth')
    hs = host_runs(seq, '--order sequential')
    check(hs == sorted(hs, key=U.addr_key), '--order sequential: hosts not '
          'in ascending address order: %s' % hs[:20])
    log('  --order sequential: exact, hosts ascending, ports ascending')
    a, b, d = [records_of(r, '--seed') for r in U.run_parallel(
        c.binary, [BASE + ['--seed', '5'], BASE + ['--seed', '5'],
                   BASE + ['--seed', '6']], cwd=c.tmp)]
    U.compare(a, c.truth, '--seed 5 (random order) vs ground truth')
    check(set(a) == set(seq), 'random and sequential order differ')
    pa, pb = [(ip, p) for ip, p, _ in a], [(ip, p) for ip, p, _ in b]
    first = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), None)
    check(pa == pb, 'two runs with --seed 5: (ip, port) order differs at '
          'line %s: %r vs %r' % (first, pa[first] if first is not None else
                                 None, pb[first] if first is not None
                                 else None))
    ha = host_runs(a, '--seed 5')
    hd = host_runs(d, '--seed 6')
    check(ha != sorted(ha, key=U.addr_key), '--seed 5: hosts came out in '
          'ascending order: the order is not random')
    check(ha != hd, '--seed 5 and --seed 6 gave the same host order')
    # Windows of max(64, ceil(65536 / ports)) hosts, each output sorted.
    w = max(64, -(-65536 // len(PORTS)))
    for s, hosts in (('5', ha), ('6', hd)):
        for k in range(0, len(hosts), w):
            win = hosts[k:k + w]
            check(win == sorted(win, key=U.addr_key), '--seed %s: hosts '
                  '%d..%d (a window of %d) are not sorted by address'
                  % (s, k + 1, k + len(win), w))
    log('  --seed 5 twice: same (ip, port) order; seed 5 != seed 6; same set '
        'as sequential; %d windows of %d hosts each sorted'
        % (-(-len(ha) // w), w))


TESTS = [
    ('shards', test_shards),
    ('interrupt and resume', test_resume),
    ('exclusions', test_exclusions),
    ('dry run', test_dry_run),
    ('input files', test_input_file),
    ('rate and host concurrency', test_rate),
    ('order', test_order),
]


def main():
    if len(sys.argv) != 2:
        print('usage: %s /path/to/trawl' % sys.argv[0], file=sys.stderr)
        sys.exit(U.HARD_ERROR)
    binary = os.path.abspath(sys.argv[1])
    if not os.access(binary, os.X_OK):
        U.hard_error('%s is not executable' % binary)
    U.enter_private_netns()
    t_start = time.monotonic()
    c = setup(binary)
    only = os.environ.get('TRAWL_SWEEP_ONLY')
    failed = []
    for i, (name, fn) in enumerate(TESTS, 1):
        if only and str(i) not in only.split(','):
            continue
        log('--- test %d: %s' % (i, name))
        t0 = time.monotonic()
        try:
            fn(c)
        except Fail as e:
            failed.append(name)
            log('FAIL test %d (%s) after %.1f s:\n%s'
                % (i, name, time.monotonic() - t0, e))
        except Exception:
            failed.append(name)
            log('ERROR in test %d (%s):\n%s' % (i, name,
                                              traceback.format_exc()))
        else:
            log('ok   test %d (%s) in %.1f s' % (i, name,
                                                time.monotonic() - t0))
    c.lis.close()
    log('total %.1f s' % (time.monotonic() - t_start))
    if failed:
        log('FAILED: %s (files kept in %s)' % (', '.join(failed), c.tmp))
        sys.exit(1)
    shutil.rmtree(c.tmp, ignore_errors=True)
    log('all sweep tests passed')


if __name__ == '__main__':
    main()
