#!/usr/bin/env python3
"""Issue 17: crash-safe sweeps -- checkpoints, exactly once after SIGKILL.

    python3 tests/e2e/test_crash.py /path/to/trawl /path/to/libcrashshim.so

In a private network namespace (unshare -n) holding only lo:

1. Chains of runs of one scan with --resume and --checkpoint 1, every
   output a file in its own format (NDJSON, CSV, grep, text, XML).  Each
   run is killed with SIGKILL at a random moment chosen from signs, not
   times: after its Nth checkpoint (the resume file replaced: a new
   inode), or after a random number of probes (the namespace's TCP
   ActiveOpens), then a random extra of up to half a second; then the
   same command again, until a run completes.  At least 30 runs are
   killed.  After each kill the resume file, if there is one, is whole
   (its "end" line).  At the end of each chain every output holds the
   ground truth exactly once: NDJSON and CSV record for record, grep and
   text host for host, and the XML is one document, valid against nmap's
   DTD, each host once with nmap's picture of it.  One chain has
   --baseline (and -o changes): no run killed before its last probe
   changes it, and the run that completes the chain compares all of it --
   the open ports of the runs before travel with the resume file -- so
   that the changes file holds exactly the changes from the baseline to
   the ground truth, and the baseline becomes the ground truth's open
   ports (issue 17).
2. A kill inside the checkpoint's own write (the shim: SIGKILL instead of
   the Nth rename() of the resume file, right after it, or at the Nth
   fsync() of its temporary file): the next runs still end exactly.
3. Outputs tampered with between runs -- grown, cut, replaced, edited,
   removed -- are refused with exit 2 and a message naming the file,
   which is left as it was; put back, the scan resumes exactly.
4. A full disk during a checkpoint (the shim fails the resume file's
   writes with ENOSPC): exit 1 with a message that says so, the previous
   checkpoint intact, and resuming from it ends exactly.

Exit 0 pass, 1 fail, 77 skip, 99 harness error.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-crash')
rng = random.Random(netns.seed_from_env(17017))
tmp = tempfile.mkdtemp(prefix='trawl-e2e-crash.')
SHIM = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None

if shutil.which('xmllint') is None:
    netns.skip('xmllint(1) not found (Debian package libxml2-utils)')
DTD = '/usr/share/nmap/nmap.dtd'
if not os.path.exists(DTD):
    netns.skip('%s not found (Debian package nmap-common)' % DTD)

# Sequential order: a group is a host, so checkpoints come often.  And a
# random order of many hosts and few ports: a group is a window of 64.
SEQ_IPS = ['127.0.9.%d' % i for i in range(1, 25)]
SEQ_PORTS = list(range(40000, 40150))
WIN_IPS = ['127.0.10.%d' % i for i in range(0, 256)]
WIN_PORTS = [40000, 40001]
lst = netns.Listeners()
for ip in SEQ_IPS:
    for port in rng.sample(SEQ_PORTS, 4):
        lst.add(ip, port)
for ip in rng.sample(WIN_IPS, 40):
    lst.add(ip, rng.choice(WIN_PORTS))
lst.start()
listening = set(lst.pairs)
seq_truth = netns.Truth().build(SEQ_IPS, SEQ_PORTS,
                                {p for p in listening if p[0] in SEQ_IPS},
                                set())
win_truth = netns.Truth().build(WIN_IPS, WIN_PORTS,
                                {p for p in listening if p[0] in WIN_IPS},
                                set())
netns.log('ground truth: sequential %s; windows %s'
          % (seq_truth.counts(), win_truth.counts()))
seq_truth.self_check()

STATES = ('open', 'closed')
FORMATS = ('ndjson', 'csv', 'grep', 'text', 'xml')
SCANS = {
    'seq': (seq_truth, ['--order', 'sequential', '--rate', '1500', '-p',
                        '40000-40149', '127.0.9.1-24']),
    'win': (win_truth, ['--rate', '250', '-p', '40000-40001',
                        '127.0.10.0/24']),
    # The same scan, slower: a run surely lives to its second checkpoint.
    'slow': (seq_truth, ['--order', 'sequential', '--rate', '600', '-p',
                         '40000-40149', '127.0.9.1-24']),
}
WANT_KILLS = 30
END_RE = re.compile(rb'\nend\n\Z')


def files_of(d):
    return {f: os.path.join(d, 'out.' + f) for f in FORMATS}


def argv_of(d, scan, extra=()):
    argv = [trawl, '--states', 'open,closed', '-t', '500', '--resume',
            os.path.join(d, 'scan.resume'), '--checkpoint', '1']
    for f, path in files_of(d).items():
        argv += ['-o', '%s:%s' % (f, path)]
    return argv + list(extra) + SCANS[scan][1]


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def ident(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


# --- what the outputs must hold --------------------------------------------

def check_ndjson(data, truth, what):
    seen = {}
    for line in data.decode().splitlines():
        r = json.loads(line)
        key = (r['ip'], r['port'])
        ck.check(key not in seen, '%s: NDJSON has %r twice' % (what, key))
        seen[key] = r['state']
    want = {k: v for k, v in truth.state.items() if v in STATES}
    bad = sorted(set(seen.items()) ^ set(want.items()))
    ck.check(not bad, '%s: NDJSON differs from the ground truth in %d '
             'records, e.g. %r' % (what, len(bad), bad[:4]))


def check_csv(data, truth, what):
    lines = data.decode().split('\r\n')
    ck.check(lines[0].startswith('ip,port,proto,state') and lines[-1] == ''
             and sum(1 for l in lines if l.startswith('ip,port')) == 1,
             '%s: CSV without one header first: %r' % (what, lines[:2]))
    seen = {}
    for line in lines[1:-1]:
        f = line.split(',')
        key = (f[0], int(f[1]))
        ck.check(key not in seen, '%s: CSV has %r twice' % (what, key))
        seen[key] = f[3]
    want = {k: v for k, v in truth.state.items() if v in STATES}
    bad = sorted(set(seen.items()) ^ set(want.items()))
    ck.check(not bad, '%s: CSV differs from the ground truth in %d rows, '
             'e.g. %r' % (what, len(bad), bad[:4]))


def picture(truth):
    return netns.xml_view(netns.picture_of(truth.state, STATES, True))


def check_xml(path, truth, what):
    x = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, path],
                       capture_output=True, text=True)
    if not ck.check(x.returncode == 0, '%s: not one valid nmap document: '
                    '%s' % (what, x.stderr.strip()[-600:])):
        return
    root = ET.parse(path).getroot()
    ips = [h.find('address').get('addr') for h in root.findall('host')]
    ck.check(len(ips) == len(set(ips)), '%s: XML hosts twice: %r'
             % (what, sorted({i for i in ips if ips.count(i) > 1})[:5]))
    got, want = netns.xml_picture(root), picture(truth)
    bad = sorted(ip for ip in set(got) | set(want)
                 if got.get(ip) != want.get(ip))
    ck.check(not bad, '%s: XML differs for %d hosts, e.g. %r: %r, want %r'
             % (what, len(bad), bad[:1], got.get(bad[0]) if bad else None,
                want.get(bad[0]) if bad else None))
    fin = root.find('runstats/finished')
    ck.check(fin is not None and fin.get('exit') == 'success',
             '%s: XML does not end with a successful runstats' % what)


def check_grep(data, truth, what):
    lines = data.decode().splitlines()
    ck.check(len(lines) >= 2 and lines[0].startswith('# trawl ') and
             sum(1 for l in lines if l.startswith('# trawl ') and
                 'scan initiated' in l) == 1 and
             lines[-1].startswith('# trawl done'),
             '%s: grep output not one header ... one trailer: %r %r'
             % (what, lines[:1], lines[-1:]))
    ports = {}
    for l in lines:
        m = re.match(r'^Host: (\S+) \(\S*\)\tPorts: (.*?)(?:\t|$)', l)
        if not m:
            continue
        ck.check(m.group(1) not in ports, '%s: grep Ports line twice for %s'
                 % (what, m.group(1)))
        ports[m.group(1)] = sorted(
            (int(it.split('/')[0]), it.split('/')[1])
            for it in m.group(2).split(', ') if it)
    want = {ip: listed for ip, (listed, _) in picture(truth).items()}
    bad = sorted(ip for ip in set(ports) | set(want)
                 if ports.get(ip) != want.get(ip))
    ck.check(not bad, '%s: grep differs for %d hosts, e.g. %r' % (
        what, len(bad), bad[:3]))


def check_text(data, truth, what):
    netns.check_text(ck, data.decode(), truth, STATES, what=what,
                     explicit=True)


def check_outputs(d, truth, what, split=False):
    """Every output of the chain in d: truth, exactly once.  split: a
    SIGINT wrote the part of a host it had, the rest came in the next run
    (a host twice in the formats per host; each port still once)."""
    f = files_of(d)
    check_ndjson(read(f['ndjson']) or b'', truth, what)
    check_csv(read(f['csv']) or b'', truth, what)
    if split:
        x = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD,
                            f['xml']], capture_output=True, text=True)
        ck.check(x.returncode == 0, '%s: not one valid nmap document: %s'
                 % (what, x.stderr.strip()[-600:]))
        return
    check_grep(read(f['grep']) or b'', truth, what)
    check_text(read(f['text']) or b'', truth, what)
    check_xml(f['xml'], truth, what)


def check_changes(data, base, truth, closed, what):
    """The changes file of a --baseline chain: from the baseline it began
    with (closed open, 127.0.9.99:40000 open) to the truth, exactly; and
    the baseline now the truth's open ports."""
    opened = {k for k, st in truth.state.items() if st == 'open'}
    want = ({('port-opened',) + k for k in opened} |
            {('host-up', ip, None) for ip, _ in opened
             if ip != closed[0]} |
            {('port-closed',) + closed, ('port-closed', '127.0.9.99', 40000),
             ('host-down', '127.0.9.99', None)})
    got = []
    for line in data.decode().splitlines():
        r = json.loads(line)
        got.append((r['change'], r['ip'], r.get('port')))
    ck.check(len(got) == len(set(got)), '%s: a change written twice' % what)
    bad = sorted(set(got) ^ want, key=str)
    ck.check(not bad, '%s: the changes differ from the ground truth\'s in '
             '%d, e.g. %r' % (what, len(bad), bad[:4]))
    kept = {(w[1], int(w[2])) for w in
            (line.split() for line in base.decode().splitlines())
            if w[:1] == ['open']}
    ck.check(kept == opened, '%s: the baseline is not the ground truth\'s '
             'open ports: %d differ' % (what, len(kept ^ opened)))


# --- 1. SIGKILL at random moments ------------------------------------------

def run_killed(argv, d, res, what, sign=None):
    """Run argv in d and SIGKILL it at a moment chosen by a sign: 'ckpt'
    (the resume file replaced n times), 'probes' (n probes started).
    The finished Popen's returncode, stderr; -9 when killed."""
    before = ident(res)
    base = netns.active_opens()
    p = subprocess.Popen(argv, cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    kind = sign or rng.choice(('ckpt', 'ckpt', 'probes'))
    if kind == 'ckpt':
        n, seen = rng.randint(1, 2), [before]

        def replaced():
            cur = ident(res)
            if cur != seen[-1] and cur is not None:
                seen.append(cur)
            return len(seen) > n
        netns.poll_until(replaced, p, timeout=120)
    else:
        netns.wait_ready(p)
        netns.wait_probes(p, rng.randrange(0, 2000), base, timeout=120)
    extra = rng.uniform(0, 0.5)
    deadline = time.monotonic() + extra
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.01)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    netns.log('  %s: %s sign, +%.0f ms: exit %r; %s' % (
        what, kind, extra * 1000, p.returncode,
        err.decode(errors='replace').strip().replace('\n', ' | ')))
    return p.returncode, err.decode(errors='replace')


def chain(scan, n, baseline=False, env=None, first_kills=None):
    """Runs of one scan until one completes; each killed while kills are
    wanted.  Returns how many were killed."""
    truth = SCANS[scan][0]
    d = os.path.join(tmp, 'chain-%d' % n)
    os.mkdir(d)
    res = os.path.join(d, 'scan.resume')
    base = os.path.join(d, 'scan.baseline')
    # The changes in a file of their own, as the systemd unit keeps them:
    # the results files then hold results only, whichever run compares.
    changes = os.path.join(d, 'out.changes')
    extra = (['--baseline', base, '-o', 'changes:' + changes] if baseline
             else [])
    if baseline:
        # A baseline of an earlier run: one open port the scan has closed
        # and one it does not scan (127.0.9.99 shows as gone, as of
        # another scan), the rest missing (opened).
        closed = min(p for p, st in truth.state.items() if st == 'closed')
        with open(base, 'w') as f:
            f.write('trawl-baseline 1\nfingerprint 0\nopen %s %d\n'
                    'open 127.0.9.99 40000\nend\n' % closed)
    argv = argv_of(d, scan, extra)
    kills = 0
    netns.log('--- chain %d (%s)%s' % (n, scan, ' --baseline' if baseline
                                       else ''))
    for k in range(1, 40):
        old_base = read(base)
        killing = first_kills is None or kills < first_kills
        if killing:
            rc, err = run_killed(argv, d, res, 'chain %d run %d' % (n, k))
        else:
            r = netns.run(argv, cwd=d, timeout=180)
            rc, err = r.rc, r.err
        if rc == -signal.SIGKILL:
            kills += 1
            data = read(res)
            ck.check(data is None or (data.startswith(b'trawl-resume 1\n')
                                      and END_RE.search(data)),
                     'chain %d run %d: a torn resume file: %r'
                     % (n, k, (data or b'')[-80:]))
            # Only a run that had finished every probe (it says how many
            # changes it found) may have replaced it before the kill.
            ck.check(read(base) == old_base or
                     re.search(r'\d+ changes? since the last run', err),
                     'chain %d run %d: killed before the scan was done, '
                     'yet the baseline changed' % (n, k))
            continue
        if not ck.check(rc == 0, 'chain %d run %d: exit %r: %s'
                        % (n, k, rc, err)):
            return kills
        ck.check(read(res) is None, 'chain %d: complete, but the resume '
                 'file is left' % n)
        left = [f for f in os.listdir(d) if '.found.' in f]
        ck.check(not left, 'chain %d: complete, but side files are left: '
                 '%r' % (n, left))
        if baseline:
            check_changes(read(changes) or b'', read(base) or b'', truth,
                          closed, 'chain %d (%d runs)' % (n, k))
        break
    else:
        ck.check(False, 'chain %d never completed' % n)
        return kills
    check_outputs(d, truth, 'chain %d (%d runs, %d killed)' % (n, k, kills))
    return kills


t0 = time.monotonic()
kills = chains = 0
while kills < WANT_KILLS and chains < 40:
    chains += 1
    scan = 'win' if chains % 4 == 0 else 'seq'
    if chains == 2:
        # Slow: its first run is surely killed, so that the run that
        # completes it is a resumed one.
        k = chain('slow', chains, baseline=True)
        ck.check(k > 0, 'the --baseline chain had no run killed')
        kills += k
        continue
    kills += chain(scan, chains)
ck.check(kills >= WANT_KILLS, 'only %d runs killed' % kills)
netns.log('%d chains, %d runs killed, %.1f s' % (chains, kills,
                                                 time.monotonic() - t0))


# --- 2. killed inside the checkpoint's write --------------------------------

def shim_env(call, nth, do, match='scan.resume'):
    env = dict(os.environ, LD_PRELOAD=SHIM, TRAWL_SHIM_CALL=call,
               TRAWL_SHIM_NTH=str(nth), TRAWL_SHIM_DO=do,
               TRAWL_SHIM_MATCH=match)
    # The ASan build's runtime must come first; the shim does not mind.
    env['ASAN_OPTIONS'] = (env.get('ASAN_OPTIONS', '') +
                           ':verify_asan_link_order=0').lstrip(':')
    return env


def finish_chain(d, scan, what, argv=None, split=False):
    argv = argv or argv_of(d, scan)
    for k in range(10):
        r = netns.run(argv, cwd=d, timeout=180)
        if r.rc == 0:
            break
        ck.check(False, '%s: exit %r: %s' % (what, r.rc, r.err))
        return
    check_outputs(d, SCANS[scan][0], what, split)


if SHIM is None or not os.path.exists(SHIM):
    ck.cannot_run('no shim given: kills inside the checkpoint not tested')
else:
    n = 0
    for call, nth, do in (('rename', 2, 'kill-before'),
                          ('rename', 2, 'kill-after'),
                          ('fsync', 2, 'kill-before'),
                          ('fsync', 2, 'kill-after'),
                          ('write', 2, 'kill-after')):
        n += 1
        d = os.path.join(tmp, 'shim-%d' % n)
        os.mkdir(d)
        res = os.path.join(d, 'scan.resume')
        what = 'killed at the %s of the resume file (%d, %s)' % (call, nth,
                                                                 do)
        netns.log('--- ' + what)
        # The second checkpoint: the first one is there to fall back on.
        argv = argv_of(d, 'slow')
        r = netns.run(argv, cwd=d, timeout=180,
                      env=shim_env(call, nth, do))
        ck.check(r.rc == -signal.SIGKILL, '%s: exit %r, want death by '
                 'SIGKILL from the shim: %s' % (what, r.rc, r.err))
        data = read(res)
        ck.check(data is not None and END_RE.search(data),
                 '%s: no whole resume file left: %r' % (what,
                                                        (data or b'')[-80:]))
        finish_chain(d, 'seq', what)

# --- 3. outputs tampered with -----------------------------------------------

def stopped_run(d, scan):
    """A run stopped by SIGINT once a checkpoint was taken: exit 130."""
    res = os.path.join(d, 'scan.resume')
    p = subprocess.Popen(argv_of(d, scan), cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    netns.poll_until(lambda: os.path.exists(res), p, timeout=120)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return p.returncode


def tamper(d, name, how):
    path = files_of(d)[name]
    data = read(path)
    if how == 'grown':
        with open(path, 'ab') as f:
            f.write(b'x\n')
    elif how == 'cut':
        os.truncate(path, len(data) - 3)
    elif how == 'replaced':
        tmpf = path + '.new'
        with open(tmpf, 'wb') as f:
            f.write(data)
        os.rename(tmpf, path)
    elif how == 'edited':
        with open(path, 'r+b') as f:
            f.seek(len(data) - 2)
            f.write(b'#' if data[-2:-1] != b'#' else b'!')
    elif how == 'removed':
        os.unlink(path)
    return path, data


n = 0
for name, how in (('ndjson', 'grown'), ('xml', 'cut'), ('csv', 'replaced'),
                  ('grep', 'edited'), ('text', 'removed')):
    n += 1
    d = os.path.join(tmp, 'tamper-%d' % n)
    os.mkdir(d)
    what = '%s %s' % (name, how)
    netns.log('--- output %s between runs' % what)
    rc = stopped_run(d, 'seq')
    if not ck.check(rc in (0, 130), '%s: the first run exits %r' % (what,
                                                                   rc)):
        continue
    if rc == 0:
        netns.log('  ended before SIGINT: nothing to tamper with')
        continue
    path, orig = tamper(d, name, how)
    after = read(path)
    r = netns.run(argv_of(d, 'seq'), cwd=d, timeout=60)
    ck.check(r.rc == 2, '%s: exit %r, want 2: %s' % (what, r.rc, r.err))
    ck.check(path in r.err and len(r.err_lines) == 1,
             '%s: want one line naming %s: %r' % (what, path, r.err))
    ck.check(read(path) == after, '%s: the refused run changed %s'
             % (what, path))
    # Put back as it was (same file), and it resumes exactly.
    if how == 'removed' or how == 'replaced':
        # A new file cannot be the old one: start afresh instead.
        os.unlink(os.path.join(d, 'scan.resume'))
        finish_chain(d, 'seq', what + ', started afresh')
    else:
        with open(path, 'r+b') as f:
            f.write(orig)
            f.truncate(len(orig))
        finish_chain(d, 'seq', what + ', put back', split=True)

# A checkpoint (not a stop) and an output cut below it: refused too.
d = os.path.join(tmp, 'tamper-ckpt')
os.mkdir(d)
res = os.path.join(d, 'scan.resume')
rc, _ = run_killed(argv_of(d, 'seq'), d, res, 'killed after a checkpoint',
                   sign='ckpt')
if rc == -signal.SIGKILL and os.path.exists(res):
    nd = files_of(d)['ndjson']
    os.truncate(nd, 10)
    r = netns.run(argv_of(d, 'seq'), cwd=d, timeout=60)
    ck.check(r.rc == 2 and nd in r.err, 'ndjson cut below the checkpoint: '
             'exit %r, want 2 naming %s: %r' % (r.rc, nd, r.err))

# --- 4. a full disk during a checkpoint --------------------------------------

if SHIM is not None and os.path.exists(SHIM):
    d = os.path.join(tmp, 'full')
    os.mkdir(d)
    res = os.path.join(d, 'scan.resume')
    what = 'the resume file\'s disk full at the 3rd checkpoint write'
    netns.log('--- ' + what)
    # The first checkpoint writes fine; from the second on, ENOSPC.
    r = netns.run(argv_of(d, 'slow'), cwd=d, timeout=180,
                  env=shim_env('write', 2, 'enospc'))
    ck.check(r.rc == 1, '%s: exit %r, want 1: %s' % (what, r.rc, r.err))
    ck.check(any('cannot take a checkpoint' in l and 'No space left' in l
                 and res in l for l in r.err_lines),
             '%s: no message that says so: %r' % (what, r.err))
    data = read(res)
    ck.check(data is not None and END_RE.search(data),
             '%s: the previous checkpoint is not intact: %r'
             % (what, (data or b'')[-80:]))
    ck.check(not [f for f in os.listdir(d) if '.tmp-' in f],
             '%s: temporary files left: %r' % (what, os.listdir(d)))
    finish_chain(d, 'seq', what)

lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
