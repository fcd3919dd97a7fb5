#!/usr/bin/env python3
"""Issue 7, point 4: SIGINT and SIGTERM at random moments, then --resume.

Chains of runs of one scan (4 addresses x 250 ports, listeners and drops,
--rate capped so that a run lasts about 0.4 s), each run with
-o ndjson:a.ndjson (appended to by the resumed runs) and its own XML file
(-o xml:run-K.xml: a resumed run writes a document of its own, and two
documents in one file would not be XML).  Each run gets SIGINT or SIGTERM
at a random moment: one run in eight right at the start, while it is
still being executed; the others once trawl's handlers are in place, after
a random number of its probes has gone out (counted as the namespace's
TCP ActiveOpens), from none to a third more than the run has, that is
past the end of the scan.  Moments are drawn in probes, not seconds, so
that where they fall does not depend on how fast the machine is.  A chain
goes on with --resume until a run completes; chains are run until 24 runs
were interrupted (at least 20 must be, among at most 400 runs).  After
every run:

  - exit 128+signal with the summary "..., interrupted", the "to continue"
    line and the resume file; or 0 (the scan ended first) with the resume
    file gone; or, for a signal right at the start, death by the signal
    itself before trawl set up its handlers -- then nothing may have been
    written or changed;
  - the NDJSON file holds whole lines only (no torn line), each a record,
    and the run only appended to it;
  - the run's XML is well-formed (xmllint --noout), says exit="error" if
    the run was interrupted and "success" if not, and holds exactly the
    ports the run appended to the NDJSON; the summary counts them too.

Each run's records are grouped by host, ports ascending (a host split by
an interruption may have records in two runs).  At the end of each chain
the NDJSON is the ground truth exactly (nothing missing, nothing twice),
and every listener was connected to exactly once
over the whole chain: no probe was lost or repeated.  Chains vary -T, the
order and -c.

Then 80 runs of a 20-probe scan with a resume file, signalled around the
moment the scan usually ends: the exit status must agree with what the
run left behind (0: complete, resume file removed, XML exit="success";
128+n: ", interrupted", resume file saved, exit="error"; killed by the
signal: nothing touched).
"""
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
ck = netns.Checker('e2e-interrupt')
rng = random.Random(netns.seed_from_env(7004))
tmp = tempfile.mkdtemp(prefix='trawl-e2e-interrupt.')

if shutil.which('xmllint') is None:
    netns.skip('xmllint(1) not found (Debian package libxml2-utils)')

IPS = ['127.0.5.%d' % i for i in range(1, 5)]
PORTS = list(range(32000, 32250))
lst = netns.Listeners()
listening = set()
for ip in IPS:
    for port in rng.sample(PORTS, 10):
        if lst.add(ip, port) is not None:
            listening.add((ip, port))
lst.start()
dropped = set(rng.sample(sorted((i, p) for i in IPS for p in PORTS), 6))
netns.nft_drop(dropped)
truth = netns.Truth().build(IPS, PORTS, listening, dropped)
netns.log('ground truth: %s' % truth.counts())
truth.self_check()
open_pairs = {p for p, st in truth.state.items() if st == 'open'}
TOTAL = len(truth.state)

SCAN = ['--states', 'all', '-t', '300', '--retries', '0', '--rate', '2500',
        '-p', '32000-32249', '127.0.5.1-4']
VARIANTS = [[], ['-T', '2'], ['--order', 'sequential'], ['-c', '40'],
            ['-T', '3', '-c', '200']]
SIGS = (signal.SIGINT, signal.SIGTERM)
WANT_INTERRUPTS = 24
MAX_RUNS = 400
STOP_RE = re.compile(r'^(.*), interrupted$')
STOPPED = ('trawl: stopped; to continue: trawl --resume %s with the same '
           'arguments')


def ndjson_records(data, what):
    """Records of a whole NDJSON file; every line must be whole."""
    if data and not data.endswith(b'\n'):
        ck.check(False, '%s: NDJSON ends in a torn line: ...%r'
                 % (what, data[-120:]))
        data = data[:data.rfind(b'\n') + 1]
    r = netns.Run([what], 0, data.decode('utf-8', 'replace'), '', 0)
    return netns.parse_ndjson(ck, r)


def xml_ports(path, what):
    """(finished exit attribute, netns.xml_picture()) or (None, None)."""
    x = subprocess.run(['xmllint', '--noout', path], capture_output=True,
                       text=True)
    if not ck.check(x.returncode == 0, '%s: %s is not well-formed XML: %s'
                    % (what, path, x.stderr.strip()[-800:])):
        return None, None
    root = ET.parse(path).getroot()
    fin = root.find('runstats/finished')
    return (None if fin is None else fin.get('exit')), \
        netns.xml_picture(root)


def summary_probes(line):
    m = netns.SUMMARY_RE.match(line)
    return int(m.group(1)) if m else None


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        return f.read()


t_start = time.monotonic()
interrupted = early = completed_first = runs = chains = 0
sig_used = set()
while interrupted < WANT_INTERRUPTS:
    if runs >= MAX_RUNS:
        ck.check(False, 'only %d runs interrupted in %d runs (want %d)'
                 % (interrupted, runs, WANT_INTERRUPTS))
        break
    chains += 1
    variant = VARIANTS[(chains - 1) % len(VARIANTS)]
    cdir = os.path.join(tmp, 'chain-%d' % chains)
    os.mkdir(cdir)
    nd = os.path.join(cdir, 'a.ndjson')
    res = os.path.join(cdir, 'scan.resume')
    netns.log('--- chain %d: %s' % (chains, ' '.join(variant) or
                                     '(defaults)'))
    before_conn = lst.settle()
    done = False
    for k in range(1, 60):
        runs += 1
        xml = os.path.join(cdir, 'run-%d.xml' % k)
        argv = [trawl, '-o', 'ndjson:' + nd, '-o', 'xml:' + xml,
                '--resume', res, *variant, *SCAN]
        old_nd, old_res = read(nd), read(res)
        resuming = old_res is not None
        sig = rng.choice(SIGS)
        # Right at the start, or after `after` probes of the `left` this
        # run has (more than it has: once it ended).
        left = TOTAL - (old_nd or b'').count(b'\n') if resuming else TOTAL
        at_start = rng.random() < 0.125
        after = None if at_start else rng.randrange(0, left * 4 // 3 + 1)
        base = netns.active_opens()
        p = subprocess.Popen(argv, cwd=cdir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if not at_start and netns.wait_ready(p):
            netns.wait_probes(p, after, base)
        ended_first = p.poll() is not None
        if not ended_first:
            p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            ck.check(False, 'run %d.%d did not end within 60 s of a %s'
                     % (chains, k, signal.Signals(sig).name))
            break
        err = err.decode('utf-8', 'backslashreplace')
        lines = err.splitlines()
        rc = p.returncode
        what = 'chain %d run %d (%s %s, exit %r)' % (
            chains, k, '-' if ended_first else signal.Signals(sig).name,
            'at the start' if at_start else 'after %d of %d probes'
            % (after, left), rc)
        netns.log('  %s; stderr: %s' % (what, ' | '.join(lines) or
                                        '(empty)'))
        ck.check(out == b'', '%s: stdout not empty: %r' % (what, out[:200]))
        new_nd = read(nd)
        if rc == -sig and not ended_first:
            # Killed before the handlers were in place: as if never run.
            # Only a signal sent right at the start can come that early.
            early += 1
            ck.check(at_start, '%s: died of the signal, though its handlers '
                     'were in place' % what)
            ck.check(new_nd == old_nd and read(res) == old_res and
                     not os.path.exists(xml),
                     '%s: died of the signal but changed its files' % what)
            continue
        if not ck.check(rc in (0, 128 + sig),
                        '%s: exit %r, want %d or 0\nstderr: %s'
                        % (what, rc, 128 + sig, err)):
            break
        # A run that completed removed the resume file.  If the signal
        # came just after that, the exit status must still say so (0): a
        # script that sees 128+n runs --resume again, which then starts the
        # scan afresh and truncates the complete output.
        complete = read(res) is None and bool(lines) and \
            summary_probes(lines[0]) is not None
        if complete and rc != 0:
            ck.check(False, '%s: the scan completed (summary without ", '
                     'interrupted", resume file removed) but trawl exits %d,'
                     ' which says it was interrupted and saved the rest '
                     '[trawl bug: a signal after the end of the scan]'
                     % (what, rc))
            rc = 0
        if rc == 0:
            if ended_first:
                completed_first += 1
            ck.check(read(res) is None, '%s: completed but the resume file '
                     'is left' % what)
            ck.check(len(lines) == 1 and summary_probes(lines[0]) is not
                     None, '%s: stderr should be the summary: %r'
                     % (what, lines))
        else:
            interrupted += 1
            sig_used.add(sig)
            m = STOP_RE.match(lines[0]) if len(lines) == 2 else None
            ck.check(m and summary_probes(m.group(1)) is not None and
                     lines[1] == STOPPED % res,
                     '%s: stderr should be the summary ending in ", '
                     'interrupted" and %r: %r' % (what, STOPPED % res,
                                                  lines))
            ck.check(read(res) is not None, '%s: interrupted but no resume '
                     'file' % what)
        # The NDJSON: whole lines, appended to (or begun afresh).
        new_nd = new_nd or b''
        base = (old_nd or b'') if resuming else b''
        if not ck.check(new_nd.startswith(base), '%s: the NDJSON was not '
                        'appended to (%d bytes before, %d after)'
                        % (what, len(base), len(new_nd))):
            break
        delta = ndjson_records(new_nd[len(base):], what)
        netns.check_grouping(ck, delta, what)
        ndjson_records(new_nd, what + ', whole file')
        n = summary_probes(STOP_RE.sub(r'\1', lines[0])) if lines else None
        ck.check(n == len(delta), '%s: the summary counts %r probes, the '
                 'run appended %d records' % (what, n, len(delta)))
        exit_attr, xports = xml_ports(xml, what)
        want_exit = 'success' if rc == 0 else 'error'
        ck.check(exit_attr == want_exit, '%s: XML <finished exit=%r>, want '
                 '%r' % (what, exit_attr, want_exit))
        if xports is not None:
            # The run's own hosts, as nmap's picture shows them.
            mine = netns.xml_view(netns.picture_of(
                {(r['ip'], r['port']): r['state'] for r in delta},
                netns.STATES, True))
            bad = sorted(ip for ip in set(xports) | set(mine)
                         if xports.get(ip) != mine.get(ip))
            ck.check(not bad, '%s: the XML and the %d records the run '
                     'appended to the NDJSON differ for %d hosts, e.g. %r'
                     % (what, len(delta), len(bad), bad[:1]))
        if rc == 0:
            done = True
            break
    if not ck.check(done, 'chain %d never completed' % chains):
        break
    recs = ndjson_records(read(nd) or b'', 'chain %d, a.ndjson' % chains)
    # (Sorted: a host split by an interruption is in two runs' records.)
    netns.compare(ck, sorted(recs, key=lambda r: (r['ip'], r['port'])),
                  truth, what='chain %d: %d runs, all of a.ndjson'
                  % (chains, k))
    conn = lst.settle() - before_conn
    wrong = {p: conn[p] for p in open_pairs if conn[p] != 1}
    ck.check(not wrong and not set(conn) - open_pairs,
             'chain %d: listeners connected to other than once: %r'
             % (chains, sorted(wrong.items())[:10]))

# --- signals around the end of a scan ------------------------------------------
# A tiny scan and a resume file, signalled from a little before to a
# little after the moment it usually ends: the exit status must agree with
# what the run left behind -- 0 with the scan complete (summary not
# interrupted, resume file removed, XML exit="success"), 128+n with it
# interrupted (", interrupted", resume file saved, exit="error"), or death
# by the signal with nothing touched.  The only race left in this file, and
# on purpose: the moments are times, measured on this machine as it is
# now, because no sign marks the last instants of a run; and every outcome
# is allowed, none is required, so how they fall cannot fail the test.
edir = os.path.join(tmp, 'end')
os.mkdir(edir)
eres, exml, end = os.path.join(edir, 'r'), os.path.join(edir, 'x.xml'), []
EARGS = [trawl, '-o', 'ndjson:' + os.path.join(edir, 'o.ndjson'), '-o',
         'xml:' + exml, '--resume', eres, '-t', '300', '-p', '32000-32019',
         '127.0.5.1']
for _ in range(3):
    t0 = time.monotonic()
    subprocess.run(EARGS, capture_output=True, cwd=edir)
    end.append(time.monotonic() - t0)
T_END = sorted(end)[1]
netns.log('--- signals around the end of a 20-probe scan (%.1f ms)'
          % (T_END * 1000))
seen = {}
for i in range(80):
    for f in (eres, exml):
        if os.path.exists(f):
            os.unlink(f)
    sig = SIGS[i % 2]
    delay = T_END * rng.uniform(0.5, 1.3)
    p = subprocess.Popen(EARGS, cwd=edir, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(delay)
    p.send_signal(sig)
    err = p.communicate(timeout=60)[1].decode('utf-8', 'backslashreplace')
    rc = p.returncode
    interrupted_line = any(l.endswith(', interrupted')
                           for l in err.splitlines())
    saved = os.path.exists(eres)
    xexit = None
    if os.path.exists(exml):
        with open(exml) as f:
            m = re.search(r'<finished [^>]*exit="(\w+)"', f.read())
        xexit = m and m.group(1)
    state = (rc == 0 and 'complete' or rc == 128 + sig and 'interrupted'
             or rc == -sig and 'killed' or 'exit %r' % rc)
    key = (state, interrupted_line, saved, xexit)
    seen[key] = seen.get(key, 0) + 1
    ok = key in (('complete', False, False, 'success'),
                 ('interrupted', True, True, 'error'),
                 ('killed', False, False, None))
    ck.check(ok, 'SIGNAL %s %.1f ms after the start of a %.1f ms scan: '
             'exit %r, summary %s, resume file %s, XML exit=%r -- the exit '
             'status disagrees with what the run left%s'
             % (signal.Signals(sig).name, delay * 1000, T_END * 1000, rc,
                'interrupted' if interrupted_line else 'not interrupted',
                'saved' if saved else 'absent', xexit,
                ' [trawl bug: a signal after the end of the scan]'
                if key == ('interrupted', False, False, 'success') else ''))
netns.log('  outcomes (exit, ", interrupted", resume file, XML exit): %r'
          % seen)

netns.log('%d chains, %d runs: %d interrupted (%s), %d killed before trawl '
          'set up its handlers, %d ended before the signal; %.1f s'
          % (chains, runs, interrupted,
             '+'.join(sorted(signal.Signals(s).name for s in sig_used)),
             early, completed_first, time.monotonic() - t_start))
ck.check(interrupted >= 20, 'only %d runs were interrupted' % interrupted)
ck.check(sig_used == set(SIGS), 'not both signals interrupted a run: %r'
         % sig_used)
lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
