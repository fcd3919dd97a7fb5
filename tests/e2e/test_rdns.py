#!/usr/bin/env python3
"""--rdns: PTR names of the hosts with open ports, in every format.

In a private network namespace, dnsmasq (dnsfix.py) on 127.0.0.53 logs
every query it gets (--log-queries) and serves a reverse zone: PTR records
for some hosts that listen, none for others, hostile ones (a '<', a blank,
a '/' and '*', an address posing as a name), one for a host that listens
nowhere, one for a host also given by name, one for an IPv6 host.  The
test listens on a few addresses of 127.3.0.0/24 and scans all of it with
three engines, so that the asks come from several threads:

(1) XML: exactly the hosts with an open port and a valid PTR name have a
    <hostname type="PTR"> with that name, after the user's name where
    there is one; the document is valid against nmap.dtd (xmllint); the
    server saw exactly one PTR query per host with an open port, and none
    for the others;
(2) NDJSON: "ptr" in every record of those hosts, the last key, nowhere
    else; CSV: the ptr column last, in every row, the unresolved name's
    too; grepable: "Host: ADDR (ptr)" for a host given by address, the
    user's name for one given by name; text: "ptr (ADDR)" and the rDNS
    line under a given name;
(3) without --rdns: no PTR query at all, and no trace in any format;
(4) "rdns" in a --config file; --dns-concurrency 1; a resolver where
    nothing listens (no names, exit 0, every open port still there);
(5) more names than are resolved ahead: they resolve while the scan runs,
    through the same resolver as the PTR names, and each open host's
    record carries both its name and its PTR name.

Which queries a run caused is read from dnsmasq's log up to a query of
the test's own sent after the run (a sign, never a sleep): dnsmasq logs
in the order it receives.
"""
import collections
import csv
import io
import ipaddress
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfix  # noqa: E402
import netns  # noqa: E402

DTD = '/usr/share/nmap/nmap.dtd'

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-rdns')
rng = random.Random(netns.seed_from_env(71))
tmp = tempfile.mkdtemp(prefix='trawl-e2e-rdns.')
# trawl may run as nobody (meson test --setup=nobody): it reads from here.
os.chmod(tmp, 0o755)

DOMAIN = 'rdns.test'
NET = '127.3.0.'
V6 = dnsfix.canon(dnsfix.V6_PREFIX + '3:1')
NAMED = 'named.' + DOMAIN           # given by name, A only: 127.3.0.8
PORTS = sorted(rng.sample(range(24000, 24100), 4))
PSPEC = ','.join(str(p) for p in PORTS)
FAST = ['-t', '500', '--retries', '0', '-T', '3']

def can_bind6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind((V6, 0))
        return True
    except OSError:
        return False


# nodad: an address still tentative cannot be bound; wait until it can.
r6 = subprocess.run(['ip', '-6', 'addr', 'replace', V6 + '/128', 'dev', 'lo',
                     'nodad'], capture_output=True, text=True)
HAVE6 = r6.returncode == 0 and netns.poll_until(can_bind6, timeout=10)
if not HAVE6:
    ck.cannot_run('no IPv6 address %s on lo: the ip6.arpa PTR name not '
                  'tested' % V6)

# What the reverse zone says.  good: names trawl must show; hostile: PTR
# records that are no host names, which it must not.
good = {NET + '1': 'alpha.' + DOMAIN,           # from the hosts file
        NET + '10': 'ten.' + DOMAIN,            # a --ptr-record
        NET + '8': 'ptr-of-eight.' + DOMAIN}    # also given as NAMED
if HAVE6:
    good[V6] = 'six.' + DOMAIN
hostile = {NET + '3': 'x<y>.' + DOMAIN,
           NET + '4': '1.2.3.4',
           NET + '5': 'a b.' + DOMAIN,
           NET + '7': 'evil/na*me.' + DOMAIN}
# A PTR record, but nothing listens there: never asked.
SILENT = NET + '6'
# Listening, without any PTR record (NXDOMAIN).
BARE = [NET + '2', NET + '200']
OPEN_HOSTS = sorted(set(good) | set(hostile) | set(BARE))


class ReverseZone:
    """What dnsfix.Dnsmasq needs of a zone: the hosts file (an A and a
    PTR record each) and a name to check that it answers."""

    def __init__(self):
        self.records = {'alpha.' + DOMAIN: frozenset({NET + '1'}),
                        'closed.' + DOMAIN: frozenset({SILENT})}
        if HAVE6:
            self.records['six.' + DOMAIN] = frozenset({V6})

    def hosts_text(self):
        return ''.join('%s %s\n' % (a, n) for n in sorted(self.records)
                       for a in sorted(self.records[n]))


def reverse(addr):
    """The name a PTR query for addr asks."""
    return ipaddress.ip_address(addr).reverse_pointer


extra = ['--log-queries', '--address=/%s/%s8' % (NAMED, NET)]
for addr, name in sorted(hostile.items()) + [(NET + '10', good[NET + '10']),
                                             (NET + '8', good[NET + '8'])]:
    extra.append('--ptr-record=%s,%s' % (reverse(addr), name))
dns = dnsfix.Dnsmasq(ReverseZone(), dnsfix.SERVER, 53, tmp,
                     domains=(DOMAIN, 'in-addr.arpa', 'ip6.arpa'),
                     extra=extra)
RESOLVER = ['--resolver', dnsfix.SERVER]


class QueryLog:
    """The PTR queries dnsmasq logged, run by run."""

    LINE = re.compile(r'query\[PTR\] (\S+) from ')

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.marks = 0

    def take(self):
        """Counter of the names asked since the last take()."""
        self.marks += 1
        mark = '%d.%d.99.127.in-addr.arpa' % (self.marks % 250,
                                              self.marks // 250)
        try:
            dnsfix.query(dnsfix.SERVER, 53, mark, 'PTR')
        except OSError as e:
            netns.hard_error('dnsmasq does not answer a PTR query: %s' % e)

        def logged():
            with open(self.path) as f:
                f.seek(self.pos)
                return ('query[PTR] %s from' % mark) in f.read()

        if not netns.poll_until(logged, timeout=10):
            netns.hard_error('dnsmasq did not log the query for %s' % mark)
        with open(self.path) as f:
            f.seek(self.pos)
            text = f.read()
        end = text.index('query[PTR] %s from' % mark)
        end = text.index('\n', end) + 1
        self.pos += len(text[:end].encode())
        return collections.Counter(m.group(1) for m in
                                   self.LINE.finditer(text[:end])
                                   if m.group(1) != mark)


qlog = QueryLog(dns.logfile)
qlog.take()

# --- the listeners -------------------------------------------------------------

lst = netns.Listeners()
listening = collections.defaultdict(set)
for addr in OPEN_HOSTS:
    for port in rng.sample(PORTS, rng.randint(1, 2)):
        if lst.add(addr, port) is not None:
            listening[addr].add(port)
lst.start()
if set(listening) != set(OPEN_HOSTS):
    netns.hard_error('cannot listen on every host: %r' % dict(listening))
netns.log('listening: %s' % ', '.join('%s:%s' % (a, sorted(p)) for a, p in
                                      sorted(listening.items())))

TARGETS = [NET + '1-254', NAMED] + ([V6] if HAVE6 else [])
WANT_QUERIES = collections.Counter(reverse(a) for a in OPEN_HOSTS)
xml_ok = shutil.which('xmllint') is not None and os.path.exists(DTD)
if not xml_ok:
    ck.cannot_run('xmllint(1) or %s missing (Debian packages libxml2-utils, '
                  'nmap): the XML not validated' % DTD)


def scan(fmt, args=(), rdns=True, targets=TARGETS, queries=None):
    """trawl's output in fmt, checked to exit 0 and to have caused
    exactly the PTR queries given (by default those of OPEN_HOSTS with
    --rdns, none without)."""
    argv = [trawl] + RESOLVER + FAST + ['-p', PSPEC, '-f', fmt] + \
        (['--rdns'] if rdns else []) + list(args) + list(targets)
    r = netns.run(argv, timeout=120)
    ck.check(r.rc == 0, 'exit %s: %s' % (r.rc, r.cmd))
    asked = qlog.take()
    want = (WANT_QUERIES if rdns else collections.Counter()) \
        if queries is None else queries
    ck.check(asked == want, 'PTR queries %s, want exactly %s (%s)'
             % (dict(asked), dict(want), r.cmd))
    return r


def want_ptr(addr):
    return good.get(addr)


# --- (1) XML -------------------------------------------------------------------

r = scan('xml')
try:
    doc = ET.fromstring(r.out)
except ET.ParseError as e:
    ck.check(False, 'XML not well-formed: %s' % e)
    doc = None
if doc is not None:
    seen = set()
    for host in doc.iter('host'):
        addr = host.find('address').get('addr')
        names = [(h.get('name'), h.get('type'))
                 for h in host.find('hostnames').iter('hostname')]
        opened = {int(p.get('portid')) for p in host.iter('port')
                  if p.find('state').get('state') == 'open'}
        seen.add(addr)
        ck.check(opened == listening.get(addr, set()),
                 'xml: %s open %s, listening %s' % (addr, sorted(opened),
                                                    sorted(listening.get(
                                                        addr, ()))))
        want = [(NAMED, 'user')] if addr == NET + '8' else []
        if want_ptr(addr) is not None:
            want.append((want_ptr(addr), 'PTR'))
        ck.check(names == want, 'xml: %s hostnames %r, want %r'
                 % (addr, names, want))
    ck.check(set(OPEN_HOSTS) <= seen and SILENT in seen,
             'xml: hosts missing: %r' % sorted(set(OPEN_HOSTS) - seen))
    path = os.path.join(tmp, 'rdns.xml')
    with open(path, 'w') as f:
        f.write(r.out)
    if xml_ok:
        v = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, path],
                           capture_output=True, text=True)
        ck.check(v.returncode == 0, 'xml: not valid against nmap.dtd: %s'
                 % v.stderr[-1500:])

# --- (2) NDJSON, CSV, grepable, text -------------------------------------------

r = scan('ndjson')
recs = netns.parse_ndjson(ck, r, rdns=True)
got = collections.defaultdict(set)
for rec in recs:
    got[rec['ip']].add(rec['port'])
    ck.check(rec.get('ptr') == want_ptr(rec['ip']),
             'ndjson: ptr %r, want %r: %r' % (rec.get('ptr'),
                                               want_ptr(rec['ip']), rec))
    ck.check(rec.get('host') == (NAMED if rec['ip'] == NET + '8' else None),
             'ndjson: host %r' % rec)
ck.check(dict(got) == dict(listening), 'ndjson: open ports %r, want %r'
         % (dict(got), dict(listening)))

# An NXDOMAIN name too: its row has the ptr column, empty.
GONE = 'gone.' + DOMAIN
r = scan('csv', ['--states', 'open,unresolved'], targets=TARGETS + [GONE])
rows = list(csv.reader(io.StringIO(r.out, newline='')))
HEADER = list(netns.RDNS_KEY_ORDER)
ck.check(rows[:1] == [HEADER], 'csv header %r, want %r' % (rows[:1], HEADER))
got = collections.defaultdict(set)
unresolved = 0
for row in rows[1:]:
    if not ck.check(len(row) == len(HEADER), 'csv: %d fields: %r'
                    % (len(row), row)):
        continue
    rec = dict(zip(HEADER, row))
    if rec['state'] == 'unresolved':
        unresolved += 1
        ck.check(rec['host'] == GONE and rec['ptr'] == '',
                 'csv: unresolved row %r' % row)
        continue
    got[rec['ip']].add(int(rec['port']))
    ck.check(rec['ptr'] == (want_ptr(rec['ip']) or ''),
             'csv: ptr %r for %s' % (rec['ptr'], rec['ip']))
ck.check(unresolved == 1, 'csv: %d unresolved rows' % unresolved)
ck.check(dict(got) == dict(listening), 'csv: open ports %r' % dict(got))

r = scan('grep')
hostline = re.compile(r'^Host: (\S+) \(([^)]*)\)\t(Status|Ports): ')
named = collections.defaultdict(set)
for line in r.out.splitlines():
    m = hostline.match(line)
    if m:
        named[m.group(1)].add(m.group(2))
for addr in OPEN_HOSTS + [SILENT]:
    want = {NAMED} if addr == NET + '8' else {want_ptr(addr) or ''}
    ck.check(named.get(addr) == want, 'grep: %s shown as %r, want %r'
             % (addr, named.get(addr), want))

r = scan('text')
lines = r.out.splitlines()
for addr in OPEN_HOSTS:
    if addr == NET + '8':
        want = '%s (%s)' % (NAMED, addr)
    elif want_ptr(addr) is not None:
        want = '%s (%s)' % (want_ptr(addr), addr)
    else:
        want = addr
    if ck.check(want in lines, 'text: no line %r' % want) and \
            addr == NET + '8':
        i = lines.index(want)
        ck.check(lines[i + 1:i + 2] == ['  rDNS record for %s: %s'
                                        % (addr, want_ptr(addr))],
                 'text: after %r comes %r' % (want, lines[i + 1:i + 3]))
ck.check(SILENT in lines, 'text: no line %r' % SILENT)
for name in hostile.values():
    ck.check(name not in r.out and name.replace(' ', '\\x20') not in r.out,
             'text: the hostile PTR name %r is shown' % name)

# --- (3) without --rdns -----------------------------------------------------------

r = scan('ndjson', rdns=False)
recs = netns.parse_ndjson(ck, r)
ck.check(recs and not any('ptr' in x for x in recs),
         'ndjson without --rdns: %d records, some with "ptr"' % len(recs))
r = scan('csv', rdns=False)
# (netns.run() reads text: CRLF arrives as a newline.)
ck.check(r.out.startswith(','.join(netns.KEY_ORDER) + '\n'),
         'csv without --rdns: header %r' % r.out[:80])
r = scan('xml', rdns=False)
ck.check('type="PTR"' not in r.out and 'rDNS' not in r.out,
         'xml without --rdns names a PTR')
r = scan('text', rdns=False)
ck.check('rDNS' not in r.out and good[NET + '1'] not in r.out,
         'text without --rdns shows a PTR name')

# --- (4) a config file, one query at a time, a resolver that is not there --------

conf = os.path.join(tmp, 'trawl.conf')
with open(conf, 'w') as f:
    f.write('# PTR names\nrdns\ndns-concurrency = 1\n')
os.chmod(conf, 0o644)
r = scan('ndjson', ['--config', conf])
recs = netns.parse_ndjson(ck, r, rdns=True)
ck.check({x['ip']: x.get('ptr') for x in recs} ==
         {a: want_ptr(a) for a in OPEN_HOSTS},
         'config "rdns": %r' % sorted({(x['ip'], x.get('ptr'))
                                       for x in recs}))

# Nothing listens on 127.0.0.54: every PTR query is refused at once.
argv = [trawl, '--resolver', '127.0.0.54', '--rdns'] + FAST + \
    ['-p', PSPEC, '-f', 'ndjson', NET + '1-254']
r = netns.run(argv, timeout=120)
ck.check(r.rc == 0, 'no resolver: exit %s' % r.rc)
recs = netns.parse_ndjson(ck, r, rdns=True)
got = collections.defaultdict(set)
for rec in recs:
    got[rec['ip']].add(rec['port'])
ck.check(not any('ptr' in x for x in recs), 'no resolver, yet a ptr')
ck.check(dict(got) == {a: p for a, p in listening.items() if a != V6},
         'no resolver: open ports %r' % dict(got))
ck.check(qlog.take() == collections.Counter(),
         'no resolver: dnsmasq was asked')

# --- (5) names resolved during the scan, PTR names through the same resolver -----

# More names than are resolved ahead (--dns-concurrency, 64 by default):
# the hosts file gives each an A and a PTR record.
MANY = 80
many = {'n%d.%s' % (i, DOMAIN): '127.4.%d.%d' % (i // 200, i % 200 + 1)
        for i in range(MANY)}


class ManyZone(ReverseZone):
    def __init__(self):
        super().__init__()
        self.records.update({n: frozenset({a}) for n, a in many.items()})


dns.stop()
dns = dnsfix.Dnsmasq(ManyZone(), dnsfix.SERVER, 53, tmp,
                     domains=(DOMAIN, 'in-addr.arpa', 'ip6.arpa'),
                     extra=extra)
qlog = QueryLog(dns.logfile)
qlog.pos = os.path.getsize(dns.logfile)
qlog.marks = 1000
qlog.take()
lst2 = netns.Listeners()
up = sorted(rng.sample(sorted(many), 12))
port = PORTS[0]
for n in up:
    lst2.add(many[n], port)
lst2.start()
names_file = os.path.join(tmp, 'names')
with open(names_file, 'w') as f:
    f.write(''.join(n + '\n' for n in sorted(many)))
os.chmod(names_file, 0o644)
argv = [trawl] + RESOLVER + FAST + ['-p', str(port), '-f', 'ndjson',
                                    '--rdns', '-i', names_file]
r = netns.run(argv, timeout=120)
ck.check(r.rc == 0, 'names: exit %s' % r.rc)
recs = netns.parse_ndjson(ck, r, rdns=True)
ck.check(sorted((x['host'], x['ip'], x.get('ptr')) for x in recs) ==
         sorted((n, many[n], n) for n in up),
         'names: %r' % sorted((x.get('host'), x['ip'], x.get('ptr'))
                              for x in recs))
asked = qlog.take()
ck.check(asked == collections.Counter(reverse(many[n]) for n in up),
         'names: PTR queries %r' % dict(asked))

lst.close()
lst2.close()
dns.stop()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
