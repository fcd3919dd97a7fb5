#!/usr/bin/env python3
"""Issue 7, point 5: the output fails under trawl.

(a) -o /dev/full, in every format, for a scan with many results and for
    one with a single result, and the standard output on /dev/full: exit
    1 and the line "trawl: cannot write to '/dev/full': No space left on
    device" (or 'standard output'), no other error.  If trawl also says
    "to continue: trawl --resume FILE" and saves FILE, resuming it into a
    good file must lose nothing: every result trawl could not write is
    still to do.
(b) --version, --help and --dry-run on a full standard output: exit 1 with
    a one-line message, like any other write error (not a silent 1).
(c) The disk fills up in the middle of a scan (a 64 KiB tmpfs in a mount
    namespace of trawl's own): exit 1 with the error naming the file; the
    whole lines written are records of the ground truth; if the rest was
    saved, resuming it into another file completes the scan -- no
    (address, port) missing from the two files together.
(d) The reader of the standard output goes away: `trawl ... | head -1` in a
    real shell, for every format and with threads, on a scan of 10000
    results: head gets the first line, trawl ends quietly -- nothing on
    stderr but perhaps the summary, exit by SIGPIPE (141 in the shell) or
    0, no core dump (checked from the raw wait status, with core dumps
    allowed) -- also with SIGPIPE ignored by the shell (trap '' PIPE) and
    with -o -.
"""
import errno
import json
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-outfail')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-outfail.')

if not os.path.exists('/dev/full'):
    netns.skip('no /dev/full here')
if shutil.which('bash') is None or shutil.which('head') is None:
    netns.skip('bash(1) or head(1) not found')

ENOSPC = os.strerror(errno.ENOSPC)
FORMATS = ('text', 'ndjson', 'csv', 'grep', 'xml')

lst = netns.Listeners()
OPEN = set(range(5, 10000, 97)) | {22}
for port in OPEN:
    lst.add('127.0.0.1', port)
lst.start()
PORTS = list(range(1, 10001))
truth = netns.Truth().build(['127.0.0.1'], PORTS,
                            {('127.0.0.1', p) for p in OPEN}, set())
BIG = ['--states', 'all', '-t', '300', '-p', '1-10000', '127.0.0.1']
truth1 = netns.Truth().build(['127.0.0.1'], [22], {('127.0.0.1', 22)},
                             set())
SMALL = ['-t', '300', '-p', '22', '127.0.0.1']


STOPPED = ', stopped: output failed'


def extra_lines(r, allowed):
    """stderr lines that are neither the summary (possibly stopped by the
    output failure: not "interrupted", nobody pressed Ctrl-C) nor in
    allowed."""
    out = []
    for line in r.err_lines:
        base = line[:-len(STOPPED)] if line.endswith(STOPPED) else line
        if netns.SUMMARY_RE.match(base) or line in allowed:
            continue
        out.append(line)
    return out


def stopped_line(path):
    return ('trawl: stopped; to continue: trawl --resume %s with the same '
            'arguments' % path)


def resume_loses_nothing(argv_ok, resume, tr, written, what):
    """trawl saved resume: running argv_ok (same scan, --resume, a good
    output) must bring every result not in written."""
    r = netns.run(argv_ok, timeout=120)
    ck.check(r.rc == 0, '%s, resumed: exit %r' % (what, r.rc))
    recs = netns.parse_ndjson(ck, r)
    got = {(x['ip'], x['port']): x['state'] for x in recs}
    got.update(written)
    missing = sorted(p for p in tr.state if p not in got)
    wrong = sorted(p for p in tr.state if p in got and got[p] != tr.state[p])
    ck.check(not missing and not wrong,
             '%s: trawl said "to continue: trawl --resume %s" and saved it, '
             'but the resumed run brought %d records and %d results are '
             'lost for good (e.g. %r), %d wrong [trawl bug: the results '
             'that could not be written are counted as done in the resume '
             'file]' % (what, os.path.basename(resume), len(recs),
                        len(missing), missing[:5], len(wrong)))


# --- (a) /dev/full ------------------------------------------------------------

n = 0
for fmt in FORMATS:
    for scan, tr, size in ((BIG, truth, 'many results'),
                           (SMALL, truth1, 'one result')):
        for spec in ('%s:/dev/full' % fmt,) + (('/dev/full',)
                                               if fmt == 'text' else ()):
            n += 1
            resume = os.path.join(tmp, 'full-%d.resume' % n)
            what = '-o %s, %s' % (spec, size)
            r = netns.run([trawl, '-o', spec, '--resume', resume, *scan],
                          timeout=120)
            want = "trawl: cannot write to '/dev/full': %s" % ENOSPC
            ck.check(r.rc == 1, '%s: exit %r, want 1' % (what, r.rc))
            ck.check(r.out == '', '%s: stdout %r' % (what, r.out[:100]))
            ck.check(r.err_lines.count(want) == 1,
                     '%s: want the line %r once: %r' % (what, want, r.err))
            extra = extra_lines(r, [want, stopped_line(resume)])
            ck.check(not extra, '%s: other lines on stderr: %r'
                     % (what, extra))
            saved = os.path.exists(resume)
            ck.check(saved == (stopped_line(resume) in r.err_lines),
                     '%s: resume file %s, but stderr %s "to continue"'
                     % (what, 'saved' if saved else 'not saved',
                        'says' if not saved else 'does not say'))
            if saved and fmt == 'ndjson':
                resume_loses_nothing(
                    [trawl, '-f', 'ndjson', '--resume', resume, *scan],
                    resume, tr, {}, what)

# The standard output on /dev/full.
with open('/dev/full', 'w') as full:
    for scan, size in ((BIG, 'many results'), (SMALL, 'one result')):
        resume = os.path.join(tmp, 'stdout-full.resume')
        argv = [trawl, '-f', 'ndjson', '--resume', resume, *scan]
        netns.log('+ %s > /dev/full' % ' '.join(argv))
        p = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120, cwd=tmp)
        r = netns.Run(argv, p.returncode, '', p.stderr, 0)
        netns.log('  exit %r, stderr: %s' % (r.rc, r.err.strip()))
        want = "trawl: cannot write to 'standard output': %s" % ENOSPC
        what = 'stdout on /dev/full, %s' % size
        ck.check(r.rc == 1, '%s: exit %r, want 1' % (what, r.rc))
        ck.check(r.err_lines.count(want) == 1, '%s: want the line %r: %r'
                 % (what, want, r.err))
        extra = extra_lines(r, [want, stopped_line(resume)])
        ck.check(not extra, '%s: other lines on stderr: %r' % (what, extra))
        if os.path.exists(resume):
            resume_loses_nothing(argv, resume,
                                 truth if scan is BIG else truth1, {}, what)
            if os.path.exists(resume):
                os.unlink(resume)

# --- (b) --version, --help, --dry-run on a full stdout ------------------------

with open('/dev/full', 'w') as full:
    for args in (['--version'], ['--help'], ['--dry-run', *SMALL]):
        argv = [trawl, *args]
        netns.log('+ %s > /dev/full' % ' '.join(argv))
        p = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=30, cwd=tmp)
        lines = p.stderr.splitlines()
        netns.log('  exit %r, stderr: %r' % (p.returncode, p.stderr))
        ck.check(p.returncode == 1 and len(lines) == 1 and
                 lines[0].startswith('trawl: ') and ENOSPC in lines[0],
                 '%s > /dev/full: want exit 1 and one line "trawl: ...: %s",'
                 ' got exit %r and %r [trawl bug: a silent exit 1]'
                 % (' '.join(args), ENOSPC, p.returncode, p.stderr))

# --- (c) the disk fills up during the scan ---------------------------------------

mnt = os.path.join(tmp, 'small')
os.mkdir(mnt)
keep = os.path.join(tmp, 'kept.ndjson')
resume = os.path.join(tmp, 'small.resume')
out = os.path.join(mnt, 'out.ndjson')
argv = [trawl, '-f', 'ndjson', '-o', out, '--resume', resume, *BIG]
# trawl in a mount namespace of its own with a 64 KiB tmpfs on mnt; what
# it wrote there is copied out before the namespace goes.
wrap = ['unshare', '-m', '--', 'sh', '-c',
        'mount -t tmpfs -o size=64k trawltest "$0" || exit 99; "$@"; rc=$?; '
        'cp "$0/out.ndjson" %s; exit $rc' % shlex.quote(keep), mnt]
probe_ns = subprocess.run(wrap[:5] + ['mount -t tmpfs -o size=64k trawltest '
                                      '"$0"', mnt], capture_output=True,
                          text=True)
if probe_ns.returncode != 0:
    ck.cannot_run('no tmpfs in a mount namespace here (%s): a disk filling '
                  'up during the scan not tested' % probe_ns.stderr.strip())
else:
    r = netns.run(argv, wrap=wrap, timeout=120)
    what = 'a 64 KiB disk filled up during the scan'
    want = "trawl: cannot write to '%s': %s" % (out, ENOSPC)
    ck.check(r.rc == 1, '%s: exit %r, want 1' % (what, r.rc))
    ck.check(r.err_lines.count(want) == 1, '%s: want the line %r: %r'
             % (what, want, r.err))
    extra = extra_lines(r, [want, stopped_line(resume)])
    ck.check(not extra, '%s: other lines on stderr: %r' % (what, extra))
    with open(keep, 'rb') as f:
        data = f.read()
    whole = data[:data.rfind(b'\n') + 1]
    netns.log('  %d bytes written, %d whole lines' % (len(data),
                                                      whole.count(b'\n')))
    written = {}
    for line in whole.splitlines():
        x = json.loads(line)
        written[(x['ip'], x['port'])] = x['state']
    bad = [k for k, st in written.items() if truth.state.get(k) != st]
    ck.check(not bad, '%s: records written that are not the ground truth: '
             '%r' % (what, bad[:5]))
    ck.check(0 < len(written) < len(truth.state), '%s: %d records written'
             % (what, len(written)))
    if os.path.exists(resume):
        resume_loses_nothing(
            [trawl, '-f', 'ndjson', '--resume', resume, *BIG],
            resume, truth, written, what)

# --- (d) the reader goes away ----------------------------------------------------

def pipeline(args, trap=False):
    """bash: trawl ARGS 2>ERR | head -1; trawl's status from PIPESTATUS."""
    err = os.path.join(tmp, 'pipe.err')
    cmd = '%s%s 2>%s | head -1; echo "status=${PIPESTATUS[0]}" >&2' % (
        "trap '' PIPE; " if trap else '', shlex.join([trawl, *args]),
        shlex.quote(err))
    netns.log('+ bash -c %s' % shlex.quote(cmd))
    p = subprocess.run(['bash', '-c', cmd], capture_output=True, text=True,
                       errors='backslashreplace', timeout=120, cwd=tmp)
    with open(err, errors='backslashreplace') as f:
        terr = f.read()
    status = p.stderr.strip().rsplit('status=', 1)[-1]
    netns.log('  head printed %r; trawl status %s; trawl stderr %r'
              % (p.stdout[:100], status, terr))
    return p.stdout, status, terr


FIRST = {'text': '127.0.0.1', 'ndjson': '{"ip":"127.0.0.1","port":1,',
         'csv': 'ip,port,proto,state,host,service,rtt_ms,reason',
         'grep': '# trawl ', 'xml': '<?xml version="1.0"'}
for fmt in FORMATS:
    for extra, trap in ((['-f', fmt], False), (['-f', fmt, '-T', '2'], False),
                        (['-f', fmt], True), (['-o', '%s:-' % fmt], False)):
        args = ['--order', 'sequential', *extra, *BIG]
        what = 'trawl %s | head -1%s' % (' '.join(args),
                                         ' (SIGPIPE ignored)' if trap else '')
        head, status, terr = pipeline(args, trap)
        ck.check(head.startswith(FIRST[fmt]) and head.count('\n') == 1,
                 '%s: head printed %r' % (what, head[:200]))
        ck.check(status in ('141', '0'), '%s: trawl exit status %s, want '
                 '141 (SIGPIPE) or 0' % (what, status))
        noise = [line for line in terr.splitlines()
                 if not netns.SUMMARY_RE.match(line)]
        ck.check(not noise, '%s: trawl was not quiet: %r' % (what, noise))

# The raw wait status, core dumps allowed: no core, SIGPIPE or exit 0.
for fmt in ('ndjson', 'xml'):
    argv = [trawl, '-f', fmt, *BIG]
    netns.log('+ %s | head -1  # raw wait status' % ' '.join(argv))
    rfd, wfd = os.pipe()

    def allow_core():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,
                                                  resource.RLIM_INFINITY))
    t = subprocess.Popen(argv, stdout=wfd, stderr=subprocess.PIPE, cwd=tmp,
                         preexec_fn=allow_core)
    h = subprocess.Popen(['head', '-1'], stdin=rfd, stdout=subprocess.PIPE)
    os.close(rfd)
    os.close(wfd)
    head = h.communicate(timeout=120)[0]
    terr = t.stderr.read().decode('utf-8', 'backslashreplace')
    _, st = os.waitpid(t.pid, 0)
    t.returncode = 0        # reaped here
    netns.log('  head %r; wait status %#x; stderr %r' % (head[:60], st,
                                                         terr))
    ck.check(not os.WCOREDUMP(st), '%s | head -1: trawl dumped core '
             '(status %#x)' % (' '.join(argv), st))
    ok = (os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGPIPE) or \
        (os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
    ck.check(ok, '%s | head -1: wait status %#x, want death by SIGPIPE or '
             'exit 0' % (' '.join(argv), st))
    ck.check(all(netns.SUMMARY_RE.match(l) for l in terr.splitlines()),
             '%s | head -1: trawl was not quiet: %r' % (' '.join(argv),
                                                       terr))
    cores = [f for f in os.listdir(tmp) if f.startswith('core')]
    ck.check(not cores, 'core files left: %r' % cores)

lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
