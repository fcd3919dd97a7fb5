#!/usr/bin/env python3
"""End-to-end tests of --baseline, --fail-on-change and --config.

    python3 tests/e2e/test_baseline.py /path/to/trawl

In a private network namespace (unshare -n) holding only lo:
  1. a first run creates the baseline (exit 0, no changes reported);
  2. a listener added and one removed: exactly those two changes, as text
     and as NDJSON "change" records, exit 3 with --fail-on-change, and the
     baseline now holds the new state (a third run reports nothing);
  3. a host that appears and one that disappears;
  4. an interrupted run leaves the baseline untouched;
  5. a damaged baseline is an error naming FILE:LINE (exit 2);
  6. --config: options from a file, the command line wins, a bad line is
     reported with its file and line (exit 2).
Exit 0 pass, 1 fail, 77 skip, 99 harness error.
"""
import json
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_util as U  # noqa: E402
from sweep_util import Fail, check, log  # noqa: E402

PORTS = '7000-7009'


def changes_of(res, what):
    """NDJSON "change" records of a run: {(change, ip, port)}."""
    out = set()
    for line in res.out.decode().splitlines():
        obj = json.loads(line)
        if 'change' in obj:
            out.add((obj['change'], obj['ip'], obj.get('port')))
    return out


def run(c, args, rc, what):
    res = U.run_trawl(c['bin'], args, cwd=c['tmp'])
    U.expect_rc(res, rc, what)
    return res


def main():
    if len(sys.argv) != 2:
        print('usage: %s /path/to/trawl' % sys.argv[0], file=sys.stderr)
        sys.exit(U.HARD_ERROR)
    U.enter_private_netns()
    tmp = tempfile.mkdtemp(prefix='trawl-baseline-')
    c = {'bin': os.path.abspath(sys.argv[1]), 'tmp': tmp}
    base = os.path.join(tmp, 'scan.baseline')
    args = ['-p', PORTS, '127.0.0.1', '127.0.0.2', '--baseline', base,
            '-f', 'ndjson', '--fail-on-change']
    try:
        a = U.Listeners([('127.0.0.1', 7001), ('127.0.0.1', 7002),
                         ('127.0.0.2', 7005)])
        # 1. First run: the file appears, nothing to compare with.
        res = run(c, args, 0, 'first run')
        check(os.path.exists(base), 'first run did not write the baseline')
        check(changes_of(res, 'first') == set(),
              'first run reported changes: %r' % changes_of(res, 'first'))
        log('1. first run: baseline written, no changes, exit 0')

        # 2. 7002 closes, 7003 opens.
        a.close()
        b = U.Listeners([('127.0.0.1', 7001), ('127.0.0.1', 7003),
                         ('127.0.0.2', 7005)])
        res = run(c, args, 3, 'one port opened, one closed')
        got = changes_of(res, 'second')
        want = {('port-opened', '127.0.0.1', 7003),
                ('port-closed', '127.0.0.1', 7002)}
        check(got == want, 'changes %r, want %r' % (got, want))
        text = run(c, ['-p', PORTS, '127.0.0.1', '127.0.0.2',
                       '--baseline', base], 0, 'no change, text').out
        check(b'Changes since' not in text, 'unchanged run printed changes')
        log('2. port opened and port closed reported exactly, exit 3; '
            'next run: no change')

        # 3. 127.0.0.2 disappears, 127.0.0.3 appears (text output).
        b.close()
        d = U.Listeners([('127.0.0.1', 7001), ('127.0.0.1', 7003),
                         ('127.0.0.3', 7009)])
        res = run(c, ['-p', PORTS, '127.0.0.1', '127.0.0.2', '127.0.0.3',
                      '--baseline', base, '--fail-on-change'], 3,
                  'host up and down')
        text = res.out.decode()
        for line in ('+ host 127.0.0.3 up', '- host 127.0.0.2 down',
                     '+ 127.0.0.3 port 7009/tcp open',
                     '- 127.0.0.2 port 7005/tcp no longer open'):
            check(line in text.splitlines(), 'text output lacks %r:\n%s'
                  % (line, text))
        check('Changes since the last run:' in text, 'no header:\n' + text)
        log('3. host up and host down reported as text, exit 3')

        # 4. An interrupted run leaves the baseline as it was.
        with open(base, 'rb') as f:
            before = f.read()
        p = U.start_trawl(c['bin'], ['-p', '1-65535', '127.0.0.0/28',
                                     '--rate', '2000', '--baseline', base,
                                     '-q'], cwd=tmp)
        # Its handlers in place, the scan has eight minutes to go.
        if not U.wait_ready(p):
            res = U.finish_trawl(p, 60)
            raise Fail('a 1M-probe scan at 2000/s ended (or never got '
                       'going) before it could take a signal\n%s'
                       % res.describe())
        U.send_signal(p, signal.SIGINT)
        U.expect_rc(U.finish_trawl(p, 60), 130, 'interrupted run')
        with open(base, 'rb') as f:
            check(f.read() == before, 'an interrupted run changed the '
                  'baseline')
        check(not [n for n in os.listdir(tmp) if '.tmp' in n],
              'temporary files left: %r' % os.listdir(tmp))
        log('4. interrupted run: baseline untouched, no temporary file')

        # 5. A damaged baseline: FILE:LINE, exit 2, nothing scanned.
        bad = os.path.join(tmp, 'bad.baseline')
        with open(bad, 'w') as f:
            f.write('trawl-baseline 1\nfingerprint 00\nopen 127.0.0.1 99999'
                    '\nend\n')
        res = run(c, ['-p', PORTS, '127.0.0.1', '--baseline', bad], 2,
                  'damaged baseline')
        check(res.out == b'' and (bad + ':3:') in res.err,
              'want no output and "%s:3:" on stderr:\n%s'
              % (bad, res.describe()))
        log('5. damaged baseline: %s' % res.err.strip())

        # 6. --config.
        conf = os.path.join(tmp, 'scan.conf')
        with open(conf, 'w') as f:
            f.write('# ports and format from the file\n'
                    'ports = 7001,7003\nformat = ndjson\n\nstates = all\n')
        res = run(c, ['--config', conf, '127.0.0.1', '-q'], 0, '--config')
        got = {(r[1], r[2]) for r in U.parse_ndjson(res.out, '--config')}
        check(got == {(7001, 'open'), (7003, 'open')},
              '--config ports/format/states not applied: %r' % got)
        res = run(c, ['--config', conf, '-p', '7002', '127.0.0.1', '-q'], 0,
                  '--config, -p wins')
        got = {(r[1], r[2]) for r in U.parse_ndjson(res.out, '-p wins')}
        check(got == {(7002, 'closed')}, 'command line -p must replace the '
              "config's ports: %r" % got)
        with open(conf, 'a') as f:
            f.write('threads = lots\n')
        res = run(c, ['--config', conf, '127.0.0.1'], 2, 'bad config value')
        check(res.err.strip() == "trawl: %s:6: bad threads 'lots' "
              '(1..1024)' % conf, 'bad value: want the file and line: %r'
              % res.err)
        with open(conf, 'w') as f:
            f.write('ports 22\n')
        res = run(c, ['--config', conf, '127.0.0.1'], 2, 'bad config line')
        check(res.err.startswith('trawl: %s:1: ' % conf) and
              len(res.err.splitlines()) == 1,
              'bad line: want one line with file:line: %r' % res.err)
        log('6. --config: applied, command line wins, errors name '
            'FILE:LINE')
        d.close()
    except Fail as e:
        log('FAIL: %s\n(files kept in %s)' % (e, tmp))
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    log('all baseline and config tests passed')


if __name__ == '__main__':
    main()
