"""Run the program under test through a wrapper such as valgrind.

    TRAWL_WRAPPER='valgrind --error-exitcode=99 --leak-check=full ...'

When TRAWL_WRAPPER is set (meson test --setup=valgrind sets it), wrap(path)
returns an executable script, named like the program, that execs the
wrapper with the real program and its arguments.  Every way a test starts
trawl -- netns.run(), a bare subprocess.Popen, a shell pipeline, setpriv,
unshare -m -- then runs it under the wrapper, and with exec the process id
stays the one the test signals.  Without TRAWL_WRAPPER, wrap(path) is path.

For valgrind, a --log-file per process and --error-markers are added, so
that its reports never mix with trawl's own stderr (which the tests compare
exactly); when the test process ends, every report is printed and any
error in one (a memory error, or a leak of a kind that counts as an error)
makes the test fail, even one in a run whose exit status the test did not
look at, or that died of a signal.

A wrapper makes trawl slow to start (valgrind: a second or more before
main()), so no test acts on a running trawl after a fixed delay; it waits
for a sign (netns.wait_ready() and the helpers beside it).
"""

import atexit
import os
import re
import shlex
import shutil
import sys
import tempfile

ENV = 'TRAWL_WRAPPER'
_BEGIN, _END = '@@TRAWL-VG-ERROR-BEGIN@@', '@@TRAWL-VG-ERROR-END@@'


def argv():
    return shlex.split(os.environ.get(ENV, ''))


WRAPPED = bool(argv())

_dir = None
_logdir = None
_made = {}

# Under a wrapper that drops privileges (meson test --setup=nobody: setpriv
# to nobody), trawl must read what the test wrote and write where the test
# reads: the test's files and temporary directories are open to everyone.
# trawl's own access is what is tested, not the test's.
DROPS_PRIVILEGES = WRAPPED and os.path.basename(argv()[0]) == 'setpriv'
if DROPS_PRIVILEGES:
    os.umask(0)
    _mkdtemp = tempfile.mkdtemp

    def _open_mkdtemp(*args, **kwargs):
        d = _mkdtemp(*args, **kwargs)
        os.chmod(d, 0o777)
        return d

    tempfile.mkdtemp = _open_mkdtemp


def _setup():
    global _dir, _logdir
    if _dir is not None:
        return
    _dir = tempfile.mkdtemp(prefix='trawl-wrap.')
    # Reachable by an unprivileged user too (tests that drop privileges).
    os.chmod(_dir, 0o755)
    _logdir = os.path.join(_dir, 'logs')
    os.mkdir(_logdir)
    os.chmod(_logdir, 0o1777)
    atexit.register(_report)


def wrap(path):
    """path itself, or a script that runs it under TRAWL_WRAPPER."""
    path = os.path.abspath(path)
    w = argv()
    if not w:
        return path
    if path in _made:
        return _made[path]
    _setup()
    sub = os.path.join(_dir, str(len(_made)))
    os.mkdir(sub)
    os.chmod(sub, 0o755)
    if os.path.basename(w[0]) == 'valgrind':
        if not any(a.startswith(('--log-file', '--log-fd', '--log-socket'))
                   for a in w):
            w.append('--log-file=%s/vg.%%p.log' % _logdir)
        if not any(a.startswith('--error-markers') for a in w):
            w.append('--error-markers=%s,%s' % (_BEGIN, _END))
    if DROPS_PRIVILEGES:
        _check_unprivileged(w)
    script = os.path.join(sub, os.path.basename(path))
    with open(script, 'w') as f:
        f.write('#!/bin/sh\nexec %s %s "$@"\n'
                % (shlex.join(w), shlex.quote(path)))
    os.chmod(script, 0o755)
    _made[path] = script
    print('running %s under: %s' % (os.path.basename(path), shlex.join(w)),
          flush=True)
    return script


def _check_unprivileged(w):
    """The premise of --setup=nobody: what the wrapper runs has no root
    and no capability.  If not, every test would pass for nothing."""
    import subprocess
    r = subprocess.run(w + ['/bin/sh', '-c', 'id -u; grep ^CapEff: '
                            '/proc/self/status'],
                       capture_output=True, text=True)
    lines = r.stdout.split()
    if r.returncode != 0 or len(lines) != 3 or lines[0] == '0' or \
            int(lines[2], 16) != 0:
        print('FAIL: %s does not drop privileges: exit %d, %r %r'
              % (shlex.join(w), r.returncode, r.stdout, r.stderr),
              flush=True)
        os._exit(1)
    print('trawl runs as uid %s with no capability' % lines[0], flush=True)


def _errors(text):
    """The error blocks of one valgrind log; leaks of a kind that is not
    an error (possibly lost, still reachable) are left out."""
    blocks, cur = [], None
    for line in text.splitlines():
        body = re.sub(r'^==\d+== ?', '', line)
        if body == _BEGIN:
            cur = []
        elif body == _END:
            if cur is not None:
                blocks.append('\n'.join(cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    return [b for b in blocks
            if not re.search(r'are (possibly lost|still reachable)', b)]


def _report():
    if _logdir is None:
        return
    logs = sorted(os.listdir(_logdir))
    bad = 0
    for name in logs:
        path = os.path.join(_logdir, name)
        with open(path, errors='replace') as f:
            text = f.read()
        if not text.strip():
            continue
        errs = _errors(text)
        bad += len(errs)
        print('--- %s (%d error%s) ---\n%s' % (name, len(errs),
                                              '' if len(errs) == 1 else 's',
                                              text.rstrip()), flush=True)
    print('%s: %d run(s) logged, %d error(s)'
          % (argv()[0], len(logs), bad), flush=True)
    shutil.rmtree(_dir, ignore_errors=True)
    if bad:
        print('FAIL: %s found %d error(s) in the program under test (see '
              'above)' % (argv()[0], bad), flush=True)
        sys.stderr.flush()
        os._exit(1)
