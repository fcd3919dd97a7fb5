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
import functools
import hashlib
import ipaddress
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import log  # noqa: E402

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


# --- addresses ------------------------------------------------------------

def expand(spec):
    """Addresses of one target/exclusion word: address, CIDR or range
    (a-b, or a-N for the last IPv4 byte).  A list of ipaddress objects."""
    if '/' in spec:
        return list(ipaddress.ip_network(spec, strict=False))
    if '-' in spec:
        a, b = spec.split('-', 1)
        lo = ipaddress.ip_address(a)
        if '.' not in b and ':' not in b:
            b = '.'.join(a.split('.')[:3] + [b])
        hi = ipaddress.ip_address(b)
        return [ipaddress.ip_address(i) for i in range(int(lo), int(hi) + 1)]
    return [ipaddress.ip_address(spec)]


def expand_all(specs):
    out = set()
    for s in specs:
        out.update(expand(s))
    return out


@functools.lru_cache(maxsize=65536)
def addr_key(ip):
    a = ipaddress.ip_address(ip)
    return (a.version, int(a))


def space(hosts, ports, open_pairs):
    """Ground truth of a --states all scan of hosts x ports."""
    return netns.Truth().build([str(h) for h in hosts], ports, open_pairs,
                               ())


# --- nft: count SYNs per destination ---------------------------------------

class SynCounter:
    """An nft table counting SYNs leaving for each given address item
    (address, CIDR or range), in this namespace's OUTPUT hook.  Without
    nft, ok is False and why says so."""

    def __init__(self, items):
        self.items = list(items)
        self.ok = shutil.which('nft') is not None
        self.why = '' if self.ok else 'nft(8) not found'
        if self.ok:
            self.why = self._load()
            self.ok = not self.why

    def _load(self):
        rules = []
        for i, item in enumerate(self.items):
            fam = 'ip6' if ':' in item else 'ip'
            rules.append('    %s daddr %s tcp flags & (syn|ack) == syn '
                         'counter comment "c%d"' % (fam, item, i))
        why = netns.nft_table('sweepcount', (
            '  chain o {\n'
            '    type filter hook output priority -10; policy accept;\n'
            + '\n'.join(rules) + '\n  }'))
        return '' if why is None else 'nft cannot load a table: ' + why

    def read(self):
        """{item: packets}"""
        out = {}
        text = netns.sh(['nft', 'list', 'chain', 'inet', 'sweepcount', 'o'])
        for line in text.splitlines():
            m = re.search(r'counter packets (\d+) bytes \d+ comment "c(\d+)"',
                          line)
            if m:
                out[self.items[int(m.group(2))]] = int(m.group(1))
        if len(out) != len(self.items):
            netns.hard_error('cannot read nft counters:\n' + text)
        return out


# --- the test's scans --------------------------------------------------------

class Ctx:
    pass


def setup(ck, trawl):
    seed = int(os.environ.get('TRAWL_SWEEP_SEED') or
               random.SystemRandom().randrange(1, 2 ** 31))
    log('seed = %d (rerun with TRAWL_SWEEP_SEED=%d)' % (seed, seed))
    rng = random.Random(seed)
    c = Ctx()
    c.ck = ck
    c.trawl = trawl
    c.rng = rng
    c.tmp = tempfile.mkdtemp(prefix='trawl-sweep-')
    # 600 random listeners over the whole space...
    idx = rng.sample(range(len(HOSTS) * len(PORTS)), 600)
    pairs = {(HOSTS[i // len(PORTS)], PORTS[i % len(PORTS)]) for i in idx}
    # ... plus one on each edge of every exclusion item and just outside
    # of it (off-by-one), and two on ::1.
    for item in EXCL_A_ITEMS + EXCL_B_ITEMS:
        addrs = sorted(expand(item))
        lo, hi = int(addrs[0]), int(addrs[-1])
        for a in {lo, hi, (lo + hi) // 2, lo - 1, hi + 1}:
            ip = str(ipaddress.ip_address(a))
            if ip in HOSTS or ip == '::1':
                pairs.add((ip, rng.choice(PORTS)))
    pairs.add(('::1', rng.choice(PORTS)))
    pairs.add(('::1', rng.choice(PORTS)))
    c.lis = netns.listen(sorted(pairs))
    skipped = sorted(pairs - c.lis.pairs)
    if skipped:
        log('skipped %d pairs in use: %r' % (len(skipped), skipped))
    c.open4 = {p for p in c.lis.pairs if ':' not in p[0]}
    c.open6 = {p for p in c.lis.pairs if ':' in p[0]}
    c.truth = space(HOSTS, PORTS, c.open4)
    log('%d listeners (%d on IPv4, %d on ::1); space %s x ports %s = %d '
        'probes' % (len(c.lis.pairs), len(c.open4), len(c.open6), NET, PSPEC,
                    len(c.truth.state)))
    return c


def run(c, args, timeout=120, **kw):
    """trawl with args, in the test's directory."""
    return netns.run([c.trawl, *args], cwd=c.tmp, timeout=timeout, **kw)


def expect_rc(c, r, rc, what):
    return c.ck.check(r.rc == rc, '%s: expected exit %d, got %s (%s)\n'
                      'stderr: %s' % (what, rc, r.rc, r.cmd,
                                      r.err.rstrip() or '(empty)'))


def run_ok(c, args, what, **kw):
    r = run(c, args, **kw)
    expect_rc(c, r, 0, what)
    return r


def triples(recs):
    """(ip, port, state) of each record, in output order."""
    return [(r['ip'], r['port'], r['state']) for r in recs]


def by_addr(recs):
    """Records sorted by address and port: the union of several runs, for
    netns.compare(), which wants a host's records together."""
    return sorted(recs, key=lambda r: (addr_key(r['ip']), r['port']))


def path(c, name):
    return os.path.join(c.tmp, name)


def check_each_once(c, counts, pairs, what):
    """Every listener of pairs got exactly one connection."""
    bad = sorted((p, counts.get(p, 0)) for p in pairs
                 if counts.get(p, 0) != 1)
    c.ck.check(not bad, '%s: listeners must get exactly one connection '
               'each; %d did not: %s' % (what, len(bad), bad[:8]))


def no_nft(c, counter, what):
    c.ck.cannot_run('%s: SYNs not counted (%s)' % (what, counter.why))
    return 'no nft: ' + counter.why


# --- 1. shards ---------------------------------------------------------------

def test_shards(c):
    ck = c.ck
    c.lis.take()
    full = netns.parse_ndjson(ck, run_ok(c, BASE, 'full scan'))
    netns.compare(ck, full, c.truth, what='full scan vs ground truth')
    check_each_once(c, c.lis.settle(), c.open4, 'full scan')
    log('  full scan: %d records = ground truth' % len(full))

    def three(extra_args, envs, what):
        c.lis.take()
        procs = [netns.start([c.trawl, *BASE, *a], cwd=c.tmp, env=e)
                 for a, e in zip(extra_args, envs or [None] * 3)]
        sets, union = [], []
        for i, p in enumerate(procs):
            r = netns.finish(p, 120)
            expect_rc(c, r, 0, '%s #%d' % (what, i + 1))
            recs = netns.parse_ndjson(ck, r)
            dups = [t for t, k in collections.Counter(triples(recs)).items()
                    if k > 1]
            ck.check(not dups, '%s #%d: duplicated records %r'
                     % (what, i + 1, dups[:5]))
            netns.check_grouping(ck, recs, '%s #%d' % (what, i + 1))
            sets.append(set(triples(recs)))
            union += recs
        for i in range(3):
            for j in range(i + 1, 3):
                both = sets[i] & sets[j]
                ck.check(not both, '%s: slices %d and %d overlap in %d '
                         'pairs, e.g. %r' % (what, i + 1, j + 1, len(both),
                                             sorted(both)[:5]))
        netns.compare(ck, by_addr(union), c.truth, what='%s: union of the '
                      '3 slices vs full scan' % what)
        check_each_once(c, c.lis.settle(), c.open4, what)
        log('  %s: slices of %s records, disjoint, union = full scan'
            % (what, '/'.join(str(len(s)) for s in sets)))
        return sets

    shard = three([['--shard', '%d/3' % i] for i in (1, 2, 3)], None,
                  '--shard I/3')
    for i in (1, 2, 3):
        d = netns.parse_dry(ck, run(c, BASE + ['--shard', '%d/3' % i,
                                               '--dry-run']))
        ck.check(d is not None and d[0] == len(shard[i - 1]),
                 '--shard %d/3: --dry-run says %s probes, the scan reported '
                 '%d' % (i, d and d[0], len(shard[i - 1])))
    job = three([['--shards', '3']] * 3,
                [{'JOB_COMPLETION_INDEX': str(i)} for i in (0, 1, 2)],
                '--shards 3 + JOB_COMPLETION_INDEX=0..2')
    for i in range(3):
        ck.check(job[i] == shard[i], 'JOB_COMPLETION_INDEX=%d gave a '
                 'different slice than --shard %d/3 (%d vs %d records, %d '
                 'differ)' % (i, i + 1, len(job[i]), len(shard[i]),
                              len(job[i] ^ shard[i])))
    slurm = three([['--shards', '3']] * 3,
                  [{'SLURM_ARRAY_TASK_ID': str(i), 'SLURM_ARRAY_TASK_MIN': '1'}
                   for i in (1, 2, 3)],
                  '--shards 3 + SLURM_ARRAY_TASK_ID=1..3 (MIN=1)')
    for i in range(3):
        ck.check(slurm[i] == shard[i], 'SLURM_ARRAY_TASK_ID=%d (MIN=1) gave '
                 'a different slice than --shard %d/3' % (i + 1, i + 1))
    three([['--shard', '%d/3' % i, '--seed', '12345'] for i in (1, 2, 3)],
          None, '--shard I/3 --seed 12345')


# --- 2. interrupt and resume -----------------------------------------------

def file_state(p):
    if not os.path.exists(p):
        return None
    with open(p, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def interrupt(c, args, sig, after, cwd, what):
    """Start trawl with args and send it sig once it has started `after`
    probes (the namespace's TCP ActiveOpens).  Its Run, or None (a failed
    check) when it ended first."""
    base = netns.active_opens()
    p = netns.start([c.trawl, *args], cwd=cwd)
    going = netns.wait_ready(p) and netns.wait_probes(p, after, base)
    if going:
        p.send_signal(sig)
    r = netns.finish(p, 120)
    if not c.ck.check(going, '%s: finished before the %s after %d probes: '
                      'the test needs a slower scan (exit %s)\nstderr: %s'
                      % (what, signal.Signals(sig).name, after, r.rc,
                         r.err)):
        return None
    return r


def test_resume(c):
    ck = c.ck
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
    total = len(c.truth.state)
    sigs = [signal.SIGINT] * 6
    sigs[rng.randrange(1, 6)] = signal.SIGTERM
    c.lis.take()
    interrupts = 0
    for k, sig in enumerate(sigs):
        after = rng.randrange(3000, 15001)
        signame = signal.Signals(sig).name
        r = interrupt(c, args, sig, after, c.tmp, 'run %d' % (k + 1))
        if r is None or not expect_rc(c, r, 128 + sig, 'run %d, %s after %d '
                                      'probes' % (k + 1, signame, after)):
            return
        interrupts += 1
        ck.check(os.path.exists(statep), 'run %d: interrupted but %s was '
                 'not written' % (k + 1, state))
        # Saved atomically: nothing left beside it, and the mode the
        # user gave it after the first run kept by every later save.
        left = [f for f in os.listdir(c.tmp) if f.startswith(state + '.')]
        ck.check(not left, 'run %d: temporary files left: %r'
                 % (k + 1, left))
        if k == 0:
            os.chmod(statep, 0o600)
        else:
            mode = os.stat(statep).st_mode & 0o7777
            ck.check(mode == 0o600, 'run %d: %s saved with mode %o, not the '
                     '600 it had' % (k + 1, state, mode))
        msg = ('trawl: stopped; to continue: trawl --resume %s with the same '
               'arguments' % state)
        ck.check(msg in r.err_lines, 'run %d: stderr lacks %r\nstderr: %s'
                 % (k + 1, msg, r.err))
        done = netns.read_ndjson(ck, outp)
        # --dry-run of the resumed scan: the probes left, nothing touched.
        before = (file_state(outp), file_state(statep))
        d = netns.parse_dry(ck, run(c, args + ['--dry-run']))
        if d is None:
            return
        n, h, pp, sh, resumed = d
        ck.check(resumed and h == len(HOSTS) and pp == len(PORTS) and not sh,
                 'dry-run of a saved scan: expected "(512 hosts x 300 ports, '
                 'resumed)", got %r' % (d,))
        ck.check(n == total - len(done), 'dry-run --resume after interrupt '
                 '%d says %d probes left, but %d of %d were reported'
                 % (k + 1, n, len(done), total))
        ck.check((file_state(outp), file_state(statep)) == before,
                 '--dry-run --resume changed the output or the resume file')
        log('  run %d: %s after %d probes -> exit %d, %d/%d records so '
            'far, dry-run says %d left' % (k + 1, signame, after, r.rc,
                                           len(done), total, n))
        if k == 1:
            # A different scan must be refused, leaving everything as is.
            assert args[:3] == ['-p', PSPEC, NET]
            for what, a in (
                    ('other ports', ['-p', '1-301'] + args[2:]),
                    ('other targets', args[:2] + ['127.0.0.0/24'] + args[3:]),
                    ('other seed', args + ['--seed', '99']),
                    ('other order', args + ['--order', 'sequential']),
                    ('a shard', args + ['--shard', '1/2'])):
                r = run(c, a)
                expect_rc(c, r, 2, 'resume with %s' % what)
                lines = r.err_lines
                ck.check(len(lines) == 1 and lines[0].startswith('trawl: '),
                         'resume with %s: expected a one-line error, got %r'
                         % (what, lines))
                ck.check((file_state(outp), file_state(statep)) == before,
                         'refused resume (%s) changed %s or %s'
                         % (what, out, state))
            log('  resuming with other ports/targets/seed/order/shard: '
                'refused (exit 2, one line, files untouched): %s'
                % r.err.strip())
    ck.check(interrupts >= 5, 'only %d interrupts' % interrupts)
    # The last run goes at full speed: --rate is not part of the saved
    # scan (targets, ports, order, seed and shard are).
    last = args[:args.index('--rate')]
    r = run(c, last)
    if not expect_rc(c, r, 0, 'final resumed run (without --rate)'):
        return
    ck.check(not os.path.exists(statep), 'scan completed but %s still '
             'exists' % state)
    recs = netns.read_ndjson(ck, outp)
    netns.compare(ck, by_addr(recs), c.truth, what='output of %d '
                  'interrupted runs + the last one' % interrupts)
    check_each_once(c, c.lis.settle(), c.open4,
                    'interrupted and resumed scan (no probe repeated)')
    log('  final run (no --rate): exit 0, %s removed; %d records = ground '
        'truth, every listener connected once' % (state, len(recs)))

    # Without --resume the rest goes to ./trawl.resume; --resume continues.
    sub = os.path.join(c.tmp, 'default-resume')
    os.mkdir(sub)
    # 25600 probes at 10000/s, signalled after 2000: two seconds early.
    args2 = ['-p', '1-100', '127.0.0.0/24', '--states', 'all', '-f', 'ndjson',
             '-o', 'o.ndjson', '--rate', 10000]
    truth2 = space(HOSTS[:256], range(1, 101), c.open4)
    r = interrupt(c, args2, signal.SIGINT, 2000, sub, 'scan of 25600 probes '
                  'at 10000/s')
    if r is None or not expect_rc(c, r, 130, 'SIGINT without --resume'):
        return
    ck.check(os.path.exists(os.path.join(sub, 'trawl.resume')),
             'interrupted without --resume: ./trawl.resume not written')
    r = netns.run([c.trawl, *args2, '--resume', 'trawl.resume'], cwd=sub,
                  timeout=120)
    expect_rc(c, r, 0, '--resume trawl.resume')
    ck.check(not os.path.exists(os.path.join(sub, 'trawl.resume')),
             'trawl.resume left after the scan completed')
    netns.compare(ck, by_addr(netns.read_ndjson(ck, os.path.join(
        sub, 'o.ndjson'))), truth2, what='default ./trawl.resume, resumed')
    log('  without --resume: ./trawl.resume written on SIGINT, resumed to '
        'the exact result')


# --- 3. exclusions -----------------------------------------------------------

def excluded_hosts(items):
    return {str(a) for a in expand_all(items)}


def test_exclusions(c):
    ck = c.ck
    with open(path(c, 'excl.txt'), 'w') as f:
        f.write(EXCL_B_FILE)
    runs = [('-x', EXCL_A_ARGS, EXCL_A_ITEMS),
            ('--exclude-file + -x', ['--exclude-file', 'excl.txt'] + EXCL_B_X,
             EXCL_B_ITEMS)]
    for what, xargs, items in runs:
        ex = excluded_hosts(items)
        hosts = [h for h in HOSTS + ['::1'] if h not in ex]
        expected = space(hosts, PORTS, c.lis.pairs)
        controls = ['127.0.0.76', '127.0.0.78', '127.0.1.64', '127.0.0.99',
                    '127.0.0.121', '127.0.1.249', '127.0.1.255']
        controls = [x for x in controls if x not in ex]
        nft_items = [i for i in items] + controls
        counter = SynCounter(nft_items)
        c.lis.take()
        res = run_ok(c, ['-p', PSPEC, NET, '::1', '--states', 'all', '-f',
                         'ndjson'] + xargs, what)
        recs = netns.parse_ndjson(ck, res)
        seen_ex = sorted({r['ip'] for r in recs if r['ip'] in ex},
                         key=addr_key)
        ck.check(not seen_ex, '%s: excluded addresses in the output: %s'
                 % (what, seen_ex[:10]))
        netns.compare(ck, recs, expected, what='%s: output vs ground truth '
                      'minus exclusions' % what)
        counts = c.lis.settle()
        touched = sorted((p, k) for p, k in counts.items() if p[0] in ex)
        ck.check(not touched, '%s: listeners on EXCLUDED addresses got '
                 'connections: %s' % (what, touched[:10]))
        lis_ex = sorted(p for p in c.lis.pairs if p[0] in ex)
        ck.check(len(lis_ex) >= len(items), 'harness: too few listeners on '
                 'excluded addresses')
        check_each_once(c, counts, {p for p in c.lis.pairs
                                    if p[0] not in ex}, what)
        if counter.ok:
            got = counter.read()
            hit = {i: n for i, n in got.items() if i in items and n}
            ck.check(not hit, '%s: nft counted SYNs sent to excluded items: '
                     '%r' % (what, hit))
            bad = {i: n for i, n in got.items()
                   if i in controls and n != len(PORTS)}
            ck.check(not bad, '%s: nft: each non-excluded control address '
                     'must get exactly %d SYNs, got %r'
                     % (what, len(PORTS), bad))
            extra = 'nft: 0 SYNs to excluded items, %d to each of %d ' \
                'controls' % (len(PORTS), len(controls))
        else:
            extra = no_nft(c, counter, what)
        log('  %s: %d records, %d listeners on excluded addresses got 0 '
            'connections, all others found once; %s'
            % (what, len(recs), len(lis_ex), extra))
    # Bad exclusions are usage errors.
    r = run(c, BASE + ['-x', '127.0.0.1/33'])
    expect_rc(c, r, 2, "-x '127.0.0.1/33'")
    ck.check(r.err.startswith("trawl: bad exclusion '127.0.0.1/33'") and
             len(r.err_lines) == 1, 'bad -x: expected one line "trawl: bad '
             "exclusion '127.0.0.1/33' (...)\", got %r" % r.err)
    with open(path(c, 'badexcl.txt'), 'w') as f:
        f.write('# x\n127.0.0.1\n\nnot-an-address!\n')
    r = run(c, BASE + ['--exclude-file', 'badexcl.txt'])
    expect_rc(c, r, 2, '--exclude-file with a bad line')
    ck.check("bad exclusion 'not-an-address!'" in r.err and
             len(r.err_lines) == 1,
             'bad --exclude-file line: expected one line naming it, got %r'
             % r.err)
    log('  bad -x / --exclude-file line: exit 2, one line')


# --- 4. dry run --------------------------------------------------------------

def test_dry_run(c):
    ck = c.ck
    counter = SynCounter(['127.0.0.0/8', '::/0'])
    c.lis.take()
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
        d = netns.parse_dry(ck, run(c, base))
        if d is None:
            continue
        n, h, p, sh, resumed = d
        want = len(hosts) * len(PORTS)
        ck.check(d == (want, len(hosts), len(PORTS), '', False),
                 '%s: --dry-run said "%d probes (%d hosts x %d ports%s)", '
                 'expected %d probes (%d hosts x %d ports)'
                 % (what, n, h, p, ', ' + sh if sh else '', want, len(hosts),
                    len(PORTS)))
        parts = []
        for i in (1, 2, 3):
            ds = netns.parse_dry(ck, run(c, base + ['--shard', '%d/3' % i]))
            dj = netns.parse_dry(ck, run(c, base + ['--shards', '3'], env={
                'JOB_COMPLETION_INDEX': str(i - 1)}))
            if ds is None or dj is None:
                continue
            ns, hs, ps, shs, _ = ds
            ck.check((hs, ps, shs) == (len(hosts), len(PORTS),
                                       'shard %d/3' % i),
                     '%s --shard %d/3: dry-run said (%d hosts x %d ports, %s)'
                     % (what, i, hs, ps, shs))
            parts.append(ns)
            nj, shj = dj[0], dj[3]
            ck.check((nj, shj) == (ns, 'shard %d/3' % i),
                     '%s: --shards 3 with JOB_COMPLETION_INDEX=%d said %d '
                     'probes (%s), --shard %d/3 said %d'
                     % (what, i - 1, nj, shj, i, ns))
        ck.check(sum(parts) == n and len(parts) == 3, '%s: shard counts %r '
                 'add up to %d, not %d' % (what, parts, sum(parts), n))
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
        d = netns.parse_dry(ck, run(c, args + ['--dry-run'], timeout=20))
        if d is None:
            continue
        n, h, p = d[:3]
        ck.check((n, h, p) == (hosts * ports, hosts, ports),
                 '%s --dry-run: said %d probes (%d hosts x %d ports), '
                 'expected %d (%d x %d)' % (' '.join(args), n, h, p,
                                            hosts * ports, hosts, ports))
        log('  %s --dry-run: %d probes in %.2f s'
            % (' '.join(args), n, time.monotonic() - t0))
    counts = c.lis.settle()
    ck.check(not counts, '--dry-run made connections: %r'
             % sorted(counts.items())[:10])
    if counter.ok:
        got = counter.read()
        ck.check(not any(got.values()), '--dry-run sent SYNs (nft): %r'
                 % got)
        extra = 'nft counted 0 SYNs'
    else:
        extra = no_nft(c, counter, '--dry-run')
    log('  no connection during any --dry-run (%s)' % extra)


# --- 5. input files --------------------------------------------------------

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
    ck = c.ck
    words = [w for w in INPUT_LINES if w and not w.startswith('#')]
    hosts = sorted({str(a) for a in expand_all(words)}, key=addr_key)
    expected = space(hosts, PORTS, c.lis.pairs)
    text = '\n'.join(INPUT_LINES) + '\n'
    with open(path(c, 'targets.txt'), 'w') as f:
        f.write(text)
    opts = ['-p', PSPEC, '--states', 'all', '-f', 'ndjson']
    r_file = netns.parse_ndjson(ck, run_ok(c, opts + ['-i', 'targets.txt'],
                                           '-i FILE'))
    netns.compare(ck, r_file, expected, what='-i FILE vs ground truth')
    r_args = netns.parse_ndjson(ck, run_ok(c, opts + words,
                                           'targets as arguments'))
    netns.compare(ck, r_args, expected, what='targets as arguments vs '
                  'ground truth')
    ck.check(set(triples(r_file)) == set(triples(r_args)),
             '-i FILE and arguments differ')
    r_stdin = netns.parse_ndjson(ck, run_ok(c, opts + ['-i', '-'], '-i -',
                                            input=text))
    netns.compare(ck, r_stdin, expected, what='-i - (stdin) vs ground truth')
    log('  -i FILE, -i - and the same targets as arguments: %d records, '
        'same set = ground truth' % len(r_file))
    # Repeatable, and together with TARGET arguments: the union.
    half = len(INPUT_LINES) // 2
    with open(path(c, 't1.txt'), 'w') as f:
        f.write('\n'.join(INPUT_LINES[:half]) + '\n')
    with open(path(c, 't2.txt'), 'w') as f:
        f.write('\n'.join(INPUT_LINES[half:]) + '\n')
    hosts2 = sorted(set(hosts) | {'127.0.0.9'}, key=addr_key)
    r2 = netns.parse_ndjson(ck, run_ok(c, opts + ['-i', 't1.txt', '-i',
                                                  't2.txt', '127.0.0.9'],
                                       '-i A -i B TARGET'))
    netns.compare(ck, r2, space(hosts2, PORTS, c.lis.pairs),
                  what='-i t1 -i t2 127.0.0.9 vs ground truth')
    log('  -i A -i B TARGET: the union (%d records)' % len(r2))
    # A bad line: exit 2, "trawl: FILE:LINE: bad target 'WORD'", no probe.
    bad = INPUT_LINES[:6] + ['127.0.0.1/33'] + INPUT_LINES[6:]
    with open(path(c, 'bad.txt'), 'w') as f:
        f.write('\n'.join(bad) + '\n')
    c.lis.take()
    for name in ('bad.txt', path(c, 'bad.txt')):
        r = run(c, opts + ['-i', name])
        expect_rc(c, r, 2, '-i with a bad line 7')
        want = "trawl: %s:7: bad target '127.0.0.1/33'" % name
        ck.check(r.err_lines == [want], '-i %s with a bad line 7: expected '
                 'stderr %r, got %r' % (name, want, r.err))
        ck.check(r.out == '', 'bad -i file: output %r' % r.out[:200])
    counts = c.lis.settle()
    ck.check(not counts, 'a bad -i file still made connections: %r'
             % sorted(counts.items())[:5])
    log('  bad line 7: exit 2, %r, nothing probed' % want)


# --- 6. rate and host concurrency ------------------------------------------

def test_rate(c):
    ck = c.ck
    hosts = HOSTS[:128]
    ports = sorted({p for h, p in c.open4 if h in hosts})[:12]
    rest = [p for p in PORTS if p not in ports]
    ports = sorted(ports + c.rng.sample(rest, 24 - len(ports)))
    expected = space(hosts, ports, c.open4)
    n = len(hosts) * len(ports)
    res = run_ok(c, ['-p', ','.join(map(str, ports)), '127.0.0.0/25',
                     '--states', 'all', '-f', 'ndjson', '--rate', '2000'],
                 '--rate 2000')
    netns.compare(ck, netns.parse_ndjson(ck, res), expected,
                  what='--rate 2000 vs ground truth')
    lower = 1.2
    ck.check(res.elapsed >= lower, '--rate 2000 scanned %d probes in %.2f s:'
             ' at 2000/s that takes about %.2f s; less than %.1f s means the'
             ' cap does not hold' % (n, res.elapsed, n / 2000, lower))
    log('  --rate 2000: %d probes in %.2f s (>= %.1f s), exact result'
        % (n, res.elapsed, lower))
    c.lis.take()
    res = run_ok(c, BASE + ['--host-concurrency', '1'],
                 '--host-concurrency 1')
    netns.compare(ck, netns.parse_ndjson(ck, res), c.truth,
                  what='--host-concurrency 1 vs ground truth')
    check_each_once(c, c.lis.settle(), c.open4, '--host-concurrency 1')
    log('  --host-concurrency 1: %d records = ground truth in %.2f s'
        % (len(c.truth.state), res.elapsed))


# --- 7. order --------------------------------------------------------------

def host_runs(c, recs, what):
    """Hosts in output order; each host's records must be contiguous and in
    ascending port order."""
    hosts, seen = [], set()
    for i, (ip, port, _) in enumerate(recs):
        if not hosts or hosts[-1] != ip:
            c.ck.check(ip not in seen, '%s: records of %s are not grouped '
                       '(it comes back at line %d)' % (what, ip, i + 1))
            seen.add(ip)
            hosts.append(ip)
        elif port <= recs[i - 1][1]:
            c.ck.check(False, '%s: ports of %s not ascending at line %d (%d '
                       'after %d)' % (what, ip, i + 1, port, recs[i - 1][1]))
    return hosts


def test_order(c):
    ck = c.ck
    seq = netns.parse_ndjson(ck, run_ok(c, BASE + ['--order', 'sequential'],
                                        '--order sequential'))
    netns.compare(ck, seq, c.truth, what='--order sequential vs ground truth')
    hs = host_runs(c, triples(seq), '--order sequential')
    ck.check(hs == sorted(hs, key=addr_key), '--order sequential: hosts not '
             'in ascending address order: %s' % hs[:20])
    log('  --order sequential: exact, hosts ascending, ports ascending')
    procs = [netns.start([c.trawl, *BASE, '--seed', s], cwd=c.tmp)
             for s in ('5', '5', '6')]
    runs = [netns.finish(p, 120) for p in procs]
    for r in runs:
        expect_rc(c, r, 0, r.cmd)
    a, b, d = [netns.parse_ndjson(ck, r) for r in runs]
    netns.compare(ck, a, c.truth, what='--seed 5 (random order) vs ground '
                  'truth')
    a, b, d = triples(a), triples(b), triples(d)
    ck.check(set(a) == set(triples(seq)), 'random and sequential order '
             'differ')
    pa, pb = [(ip, p) for ip, p, _ in a], [(ip, p) for ip, p, _ in b]
    first = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), None)
    ck.check(pa == pb, 'two runs with --seed 5: (ip, port) order differs at '
             'line %s: %r vs %r' % (first, pa[first] if first is not None
                                    else None, pb[first] if first is not None
                                    else None))
    ha = host_runs(c, a, '--seed 5')
    hd = host_runs(c, d, '--seed 6')
    ck.check(ha != sorted(ha, key=addr_key), '--seed 5: hosts came out in '
             'ascending order: the order is not random')
    ck.check(ha != hd, '--seed 5 and --seed 6 gave the same host order')
    # Windows of max(64, ceil(65536 / ports)) hosts, each output sorted.
    w = max(64, -(-65536 // len(PORTS)))
    for s, hosts in (('5', ha), ('6', hd)):
        for k in range(0, len(hosts), w):
            win = hosts[k:k + w]
            ck.check(win == sorted(win, key=addr_key), '--seed %s: hosts '
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
    netns.enter_namespace()
    trawl = netns.trawl_path()
    ck = netns.Checker('e2e-sweep')
    t_start = time.monotonic()
    c = setup(ck, trawl)
    only = os.environ.get('TRAWL_SWEEP_ONLY')
    failed = []
    for i, (name, fn) in enumerate(TESTS, 1):
        if only and str(i) not in only.split(','):
            continue
        log('--- test %d: %s' % (i, name))
        t0 = time.monotonic()
        failures = ck.failures
        try:
            fn(c)
        except Exception:
            ck.check(False, 'test %d (%s) raised:\n%s'
                     % (i, name, traceback.format_exc()))
        if ck.failures > failures:
            failed.append(name)
            log('FAIL test %d (%s) after %.1f s'
                % (i, name, time.monotonic() - t0))
        else:
            log('ok   test %d (%s) in %.1f s' % (i, name,
                                                time.monotonic() - t0))
    c.lis.close()
    log('total %.1f s' % (time.monotonic() - t_start))
    if failed:
        log('FAILED: %s (files kept in %s)' % (', '.join(failed), c.tmp))
    else:
        shutil.rmtree(c.tmp, ignore_errors=True)
    ck.finish()


if __name__ == '__main__':
    main()
