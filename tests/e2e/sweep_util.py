"""Helpers of test_sweep.py, test_threads.py and test_baseline.py, in the
style of checks that raise Fail: recording listeners, an nft SYN counter per
address, running trawl, parsing its NDJSON and comparing it with the ground
truth.  The namespace, the listeners and logging are netns.py's.

Network safety: the script re-executes itself under `unshare -n` and checks,
before anything is sent, that it is in a namespace other than the one it
started in and that no interface but lo is up there.  run_trawl() refuses to
run a scan outside of such a namespace.  Targets are always in 127.0.0.0/8
or ::1.
"""

import collections
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import time

import netns
import trawlwrap
from netns import HARD_ERROR, SKIP, STATES, hard_error, log, skip  # noqa: F401,E501
from netns import active_opens, wait_probes, wait_ready  # noqa: F401

_in_private_netns = False


class Fail(Exception):
    """A check failed: trawl does not do what the contract says."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# --- the namespace ---------------------------------------------------------

def enter_private_netns():
    """Re-execute this script under `unshare -n`, once; returns inside."""
    global _in_private_netns
    netns.enter_namespace()
    _in_private_netns = True


# --- address helpers ---------------------------------------------------------

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


def addr_key(ip):
    a = ipaddress.ip_address(ip)
    return (a.version, int(a))


def space(hosts, ports, open_pairs):
    """Ground truth of a --states all scan: {(ip, port, state)}."""
    hosts = [str(h) for h in hosts]
    return {(h, p, 'open' if (h, p) in open_pairs else 'closed')
            for h in hosts for p in ports}


# --- listeners that record every connection --------------------------------

class Listeners(netns.Listeners):
    """Listeners on the given (ip, port) pairs, counting the connections
    each accepted; pairs already taken are left out (in skipped)."""

    def __init__(self, pairs):
        super().__init__()
        self.skipped = []
        for ip, port in pairs:
            if self.add(ip, port) is None:
                self.skipped.append((ip, port))
        self.start()

    def snapshot(self):
        """Connections accepted so far, by (ip, port)."""
        return self.settle()

    def reset(self):
        self.take()


# --- nft: count SYNs per destination ---------------------------------------

class SynCounter:
    """An nft table counting SYNs leaving for each given address item
    (address, CIDR or range), in this namespace's OUTPUT hook."""

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

    def reset(self):
        if self.ok:
            self.why = self._load()
            self.ok = not self.why

    def read(self):
        """{item: packets}"""
        r = subprocess.run(['nft', 'list', 'chain', 'inet', 'sweepcount',
                            'o'], capture_output=True, text=True)
        if r.returncode != 0:
            hard_error('nft list: ' + r.stderr.strip())
        out = {}
        for line in r.stdout.splitlines():
            m = re.search(r'counter packets (\d+) bytes \d+ comment "c(\d+)"',
                          line)
            if m:
                out[self.items[int(m.group(2))]] = int(m.group(1))
        if len(out) != len(self.items):
            hard_error('cannot read nft counters:\n' + r.stdout)
        return out


# --- running trawl ---------------------------------------------------------

def clean_env(extra=None):
    env = dict(os.environ)
    for k in ('JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID',
              'SLURM_ARRAY_TASK_MIN'):
        env.pop(k, None)
    if extra:
        env.update(extra)
    return env


class Result:
    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.elapsed = elapsed

    def describe(self):
        return ('$ %s\nexit %s after %.2f s\nstderr:\n%s'
                % (' '.join(self.argv), self.rc, self.elapsed,
                   self.err.rstrip() or '(empty)'))


def _assert_safe():
    if not _in_private_netns:
        hard_error('refusing to run trawl outside the private namespace')


def start_trawl(binary, args, env=None, cwd=None, stdin=None):
    _assert_safe()
    # Under TRAWL_WRAPPER (valgrind), a script that runs binary under it.
    argv = [trawlwrap.wrap(binary)] + [str(a) for a in args]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None
                         else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=clean_env(env), cwd=cwd)
    p.sweep_argv = argv
    p.sweep_t0 = time.monotonic()
    p.sweep_stdin = stdin
    return p


def finish_trawl(p, timeout=120):
    try:
        out, err = p.communicate(input=p.sweep_stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Fail('trawl did not finish within %d s: %s'
                   % (timeout, ' '.join(p.sweep_argv)))
    return Result(p.sweep_argv, p.returncode, out,
                  err.decode('utf-8', 'replace'),
                  time.monotonic() - p.sweep_t0)


def run_trawl(binary, args, env=None, cwd=None, stdin=None, timeout=120):
    return finish_trawl(start_trawl(binary, args, env, cwd, stdin), timeout)


def run_parallel(binary, arg_lists, envs=None, cwd=None, timeout=120):
    envs = envs or [None] * len(arg_lists)
    procs = [start_trawl(binary, a, e, cwd) for a, e in zip(arg_lists, envs)]
    return [finish_trawl(p, timeout) for p in procs]


def expect_rc(res, rc, what=''):
    if res.rc != rc:
        raise Fail('%sexpected exit %d, got %s\n%s'
                   % (what + ': ' if what else '', rc, res.rc,
                      res.describe()))


# --- NDJSON ----------------------------------------------------------------

def parse_ndjson(data, what):
    """[(ip, port, state)] in output order; every line must be a whole JSON
    object (no torn or interleaved lines)."""
    if isinstance(data, str):
        data = data.encode()
    if not data:
        return []
    if not data.endswith(b'\n'):
        raise Fail('%s: output does not end with a newline (torn last line):'
                   ' ...%r' % (what, data[-120:]))
    out = []
    for n, line in enumerate(data[:-1].split(b'\n'), 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise Fail('%s: line %d is not valid JSON (%s): %r'
                       % (what, n, e, line[:200]))
        if not isinstance(obj, dict) or not {'ip', 'port', 'state'} <= set(
                obj):
            raise Fail('%s: line %d is not a record: %r' % (what, n, line))
        if obj['state'] not in STATES or obj.get('proto') != 'tcp':
            raise Fail('%s: line %d: bad state/proto: %r' % (what, n, line))
        out.append((obj['ip'], obj['port'], obj['state']))
    return out


def read_ndjson(path, what):
    with open(path, 'rb') as f:
        return parse_ndjson(f.read(), what)


def _examples(items, n=6):
    items = sorted(items, key=lambda t: (addr_key(t[0]),) + tuple(t[1:]))
    s = ', '.join('%s:%s %s' % t if len(t) == 3 else repr(t)
                  for t in items[:n])
    return s + (' ...' if len(items) > n else '')


def compare(records, expected, what):
    """records (list of triples) must hold every expected triple exactly
    once and nothing else."""
    c = collections.Counter(records)
    dups = [t for t, k in c.items() if k > 1]
    got = set(c)
    missing = expected - got
    extra = got - expected
    problems = []
    if dups:
        problems.append('%d duplicated records: %s' % (len(dups),
                                                        _examples(dups)))
    if missing:
        # Distinguish a wrong state from a missing pair.
        pairs_got = {(ip, p): st for ip, p, st in got}
        wrong = [t for t in missing if (t[0], t[1]) in pairs_got]
        gone = [t for t in missing if (t[0], t[1]) not in pairs_got]
        if gone:
            problems.append('%d expected records missing: %s'
                            % (len(gone), _examples(gone)))
        if wrong:
            problems.append('%d records with the wrong state (expected): %s'
                            % (len(wrong), _examples(wrong)))
    if extra:
        problems.append('%d unexpected records: %s' % (len(extra),
                                                       _examples(extra)))
    if problems:
        raise Fail('%s: %d records, %d expected:\n  %s'
                   % (what, len(records), len(expected),
                      '\n  '.join(problems)))


DRY_RE = re.compile(r'^(\d+) probes \((\d+) hosts x (\d+) ports'
                    r'((?:, shard \d+/\d+)?)((?:, resumed)?)\)$')


def parse_dry(res, what):
    text = res.out.decode('utf-8', 'replace')
    lines = text.splitlines()
    m = DRY_RE.match(lines[0]) if len(lines) == 1 else None
    if res.rc != 0 or m is None:
        raise Fail('%s: expected exit 0 and one line "<N> probes (<H> hosts '
                   'x <P> ports[, shard I/N][, resumed])", got exit %s, '
                   'stdout %r\n%s' % (what, res.rc, text, res.describe()))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            m.group(4)[2:] if m.group(4) else '', bool(m.group(5)))


def send_signal(p, sig):
    try:
        p.send_signal(sig)
    except ProcessLookupError:
        pass


SIGNAMES = {signal.SIGINT: 'SIGINT', signal.SIGTERM: 'SIGTERM'}
