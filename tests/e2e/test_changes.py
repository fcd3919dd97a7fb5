#!/usr/bin/env python3
"""Changes since the last run in every output format.

A first run with --baseline writes the baseline; then a listener closes, one
opens, a host appears and one disappears.  The second run writes its
results to every format at once, and each format that has a place for
changes must say exactly those changes, after the hosts and before its own
end: text ("Changes since the last run:" and a line each), NDJSON ("change"
records), nmap's grepable format ("# Change: ..." comments before the
closing comment) and nmap's XML (<output> elements before <runstats>, the
document still valid against nmap's DTD).  CSV has no place for them: trawl
says so on stderr, once per CSV output, and writes the CSV unchanged.
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

out = {f: os.path.join(tmp, 'second.' + f)
       for f in ('text', 'ndjson', 'grep', 'xml', 'csv')}
argv = [trawl, *SCAN, '--fail-on-change']
for f, path in out.items():
    argv += ['-o', '%s:%s' % (f, path)]
r = netns.run(argv)
ck.check(r.rc == 3, 'second run: exit %r, want 3 (--fail-on-change)' % r.rc)
ck.check(r.err_lines.count(
    "trawl: changes since the last run are not written to '%s': csv has no "
    "place for them" % out['csv']) == 1 and "trawl: 6 changes since the "
    "last run" in r.err_lines, 'stderr: want the CSV warning once and "6 '
    'changes": %r' % r.err_lines)
data = {}
for f, path in out.items():
    with open(path) as fh:
        data[f] = fh.read()

# Text: the hosts, then the header and one line per change, in order.
text = data['text'].splitlines()
if ck.check('Changes since the last run:' in text, 'text: no header:\n%s'
            % data['text']):
    i = text.index('Changes since the last run:')
    ck.check(text[i + 1:] == LINES and any(l.startswith('127.0.0.3')
                                           for l in text[:i]),
             'text: the changes after the hosts, %r' % text[i:])

# NDJSON: the records after every port record (parse_ndjson() checks
# that, and each record against the contract).
recs = []
netns.read_ndjson(ck, out['ndjson'], changes=recs)
changes = [(x['change'], x['ip'], x.get('port')) for x in recs]
ck.check(changes == RECORDS, 'ndjson: change records %r' % changes)

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
    v = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, out['xml']],
                       capture_output=True, text=True)
    ck.check(v.returncode == 0, 'xml with changes not valid against %s: %s'
             % (DTD, v.stderr[-800:]))
else:
    ck.cannot_run('%s not found (Debian package nmap): the XML with changes '
                  'not validated' % DTD)

# CSV: the port rows only, as without --baseline.
ck.check('change' not in data['csv'] and data['csv'].splitlines()[0] ==
         ','.join(netns.KEY_ORDER), 'csv: %r' % data['csv'][:300])

second.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
