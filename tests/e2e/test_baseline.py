#!/usr/bin/env python3
"""End-to-end tests of --baseline, --fail-on-change and --config.

    python3 tests/e2e/test_baseline.py /path/to/trawl

In a private network namespace (unshare -n) holding only lo:
  1. a first run creates the baseline (exit 0, no changes reported);
  2. a listener added and one removed: exactly those two changes, as text
     and as change records (-f changes), exit 3 with --fail-on-change, and
     the baseline now holds the new state (a third run reports nothing);
  3. a host that appears and one that disappears;
  4. an interrupted run leaves the baseline untouched;
  5. a damaged baseline is an error naming FILE:LINE (exit 2);
  6. --config: options from a file, the command line wins, a bad line is
     reported with its file and line (exit 2);
  7. a run stopped by SIGINT and resumed: the run that completes the scan
     reports exactly the changes of the whole scan (exit 3 with
     --fail-on-change) and replaces the baseline, and the side file of
     open ports goes with the resume file; a side file edited or missing
     is refused (exit 2), naming it (issue 17).
Exit 0 pass, 1 fail, 77 skip, 99 harness error.
"""
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-baseline')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-baseline.')

PORTS = '7000-7009'
base = os.path.join(tmp, 'scan.baseline')
ARGS = ['-p', PORTS, '127.0.0.1', '127.0.0.2', '--baseline', base,
        '-f', 'changes', '--fail-on-change']


def run(args, rc, what):
    """trawl with args, in tmp (where an interrupted run leaves its resume
    file); its exit status must be rc."""
    r = netns.run([trawl, *args], cwd=tmp, timeout=120)
    ck.check(r.rc == rc, '%s: exit %r, want %d (%s)\nstderr: %s'
             % (what, r.rc, rc, r.cmd, r.err))
    return r


def changes_of(r):
    """The change records of a run (-f changes): {(change, ip, port)}."""
    changes = []
    ck.check(netns.parse_ndjson(ck, r, changes=changes) == [],
             'result records among the changes: %r' % r.out[:300])
    return {(c['change'], c['ip'], c.get('port')) for c in changes}


# 1. First run: the file appears, nothing to compare with.
a = netns.listen([('127.0.0.1', 7001), ('127.0.0.1', 7002),
                  ('127.0.0.2', 7005)])
r = run(ARGS, 0, 'first run')
ck.check(os.path.exists(base), 'first run did not write the baseline')
got = changes_of(r)
ck.check(got == set(), 'first run reported changes: %r' % got)
netns.log('1. first run: baseline written, no changes, exit 0')

# 2. 7002 closes, 7003 opens.
a.close()
b = netns.listen([('127.0.0.1', 7001), ('127.0.0.1', 7003),
                  ('127.0.0.2', 7005)])
r = run(ARGS, 3, 'one port opened, one closed')
got = changes_of(r)
want = {('port-opened', '127.0.0.1', 7003),
        ('port-closed', '127.0.0.1', 7002)}
ck.check(got == want, 'changes %r, want %r' % (got, want))
r = run(['-p', PORTS, '127.0.0.1', '127.0.0.2', '--baseline', base], 0,
        'no change, text')
ck.check('Changes since' not in r.out, 'unchanged run printed changes:\n'
         + r.out)
netns.log('2. port opened and port closed reported exactly, exit 3; next '
          'run: no change')

# 3. 127.0.0.2 disappears, 127.0.0.3 appears (text output).
b.close()
d = netns.listen([('127.0.0.1', 7001), ('127.0.0.1', 7003),
                  ('127.0.0.3', 7009)])
r = run(['-p', PORTS, '127.0.0.1', '127.0.0.2', '127.0.0.3', '--baseline',
         base, '--fail-on-change'], 3, 'host up and down')
for line in ('+ host 127.0.0.3 up', '- host 127.0.0.2 down',
             '+ 127.0.0.3 port 7009/tcp open',
             '- 127.0.0.2 port 7005/tcp no longer open'):
    ck.check(line in r.out.splitlines(), 'text output lacks %r:\n%s'
             % (line, r.out))
ck.check('Changes since the last run:' in r.out, 'no header:\n' + r.out)
netns.log('3. host up and host down reported as text, exit 3')

# 4. An interrupted run leaves the baseline as it was.
with open(base, 'rb') as f:
    before = f.read()
p = netns.start([trawl, '-p', '1-65535', '127.0.0.0/28', '--rate', '2000',
                 '--baseline', base, '-q'], cwd=tmp)
# Its handlers in place, the scan has eight minutes to go.
ready = netns.wait_ready(p)
if ready:
    p.send_signal(signal.SIGINT)
r = netns.finish(p)
if ck.check(ready, 'a 1M-probe scan at 2000/s ended (or never got going) '
            'before it could take a signal: exit %r\nstderr: %s'
            % (r.rc, r.err)):
    ck.check(r.rc == 130, 'interrupted run: exit %r, want 130\nstderr: %s'
             % (r.rc, r.err))
with open(base, 'rb') as f:
    ck.check(f.read() == before, 'an interrupted run changed the baseline')
ck.check(not [n for n in os.listdir(tmp) if '.tmp' in n],
         'temporary files left: %r' % os.listdir(tmp))
netns.log('4. interrupted run: baseline untouched, no temporary file')

# 5. A damaged baseline: FILE:LINE, exit 2, nothing scanned.
bad = os.path.join(tmp, 'bad.baseline')
with open(bad, 'w') as f:
    f.write('trawl-baseline 1\nfingerprint 00\nopen 127.0.0.1 99999\nend\n')
r = run(['-p', PORTS, '127.0.0.1', '--baseline', bad], 2, 'damaged baseline')
ck.check(r.out == '' and (bad + ':3:') in r.err,
         'want no output and "%s:3:" on stderr: out %r, err %r'
         % (bad, r.out, r.err))
netns.log('5. damaged baseline: %s' % r.err.strip())

# 6. --config.
conf = os.path.join(tmp, 'scan.conf')
with open(conf, 'w') as f:
    f.write('# ports and format from the file\n'
            'ports = 7001,7003\nformat = ndjson\n\nstates = all\n')
r = run(['--config', conf, '127.0.0.1', '-q'], 0, '--config')
got = {(x['port'], x['state']) for x in netns.parse_ndjson(ck, r)}
ck.check(got == {(7001, 'open'), (7003, 'open')},
         '--config ports/format/states not applied: %r' % got)
r = run(['--config', conf, '-p', '7002', '127.0.0.1', '-q'], 0,
        '--config, -p wins')
got = {(x['port'], x['state']) for x in netns.parse_ndjson(ck, r)}
ck.check(got == {(7002, 'closed')}, "command line -p must replace the "
         "config's ports: %r" % got)
with open(conf, 'a') as f:
    f.write('threads = lots\n')
r = run(['--config', conf, '127.0.0.1'], 2, 'bad config value')
ck.check(r.err.strip() == "trawl: %s:6: bad threads 'lots' (1..1024)" % conf,
         'bad value: want the file and line: %r' % r.err)
with open(conf, 'w') as f:
    f.write('ports 22\n')
r = run(['--config', conf, '127.0.0.1'], 2, 'bad config line')
ck.check(r.err.startswith('trawl: %s:1: ' % conf) and
         len(r.err.splitlines()) == 1,
         'bad line: want one line with file:line: %r' % r.err)
netns.log('6. --config: applied, command line wins, errors name FILE:LINE')
d.close()

# 7. A chain stopped by SIGINT: the run that completes it compares.
base7 = os.path.join(tmp, 'chain.baseline')
res7 = os.path.join(tmp, 'chain.resume')
HOSTS7 = ['127.0.0.%d' % i for i in range(1, 9)]
ARGS7 = ['-p', '7100-7199', *HOSTS7, '--baseline', base7, '-f', 'changes',
         '--fail-on-change', '--rate', '2000']
first = [('127.0.0.1', 7101), ('127.0.0.1', 7150), ('127.0.0.4', 7120),
         ('127.0.0.6', 7199), ('127.0.0.8', 7100)]
after = [('127.0.0.1', 7101), ('127.0.0.2', 7130), ('127.0.0.4', 7121),
         ('127.0.0.6', 7199), ('127.0.0.8', 7100), ('127.0.0.8', 7177)]
e = netns.listen(first)
run(ARGS7, 0, 'chain: first run')
e.close()
e = netns.listen(after)
with open(base7, 'rb') as f:
    before = f.read()


def side_file(res):
    """The side file res names (its found line), or None."""
    with open(res) as f:
        for line in f:
            w = line.split()
            if w and w[0] == 'found':
                return '%s.found.%s' % (res, w[1])
    return None


# Stopped once a third of its 800 probes are out: some hosts are written
# whole, one perhaps in part (its other ports come from the next run).
probes0 = netns.active_opens()
p = netns.start([trawl, *ARGS7, '--resume', res7], cwd=tmp)
ready = netns.wait_ready(p) and netns.wait_probes(p, 270, probes0)
if ready:
    p.send_signal(signal.SIGINT)
r = netns.finish(p)
if ck.check(ready, 'chain: an 800-probe scan at 2000/s ended before it '
            'could take a signal: exit %r\nstderr: %s' % (r.rc, r.err)):
    ck.check(r.rc == 130, 'chain: stopped run: exit %r, want 130\n'
             'stderr: %s' % (r.rc, r.err))
    with open(base7, 'rb') as f:
        ck.check(f.read() == before, 'a stopped run changed the baseline')
    side = side_file(res7) if os.path.exists(res7) else None
    ck.check(side is not None and os.path.exists(side),
             'chain: no side file named by %s: %r' % (res7, os.listdir(tmp)))
    if side is not None and os.path.exists(side):
        # An edited or missing side file is refused, named, nothing run.
        for what in ('edited', 'missing'):
            cres = os.path.join(tmp, 'copy-%s.resume' % what)
            shutil.copy(res7, cres)
            cside = side_file(cres)
            if what == 'edited':
                with open(side) as f:
                    text = f.read()
                with open(cside, 'w') as f:
                    f.write(text.replace('end\n',
                                         'open 127.0.0.9 7100\nend\n'))
            r = run([*ARGS7, '--resume', cres], 2, 'side file ' + what)
            ck.check(cside in r.err and len(r.err.splitlines()) == 1,
                     'side file %s: want one line naming %s: %r'
                     % (what, cside, r.err))
            ck.check(r.out == '', 'side file %s: output %r' % (what, r.out))
        with open(base7, 'rb') as f:
            ck.check(f.read() == before, 'a refused run changed the '
                     'baseline')
        r = run([*ARGS7, '--resume', res7], 3, 'chain: resumed to the end')
        got = changes_of(r)
        want = {('host-up', '127.0.0.2', None),
                ('port-opened', '127.0.0.2', 7130),
                ('port-closed', '127.0.0.1', 7150),
                ('port-closed', '127.0.0.4', 7120),
                ('port-opened', '127.0.0.4', 7121),
                ('port-opened', '127.0.0.8', 7177)}
        ck.check(got == want, 'chain: changes %r, want %r' % (got, want))
        ck.check(not os.path.exists(res7) and not os.path.exists(side),
                 'chain: resume or side file left: %r' % os.listdir(tmp))
        with open(base7) as f:
            kept = {tuple(line.split()[1:]) for line in f
                    if line.startswith('open ')}
        ck.check(kept == {(ip, str(port)) for ip, port in after},
                 'chain: the baseline holds %r, want %r' % (kept, after))
        # The next run finds nothing new.
        run(ARGS7, 0, 'chain: the run after')
netns.log('7. SIGINT chain: the completing run reported the whole scan\'s '
          'changes, exit 3, replaced the baseline; edited or missing side '
          'file refused')
e.close()

if ck.failures:
    netns.log('files kept in ' + tmp)
else:
    shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
