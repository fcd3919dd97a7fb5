#!/usr/bin/env python3
"""The command line: usage errors, help, version, exit statuses, -o, -q, the
summary line, --dry-run counts, a reader that goes away.

Runs in a private network namespace like the others: a parser bug could
otherwise turn a "bad target" into a real scan of somebody's network.
"""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-cli')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-cli.')

# --- usage errors: exit 2, one stderr line naming the token, nothing else --

T = '127.0.0.1'
USAGE = [
    # (arguments, the exact line or None, a piece the line must contain)
    (['-p', '90-80', T], "trawl: bad port range '90-80'", None),
    (['-p', '0', T], "trawl: bad port '0'", None),
    (['-p', '70000', T], "trawl: bad port '70000'", None),
    (['-p', '22,0', T], "trawl: bad port '0'", None),
    (['-p', '', T], 'trawl: empty port list', None),
    (['-p', '22,,80', T], "trawl: empty item in port list '22,,80'", None),
    (['-p', '22,x', T], None, 'x'),
    (['--top-ports', '0', T], None, "'0'"),
    (['--top-ports', '1001', T], None, "'1001'"),
    (['--top-ports', 'many', T], None, "'many'"),
    (['-p', '22', '10.0.0.300'], "trawl: bad target '10.0.0.300'", None),
    (['-p', '22', '10.0.0.0/33'], "trawl: bad target '10.0.0.0/33'", None),
    (['-p', '22', T, '2001:db8::/129'], "trawl: bad target '2001:db8::/129'",
     None),
    (['-p', '22', '10.0.0.9-10.0.0.1'],
     "trawl: bad target '10.0.0.9-10.0.0.1'", None),
    (['-p', '22', '[::1'], "trawl: bad target '[::1'", None),
    (['--bogus', T], None, '--bogus'),
    (['-Z', T], None, 'Z'),
    (['-p', '22'], None, None),                       # no target
    ([], None, None),                                 # nothing at all
    (['-f', 'yaml', T], None, "'yaml'"),
    (['--states', 'open,bogus', T], "trawl: bad state 'bogus'", None),
    (['--states', '', T], None, "''"),
    (['-c', '0', T], None, "'0'"),
    (['-c', '1000001', T], None, "'1000001'"),
    (['-t', 'abc', T], None, "'abc'"),
    (['-t', '0', T], None, "'0'"),
    (['-t', '3600001', T], None, "'3600001'"),
    (['--retries', '11', T], None, "'11'"),
    (['--retries', '-1', T], None, "'-1'"),
    (['-p'], None, None),                             # missing argument
    # Say what is wrong, not "unknown option".
    (['--dry-run=yes', T], "trawl: option '--dry-run' takes no value", None),
    (['--qui=1', T], "trawl: option '--quiet' takes no value", None),
    (['--st', 'open', T],
     "trawl: ambiguous option '--st' (--states, --stylesheet, "
     "--stats-every)", None),
    (['--bogus=1', T], "trawl: unknown option '--bogus' (see trawl --help)",
     None),
    (['-4', '-6', T], 'trawl: -4 and -6 exclude each other', None),
    (['-6', '-4', T], 'trawl: -4 and -6 exclude each other', None),
    # Changes are against the last run: without one, a mistake.
    (['-o', 'changes:c.ndjson', '-o', '-', T],
     'trawl: -o changes:c.ndjson needs --baseline FILE, the last run to '
     'compare with', None),
    (['-f', 'changes', T],
     'trawl: -f changes needs --baseline FILE, the last run to compare '
     'with', None),
    # --banners: its time limit alone is a mistake; a bad one is named.
    (['--banner-timeout', '3000', T],
     'trawl: --banner-timeout needs --banners', None),
    (['--banners', '--banner-timeout', '99', T], None, "'99'"),
    (['--banners', '--banner-timeout', '5s', T], None, "'5s'"),
    (['--banners=yes', T], "trawl: option '--banners' takes no value",
     None),
]
for args, exact, piece in USAGE:
    r = netns.run([trawl, *args], timeout=20)
    lines = r.err_lines
    ck.check(r.rc == 2, 'exit %r, want 2: %s' % (r.rc, r.cmd))
    ck.check(r.out == '', 'usage error wrote to stdout: %r (%s)'
             % (r.out[:200], r.cmd))
    if not ck.check(len(lines) == 1, 'want exactly one stderr line, got %r '
                    '(%s)' % (lines, r.cmd)):
        continue
    ck.check(lines[0].startswith('trawl: '),
             'stderr line does not start with "trawl: ": %r' % lines[0])
    if exact is not None:
        ck.check(lines[0] == exact, 'stderr %r, want %r (%s)'
                 % (lines[0], exact, r.cmd))
    if piece is not None:
        ck.check(piece in lines[0], 'stderr %r does not name %r (%s)'
                 % (lines[0], piece, r.cmd))

# --- config files: every spelling of --config, values where they belong ---

def conf(name, text):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


o_conf = conf('o.conf', 'output\n')
q_conf = conf('q.conf', '# nothing to say\nquiet = yes\n')
a_conf = conf('a.conf', 'top-ports = 5\nexclude = 127.0.0.2\n')
CONF = [
    # (arguments, exit status, stdout, stderr lines)
    (['--config', o_conf, '-p', '22', T], 2, '',
     ["trawl: %s:1: missing value for 'output'" % o_conf]),
    (['--config', q_conf, '-p', '22', T], 2, '',
     ["trawl: %s:2: 'quiet' takes no value (write just 'quiet')" % q_conf]),
    # getopt_long() takes abbreviations: each one reads the file.
    (['--conf', a_conf, '--dry-run', '127.0.0.1-3'], 0,
     '10 probes (2 hosts x 5 ports)\n', []),
    (['--confi=' + a_conf, '--dry-run', '127.0.0.1-3'], 0,
     '10 probes (2 hosts x 5 ports)\n', []),
    (['--dry-run', '127.0.0.1-3', '--config', a_conf], 0,
     '10 probes (2 hosts x 5 ports)\n', []),
    (['--conf=' + os.path.join(tmp, 'nonexist.conf'), '--dry-run', T], 2, '',
     ["trawl: cannot read '%s': No such file or directory"
      % os.path.join(tmp, 'nonexist.conf')]),
    (['--conf', a_conf, '--config=' + a_conf, '--dry-run', T], 2, '',
     ['trawl: --config given twice']),
    # The value of -o, not a --config option.
    (['-o', '--config', '--dry-run', T], 0,
     '100 probes (1 hosts x 100 ports)\n', []),
]
for args, rc, out, err in CONF:
    r = netns.run([trawl, *args], timeout=20)
    ck.check((r.rc, r.out, r.err_lines) == (rc, out, err),
             'want exit %d, stdout %r, stderr %r; got exit %r, %r, %r (%s)'
             % (rc, out, err, r.rc, r.out, r.err_lines, r.cmd))
ck.check(not os.path.exists('--config') and
         not os.path.exists(os.path.join(tmp, '--config')),
         'a file named --config was written')

# A UTF-8 byte order mark starts some files: not part of the first target.
bom = conf('bom.txt', '\ufeff127.0.0.1\n127.0.0.2\n')
r = netns.run([trawl, '--dry-run', '-p', '1', '-i', bom, '--exclude-file',
               conf('bomx.txt', '\ufeff127.0.0.2\n')])
ck.check((r.rc, r.out, r.err) == (0, '1 probes (1 hosts x 1 ports)\n', ''),
         'byte order mark in -i and --exclude-file: %r %r %r'
         % (r.rc, r.out, r.err))

# --- a resume file whose ranges run past the scan: refused, not a crash ---

netns.nft_drop({('127.0.2.%d' % i, port) for i in range(16)
                for port in range(5000, 5101)})
res = os.path.join(tmp, 'edit.resume')
RSCAN = ['-q', '-p', '1-6000', '-t', '500', '-c', '50', '127.0.2.0/28']
p = subprocess.Popen([trawl, *RSCAN, '--resume', res],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ck.check(netns.wait_ready(p), 'trawl ended before it was stopped')
p.send_signal(signal.SIGINT)
ck.check(p.wait(60) == 130 and os.path.exists(res),
         'SIGINT: exit %r, resume file %s' % (p.returncode,
                                              os.path.exists(res)))
with open(res) as f:
    saved = [line for line in f.read().splitlines()
             if not line.startswith('range ')]
for shard, ranges in ((None, ['range 95990 96001']),
                      (None, ['range 5 99999999']),
                      (None, ['range 0 5', 'range 18446744073709551614 '
                              '18446744073709551615']),
                      ('1/2', ['range 47990 48001'])):
    lines = [l if not (shard and l.startswith('shard ')) else
             'shard ' + shard for l in saved]
    with open(res, 'w') as f:
        f.write('\n'.join(lines[:-1] + ranges + ['end', '']))
    extra = ['--shard', shard] if shard else []
    for dry in (['--dry-run'], []):
        r = netns.run([trawl, *dry, *RSCAN, *extra, '--resume', res])
        ck.check(r.rc == 2 and r.out == '' and len(r.err_lines) == 1 and
                 r.err_lines[0].startswith('trawl: %s: bad resume file: '
                                           % res),
                 'resume file with %s: want exit 2 and "bad resume file", '
                 'got exit %r, %r, %r' % (ranges, r.rc, r.out, r.err))

# --- help and version ------------------------------------------------------

LONG = ['--ports', '--top-ports', '--concurrency', '--timeout', '--retries',
        '--format', '--output', '--states', '--quiet', '--help', '--version',
        # issue 3
        '--input-file', '--exclude', '--exclude-file', '--order', '--seed',
        '--shard', '--shards', '--dry-run', '--rate', '--host-concurrency',
        '--resume', '--progress', '--no-progress', '--stats-every']
SHORT = ['-4', '-6', '-c', '-f', '-h', '-o', '-p', '-q', '-t', '-V']
for h in ('-h', '--help'):
    r = netns.run([trawl, h])
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    ck.check(r.err == '', '%s wrote to stderr: %r' % (h, r.err))
    for opt in LONG + SHORT:
        ck.check(opt in r.out.replace('\u2010', '-'),
                 '%s does not mention %s' % (h, opt))
for v in ('-V', '--version'):
    r = netns.run([trawl, v])
    ck.check(r.rc == 0 and r.out == 'trawl 0.1.0\n' and r.err == '',
             '%s: want "trawl 0.1.0" and exit 0, got exit %r out %r err %r'
             % (v, r.rc, r.out, r.err))

# --- the scan space, counted without a packet (--dry-run) ------------------

DRY = [
    (['-p', '22', T], 1, 1),
    (['-p', '-1024', T], 1, 1024),
    (['-p', '60000-', T], 1, 5536),
    (['-p', '-', T], 1, 65535),
    (['-p', 'all', T], 1, 65535),
    (['-p', '22,22,20-25', T], 1, 6),
    (['-p', '1-10', '-p', '5-15', T], 1, 15),
    ([T], 1, 100),
    (['--top-ports', '1000', T], 1, 1000),
    (['--top-ports', '1', T], 1, 1),
    (['-p', '1', '127.0.0.0/30'], 4, 1),
    (['-p', '1', '127.0.0.1-10'], 10, 1),
    (['-p', '1', '127.0.0.1-127.0.1.0'], 256, 1),
    (['-p', '1', '127.0.0.0/30', '127.0.0.2-5', '127.0.0.4'], 6, 1),
    (['-p', '1', '::1', '[::1]', '0::1'], 1, 1),
    (['-p', '1', '2001:db8::/120'], 256, 1),
    (['-p', '1', '2001:db8::1-2001:db8::ff'], 255, 1),
]
for args, hosts, ports in DRY:
    r = netns.run([trawl, '--dry-run', *args])
    want = '%d probes (%d hosts x %d ports)\n' % (hosts * ports, hosts, ports)
    ck.check(r.rc == 0 and r.out == want,
             '--dry-run: want %r exit 0, got %r exit %r (%s)'
             % (want, r.out, r.rc, r.cmd))

# --- a real scan: listeners, drops, unreachable ----------------------------

lst = netns.Listeners()
PORTS = list(range(23000, 23100))
listening = set()
for ip, n in (('127.0.0.1', 7), ('127.0.0.2', 3)):
    for port in PORTS[5::13][:n]:
        lst.add(ip, port)
        listening.add((ip, port))
lst.start()
dropped = {('127.0.0.2', 23001), ('127.0.0.2', 23002), ('127.0.0.1', 23099)}
netns.nft_drop(dropped)
netns.sh(['ip', 'route', 'add', 'unreachable', '198.51.100.0/30'])
truth = netns.Truth().build(['127.0.0.1', '127.0.0.2'], PORTS, listening,
                            dropped)
for i in range(4):
    for port in PORTS:
        truth.set('198.51.100.%d' % i, port, 'unreachable', {'host-unreach'})
truth.self_check()
counts = truth.counts()
netns.log('ground truth: %s' % counts)
SCAN = ['-t', '300', '--retries', '0', '-p', '23000-23099', '127.0.0.1-2',
        '198.51.100.0/30']

r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *SCAN])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth, what='cli scan')
netns.check_summary(ck, r, counts)
reference = r.out

# -q: no summary, nothing on stderr; the same results.
r = netns.run([trawl, '-q', '-f', 'ndjson', '--states', 'all', *SCAN])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
ck.check(r.err == '', '-q: stderr not empty: %r' % r.err)
netns.compare(ck, netns.parse_ndjson(ck, r), truth, what='-q')

# -q also silences warnings (an unresolvable name next to a good target).
r = netns.run([trawl, '-q', '-f', 'ndjson', *SCAN, 'nonexistent.invalid'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
ck.check(r.err == '', '-q with a warning: stderr not empty: %r' % r.err)
netns.compare(ck, netns.parse_ndjson(ck, r), truth, states=('open',),
              what='-q, unresolvable name among targets')

# Without -q that warning is said and the scan goes on.
r = netns.run([trawl, '-f', 'ndjson', *SCAN, 'nonexistent.invalid'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
ck.check(any(l.startswith("trawl: cannot resolve 'nonexistent.invalid': ")
             for l in r.err_lines),
         'no "cannot resolve" warning: %r' % r.err)
netns.check_summary(ck, r, counts, only_line=False)

# Only an unresolvable name: exit 1.
r = netns.run([trawl, '-p', '22', 'nonexistent.invalid'])
ck.check(r.rc == 1, 'exit %r, want 1: %s' % (r.rc, r.cmd))
ck.check(r.out == '', 'stdout not empty: %r' % r.out)
ck.check(any(l.startswith("trawl: cannot resolve 'nonexistent.invalid': ")
             for l in r.err_lines), 'no "cannot resolve" warning: %r' % r.err)
ck.check('trawl: no target address to scan' in r.err_lines,
         'no "no target address to scan": %r' % r.err)

# -o FILE: results in the file (truncated first), nothing on stdout,
# mode 0666 & ~umask.
out = os.path.join(tmp, 'out.ndjson')
with open(out, 'w') as f:
    f.write('stale\n' * 200000)
umask = ['sh', '-c', 'umask 027 && exec "$@"', 'sh']
r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', '-o', out, *SCAN],
              wrap=umask)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
ck.check(r.out == '', '-o: stdout not empty: %r' % r.out[:200])
with open(out) as f:
    data = f.read()
netns.compare(ck, netns.parse_ndjson(ck, r, where=data), truth,
              what='-o file')
netns.check_summary(ck, r, counts)
os.unlink(out)
r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', '-o', out, *SCAN],
              wrap=umask)
mode = stat.S_IMODE(os.stat(out).st_mode)
ck.check(mode == 0o640, '-o created the file with mode %o, want 640 '
         '(0666 & ~027)' % mode)

# -o into a directory that does not exist: exit 1, nothing scanned.
bad = os.path.join(tmp, 'no', 'such', 'dir', 'out')
r = netns.run([trawl, '-o', bad, *SCAN])
ck.check(r.rc == 1, 'exit %r, want 1: %s' % (r.rc, r.cmd))
ck.check(r.out == '' and not any(netns.SUMMARY_RE.match(l)
                                 for l in r.err_lines),
         'output file not writable, but a scan ran: %r' % r.err)
ck.check(any(bad in l for l in r.err_lines), 'stderr does not name %s: %r'
         % (bad, r.err))

# Every -o is opened before any is truncated: a later one that fails
# leaves an earlier file as it was, and removes the one it created.
keep = os.path.join(tmp, 'precious')
made = os.path.join(tmp, 'made-now')
with open(keep, 'w') as f:
    f.write('precious\n')
r = netns.run([trawl, '-o', keep, '-o', 'ndjson:' + made, '-o', bad, *SCAN])
with open(keep) as f:
    kept = f.read()
ck.check(r.rc == 1 and kept == 'precious\n' and not os.path.exists(made)
         and r.err_lines == ["trawl: cannot open '%s': No such file or "
                             "directory" % bad],
         'a failing -o after others: want exit 1, %s untouched and %s not '
         'left behind: exit %r, %r, %s, %r' % (keep, made, r.rc, kept,
                                               os.path.exists(made), r.err))

# One file under two names would interleave two formats: refused, exit 2,
# before anything is truncated.
link = os.path.join(tmp, 'same.lnk')
os.symlink(keep, link)
dotted = os.path.join(tmp, '.', 'precious')
for a, b, stdout in ((keep, link, None), (keep, dotted, None),
                     (keep, '/dev/stdout', keep), (keep, '-', keep)):
    if stdout is None:
        r = netns.run([trawl, '-o', 'ndjson:' + a, '-o', 'csv:' + b, *SCAN])
    else:
        r = netns.run(['sh', '-c', 'exec "$@" >>' + stdout, 'sh', trawl,
                       '-o', 'ndjson:' + a, '-o', 'xml:' + b, *SCAN])
    with open(keep) as f:
        kept = f.read()
    name = 'standard output' if b == '-' else b
    ck.check(r.rc == 2 and kept == 'precious\n' and r.err_lines ==
             ["trawl: outputs '%s' and '%s' are the same file" % (a, name)],
             '-o %s and -o %s: want exit 2, "are the same file", nothing '
             'written: exit %r, %r, %r' % (a, b, r.rc, r.err, kept))

# A scan that finds nothing open: the host is up (it refused), as nmap
# says it, exit 0; as NDJSON, nothing at all.
r = netns.run([trawl, '-t', '300', '-p', '24000-24099', '127.0.0.1'])
ck.check(r.rc == 0 and r.out == '127.0.0.1\n  Not shown: 100 closed tcp '
         'ports (conn-refused)\n\n', 'nothing open: want exit 0 and the '
         'host with its "Not shown" line, got exit %r, %r'
         % (r.rc, r.out[:200]))
r = netns.run([trawl, '-f', 'ndjson', '-t', '300', '-p', '24000-24099',
               '127.0.0.1'])
ck.check(r.rc == 0 and r.out == '', 'nothing open, NDJSON: want exit 0 and '
         'empty stdout, got exit %r, %r' % (r.rc, r.out[:200]))
netns.check_summary(ck, r, {'open': 0, 'closed': 100, 'filtered': 0,
                            'unreachable': 0})

# The reader goes away: trawl ends quietly, without an error message.
argv = [trawl, '-f', 'ndjson', '--states', 'all', '-t', '300', '-p',
        '1-5000', '127.0.0.0/29']
netns.log('+ %s | head -c 100' % ' '.join(argv))
p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.read(100)
p.stdout.close()
try:
    _, err = p.communicate(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    _, err = p.communicate()
    ck.check(False, 'trawl did not end after its reader went away')
err = err.decode('utf-8', 'replace')
netns.log('  exit %r, stderr: %s' % (p.returncode, err.strip() or '(empty)'))
ck.check(p.returncode == -signal.SIGPIPE or p.returncode in (0, 1, 141),
         'reader gone: exit %r' % p.returncode)
ck.check(all(netns.SUMMARY_RE.match(l) for l in err.splitlines()),
         'reader gone: trawl was not quiet: %r' % err)

lst.close()
shutil.rmtree(tmp)
ck.finish()
