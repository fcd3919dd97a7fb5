#!/usr/bin/env python3
"""Scheduled runs as installed: this build installed with meson into a
DESTDIR, then the installed trawl, example configuration and
trawl@.service, night after night, in a private network namespace.

    python3 tests/e2e/test_scheduled.py TRAWL MESON BUILD_DIR

  1. The installed example configuration runs as it is, the targets on the
     command line: it names no file that is not installed with it.
  2. Edited as the README says (NAME is office, its input-file line in
     use, the targets file written), it is the configuration of
     trawl@office.service, whose ExecStartPre= and ExecStart= run as
     systemd runs them (sdunit.py), /etc/trawl and the state directory
     moved into the test's directory.
     Night 1: exit 0; office.ndjson holds the open ports and nothing else;
     office.changes.ndjson is there and empty; office.xml a complete
     document; no office.prev.xml yet.
     Night 2, a port closed and one opened, a host gone and one new: exit
     3 (--fail-on-change); office.ndjson the new open ports, results only;
     office.changes.ndjson the six changes, changes only; office.prev.xml
     is night 1's document byte for byte, office.xml night 2's; ndiff
     between them shows the port that opened.
     Night 3 is stopped by SIGTERM (as systemctl stop does): its document
     does not end in success, and the baseline stays night 2's.
     Night 4, the targets changed back: the stopped sweep's resume file
     (office.resume) is of another scan, and the unit refuses to run
     (exit 2, naming it) rather than guess; nothing is touched.
     Night 5, the resume file removed as the unit's comment says: the
     stopped night's document is not taken for the previous one:
     office.prev.xml is still night 2's, and nothing changed since night 2
     (exit 0, no change).
Exit 0 pass, 1 fail, 77 skip, 99 harness error.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
import sdunit  # noqa: E402
import trawlwrap  # noqa: E402

netns.enter_namespace()
if len(sys.argv) < 4:
    netns.hard_error('usage: %s TRAWL MESON BUILD_DIR' % sys.argv[0])
MESON, BUILD = sys.argv[2], sys.argv[3]
ck = netns.Checker('e2e-scheduled')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-scheduled.')
INSTANCE = 'office'

# --- the install -------------------------------------------------------------

dest = os.path.join(tmp, 'dest')
r = subprocess.run([MESON, 'install', '-C', BUILD, '--no-rebuild',
                    '--destdir', dest], capture_output=True, text=True)
if r.returncode != 0:
    netns.hard_error('meson install --destdir %s: exit %d: %s'
                     % (dest, r.returncode, (r.stdout + r.stderr)[-1500:]))
r = subprocess.run([MESON, 'introspect', '--installed', BUILD],
                   capture_output=True, text=True)
if r.returncode != 0:
    netns.hard_error('meson introspect --installed: ' + r.stderr[-500:])
installed = list(json.loads(r.stdout).values())


def where(suffix):
    """The installed path ending in suffix (as the unit names it), or
    None."""
    found = [p for p in installed if p.endswith(suffix)]
    return found[0] if len(found) == 1 else None


def in_dest(path):
    return os.path.join(dest, path.lstrip('/'))


bin_trawl = where('/bin/trawl')
conf_path = where('/share/doc/trawl/examples/trawl.conf')
unit_path = where('/trawl@.service')
if bin_trawl is None or conf_path is None:
    netns.hard_error('meson installs no bin/trawl or share/doc/trawl/'
                     'examples/trawl.conf: %r' % installed)
for p in (bin_trawl, conf_path) + ((unit_path,) if unit_path else ()):
    if not os.path.exists(in_dest(p)):
        netns.hard_error('%s is not in the DESTDIR' % p)
trawl = trawlwrap.wrap(in_dest(bin_trawl))
with open(in_dest(conf_path)) as f:
    example = f.read()
netns.log('installed in %s: %s, %s, %s' % (dest, bin_trawl, conf_path,
                                           unit_path))

# What answers: (ip, port) pairs on the example's ports, night by night.
TARGETS = '127.0.0.2-127.0.0.5'
NIGHT1 = {('127.0.0.2', 22), ('127.0.0.2', 8080), ('127.0.0.3', 443)}
NIGHT2 = {('127.0.0.2', 22), ('127.0.0.2', 80), ('127.0.0.4', 5432)}
CHANGES = [('port-opened', '127.0.0.2', 80),
           ('port-closed', '127.0.0.2', 8080),
           ('host-down', '127.0.0.3', None),
           ('port-closed', '127.0.0.3', 443),
           ('host-up', '127.0.0.4', None),
           ('port-opened', '127.0.0.4', 5432)]


def read(path):
    with open(path, errors='backslashreplace') as f:
        return f.read()


def records(what, text):
    """(results {(ip, port)} of open ports, changes [(change, ip, port)])
    of an NDJSON text, each record checked against its contract."""
    changes = []
    recs = netns.parse_ndjson(ck, netns.Run([what], 0, '', '', 0),
                              where=text, changes=changes)
    ck.check(all(x['state'] == 'open' for x in recs),
             '%s: states other than open: %r' % (what, recs[:3]))
    return ({(x['ip'], x['port']) for x in recs},
            [(c['change'], c['ip'], c.get('port')) for c in changes])


def xml_doc(path):
    """(open ports, how its run ended) of an XML document; (None, None)
    when it is not one."""
    try:
        root = ET.fromstring(read(path))
    except (ET.ParseError, OSError) as e:
        ck.check(False, '%s is not an XML document: %s' % (path, e))
        return None, None
    got = set()
    for h in root.iter('host'):
        ip = [a.get('addr') for a in h.iter('address')][0]
        for p in h.iter('port'):
            if p.find('state').get('state') == 'open':
                got.add((ip, int(p.get('portid'))))
    fin = root.find('runstats/finished')
    return got, fin.get('exit') if fin is not None else None


# --- 1. the example as installed ---------------------------------------------

first = netns.listen(sorted(NIGHT1))
r = netns.run([trawl, '--config', in_dest(conf_path), '-f', 'ndjson',
               TARGETS], cwd=tmp)
got, changes = records('the installed example', r.out)
ck.check(r.rc == 0 and got == NIGHT1 and not changes,
         'the installed example with %s: exit %r, open %r, want exit 0 and '
         '%r\nstderr: %s' % (TARGETS, r.rc, sorted(got), sorted(NIGHT1),
                             r.err))
netns.log('1. the installed example configuration runs as installed')

if unit_path is None:
    first.close()
    ck.cannot_run('no trawl@.service installed (systemd not found at '
                  'configure time): the unit not run')
    shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()

# --- 2. trawl@office.service, night after night --------------------------------

etc = os.path.join(tmp, 'etc-trawl')
state = os.path.join(tmp, 'state')
os.mkdir(etc)
os.mkdir(state)
# WorkingDirectory= and StateDirectory=, owned by the dynamic user: here by
# whoever trawl runs as (nobody under --setup=nobody).
os.chmod(state, 0o777 if trawlwrap.DROPS_PRIVILEGES else 0o700)
edited = re.sub(r'^# (input-file = )', r'\1', example.replace('NAME',
                                                               INSTANCE),
                flags=re.M)
if not ck.check(re.search(r'^input-file = /etc/trawl/office\.targets$',
                          edited, re.M),
                'the example has no "# input-file = /etc/trawl/NAME.targets" '
                'line to put in use, as the README says'):
    ck.finish()
with open(os.path.join(etc, INSTANCE + '.conf'), 'w') as f:
    f.write(edited.replace('/etc/trawl/', etc + '/'))


def targets(text):
    with open(os.path.join(etc, INSTANCE + '.targets'), 'w') as f:
        f.write(text)


targets('# the office\n%s\n' % TARGETS)
try:
    cmds = sdunit.commands(read(in_dest(unit_path)), INSTANCE,
                           {'STATE_DIRECTORY': state})
except ValueError as e:
    netns.hard_error('%s: %s' % (unit_path, e))
if not cmds or cmds[-1][0][0] != bin_trawl:
    netns.hard_error('%s: the last command is not the installed trawl '
                     '(%s): %r' % (unit_path, bin_trawl, cmds))
netns.log('the unit runs, in %s:\n%s' % (state, '\n'.join(
    '  ' + ' '.join(argv) for argv, _ in cmds)))


def unit_argv(argv):
    """A command of the unit as it runs here: the installed trawl (under
    TRAWL_WRAPPER too), /etc/trawl in the test's directory."""
    argv = [a.replace('/etc/trawl/', etc + '/') for a in argv]
    if argv[0] == bin_trawl:
        argv[0] = trawl
    return argv


def night(n, rc, stop=False):
    """One start of trawl@office.service: each ExecStartPre=, then
    ExecStart= (stopped with SIGTERM once ready when stop); its Run."""
    for argv, ignore in cmds[:-1]:
        p = subprocess.run(unit_argv(argv), cwd=state, capture_output=True,
                           text=True)
        if p.returncode != 0 and not ignore:
            ck.check(False, 'night %d: ExecStartPre= %r: exit %d: %s'
                     % (n, argv, p.returncode, p.stderr))
            return None
    argv = unit_argv(cmds[-1][0])
    if stop:
        p = netns.start(argv, cwd=state)
        ready = netns.wait_ready(p)
        if ready:
            p.send_signal(signal.SIGTERM)
        r = netns.finish(p)
        ck.check(ready, 'night %d: the scan ended (or never got going) '
                 'before it could be stopped: exit %r\nstderr: %s'
                 % (n, r.rc, r.err))
    else:
        r = netns.run(argv, cwd=state)
    ck.check(r.rc == rc, 'night %d: exit %r, want %d\nstderr: %s'
             % (n, r.rc, rc, r.err))
    return r


def path(name):
    return os.path.join(state, INSTANCE + name)


def check_night(n, want_open, want_changes):
    """office.ndjson holds want_open alone, office.changes.ndjson
    want_changes alone, office.xml want_open and ran to its end."""
    got, changes = records('night %d: %s.ndjson' % (n, INSTANCE),
                           read(path('.ndjson')))
    ck.check(got == want_open and not changes,
             'night %d: %s.ndjson holds open %r and %d change records; want '
             '%r, results only' % (n, INSTANCE, sorted(got), len(changes),
                                   sorted(want_open)))
    got, changes = records('night %d: %s.changes.ndjson' % (n, INSTANCE),
                           read(path('.changes.ndjson')))
    ck.check(not got and changes == want_changes,
             'night %d: %s.changes.ndjson holds changes %r and %d results; '
             'want %r, changes only' % (n, INSTANCE, changes, len(got),
                                        want_changes))
    xml_open, how = xml_doc(path('.xml'))
    ck.check(xml_open == want_open and how == 'success',
             'night %d: %s.xml: open %r, ended %r; want %r, success'
             % (n, INSTANCE, xml_open and sorted(xml_open), how,
                sorted(want_open)))
    ck.check(os.path.exists(path('.baseline')), 'night %d: no %s.baseline'
             % (n, INSTANCE))


# Night 1: the first run makes the baseline; nothing to compare.
night(1, 0)
check_night(1, NIGHT1, [])
ck.check(not os.path.exists(path('.prev.xml')),
         'night 1: a %s.prev.xml out of nowhere' % INSTANCE)
xml1 = read(path('.xml'))
first.close()
netns.log('night 1: results, an empty changes file, a complete XML')

# Night 2: two ports changed, a host went and one came.
second = netns.listen(sorted(NIGHT2))
night(2, 3)
check_night(2, NIGHT2, CHANGES)
ck.check(os.path.exists(path('.prev.xml')) and
         read(path('.prev.xml')) == xml1,
         "night 2: %s.prev.xml is not night 1's document" % INSTANCE)
xml2 = read(path('.xml'))
if shutil.which('ndiff') is not None:
    d = subprocess.run(['ndiff', path('.prev.xml'), path('.xml')],
                       capture_output=True, text=True)
    ck.check(d.returncode == 1 and
             re.search(r'^\+80/tcp +open', d.stdout, re.M) and
             '127.0.0.4' in d.stdout,
             'ndiff %s.prev.xml %s.xml: exit %d, want 1 and +80/tcp open, '
             '127.0.0.4:\n%s%s' % (INSTANCE, INSTANCE, d.returncode,
                                   d.stdout, d.stderr))
else:
    ck.cannot_run('ndiff(1) not found (Debian package ndiff): the two '
                  'nights not compared with it')
netns.log('night 2: exit 3, the six changes alone in the changes file, '
          'night 1 kept as %s.prev.xml' % INSTANCE)

# Night 3: stopped mid-scan (a scan of 65536 addresses at the example's
# rate would take an hour).
targets('127.0.0.0/16\n')
with open(path('.baseline'), 'rb') as f:
    baseline2 = f.read()
r = night(3, 143, stop=True)
if r is not None:
    _, how = xml_doc(path('.xml'))
    ck.check(how == 'error', 'night 3: the stopped run\'s %s.xml ended %r, '
             'want error' % (INSTANCE, how))
    ck.check(read(path('.prev.xml')) == xml2,
             "night 3: %s.prev.xml is not night 2's document" % INSTANCE)
    with open(path('.baseline'), 'rb') as f:
        ck.check(f.read() == baseline2, 'night 3: the stopped run '
                 'replaced the baseline')
    ck.check(os.path.exists(path('.resume')), 'night 3: the stopped run '
             'left no %s.resume to continue from' % INSTANCE)
netns.log('night 3: stopped by SIGTERM, its XML ends in error, the rest '
          'saved in %s.resume' % INSTANCE)

# Night 4: the targets changed while a sweep was unfinished.
targets('# the office\n%s\n' % TARGETS)
xml3 = read(path('.xml'))
r = night(4, 2)
if r is not None:
    ck.check(path('.resume') in r.err and r.err.count('\n') == 1,
             'night 4: want one line naming %s, got %r'
             % (path('.resume'), r.err))
    ck.check(read(path('.xml')) == xml3 and
             read(path('.prev.xml')) == xml2,
             'night 4: a refused run touched the XML files')
netns.log('night 4: the unfinished sweep of other targets refused, exit 2')

# Night 5: its resume file removed, the stopped night is not the previous
# one.
os.unlink(path('.resume'))
night(5, 0)
check_night(5, NIGHT2, [])
ck.check(read(path('.prev.xml')) == xml2,
         "night 5: %s.prev.xml is not night 2's document: the stopped "
         "night's was taken for it" % INSTANCE)
ck.check(not os.path.exists(path('.resume')), 'night 5: a complete run '
         'left %s.resume behind' % INSTANCE)
second.close()
netns.log("night 5: no change since night 2; %s.prev.xml is night 2's"
          % INSTANCE)

if ck.failures:
    netns.log('files kept in ' + tmp)
else:
    shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
