#!/usr/bin/env python3
"""Changes since the last run in every output format, and in their own.

A first run with --baseline writes the baseline; then a listener closes, one
opens, a host appears and one disappears.  The second run, from a copy of
that baseline each time, is made four ways:

  A. every results format at once: the formats that show changes as notes
     beside the results say exactly those changes, after the hosts and
     before their own end: text ("Changes since the last run:" and a line
     each), nmap's grepable format ("# Change: ..." comments before the
     closing comment) and nmap's XML (<output> elements before <runstats>,
     the document still valid against nmap's DTD).  NDJSON and CSV hold
     results only: not a change record among them.
  B. the same with -o changes:FILE: the changes file holds exactly the
     change records and nothing else, and no other output says a change
     (results files hold results only).
  C. NDJSON and CSV alone: the changes go to no output, and trawl says so
     once on stderr, naming -o changes:FILE.
  D. -f changes: the change records on stdout, nothing else.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-changes')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-changes.')
DTD = '/usr/share/nmap/nmap.dtd'
if shutil.which('xmllint') is None:
    netns.skip('xmllint(1) not found (Debian package libxml2-utils)')

base = os.path.join(tmp, 'scan.baseline')
SCAN = ['-p', '7000-7009', '-t', '300', '127.0.0.1-3', '--baseline', base]

first = netns.Listeners()
for pair in (('127.0.0.1', 7001), ('127.0.0.1', 7002), ('127.0.0.2', 7005)):
    first.add(*pair)
first.start()
r = netns.run([trawl, '-q', *SCAN])
ck.check(r.rc == 0 and os.path.exists(base), 'first run: exit %r, baseline '
         'written: %s' % (r.rc, os.path.exists(base)))
first.close()

second = netns.Listeners()
for pair in (('127.0.0.1', 7001), ('127.0.0.1', 7003), ('127.0.0.3', 7009)):
    second.add(*pair)
second.start()

LINES = ['- 127.0.0.1 port 7002/tcp no longer open',
         '+ 127.0.0.1 port 7003/tcp open',
         '- host 127.0.0.2 down',
         '- 127.0.0.2 port 7005/tcp no longer open',
         '+ host 127.0.0.3 up',
         '+ 127.0.0.3 port 7009/tcp open']
RECORDS = [('port-closed', '127.0.0.1', 7002), ('port-opened', '127.0.0.1', 7003),
           ('host-down', '127.0.0.2', None), ('port-closed', '127.0.0.2', 7005),
           ('host-up', '127.0.0.3', None), ('port-opened', '127.0.0.3', 7009)]

FORMATS = ('text', 'ndjson', 'grep', 'xml', 'csv')
NO_PLACE = ("trawl: changes since the last run are written to no output "
            "(ndjson and csv hold results only): -o changes:FILE keeps them")


def second_run(tag, formats, extra=(), rc=3):
    """The second run from a copy of the first run's baseline, each format
    of formats to a file of its own: {format: text}, and the Run."""
    copy = os.path.join(tmp, tag + '.baseline')
    shutil.copyfile(base, copy)
    out = {f: os.path.join(tmp, '%s.%s' % (tag, f)) for f in formats}
    argv = [trawl, *SCAN[:-1], copy, '--fail-on-change', *extra]
    for f, path in out.items():
        argv += ['-o', '%s:%s' % (f, path)]
    r = netns.run(argv)
    ck.check(r.rc == rc, '%s: exit %r, want %d (--fail-on-change)'
             % (tag, r.rc, rc))
    ck.check("trawl: 6 changes since the last run" in r.err_lines,
             '%s: stderr: want "6 changes": %r' % (tag, r.err_lines))
    data = {}
    for f, path in out.items():
        with open(path) as fh:
            data[f] = fh.read()
    return data, r


def results_only(tag, data):
    """NDJSON and CSV: their records are results, none a change."""
    if 'ndjson' in data:
        recs = netns.parse_ndjson(ck, netns.Run([tag], 0, '', '', 0),
                                  where=data['ndjson'])
        ck.check(recs and '"change"' not in data['ndjson'],
                 '%s: ndjson is not results only: %r'
                 % (tag, data['ndjson'][-300:]))
    if 'csv' in data:
        ck.check('change' not in data['csv'] and
                 data['csv'].splitlines()[0] == ','.join(netns.KEY_ORDER),
                 '%s: csv: %r' % (tag, data['csv'][:300]))


def change_records(tag, text):
    """The change records of a changes output, which must hold nothing
    else."""
    recs = []
    res = netns.parse_ndjson(ck, netns.Run([tag], 0, '', '', 0),
                             where=text, changes=recs)
    ck.check(res == [], '%s: result records among the changes: %r'
             % (tag, res[:3]))
    return [(x['change'], x['ip'], x.get('port')) for x in recs]


# A. Every results format: the changes as notes where there is a place.
data, r = second_run('a', FORMATS)
ck.check(NO_PLACE not in r.err_lines and not any(
    'no place' in l for l in r.err_lines),
    'a: the changes are in text, grep and xml: no warning wanted: %r'
    % r.err_lines)

# Text: the hosts, then the header and one line per change, in order.
text = data['text'].splitlines()
if ck.check('Changes since the last run:' in text, 'text: no header:\n%s'
            % data['text']):
    i = text.index('Changes since the last run:')
    ck.check(text[i + 1:] == LINES and any(l.startswith('127.0.0.3')
                                           for l in text[:i]),
             'text: the changes after the hosts, %r' % text[i:])

# Grepable: comments after the host lines, before the closing comment.
glines = data['grep'].splitlines()
gchanges = [l[len('# Change: '):] for l in glines
            if l.startswith('# Change: ')]
ck.check(gchanges == LINES and glines[-1].startswith('# trawl done at ') and
         glines[-2 - len(LINES)].startswith('Host: 127.0.0.3'),
         'grep: change comments %r, last lines %r' % (gchanges, glines[-8:]))

# XML: <output> elements before runstats, valid against nmap's DTD.
root = ET.fromstring(data['xml'])
kids = [k.tag for k in root]
outputs = [k.text for k in root if k.tag == 'output']
ck.check(outputs == LINES and kids[-1] == 'runstats' and
         kids[-1 - len(LINES):-1] == ['output'] * len(LINES),
         'xml: <output> changes %r, elements %r' % (outputs, kids))
if os.path.exists(DTD):
    v = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD,
                        os.path.join(tmp, 'a.xml')],
                       capture_output=True, text=True)
    ck.check(v.returncode == 0, 'xml with changes not valid against %s: %s'
             % (DTD, v.stderr[-800:]))
else:
    ck.cannot_run('%s not found (Debian package nmap): the XML with changes '
                  'not validated' % DTD)

# NDJSON and CSV: the port records only, as without --baseline.
results_only('a', data)
netns.log('A. text, grep and xml say the 6 changes; ndjson and csv hold '
          'results only')

# B. With a changes output: the changes there alone.
data, r = second_run('b', FORMATS + ('changes',))
got = change_records('b: changes', data['changes'])
ck.check(got == RECORDS, 'b: change records %r, want %r' % (got, RECORDS))
ck.check('Changes since' not in data['text'] and
         '# Change:' not in data['grep'] and
         not [k for k in ET.fromstring(data['xml']) if k.tag == 'output'],
         'b: a results output says a change: text %r, grep %r'
         % (data['text'][-200:], data['grep'][-300:]))
results_only('b', data)
ck.check(not any('no output' in l for l in r.err_lines),
         'b: a warning about changes: %r' % r.err_lines)
netns.log('B. -o changes:FILE: the 6 change records there alone, every '
          'other output results only')

# C. No output with a place for them: said once.
data, r = second_run('c', ('ndjson', 'csv'))
ck.check(r.err_lines.count(NO_PLACE) == 1,
         'c: stderr: want %r once: %r' % (NO_PLACE, r.err_lines))
results_only('c', data)
netns.log('C. ndjson and csv alone: results only, and trawl says where '
          'the changes would go')

# D. -f changes: on stdout.
copy = os.path.join(tmp, 'd.baseline')
shutil.copyfile(base, copy)
r = netns.run([trawl, '-q', *SCAN[:-1], copy, '-f', 'changes'])
ck.check(r.rc == 0 and change_records('d: stdout', r.out) == RECORDS,
         '-f changes: exit %r, stdout %r' % (r.rc, r.out))
netns.log('D. -f changes: the change records on stdout, nothing else')

second.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
