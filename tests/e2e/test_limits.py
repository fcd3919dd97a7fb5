#!/usr/bin/env python3
"""Issue 7, points 1-3: trawl short of descriptors, short of local ports,
and in front of an accept queue that overflows.  Ground truth compared
exactly every time.

(1) RLIMIT_NOFILE soft and hard 64, set with setrlimit() in trawl's own
    process (no shell), and -c 10000: trawl says "concurrency lowered to N
    (open file limit 64)" and 3000 probes come out exact.  Beyond the plain
    case of test_pressure.py (a), the 64 descriptors must also hold 32
    reactor threads (-T 32), five outputs at once, targets that are names
    read from an -i file and resolved through a private /etc/hosts, and a
    resume file: every output is checked.
(2) The namespace's ephemeral range narrowed to 40000-40099, and every port
    of it bound by the test: connect() then finds no local port and fails
    with EADDRNOTAVAIL (a reference connect() confirms it; strace counts
    trawl's when it can).  A narrowed range alone never runs out on
    loopback -- the kernel shares a local port among connections to
    different destinations, so test_pressure.py (c) never meets
    EADDRNOTAVAIL -- hence the blockade.
    (a) Lifted once trawl has said twice (--stats-every 1) that it is
        scanning and has no probe done: it sent no SYN while the blockade
        lasted, waited it out, and reports all 3000 listening ports open,
        none closed or unreachable.
    (b) Never lifted: trawl gives up after three timeouts and at least
        10 s, exit 1, saying why, with the rest saved; --resume after the
        blockade completes the scan exactly.
(3) A listener with listen(1) and a full accept queue that is never
    accepted from: the kernel drops every SYN to it (TcpExtListenOverflows
    counts each drop, in this namespace only), so a connect() to it stays
    unanswered.  Precisely:
    - queue full throughout: the port is filtered (no-response) with any
      --retries, and exactly retries+1 SYNs were dropped (only silence is
      retried, each attempt once);
    - queue drained by the test right after the K-th drop: the port is open
      (syn-ack) if --retries >= K, else filtered, and exactly
      min(K, retries+1) SYNs were dropped.
    The other ports of the same scan stay exact.
"""
import csv
import errno
import io
import os
import random
import re
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-limits')
rng = random.Random(netns.seed_from_env(7001))
tmp = tempfile.mkdtemp(prefix='trawl-e2e-limits.')

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 3400:
    netns.skip('this test needs 3400 descriptors for its listeners; the '
               'limit is %d' % soft)

CLAMP_RE = re.compile(r'^trawl: concurrency lowered to (\d+) '
                      r'\(open file limit (\d+)\)$')
STOPPED = 'trawl: stopped; to continue: trawl --resume %s with the same ' \
          'arguments'


def run_limited(argv, limit, wrap=None, timeout=90):
    """Run argv with RLIMIT_NOFILE (limit, limit) set in the child itself
    (inherited through wrap, if any)."""
    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    full = (wrap or []) + list(argv)
    netns.log('+ %s  # RLIMIT_NOFILE %d/%d' % (' '.join(argv), limit, limit))
    t0 = time.monotonic()
    try:
        r = subprocess.run(full, capture_output=True, text=True,
                           errors='backslashreplace', timeout=timeout,
                           preexec_fn=lower)
    except subprocess.TimeoutExpired:
        ck.check(False, 'trawl did not finish within %d s: %s'
                 % (timeout, ' '.join(argv)))
        return netns.Run(argv, None, '', '', timeout)
    el = time.monotonic() - t0
    netns.log('  exit %s in %.2f s, stderr: %s'
              % (r.returncode, el, r.stderr.strip()[-600:] or '(empty)'))
    return netns.Run(argv, r.returncode, r.stdout, r.stderr, el)


def private_hosts(text):
    """A prefix that runs a command with a private /etc/hosts holding
    text, or None (and the reason)."""
    path = os.path.join(tmp, 'hosts')
    with open(path, 'w') as f:
        f.write(text)
    wrap = ['unshare', '-m', '--', 'sh', '-c',
            'mount --bind "$0" /etc/hosts && exec "$@"', path]
    r = subprocess.run(wrap + ['true'], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    return wrap, None


def check_clamp(r, what):
    clamp = [m for m in map(CLAMP_RE.match, r.err_lines) if m]
    if not ck.check(len(clamp) == 1, '%s: want one "trawl: concurrency '
                    'lowered to N (open file limit 64)" line, stderr: %r'
                    % (what, r.err)):
        return
    n, lim = int(clamp[0].group(1)), int(clamp[0].group(2))
    # valgrind keeps a few descriptors for itself and shows its client a
    # lower limit.
    ck.check(lim == 64 or (netns.WRAPPED and 32 <= lim < 64),
             '%s: the line names open file limit %d, the limit is 64'
             % (what, lim))
    ck.check(1 <= n < lim, '%s: concurrency lowered to %d, not below the '
             'limit %d' % (what, n, lim))
    netns.log('  %s: concurrency lowered to %d (open file limit %d)'
              % (what, n, lim))


lst = netns.Listeners()

# --- (1) 64 descriptors ------------------------------------------------------

IPS1 = ['127.0.4.%d' % i for i in range(1, 5)]
PORTS1 = list(range(27000, 27750))
PSPEC1 = '27000-27749'
listen1 = set()
for ip in IPS1:
    for port in rng.sample(PORTS1, 40):
        if lst.add(ip, port) is not None:
            listen1.add((ip, port))
drop1 = set(rng.sample(sorted(listen1), 3))
drop1 |= set(rng.sample(sorted((i, p) for i in IPS1 for p in PORTS1), 6))
netns.nft_drop(drop1)

# --- (2) listeners: 3000 open ports on 127.0.0.1 ----------------------------

PORTS2 = list(range(20000, 23000))
for port in PORTS2:
    if lst.add('127.0.0.1', port) is None:
        netns.hard_error('127.0.0.1:%d taken in a fresh namespace' % port)

# --- (3) ordinary listeners beside the overflowing one ----------------------

PORTS3 = list(range(31000, 31100))
OVER = 31050
listen3 = {('127.0.0.1', p) for p in
           rng.sample([p for p in PORTS3 if p != OVER], 10)}
for ip, port in listen3:
    lst.add(ip, port)
lst.start()

truth1 = netns.Truth().build(IPS1, PORTS1, listen1, drop1)
netns.log('(1) ground truth: %s' % truth1.counts())
truth1.self_check()

FAST = ['-t', '300', '--retries', '1']

# (1a) the plain case, setrlimit in the child.
r = run_limited([trawl, '-f', 'ndjson', '--states', 'all', *FAST,
                 '-c', '10000', '-p', PSPEC1, '127.0.4.1-4'], 64)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
check_clamp(r, '64 descriptors')
netns.compare(ck, netns.parse_ndjson(ck, r), truth1, what='64 descriptors')
netns.check_summary(ck, r, truth1.counts(), only_line=False)

# (1b) 32 threads, five outputs, names from an -i file through /etc/hosts,
# a resume file: all in 64 descriptors.
NAMES1 = {'127.0.4.1': ['lim1.trawl.test', 'lim1b.trawl.test'],
          '127.0.4.2': ['lim2.trawl.test'],
          '127.0.4.3': ['lim3.trawl.test'],
          '127.0.4.4': ['lim4.trawl.test']}
HOSTS_WRAP, why = private_hosts(
    '127.0.0.1 localhost\n' +
    ''.join('%s %s\n' % (ip, ' '.join(n)) for ip, n in NAMES1.items()))
if HOSTS_WRAP is None:
    ck.cannot_run('no private /etc/hosts in a mount namespace (%s): the '
                  '64-descriptor run with names, threads and five outputs '
                  'did not run' % why)
else:
    targets = os.path.join(tmp, 'targets')
    with open(targets, 'w') as f:
        f.write('# names only\n' + ''.join(
            n + '\n' for ns in NAMES1.values() for n in ns))
    outs = {f: os.path.join(tmp, 'b.' + f)
            for f in ('ndjson', 'xml', 'csv', 'grep', 'text')}
    resume = os.path.join(tmp, 'b.resume')
    argv = [trawl, '--states', 'all', *FAST, '-c', '10000', '-T', '32',
            '--resume', resume, '-p', PSPEC1, '-i', targets]
    for f, path in outs.items():
        argv += ['-o', '%s:%s' % (f, path)]
    r = run_limited(argv, 64, wrap=HOSTS_WRAP)
    what = '64 descriptors, -T 32, five outputs, names'
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    ck.check(r.out == '', '%s: stdout not empty: %r' % (what, r.out[:200]))
    check_clamp(r, what)
    ck.check(not os.path.exists(resume), '%s: the scan completed but the '
             'resume file is left' % what)
    data = {}
    for f, path in outs.items():
        if ck.check(os.path.exists(path), '%s: %s not written'
                    % (what, path)):
            with open(path, 'rb') as fh:
                data[f] = fh.read()
    nrec = sum(len(v) for v in NAMES1.values()) * len(PORTS1)
    if 'ndjson' in data:
        recs = netns.parse_ndjson(ck, r, where=data['ndjson'].decode())
        netns.compare(ck, recs, truth1, names=NAMES1, what=what + ' ndjson')
        netns.check_summary(ck, r, truth1.counts(), only_line=False)
        if 'csv' in data:
            rows = list(csv.reader(io.StringIO(data['csv'].decode(),
                                               newline='')))
            got = sorted((row[0], int(row[1]), row[3], row[4])
                         for row in rows[1:])
            want = sorted((x['ip'], x['port'], x['state'], x['host'])
                          for x in recs)
            ck.check(rows[:1] == [list(netns.KEY_ORDER)] and got == want,
                     '%s: the CSV is not the NDJSON row for row (%d rows, '
                     '%d records)' % (what, len(rows) - 1, len(recs)))
    if 'xml' in data:
        x = subprocess.run(['xmllint', '--noout', outs['xml']],
                           capture_output=True, text=True) \
            if shutil.which('xmllint') else None
        ck.check(x is None or x.returncode == 0, '%s: XML not well-formed: '
                 '%s' % (what, x and x.stderr[-500:]))
        try:
            root = ET.fromstring(data['xml'])
            got = netns.xml_picture(root)
            want = netns.xml_view(netns.nmap_picture(truth1, netns.STATES,
                                                     True))
            bad = sorted(ip for ip in set(got) | set(want)
                         if got.get(ip) != want.get(ip))
            ck.check(not bad, '%s: XML differs from nmap\'s picture of the '
                     'ground truth for %d hosts, e.g. %r: got %r, want %r'
                     % (what, len(bad), bad[:1], [got.get(i) for i in
                                                  bad[:1]],
                        [want.get(i) for i in bad[:1]]))
            fin = root.find('runstats/finished').attrib
            ck.check(fin.get('exit') == 'success', '%s: XML finished %r'
                     % (what, fin))
        except ET.ParseError as e:
            ck.check(False, '%s: XML does not parse: %s' % (what, e))
    if 'grep' in data:
        items = sum(line.split('\tPorts: ', 1)[1].count('/tcp/')
                    for line in data['grep'].decode().splitlines()
                    if '\tPorts: ' in line)
        # A Ports line per name; a state of more than FEW ports on a host
        # is counted, not listed, as nmap's picture has it.
        listed = sum(len(listed) * len(NAMES1.get(ip, [None]))
                     for ip, (listed, _) in netns.nmap_picture(
                         truth1, netns.STATES, True).items())
        ck.check(items == listed, '%s: grepable output has %d port items, '
                 'want %d' % (what, items, listed))
    if 'text' in data:
        netns.check_text(ck, data['text'].decode(), truth1,
                         states=netns.STATES, names=NAMES1,
                         what=what + ' text')

# (1c) A tiny limit and several threads: fewer threads, each with a
# socket, or at once a message naming the limit; never threads that wait
# for a descriptor until the scan gives up.  (Not under valgrind, which
# needs descriptors of its own.)
if not netns.WRAPPED or netns.trawlwrap.DROPS_PRIVILEGES:
    # The wrapper itself, not the script around it: a shell cannot open a
    # script under a limit of 8 (dash moves it to descriptor 10).
    tiny = [*netns.trawlwrap.argv(), netns.real_trawl_path(), '-T', '4',
            '-f', 'ndjson', '--states', 'all', *FAST, '-p', PSPEC1,
            '127.0.4.1-4']
    r = run_limited(tiny, 8)
    ck.check(r.rc == 0 and any(re.match(r'^trawl: threads lowered to [1-3] '
                                        r'\(open file limit 8\)$', line)
                               for line in r.err_lines),
             'RLIMIT_NOFILE 8, -T 4: want exit 0 and "threads lowered to '
             'N": exit %r, %r' % (r.rc, r.err))
    netns.compare(ck, netns.parse_ndjson(ck, r), truth1, what='8 '
                  'descriptors, -T 4')
    resume = os.path.join(tmp, 'tiny.resume')
    r = run_limited([*tiny, '--resume', resume], 4)
    ck.check(r.rc == 1 and r.out == '' and len(r.err_lines) == 1 and
             r.err_lines[0].startswith('trawl: the open file limit (4, ') and
             r.err_lines[0].endswith(' in use) leaves no descriptor for a '
                                     'connection: raise it (ulimit -n)') and
             not os.path.exists(resume),
             'RLIMIT_NOFILE 4: want exit 1 at once, one line naming the '
             'limit, no resume file: exit %r, %r' % (r.rc, r.err))
else:
    netns.log('(1c) not under valgrind: the 4 and 8 descriptor runs need '
              'the descriptors valgrind keeps (the plain build runs them)')

# --- (2) no local port ---------------------------------------------------------

netns.set_local_port_range(40000, 40099)
truth2 = netns.Truth().build(['127.0.0.1'], PORTS2,
                             {('127.0.0.1', p) for p in PORTS2}, set())
netns.log('(2) ground truth: %s' % truth2.counts())


def nft_syn_counter():
    why = netns.syn_counter('trawllimits', 'ip daddr 127.0.0.1 tcp dport '
                            '20000-22999')
    if why is not None:
        netns.hard_error('nft: ' + why)


def syns():
    return netns.syn_count('trawllimits')


def blockade():
    """Bind every ephemeral port; confirm that connect() now fails with
    EADDRNOTAVAIL."""
    socks = []
    for port in range(40000, 40100):
        s = socket.socket()
        s.bind(('127.0.0.1', port))
        socks.append(s)
    c = socket.socket()
    err = c.connect_ex(('127.0.0.1', PORTS2[0]))
    c.close()
    if err != errno.EADDRNOTAVAIL:
        netns.hard_error('with every ephemeral port bound, connect() says '
                         '%s, not EADDRNOTAVAIL' % errno.errorcode.get(err,
                                                                      err))
    return socks


def lift(socks):
    for s in socks:
        s.close()


# strace, if it works here, counts trawl's EADDRNOTAVAIL (trawl does not
# report its local waits).  Not under a wrapper: strace would trace it.
STRACE = None
if shutil.which('strace') and not netns.WRAPPED:
    if subprocess.run(['strace', '-f', '-qq', '-o', '/dev/null', 'true'],
                      capture_output=True).returncode == 0:
        STRACE = os.path.join(tmp, 'strace')

nft_syn_counter()
# The blockade lasts until trawl has printed two progress lines, each
# saying that no probe is done: it has then been scanning for two seconds
# of its own clock, trying for a local port, far from the 10 s after which
# it gives up ((2b)).
argv = [trawl, '-f', 'ndjson', '--states', 'all', '-t', '300',
        '--stats-every', '1', '-p', '20000-22999', '127.0.0.1']
socks = blockade()
netns.log('(2a) every ephemeral port bound (reference connect: '
          'EADDRNOTAVAIL); lifted after two progress lines')
netns.log('+ ' + ' '.join(argv))
t0 = time.monotonic()
pre = ['strace', '-f', '-qq', '-e', 'trace=connect', '-e', 'status=failed',
       '-o', STRACE] if STRACE else []
p = subprocess.Popen(pre + argv, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True,
                     env=netns.NO_LSAN_ENV if STRACE else None)
err_lines, out_parts = [], []
readers = [threading.Thread(target=lambda: err_lines.extend(p.stderr)),
           threading.Thread(target=lambda: out_parts.append(p.stdout.read()))]
for t in readers:
    t.start()
IDLE = 'trawl: progress: 0/3000 probes '
netns.poll_until(lambda: sum(l.startswith(IDLE) for l in err_lines) >= 2,
                 p)
running = p.poll() is None
n_syn = syns()
lift(socks)
netns.log('  blockade lifted after %.2f s; trawl said: %s'
          % (time.monotonic() - t0, ' | '.join(l.rstrip() for l in
                                                 err_lines)))
try:
    p.wait(timeout=90)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    ck.check(False, 'trawl did not finish after the blockade was lifted')
for t in readers:
    t.join()
out, err = ''.join(out_parts), ''.join(err_lines)
el = time.monotonic() - t0
netns.log('  exit %r in %.2f s, stderr: %s' % (p.returncode, el,
                                               err.strip()[-600:]))
ck.check(running, 'trawl ended during the blockade (exit %r): it must wait '
         'for a local port, not give up or report states' % p.returncode)
ck.check(n_syn == 0, '%d SYNs left during the blockade: the harness did '
         'not block connect()' % n_syn)
r = netns.Run(argv, p.returncode, out, err, el)
ck.check(r.rc == 0, 'exit %r, want 0: %s (blockade lifted)' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth2,
              what='no local port for two progress lines')
netns.check_summary(ck, r, truth2.counts(), only_line=False)
if STRACE:
    with open(STRACE) as f:
        waits = sum('EADDRNOTAVAIL' in line for line in f)
    netns.log('  strace: %d connect() calls failed with EADDRNOTAVAIL and '
              'were waited out' % waits)
    ck.check(waits > 0, 'strace saw no connect() fail with EADDRNOTAVAIL '
             'during the blockade')
else:
    netns.log('  (strace not used: trawl does not report its local waits)')

# (2b) a blockade that outlasts trawl's patience, then --resume.
out_b = os.path.join(tmp, 'blocked.ndjson')
res_b = os.path.join(tmp, 'blocked.resume')
argv = [trawl, '-f', 'ndjson', '--states', 'all', '-t', '300', '-o', out_b,
        '--resume', res_b, '-p', '20000-22999', '127.0.0.1']
socks = blockade()
netns.log('(2b) every ephemeral port bound until trawl gives up')
r = netns.run(argv, timeout=90)
lift(socks)
ck.check(r.rc == 1, 'exit %r, want 1 when no connection can be opened for '
         'a long time: %s' % (r.rc, r.cmd))
ck.check(r.elapsed is not None and r.elapsed >= 9.5,
         'trawl gave up after %.1f s, want at least 10 s' % r.elapsed)
why = os.strerror(errno.EADDRNOTAVAIL)
ck.check(any(line.startswith('trawl: ') and why in line
             for line in r.err_lines),
         'no error line saying %r: %r' % (why, r.err))
ck.check(STOPPED % res_b in r.err_lines, 'no %r line: %r'
         % (STOPPED % res_b, r.err))
ck.check(os.path.exists(res_b), 'the rest of the scan was not saved to %s'
         % res_b)
r = netns.run(argv, timeout=90)
ck.check(r.rc == 0, 'exit %r, want 0: %s (resumed after the blockade)'
         % (r.rc, r.cmd))
ck.check(not os.path.exists(res_b), 'the scan completed but %s is left'
         % res_b)
with open(out_b) as f:
    netns.compare(ck, netns.parse_ndjson(ck, r, where=f.read()), truth2,
                  what='given up, then resumed')

# --- (3) an accept queue that overflows -----------------------------------------


def listen_overflows():
    with open('/proc/net/netstat') as f:
        lines = f.read().splitlines()
    for keys, vals in zip(lines[::2], lines[1::2]):
        if keys.startswith('TcpExt:'):
            return dict(zip(keys.split()[1:],
                            map(int, vals.split()[1:])))['ListenOverflows']
    netns.hard_error('no TcpExt ListenOverflows in /proc/net/netstat')


over = socket.socket()
over.bind(('127.0.0.1', OVER))
over.listen(1)
held = []


def fill():
    """Connect to the overflowing listener until a connect()'s SYN is
    dropped there (ListenOverflows counts it) instead of answered: its
    accept queue is then full.  That connect() is given up before its SYN
    is sent again, so no later drop of it can be counted in a scan."""
    while True:
        before = listen_overflows()
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(('127.0.0.1', OVER))
        w = select.poll()
        w.register(c, select.POLLOUT)
        netns.poll_until(lambda: w.poll(0) or listen_overflows() > before,
                         timeout=30)
        if listen_overflows() > before:
            c.close()
            break
        if not w.poll(0) or c.getsockopt(socket.SOL_SOCKET,
                                         socket.SO_ERROR) != 0:
            netns.hard_error('a connect() to the listen(1) queue was neither'
                             ' answered nor dropped there')
        held.append(c)
        if len(held) > 16:
            netns.hard_error('listen(1) queue never filled')


def drain_all():
    over.setblocking(False)
    while True:
        try:
            c, _ = over.accept()
        except BlockingIOError:
            break
        c.close()
    over.setblocking(True)
    while held:
        held.pop().close()


fill()
netns.log('(3) 127.0.0.1:%d: listen(1), queue full (%d connections), never '
          'accepted' % (OVER, len(held)))


def scan3(retries, timeout, drain_after=None):
    """One scan of PORTS3; returns (the record of OVER, SYNs dropped)."""
    base = listen_overflows()
    stop = threading.Event()
    drained = []

    def drainer():
        while listen_overflows() - base < drain_after:
            if stop.wait(0.003):
                return
        drained.append(time.monotonic())
        over.setblocking(False)
        while not stop.is_set():
            try:
                c, _ = over.accept()
                c.close()
            except BlockingIOError:
                time.sleep(0.003)
        over.setblocking(True)

    th = None
    if drain_after is not None:
        th = threading.Thread(target=drainer)
        th.start()
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', '-t',
                   str(timeout), '--retries', str(retries), '-p',
                   '31000-31099', '127.0.0.1'])
    dropped = listen_overflows() - base
    stop.set()
    if th is not None:
        th.join()
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    recs = netns.parse_ndjson(ck, r)
    rest = [x for x in recs if x['port'] != OVER]
    t = netns.Truth().build(['127.0.0.1'], [p for p in PORTS3 if p != OVER],
                            listen3, set())
    netns.compare(ck, rest, t, what='ports beside the full queue')
    mine = [x for x in recs if x['port'] == OVER]
    ck.check(len(mine) == 1, 'want one record of port %d, got %r'
             % (OVER, mine))
    drain_all()
    fill()
    return (mine[0] if mine else {}), dropped


for retries in (0, 3):
    rec, dropped = scan3(retries, 300)
    what = 'full queue, --retries %d' % retries
    ck.check((rec.get('state'), rec.get('reason')) == ('filtered',
                                                       'no-response'),
             '%s: port %d is %r, want filtered (no-response)'
             % (what, OVER, rec))
    ck.check(dropped == retries + 1, '%s: %d SYNs dropped at the full '
             'queue, want %d (one per attempt)' % (what, dropped,
                                                   retries + 1))
    netns.log('  %s: %s/%s after %d dropped SYNs'
              % (what, rec.get('state'), rec.get('reason'), dropped))

K = 2
for retries in (1, 2, 5):
    rec, dropped = scan3(retries, 600, drain_after=K)
    what = 'queue drained after %d drops, --retries %d' % (K, retries)
    want = (('open', 'syn-ack') if retries >= K else
            ('filtered', 'no-response'))
    ck.check((rec.get('state'), rec.get('reason')) == want,
             '%s: port %d is %r, want %s (%s)' % (what, OVER, rec, *want))
    ck.check(dropped == min(K, retries + 1), '%s: %d SYNs dropped, want %d'
             % (what, dropped, min(K, retries + 1)))
    netns.log('  %s: %s/%s after %d dropped SYNs'
              % (what, rec.get('state'), rec.get('reason'), dropped))

over.close()
lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
