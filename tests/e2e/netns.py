"""Shared machinery of trawl's end-to-end tests.

Every test that lets trawl send a packet runs in a private network namespace
that holds nothing but a loopback interface: the script re-executes itself
under `unshare -n`, and refuses to go on if it finds itself still in the
namespace it started in, or in one with any interface besides lo.  A scan
can then reach nothing but what the test put there, whatever it is told.

The test decides the ground truth -- which address:port pairs listen (Python
sockets), which are dropped (an nft table of its own), which routes reject --
and compares trawl's whole output with it.  A reference prober (a dozen lines
of non-blocking connect) checks a sample of that ground truth first, so a
failure points at trawl and not at the harness.

Exit codes follow meson: 0 pass, 1 fail, 77 skip (with the reason printed),
99 hard error (the harness itself could not do its job).
"""

import collections
import errno
import functools
import ipaddress
import json
import os
import random
import re
import resource
import select
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time

import trawlwrap

SKIP = 77
HARD_ERROR = 99

_ENV_OUTER = 'TRAWL_E2E_OUTER_NETNS'

STATES = ('open', 'closed', 'filtered', 'unreachable')

# TRAWL_WRAPPER (e.g. valgrind; see trawlwrap.py): trawl_path() then gives a
# script that runs trawl under it.
WRAPPED = trawlwrap.WRAPPED
# For a trawl run where LeakSanitizer cannot work (under ptrace, set-uid):
# the ASan build's leak check off, everything else as it is.
NO_LSAN_ENV = dict(os.environ, ASAN_OPTIONS=(
    os.environ.get('ASAN_OPTIONS', '') + ':detect_leaks=0').lstrip(':'))

KEY_ORDER = ('ip', 'port', 'proto', 'state', 'host', 'service', 'rtt_ms',
             'reason')

# What the contract says each errno becomes (state, reason).
ERRNO_VERDICT = {
    errno.ECONNREFUSED: ('closed', 'conn-refused'),
    errno.ECONNRESET: ('closed', 'conn-refused'),
    errno.ECONNABORTED: ('closed', 'conn-refused'),
    errno.ETIMEDOUT: ('filtered', 'no-response'),
    errno.EPERM: ('filtered', 'admin-prohibited'),
    errno.EHOSTUNREACH: ('unreachable', 'host-unreach'),
    errno.ENETUNREACH: ('unreachable', 'net-unreach'),
    errno.EHOSTDOWN: ('unreachable', 'host-unreach'),
    errno.ENETDOWN: ('unreachable', 'net-unreach'),
    errno.EACCES: ('unreachable', 'admin-prohibited'),
}

# A silent drop in our own OUTPUT chain: the kernel may time out or say EPERM.
FILTERED_REASONS = frozenset({'no-response', 'admin-prohibited'})

SUMMARY_RE = re.compile(
    r'^trawl: (\d+) probes, (\d+) open, (\d+) closed, (\d+) filtered, '
    r'(\d+) unreachable in (\d+\.\d\d) s \((\d+) probes/s\)'
    r'(?:; names: (?:\d+ discovered, )?\d+ resolved, \d+ unresolved)?'
    r'(?:; the path dropped \d+\.\d% of attempts'
    r'(?:; paced down to \d+ attempts/s)?'
    r'(?:; \d+ hosts? slowed on (?:its|their) own)?'
    r'(?:; up to \d+ retr(?:y|ies))?)?$')


def log(*args):
    print(*args, flush=True)


def skip(reason):
    log('SKIP: ' + reason)
    sys.exit(SKIP)


def hard_error(reason):
    log('HARNESS ERROR: ' + reason)
    sys.exit(HARD_ERROR)


# --- the namespace ---------------------------------------------------------

def _netns_id():
    return os.readlink('/proc/self/ns/net')


def enter_namespace():
    """Re-execute the calling script in a new network namespace, once.

    Returns (inside the namespace) after lo is up and the namespace was
    checked to hold nothing else.  Never returns outside of one."""
    outer = os.environ.get(_ENV_OUTER)
    if outer is None:
        for tool in ('unshare', 'ip'):
            if shutil.which(tool) is None:
                skip('%s(8) not found; cannot build a private network '
                     'namespace' % tool)
        r = subprocess.run(['unshare', '-n', '--', 'true'],
                           capture_output=True, text=True)
        if r.returncode != 0:
            skip('cannot create a network namespace (need root or '
                 'CAP_SYS_ADMIN): ' + (r.stderr.strip() or
                                       'unshare exit %d' % r.returncode))
        env = dict(os.environ)
        env[_ENV_OUTER] = _netns_id()
        argv = ['unshare', '-n', '--', sys.executable,
                os.path.abspath(sys.argv[0])] + sys.argv[1:]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvpe('unshare', argv, env)
    if _netns_id() == outer:
        hard_error('still in the network namespace we started in; '
                   'refusing to send anything')
    sh(['ip', 'link', 'set', 'lo', 'up'])
    # A new namespace may also hold the kernel's fallback tunnel devices
    # (tunl0, sit0, ip6tnl0...), always down; anything up but lo is wrong.
    up = []
    for line in sh(['ip', '-o', 'link', 'show']).splitlines():
        m = re.match(r'^\d+: ([^:@]+)[^:]*: <([^>]*)>', line)
        if m is None:
            hard_error('cannot read ip link output: %r' % line)
        if m.group(1) != 'lo' and 'UP' in m.group(2).split(','):
            up.append(m.group(1))
    if up:
        hard_error('namespace has interfaces up besides lo: %r' % up)
    raise_nofile()


def sh(argv, input=None, check=True):
    """Run a helper command (ip, nft, sysctl); its stdout."""
    r = subprocess.run(argv, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        hard_error('%s: exit %d: %s' % (shlex.join(argv), r.returncode,
                                        r.stderr.strip()))
    return r.stdout


def nft_table(table, body):
    """Load nft table `inet TABLE` with body (its sets and chains), in
    place of any table of that name.  None when loaded, else what nft
    said."""
    # Declaring then deleting the table first makes a second load replace
    # the first one's sets and chains instead of adding to them.
    script = ('table inet %s\ndelete table inet %s\ntable inet %s {\n%s\n}\n'
              % (table, table, table, body))
    r = subprocess.run(['nft', '-f', '-'], input=script, capture_output=True,
                       text=True)
    return None if r.returncode == 0 else (r.stderr.strip() or 'nft failed')


def syn_counter(table, match):
    """Load nft table `inet TABLE`, counting the SYNs (without ACK) that
    leave and match the nft expression `match`.  None when loaded, else
    what nft said."""
    return nft_table(table, '''
  chain out {
    type filter hook output priority -10; policy accept;
    %s tcp flags & (syn|ack) == syn counter
  }''' % match)


def syn_count(table):
    """The SYNs counted so far by syn_counter(table, ...)."""
    out = sh(['nft', 'list', 'table', 'inet', table])
    m = re.search(r'counter packets (\d+)', out)
    if m is None:
        hard_error('cannot read the SYN counter of %s:\n%s' % (table, out))
    return int(m.group(1))


def raise_nofile(want=None):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if want is None else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def set_local_port_range(lo, hi):
    """The ephemeral port range, for this namespace only."""
    path = '/proc/sys/net/ipv4/ip_local_port_range'
    with open(path, 'w') as f:
        f.write('%d %d\n' % (lo, hi))
    with open(path) as f:
        got = tuple(int(x) for x in f.read().split())
    if got != (lo, hi):
        hard_error('ip_local_port_range is %r, wanted %r' % (got, (lo, hi)))


# --- waiting for a sign, never for a time ---------------------------------
#
# A test that acts on a running trawl (a signal, a lowered limit, a blockade
# lifted) waits until it can see that trawl got where the act means
# something: its descriptors, a line it printed, a counter of this
# namespace.  A fixed delay is wrong some day -- on a busy machine, or
# under valgrind, where trawl takes a second to reach main().

_POLL = 0.002


def poll_until(cond, p=None, timeout=60):
    """Check cond() every few milliseconds: True once it holds; False
    when the process p (a subprocess.Popen) ended first, or when timeout
    seconds went by without it."""
    deadline = time.monotonic() + timeout
    while not cond():
        if p is not None and p.poll() is not None:
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL)
    return True


def fd_links(pid):
    """What the descriptors of process pid point to; [] once it is gone."""
    try:
        names = os.listdir('/proc/%d/fd' % pid)
    except OSError:
        return []
    out = []
    for name in names:
        try:
            out.append(os.readlink('/proc/%d/fd/%s' % (pid, name)))
        except OSError:
            pass
    return out


def wait_ready(p, timeout=60):
    """Wait until trawl, started as p (a subprocess.Popen), takes SIGINT
    and SIGTERM as a request to stop: True.  False when it ended first
    (p.returncode says how), or was not ready after timeout seconds.

    The sign: trawl's main() installs its signal handlers before anything
    creates an epoll instance (the scan's reactor, or the resolver's before
    it), so an anon_inode:[eventpoll] among its descriptors means they are
    in place.  /proc/PID/status cannot tell: under valgrind, SigCgt shows
    valgrind's own handlers from the first instruction.  Under
    TRAWL_WRAPPER the pid is still trawl's (the wrapper script, valgrind
    and setpriv exec), and the test, as root, reads the descriptors of a
    trawl that runs as nobody."""
    return poll_until(
        lambda: 'anon_inode:[eventpoll]' in fd_links(p.pid), p, timeout)


def active_opens():
    """TCP connections begun in this namespace so far (ActiveOpens of
    /proc/net/snmp): one per SYN that a connect() sent, retransmissions
    not counted.  With no other client at work in the namespace, its
    growth over a run is the number of probes trawl has started."""
    with open('/proc/net/snmp') as f:
        lines = f.read().splitlines()
    for keys, vals in zip(lines[::2], lines[1::2]):
        if keys.startswith('Tcp:'):
            return dict(zip(keys.split()[1:],
                            map(int, vals.split()[1:])))['ActiveOpens']
    hard_error('no Tcp ActiveOpens in /proc/net/snmp')


def wait_probes(p, n, base, timeout=300):
    """Wait until trawl (p) has started n probes since active_opens() was
    base: True; False when it ended first (or after timeout seconds)."""
    return poll_until(lambda: active_opens() - base >= n, p, timeout)


# --- nft: pairs that are silently dropped ----------------------------------

def nft_drop(pairs):
    """Drop every SYN to these (ip, port) pairs in our OUTPUT chain.

    Loopback traffic leaves through the output hook, so the SYN never
    reaches the listener or the RST path: the connect stays unanswered."""
    if shutil.which('nft') is None:
        skip('nft(8) not found (Debian package nftables)')
    v4 = sorted({(ip, p) for ip, p in pairs if ':' not in ip})
    v6 = sorted({(ip, p) for ip, p in pairs if ':' in ip})

    def elements(lst):
        if not lst:
            return ''
        return 'elements = { %s }' % ', '.join('%s . %d' % e for e in lst)

    why = nft_table('trawltest', '''
  set drop4 { type ipv4_addr . inet_service; %s }
  set drop6 { type ipv6_addr . inet_service; %s }
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr . tcp dport @drop4 drop
    ip6 daddr . tcp dport @drop6 drop
  }''' % (elements(v4), elements(v6)))
    if why is not None:
        skip('nft cannot load a table in the namespace (no nf_tables?): '
             + why)


# --- listeners -------------------------------------------------------------

BACKLOG = 1024


def family_of(ip):
    return socket.AF_INET6 if ':' in ip else socket.AF_INET


class Listeners:
    """Listening sockets, and a thread that accepts and closes connections
    so that no accept queue ever fills up (a full queue drops SYNs, which
    would turn an open port into a filtered one)."""

    def __init__(self):
        self._socks = {}
        self._ep = select.epoll()
        self._stop = False
        self._thread = None
        self._names = {}
        self._idle = 0
        self.pairs = set()
        # (ip, port) -> connections accepted there (see settle()).
        self.accepted = collections.Counter()

    def add(self, ip, port):
        """Listen on ip:port; the port (the one given, or the kernel's
        choice for 0), or None when it is already taken."""
        s = socket.socket(family_of(ip), socket.SOCK_STREAM)
        try:
            s.bind((ip, port))
        except OSError as e:
            s.close()
            if e.errno == errno.EADDRINUSE:
                return None
            raise
        s.listen(BACKLOG)
        s.setblocking(False)
        self._ep.register(s.fileno(), select.EPOLLIN)
        self._socks[s.fileno()] = s
        port = s.getsockname()[1]
        self._names[s.fileno()] = (canon(ip), port)
        if ip not in ('0.0.0.0', '::'):
            self.pairs.add((ip, port))
        return port

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop:
            events = self._ep.poll(0.1)
            if not events:
                self._idle += 1
            for fd, _ in events:
                s = self._socks.get(fd)
                if s is None:
                    continue
                for _ in range(256):
                    try:
                        c, _ = s.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        continue
                    c.close()
                    self.accepted[self._names[fd]] += 1

    def settle(self):
        """Wait until every connection made so far was accepted (the
        accept thread went idle twice); the counts in accepted."""
        start = self._idle
        deadline = time.monotonic() + 10
        while self._idle < start + 2:
            if time.monotonic() > deadline:
                hard_error('listener thread does not settle')
            time.sleep(0.02)
        return collections.Counter(self.accepted)

    def take(self):
        """The counts since the last take(), once settled."""
        counts = self.settle()
        self.accepted.clear()
        return counts

    def close(self):
        self._stop = True
        if self._thread is not None:
            self._thread.join()
        for s in self._socks.values():
            s.close()
        self._socks.clear()


def listen(pairs):
    """Listeners on each (ip, port) of pairs, started.  A pair already
    taken is left out: the listeners' pairs are those they hold."""
    lst = Listeners()
    for ip, port in pairs:
        lst.add(ip, port)
    lst.start()
    return lst


# --- reference prober ------------------------------------------------------

def probe(pairs, timeout=0.5, concurrency=200):
    """Connect to each (ip, port) once; {pair: 'open' | 'timeout' | errno}.

    The harness's own witness: if it disagrees with the ground truth the
    harness is wrong, not trawl."""
    todo = list(pairs)
    out = {}
    inflight = {}
    poller = select.poll()
    linger = b'\x01\x00\x00\x00\x00\x00\x00\x00'
    while todo or inflight:
        while todo and len(inflight) < concurrency:
            pair = todo.pop()
            s = socket.socket(family_of(pair[0]),
                              socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            err = s.connect_ex(pair)
            if err == errno.EINPROGRESS:
                inflight[s.fileno()] = (s, pair, time.monotonic() + timeout)
                poller.register(s, select.POLLOUT)
            else:
                out[pair] = 'open' if err == 0 else err
                s.close()
        for fd, _ in poller.poll(20):
            s, pair, _ = inflight.pop(fd)
            poller.unregister(fd)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            out[pair] = 'open' if err == 0 else err
            s.close()
        now = time.monotonic()
        for fd in [fd for fd, v in inflight.items() if v[2] <= now]:
            s, pair, _ = inflight.pop(fd)
            poller.unregister(fd)
            out[pair] = 'timeout'
            s.close()
    return out


# --- ground truth ----------------------------------------------------------

@functools.lru_cache(maxsize=65536)
def canon(ip):
    return ipaddress.ip_address(ip).compressed


class Truth:
    """What every probed (ip, port) must come out as."""

    def __init__(self):
        self.state = {}        # (ip, port) -> state
        self.reasons = {}      # (ip, port) -> set of acceptable reasons

    def set(self, ip, port, state, reasons):
        self.state[(canon(ip), port)] = state
        self.reasons[(canon(ip), port)] = frozenset(reasons)

    def build(self, ips, ports, listening, dropped):
        """ips x ports: dropped -> filtered, else listening -> open, else
        closed.  A drop wins over a listener (the SYN never arrives)."""
        listening = {(canon(i), p) for i, p in listening}
        dropped = {(canon(i), p) for i, p in dropped}
        for ip in ips:
            for port in ports:
                pair = (canon(ip), port)
                if pair in dropped:
                    self.set(*pair, 'filtered', FILTERED_REASONS)
                elif pair in listening:
                    self.set(*pair, 'open', {'syn-ack'})
                else:
                    self.set(*pair, 'closed', {'conn-refused'})
        return self

    def counts(self):
        c = dict.fromkeys(STATES, 0)
        for s in self.state.values():
            c[s] += 1
        return c

    def self_check(self, sample=300, timeout=0.4, seed=1):
        """Probe the non-closed pairs and a sample of the closed ones with
        the reference prober; exit 99 if the harness is wrong."""
        rng = random.Random(seed)
        closed = [p for p, s in self.state.items() if s == 'closed']
        pick = [p for p, s in self.state.items() if s != 'closed']
        pick += rng.sample(closed, min(sample, len(closed)))
        got = probe(pick, timeout=timeout)
        bad = []
        for pair in pick:
            want = self.state[pair]
            g = got[pair]
            if want == 'open':
                ok = g == 'open'
            elif want == 'filtered':
                ok = g in ('timeout', errno.EPERM)
            elif want == 'closed':
                ok = g == errno.ECONNREFUSED
            else:
                ok = g not in ('open', 'timeout', errno.ECONNREFUSED)
            if not ok:
                bad.append((pair, want, g if isinstance(g, str)
                            else errno.errorcode.get(g, g)))
        if bad:
            hard_error('reference prober disagrees with the ground truth: '
                       '%r' % bad[:10])
        log('harness self-check: %d pairs probed, ground truth confirmed'
            % len(pick))


# --- running trawl ---------------------------------------------------------

class Checker:
    """Collects failures so that one run reports all of them."""

    def __init__(self, name):
        self.name = name
        self.failures = 0
        self.not_run = []

    def cannot_run(self, reason):
        """A part of the test could not run here: the test ends as skipped
        (77) unless something failed, so that it never passes silently."""
        self.not_run.append(reason)
        log('NOT RUN: ' + reason)

    def check(self, cond, msg):
        if not cond:
            self.failures += 1
            log('FAIL: ' + msg)
        return bool(cond)

    def finish(self):
        if self.failures:
            log('%s: %d check(s) failed' % (self.name, self.failures))
            sys.exit(1)
        if self.not_run:
            log('%s: the checks that ran passed, but not everything could '
                'run here: %s' % (self.name, '; '.join(self.not_run)))
            sys.exit(SKIP)
        log('%s: all checks passed' % self.name)
        sys.exit(0)


class Run:
    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.elapsed = elapsed

    @property
    def cmd(self):
        return shlex.join(self.argv)

    @property
    def err_lines(self):
        return self.err.splitlines()


# The variables that pick a shard for --shards: none of the environment the
# tests run in reaches trawl (a test that wants a shard says which).
SHARD_ENV = ('JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID',
             'SLURM_ARRAY_TASK_MIN')


def start(argv, input=None, wrap=None, cwd=None, env=None):
    """Start trawl (argv[0] is its path; numbers in argv are made words)
    for finish(): a subprocess.Popen.  wrap is a prefix such as a shell
    that sets limits, input text for its standard input, env variables
    to add to the environment."""
    argv = [str(a) for a in argv]
    full_env = {k: v for k, v in os.environ.items() if k not in SHARD_ENV}
    full_env.update(env or {})
    log('+ ' + shlex.join(argv))
    p = subprocess.Popen((wrap or []) + argv, stdin=None if input is None
                         else subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         errors='backslashreplace', cwd=cwd, env=full_env)
    p.trawl_argv, p.trawl_input = argv, input
    p.trawl_t0 = time.monotonic()
    return p


def finish(p, timeout=60):
    """Wait for trawl begun by start(): its Run.  A run that hangs is
    killed and reported (exit None)."""
    argv = p.trawl_argv
    try:
        out, err = p.communicate(p.trawl_input, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out, err = '', ''
        log('TIMEOUT: trawl did not finish within %d s: %s'
            % (timeout, shlex.join(argv)))
        log('stderr so far: ' + err[-2000:])
        return Run(argv, None, out, err, timeout)
    el = time.monotonic() - p.trawl_t0
    log('  exit %s in %.2f s, %d bytes out, stderr: %s' % (
        p.returncode, el, len(out), (err.strip()[-600:] or '(empty)')))
    return Run(argv, p.returncode, out, err, el)


def run(argv, timeout=60, input=None, wrap=None, cwd=None, env=None):
    """Run trawl: start() and finish()."""
    return finish(start(argv, input, wrap, cwd, env), timeout)


DRY_RE = re.compile(r'^(\d+) probes \((\d+) hosts x (\d+) ports'
                    r'((?:, shard \d+/\d+)?)((?:, resumed)?)\)$')


def parse_dry(ck, run_):
    """What a --dry-run said: (probes, hosts, ports, 'shard I/N' or '',
    resumed); None when it did not exit 0 with that one line (a failed
    check)."""
    lines = run_.out.splitlines()
    m = DRY_RE.match(lines[0]) if len(lines) == 1 else None
    if not ck.check(run_.rc == 0 and m is not None,
                    'expected exit 0 and one line "<N> probes (<H> hosts x '
                    '<P> ports[, shard I/N][, resumed])", got exit %s, '
                    'stdout %r, stderr %r (%s)'
                    % (run_.rc, run_.out, run_.err, run_.cmd)):
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            m.group(4)[2:], bool(m.group(5)))


class _Obj(list):
    pass


_RTT_RE = re.compile(r'"rtt_ms":\d+\.\d{3}[,}]')
_KEYS = frozenset(KEY_ORDER)
CHANGE_KEY_ORDER = ('change', 'ip', 'port', 'proto', 'names', 'was', 'now',
                    'days_left', 'sha256', 'not_after', 'subject')
_CHANGE_KEYS = frozenset(CHANGE_KEY_ORDER)
CHANGES = ('host-up', 'host-down', 'port-opened', 'port-closed',
           'service-changed', 'cert-changed', 'cert-expiring')
# What answered (--banners) in a change: "was" and "now" of a service or
# certificate change, the certificate of one expiring; each key in order,
# only when known, the first always.
SERVICE_SIDE_ORDER = ('service', 'tunnel', 'product', 'version')
CERT_SIDE_ORDER = ('sha256', 'not_after', 'subject')
_ISO_RE = re.compile(r'^\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
_SHA_RE = re.compile(r'^[0-9a-f]{64}$')
# With --rdns, a host's PTR name is one key more, the last (CSV's column).
RDNS_KEY_ORDER = KEY_ORDER + ('ptr',)
_RDNS_KEYS = frozenset(RDNS_KEY_ORDER)


def parse_ndjson(ck, run_, where=None, changes=None, rdns=False):
    """Records of an NDJSON output, each checked against the contract's
    key order and types.  Returns a list of dicts.

    With changes (a list), the "change" records of --baseline are checked
    too and appended to it, in order, and must come after every port
    record; without it, a change record is a record without its keys.
    With rdns (--rdns), a record may end with "ptr", a string."""
    text = run_.out if where is None else where
    what = run_.cmd
    recs = []
    if text and not text.endswith('\n'):
        ck.check(False, 'NDJSON does not end with a newline (%s)' % what)
    for n, line in enumerate(text.splitlines(), 1):
        try:
            pairs = json.loads(line, object_pairs_hook=_Obj)
        except ValueError as e:
            ck.check(False, 'line %d is not JSON (%s): %r: %s'
                     % (n, what, line, e))
            continue
        if not isinstance(pairs, _Obj):
            ck.check(False, 'line %d is not an object: %r' % (n, line))
            continue
        keys = [k for k, _ in pairs]
        rec = dict(pairs)
        if changes is not None and keys[:1] == ['change']:
            if _check_change(ck, rec, keys, line):
                changes.append(rec)
        elif _check_record(ck, rec, keys, line, rdns):
            ck.check(not changes, 'a port record after the changes (%s): '
                     '%r' % (what, line))
            recs.append(rec)
    return recs


def _check_keys(ck, rec, keys, order, allowed, needed, line):
    """Keys of a record: each once, in the contract's order, none
    missing.  False (said why) when they are not."""
    ok = True
    if len(keys) != len(rec):
        ok = ck.check(False, 'duplicate key: %r' % (line,))
    want = [k for k in order if k in rec]
    if keys != want or not set(keys) <= allowed:
        ok = ck.check(False, 'keys %r, contract order %r: %r'
                      % (keys, want, line))
    for k in needed:
        if k not in rec:
            ok = ck.check(False, 'key %r missing: %r' % (k, line))
    return ok


def _check_ip(ck, ip, line):
    try:
        if canon(ip) != ip:
            ck.check(False, 'ip not in canonical compressed form: %r'
                     % (line,))
    except ValueError:
        ck.check(False, 'ip is not an address: %r' % (line,))


def _check_record(ck, rec, keys, line, rdns=False):
    """A port record against the contract; False when its keys are wrong
    (it is left out then).  Messages are made only for what fails: an
    output may have hundreds of thousands of records."""
    if not _check_keys(ck, rec, keys, RDNS_KEY_ORDER if rdns else KEY_ORDER,
                       _RDNS_KEYS if rdns else _KEYS,
                       ('ip', 'port', 'proto', 'state', 'reason'), line):
        return False
    if 'ptr' in rec and not (isinstance(rec['ptr'], str) and rec['ptr']):
        ck.check(False, '"ptr" not a name: %r' % (line,))
    if not (isinstance(rec['ip'], str) and isinstance(rec['port'], int)
            and not isinstance(rec['port'], bool)
            and isinstance(rec['reason'], str) and rec['reason']):
        ck.check(False, 'bad value types: %r' % (line,))
    if rec['proto'] != 'tcp':
        ck.check(False, '"proto" not "tcp": %r' % (line,))
    if rec['state'] not in STATES:
        ck.check(False, 'unknown state: %r' % (line,))
    if isinstance(rec['ip'], str):
        _check_ip(ck, rec['ip'], line)
    if ('rtt_ms' in rec) != (rec['state'] in ('open', 'closed')):
        ck.check(False, '"rtt_ms" must be present exactly for open/closed: '
                 '%r' % (line,))
    if 'rtt_ms' in rec and not (_RTT_RE.search(line) is not None and
                                rec['rtt_ms'] >= 0):
        ck.check(False, 'rtt_ms not a non-negative number with 3 decimals: '
                 '%r' % (line,))
    svc = service(rec['port']) if isinstance(rec['port'], int) else None
    if rec.get('service') != svc:
        ck.check(False, 'service %r, nmap or /etc/services says %r: %r'
                 % (rec.get('service'), svc, line))
    return True


def _check_cert_keys(ck, obj, line):
    """The keys of a certificate (CERT_SIDE_ORDER) in obj."""
    if not (isinstance(obj.get('sha256'), str) and
            _SHA_RE.match(obj['sha256'])):
        ck.check(False, '"sha256" not 64 lower-case hex digits: %r'
                 % (line,))
    if 'not_after' in obj and not (isinstance(obj['not_after'], str) and
                                   _ISO_RE.match(obj['not_after'])):
        ck.check(False, '"not_after" not ISO 8601 UTC: %r' % (line,))
    if 'subject' in obj and not (isinstance(obj['subject'], str) and
                                 obj['subject']):
        ck.check(False, '"subject" not text: %r' % (line,))


def _check_side(ck, kind, side, line):
    """"was" or "now" of a change of what answered: an object with the
    keys of its kind, in order, the first always there."""
    if not isinstance(side, _Obj):
        return ck.check(False, '"was"/"now" not an object: %r' % (line,))
    keys = [k for k, _ in side]
    obj = dict(side)
    order = SERVICE_SIDE_ORDER if kind == 'service-changed' else \
        CERT_SIDE_ORDER
    if not _check_keys(ck, obj, keys, order, frozenset(order), order[:1],
                       line):
        return False
    if kind == 'cert-changed':
        _check_cert_keys(ck, obj, line)
    elif not (all(isinstance(v, str) and v for v in obj.values()) and
              obj.get('tunnel', 'ssl') == 'ssl'):
        ck.check(False, 'a service side not text: %r' % (line,))
    return True


def _check_change(ck, rec, keys, line):
    """A change record (--baseline) against the contract:
    {"change":KIND,"ip":IP[,"port":N,"proto":"tcp"][,"names":[...]]
    [,"was":{...},"now":{...}][,"days_left":N,"sha256":...]}, port and
    proto for port changes only, names only when there are any, sorted and
    distinct; was and now for service and certificate changes only, the
    certificate's keys at the top for an expiring one only.  False when
    its keys are wrong."""
    kind = rec['change']
    answer = kind in ('service-changed', 'cert-changed')
    port_change = kind in ('port-opened', 'port-closed',
                           'cert-expiring') or answer
    need = ('change', 'ip') + (('port', 'proto') if port_change else ()) + \
        (('was', 'now') if answer else ()) + \
        (('days_left', 'sha256') if kind == 'cert-expiring' else ())
    ok = _check_keys(ck, rec, keys, CHANGE_KEY_ORDER, _CHANGE_KEYS, need,
                     line)
    if not port_change and ('port' in rec or 'proto' in rec):
        ok = ck.check(False, 'port or proto in a host change: %r' % (line,))
    if not answer and ('was' in rec or 'now' in rec):
        ok = ck.check(False, 'was or now in a %s change: %r' % (kind, line))
    if kind != 'cert-expiring' and any(
            k in rec for k in ('days_left',) + CERT_SIDE_ORDER):
        ok = ck.check(False, 'certificate keys in a %s change: %r'
                      % (kind, line))
    if not ok:
        return False
    if answer:
        _check_side(ck, kind, rec['was'], line)
        _check_side(ck, kind, rec['now'], line)
    if kind == 'cert-expiring':
        if not (isinstance(rec['days_left'], int) and
                not isinstance(rec['days_left'], bool)):
            ck.check(False, '"days_left" not a number: %r' % (line,))
        _check_cert_keys(ck, rec, line)
    if rec['change'] not in CHANGES:
        ck.check(False, 'unknown change: %r' % (line,))
    if isinstance(rec['ip'], str):
        _check_ip(ck, rec['ip'], line)
    else:
        ck.check(False, 'bad value types: %r' % (line,))
    if port_change and not (
            isinstance(rec['port'], int) and
            not isinstance(rec['port'], bool) and
            0 < rec['port'] < 65536 and rec['proto'] == 'tcp'):
        ck.check(False, 'bad port or proto: %r' % (line,))
    names = rec.get('names')
    if 'names' in rec and not (
            isinstance(names, list) and names and
            all(isinstance(x, str) and x for x in names) and
            names == sorted(set(names))):
        ck.check(False, '"names" not a list of names, sorted and distinct: '
                 '%r' % (line,))
    return True


def read_ndjson(ck, path, changes=None):
    """parse_ndjson() of a file."""
    with open(path, errors='backslashreplace') as f:
        text = f.read()
    return parse_ndjson(ck, Run([path], 0, text, '', 0), changes=changes)


_svc_cache = {}
_nmap_names = None


def nmap_service(port):
    """nmap's name of port from the project's data/tcp-service-names.txt,
    or None."""
    global _nmap_names
    if _nmap_names is None:
        _nmap_names = {}
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            '..', '..', 'data', 'tcp-service-names.txt')
        with open(path, encoding='ascii') as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    p, name = line.split('\t')
                    _nmap_names[int(p)] = name
    return _nmap_names.get(port)


def service(port):
    """The name trawl gives port: nmap's, else the system's."""
    if port not in _svc_cache:
        name = nmap_service(port)
        if name is None:
            try:
                name = socket.getservbyport(port, 'tcp')
            except OSError:
                name = None
        _svc_cache[port] = name
    return _svc_cache[port]


def compare(ck, recs, truth, states=STATES, names=None, what=''):
    """recs must be exactly the pairs of truth whose state is in states,
    one record per (ip, port, name); names maps ip -> list of names (absent:
    no "host" key).  Also checks grouping by host and port order."""
    names = names or {}
    want = {}
    for (ip, port), st in truth.state.items():
        if st not in states:
            continue
        for n in names.get(ip, [None]):
            want[(ip, port, n)] = (st, truth.reasons[(ip, port)])
    got = {}
    dups = []
    for r in recs:
        k = (r['ip'], r['port'], r.get('host'))
        if k in got:
            dups.append(k)
        got[k] = (r['state'], r['reason'])
    ck.check(not dups, '%d duplicate records (%s), e.g. %r'
             % (len(dups), what, dups[:5]))
    missing = sorted(set(want) - set(got), key=str)
    extra = sorted(set(got) - set(want), key=str)
    wrong = sorted((k for k in set(want) & set(got)
                    if got[k][0] != want[k][0]
                    or got[k][1] not in want[k][1]), key=str)
    ck.check(not missing, '%d expected records missing (%s), e.g. %r'
             % (len(missing), what,
                [(k, want[k][0]) for k in missing[:10]]))
    ck.check(not extra, '%d unexpected records (%s), e.g. %r'
             % (len(extra), what, [(k, got[k]) for k in extra[:10]]))
    ck.check(not wrong, '%d records with the wrong state/reason (%s), e.g. %r'
             % (len(wrong), what,
                [(k, 'got', got[k], 'want', want[k][0], sorted(want[k][1]))
                 for k in wrong[:10]]))
    by_state = {}
    for k in got:
        by_state[got[k][0]] = by_state.get(got[k][0], 0) + 1
    log('  compared %d records with %d expected: %s; %d missing, %d extra, '
        '%d wrong' % (len(got), len(want), by_state, len(missing),
                      len(extra), len(wrong)))
    check_grouping(ck, recs, what)


def check_grouping(ck, recs, what=''):
    """A host's records are contiguous, its ports ascending (one line per
    name for a port reached by several names)."""
    seen_done = set()
    cur = None
    last_port = None
    bad = []
    for r in recs:
        ip = r['ip']
        if ip != cur:
            if ip in seen_done:
                bad.append('host %s split into several groups' % ip)
            if cur is not None:
                seen_done.add(cur)
            cur, last_port = ip, None
        elif last_port is not None and r['port'] < last_port:
            bad.append('%s: port %d after %d' % (ip, r['port'], last_port))
        last_port = r['port']
    ck.check(not bad, 'output not grouped by host with ascending ports (%s):'
             ' %r' % (what, bad[:5]))


def check_summary(ck, run_, counts, probes=None, only_line=True):
    """The summary is the last stderr line; its counts equal the truth."""
    # A machine whose hard open-file limit is below -c says so; that line
    # is the environment's, not the test's.
    lines = [l for l in run_.err_lines
             if not l.startswith('trawl: concurrency lowered to ')]
    if only_line:
        ck.check(len(lines) == 1, 'stderr should be just the summary line, '
                 'got %r (%s)' % (lines[:10], run_.cmd))
    if not ck.check(lines, 'no summary line on stderr (%s)' % run_.cmd):
        return
    m = SUMMARY_RE.match(lines[-1])
    if not ck.check(m, 'summary line does not match the contract: %r'
                    % lines[-1]):
        return
    got = [int(x) for x in m.group(1, 2, 3, 4, 5)]
    if probes is None:
        probes = sum(counts.values())
    want = [probes] + [counts[s] for s in STATES]
    ck.check(got == want, 'summary counts %r, ground truth %r (probes, open, '
             'closed, filtered, unreachable): %r' % (got, want, lines[-1]))


TEXT_HOST_RE = re.compile(r'^(?:(?P<names>.+) \((?P<ip1>[^()]+)\)|'
                          r'(?P<ip2>[0-9a-fA-F.:]+))$')


NOT_SHOWN_RE = re.compile(r'^  Not shown: (.*)$')
NOT_SHOWN_PART_RE = re.compile(r'^(\d+) (\S+) tcp ports? \(([^()]*)\)$')
# nmap's formats list a state's ports only when a host has this many or
# fewer (open ports always); more are counted (output.h: OUT_FEW).
FEW = 25


def parse_text(ck, text, what='', not_shown=None):
    """Text output -> {host line: [(port, state, service, line)]}.

    Blocks are a host line, what is not shown (a "Not shown:" line, into
    not_shown[host line] as {state: (count, [reasons])} when given), its
    port lines, and a blank line."""
    hosts = {}
    blocks = text.split('\n\n')
    if text:
        ck.check(text.endswith('\n\n'),
                 'text output should end with a blank line after the last '
                 'host (%s)' % what)
    for b in blocks:
        lines = [l for l in b.split('\n')]
        while lines and lines[-1] == '':
            lines.pop()
        if not lines:
            continue
        head, ports = _sorted_names(lines[0]), lines[1:]
        ck.check(TEXT_HOST_RE.match(head), 'bad host line %r (%s)'
                 % (head, what))
        ck.check(head not in hosts, 'host %r appears twice (%s)'
                 % (head, what))
        extra = {}
        m = NOT_SHOWN_RE.match(ports[0]) if ports else None
        if m:
            ports = ports[1:]
            for part in m.group(1).split(', ') if '), ' not in \
                    m.group(1) else re.split(r'(?<=\)), ', m.group(1)):
                pm = NOT_SHOWN_PART_RE.match(part)
                if not ck.check(pm, 'bad "Not shown" part %r under %r (%s)'
                                % (part, head, what)):
                    continue
                reasons = [r.split(' ')[-1] for r in pm.group(3).split(', ')]
                extra[pm.group(2)] = (int(pm.group(1)), reasons)
        if not_shown is not None:
            not_shown[head] = extra
        ck.check(ports or extra, 'host %r has neither port lines nor a '
                 '"Not shown" line (%s)' % (head, what))
        entries = []
        for l in ports:
            m = re.match(r'^  (\d+)/tcp +(\S+)(?: +(\S.*))?$', l)
            if not ck.check(m, 'bad port line %r under %r (%s)'
                            % (l, head, what)):
                continue
            entries.append((int(m.group(1)), m.group(2), m.group(3), l))
        hosts[head] = entries
    return hosts


def _sorted_names(head):
    """The names of a host line in sorted order (the contract does not say
    in which order several names come)."""
    m = TEXT_HOST_RE.match(head)
    if not m or not m.group('names'):
        return head
    return '%s (%s)' % (', '.join(sorted(m.group('names').split(', '))),
                        m.group('ip1'))


def text_port_line(port, state, svc):
    """The contract's layout: port column %-9s, state %-8s, service
    ("unknown" when nobody names the port, as nmap says).

    ("unreachable" is wider than 8: the contract cannot mean it to run into
    the service, so one space is taken to separate them there.)"""
    col = '%-8s' % state if len(state) < 8 else state + ' '
    return ('  %-9s %s%s' % ('%d/tcp' % port, col, svc or 'unknown')).rstrip()


def nmap_picture(truth, states, explicit):
    """What a format with nmap's picture shows of truth, listing states:
    {ip: (listed [(port, state)], {state: count} not listed)} for every
    host shown -- those that answered (open or closed), and with
    explicit --states those that never did if one of their states is
    listed.  A state other than open is listed only with FEW ports or
    fewer on the host."""
    return picture_of(truth.state, states, explicit)


def picture_of(state_of, states, explicit):
    """nmap_picture() of {(ip, port): state}."""
    per = {}
    for (ip, port), st in state_of.items():
        per.setdefault(ip, {}).setdefault(st, []).append(port)
    out = {}
    for ip, by in per.items():
        listed, extra = [], {}
        for st, ports in by.items():
            if st in states and (st == 'open' or len(ports) <= FEW):
                listed += [(p, st) for p in ports]
            else:
                extra[st] = len(ports)
        up = 'open' in by or 'closed' in by
        down_shown = explicit and any(st in states for st in
                                      ('filtered', 'unreachable')
                                      if st in by)
        if up or listed or down_shown:
            out[ip] = (sorted(listed), extra)
    return out


def xml_view(picture):
    """A picture in nmap's XML words: unreachable is filtered, listed or
    counted.  {ip: (sorted [(port, state)], {state: count})}."""
    out = {}
    for ip, (listed, extra) in picture.items():
        ex = {}
        for st, n in extra.items():
            st = 'filtered' if st == 'unreachable' else st
            ex[st] = ex.get(st, 0) + n
        out[ip] = (sorted((p, 'filtered' if st == 'unreachable' else st)
                          for p, st in listed), ex)
    return out


def xml_picture(root):
    """What an nmap XML document (ElementTree root) shows: {ip: (sorted
    [(port, state)], {state: count} of its <extraports>)}."""
    out = {}
    for h in root.findall('host'):
        ip = h.find('address').get('addr')
        listed = sorted((int(p.get('portid')), p.find('state').get('state'))
                        for p in h.findall('ports/port'))
        extra = {e.get('state'): int(e.get('count'))
                 for e in h.findall('ports/extraports')}
        out[ip] = (listed, extra)
    return out


def check_text(ck, text, truth, states=('open',), names=None, what='',
               explicit=None):
    """Text output holds exactly what nmap's picture of truth shows with
    states listed (explicit: given with --states; by default, unless
    states is just open): each host line, its "Not shown" counts, its
    ports ascending, laid out per the contract."""
    names = names or {}
    if explicit is None:
        explicit = tuple(states) != ('open',)
    not_shown = {}
    hosts = parse_text(ck, text, what, not_shown)
    want = {}
    for ip, (listed, extra) in nmap_picture(truth, states, explicit).items():
        n = names.get(ip)
        head = '%s (%s)' % (', '.join(sorted(n)), ip) if n else ip
        want[head] = (ip, listed, extra)
    ck.check(set(hosts) == set(want),
             'text host lines differ (%s): missing %r, extra %r'
             % (what, sorted(set(want) - set(hosts))[:10],
                sorted(set(hosts) - set(want))[:10]))
    layout_bad = []
    for head in set(hosts) & set(want):
        ip, listed, extra = want[head]
        got = [(p, s) for p, s, _, _ in hosts[head]]
        ck.check(got == listed,
                 'ports under %r: got %r, want %r (%s)'
                 % (head, got[:20], listed[:20], what))
        counts = {st: c for st, (c, _) in not_shown[head].items()}
        ck.check(counts == extra, '"Not shown" under %r: got %r, want %r '
                 '(%s)' % (head, counts, extra, what))
        for st, (c, reasons) in not_shown[head].items():
            allowed = [truth.reasons[pair] for pair, s2 in
                       truth.state.items() if pair[0] == ip and s2 == st]
            bad = [r for r in reasons if not any(r in a for a in allowed)]
            ck.check(not bad, '"Not shown" reasons %r of %s under %r: not '
                     'in the ground truth (%s)' % (bad, st, head, what))
        for p, s, svc, line in hosts[head]:
            want_svc = service(p) or 'unknown'
            ck.check(svc == want_svc, 'service of %d/tcp under %r: %r, '
                     'want %r' % (p, head, svc, want_svc))
            if line.rstrip() != text_port_line(p, s, service(p)):
                layout_bad.append((line, text_port_line(p, s, service(p))))
    ck.check(not layout_bad, '%d text port lines not in the contract layout '
             '"  %%-9s %%-8s%%s" (%s), e.g. got/want %r'
             % (len(layout_bad), what, layout_bad[:3]))


def seed_from_env(default):
    s = int(os.environ.get('TRAWL_E2E_SEED', default))
    log('random seed %d (set TRAWL_E2E_SEED to change)' % s)
    return s


def real_trawl_path():
    """The program under test itself, never a wrapper script."""
    if len(sys.argv) < 2:
        hard_error('usage: %s PATH-TO-TRAWL' % sys.argv[0])
    p = os.path.abspath(sys.argv[1])
    if not os.access(p, os.X_OK):
        hard_error('%s is not an executable' % p)
    return p


def trawl_path():
    """What to run as trawl: the program, or a script that runs it under
    TRAWL_WRAPPER (see trawlwrap.py)."""
    return trawlwrap.wrap(real_trawl_path())


def esc_bytes(b, keep_utf8=True, extra=b'', backslash=True):
    """The C escapers' rule: valid UTF-8 kept (with keep_utf8), but
    controls, DEL, C1, U+FFFE, U+FFFF, backslash (with backslash: the
    output formats; log lines keep it) and the bytes of extra as \\xNN,
    and invalid UTF-8 too, byte by byte."""
    out, i = [], 0
    while i < len(b):
        c = b[i]
        n = (1 if c < 0x80 else 2 if 0xc2 <= c <= 0xdf else
             3 if 0xe0 <= c <= 0xef else 4 if 0xf0 <= c <= 0xf4 else 0)
        try:
            ch = b[i:i + n].decode('utf-8') if n else ''
        except UnicodeDecodeError:
            ch = ''
        if len(ch) != 1:
            out.append('\\x%02x' % c)
            i += 1
            continue
        cp = ord(ch)
        if (cp < 0x20 or 0x7f <= cp <= 0x9f or cp in (0xfffe, 0xffff) or
                (backslash and ch == '\\') or
                (cp < 0x80 and bytes([cp]) in extra) or
                (cp >= 0x80 and not keep_utf8)):
            out.append(''.join('\\x%02x' % x for x in b[i:i + n]))
        else:
            out.append(ch)
        i += n
    return ''.join(out)
