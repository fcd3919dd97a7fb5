#!/usr/bin/env python3
"""The formats other programs read: nmap's XML and grepable output, and CSV.

In a private network namespace with listeners, nft drops and an unreachable
route of the test's own, each scan writes every format at once (-o
FORMAT:FILE), so that all of them describe the very same probes:

  - the XML is valid against nmap's own DTD (xmllint --dtdvalid), for IPv4
    and IPv6, named and unnamed hosts, reported states all or only open,
    and its hosts and ports are the ground truth;
  - nmap's own XML of the same ports, read by the same parser, says the
    same (the harness reads nmap's files as it reads ours);
  - ndiff reads two of our files and reports exactly the port that opened
    between them;
  - the CSV, read by Python's csv module, is the NDJSON row for row;
  - the grepable lines parse back to the ground truth;
  - service names with hostile bytes (ESC, quotes, <, &, invalid UTF-8;
    from a private /etc/services) leave every format well-formed, valid
    and free of raw control bytes.  Host names cannot carry such bytes
    (trawl takes only host-name characters); the unit tests
    (test_textesc) put every byte through each escaper and format,
    newlines included, which /etc/services cannot hold;
  - a scan stopped by SIGINT or SIGTERM still leaves a valid document.
"""
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

DTD = '/usr/share/nmap/nmap.dtd'

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-formats')
rng = random.Random(netns.seed_from_env(61))
tmp = tempfile.mkdtemp(prefix='trawl-e2e-formats.')

if shutil.which('xmllint') is None:
    netns.skip('xmllint(1) not found (Debian package libxml2-utils): '
               'cannot validate the XML')
if not os.path.exists(DTD):
    netns.skip('%s not found (Debian package nmap): no DTD to validate '
               'against' % DTD)

# --- the network -----------------------------------------------------------

try:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(('::1', 0))
    s.close()
    HAVE6 = True
except OSError as e:
    HAVE6 = False
    ck.cannot_run('no IPv6 loopback in this namespace (%s): IPv6 hosts '
                  'not tested' % e)

RANGE = list(range(23000, 23040))
PORTS = [22, 80] + RANGE
PSPEC = '22,80,23000-23039'
UNREACH_NET, UNREACH = '198.51.100.0/30', '198.51.100.1'
netns.sh(['ip', 'route', 'add', 'unreachable', UNREACH_NET])

lst = netns.Listeners()
listening = set()
for ip in ['127.0.0.1'] + (['::1'] if HAVE6 else []):
    for port in rng.sample(RANGE, 8) + [22]:
        if lst.add(ip, port) is not None:
            listening.add((ip, port))
lst.start()
dropped = {('127.0.0.1', p) for p in rng.sample(RANGE, 3)}
if HAVE6:
    dropped |= {('::1', p) for p in rng.sample(RANGE, 2)}
dropped.add(('127.0.0.1', sorted(p for i, p in listening
                                 if i == '127.0.0.1')[1]))
netns.nft_drop(dropped)

ADDRS = ['127.0.0.1', '127.0.0.2'] + (['::1'] if HAVE6 else [])
truth = netns.Truth().build(ADDRS, PORTS, listening, dropped)
for port in PORTS:
    truth.set(UNREACH, port, 'unreachable', {'host-unreach'})
netns.log('ground truth: %s' % truth.counts())
truth.self_check()

FAST = ['-t', '300', '--retries', '1']

# A private /etc/hosts: two names for 127.0.0.1, one for ::1, a name that
# does not resolve; 127.0.0.2 stays nameless.
HOSTS = ('127.0.0.1 localhost alpha.trawl.test gamma.trawl.test\n'
         '::1 localhost ip6-localhost beta.trawl.test\n')
NAMES = {'127.0.0.1': ['alpha.trawl.test', 'gamma.trawl.test'],
         '::1': ['beta.trawl.test']}
hosts_file = os.path.join(tmp, 'hosts')
with open(hosts_file, 'w') as f:
    f.write(HOSTS)


def private_file(src, dst):
    """A prefix that runs a command with src bind-mounted over dst in a
    mount namespace of its own, and None; or None and why it cannot."""
    wrap = ['unshare', '-m', '--', 'sh', '-c',
            'mount --bind "$0" %s && exec "$@"' % dst, src]
    r = subprocess.run(wrap + ['true'], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    return wrap, None


HOSTS_WRAP, why = private_file(hosts_file, '/etc/hosts')
if HOSTS_WRAP is None:
    ck.cannot_run('no private /etc/hosts in a mount namespace (%s): named '
                  'hosts not tested' % why)

VERSION = None
r = netns.run([trawl, '--version'])
m = re.match(r'^trawl (\S+)$', r.out.strip())
if ck.check(r.rc == 0 and m, 'trawl --version: %r' % r.out):
    VERSION = m.group(1)


# --- helpers ---------------------------------------------------------------

def nmap_state(state):
    """nmap has no "unreachable": a port whose probe met an ICMP unreachable
    is "filtered" there; the reason still tells them apart."""
    return 'filtered' if state == 'unreachable' else state


def compact(ports):
    """nmap's services attribute: "22,80,23000-23039"."""
    out = []
    ports = sorted(set(ports))
    i = 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        out.append(str(ports[i]) if i == j else
                   '%d-%d' % (ports[i], ports[j]))
        i = j + 1
    return ','.join(out)


def xmllint(path, what, valid=True):
    argv = ['xmllint', '--noout'] + (['--dtdvalid', DTD] if valid else []) \
        + [path]
    r = subprocess.run(argv, capture_output=True, text=True)
    ok = ck.check(r.returncode == 0, '%s: %s fails (%s): %s'
                  % (what, 'xmllint --dtdvalid' if valid else 'xmllint',
                     path, r.stderr.strip()[-1500:]))
    if ok:
        netns.log('  %s: %s' % (what, 'valid against nmap.dtd' if valid
                                else 'well-formed'))
    return ok


def answered(tr, ip):
    """Whether ip answered on some port (open or closed): nmap's "up"."""
    return any(st in ('open', 'closed') for (i, _), st in tr.state.items()
               if i == ip)


def read_xml(path, what):
    """{ip: host record} from one of our files or one of nmap's."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        ck.check(False, '%s: not XML: %s' % (what, e))
        return None, {}
    hosts = {}
    for h in root.findall('host'):
        addr = h.find('address')
        rec = {
            'addr': addr.get('addr'),
            'addrtype': addr.get('addrtype'),
            'status': h.find('status').attrib,
            'names': sorted(n.get('name') for n in
                            h.findall('hostnames/hostname')),
            'nametypes': {n.get('type') for n in
                          h.findall('hostnames/hostname')},
            'ports': {},
            'start': h.get('starttime'),
            'end': h.get('endtime'),
            'times': h.find('times'),
            'extra': {e.get('state'): int(e.get('count'))
                      for e in h.findall('ports/extraports')},
        }
        for p in h.findall('ports/port'):
            st = p.find('state')
            svc = p.find('service')
            rec['ports'][int(p.get('portid'))] = (
                p.get('protocol'), st.get('state'), st.get('reason'),
                None if svc is None else svc.get('name'),
                None if svc is None else (svc.get('method'),
                                          svc.get('conf')))
        ck.check(rec['addr'] not in hosts, '%s: host %s twice'
                 % (what, rec['addr']))
        hosts[rec['addr']] = rec
    return root, hosts


def check_xml(path, tr, states, names, scanned, argv, what, explicit=True):
    """Valid, and exactly nmap's picture of the ground truth (states
    listed; explicit: given with --states)."""
    if not xmllint(path, what):
        return
    root, hosts = read_xml(path, what)
    if root is None:
        return
    a = root.attrib
    ck.check(a.get('scanner') == 'nmap' and
             a.get('xmloutputversion') == '1.05',
             '%s: nmaprun %r' % (what, a))
    ck.check(VERSION is None or a.get('version') == VERSION,
             '%s: version %r, trawl --version says %r'
             % (what, a.get('version'), VERSION))
    # The command line as typed (argv[0] as given, or its base name), or
    # "trawl" alone from a build that passes none to the formats.
    args = a.get('args', '').split(' ', 1)
    ck.check(os.path.basename(args[0]) == 'trawl' and
             args[1:] in ([], [' '.join(argv[1:])]),
             '%s: args %r, want the command line %r (or "trawl" when '
             'none is given)' % (what, a.get('args'), ' '.join(argv)))
    start = int(a.get('start', '-1'))
    ck.check(abs(start - time.time()) < 600 and a.get('startstr'),
             '%s: start %r startstr %r' % (what, a.get('start'),
                                          a.get('startstr')))
    si = root.find('scaninfo').attrib
    ck.check(si.get('type') == 'connect' and si.get('protocol') == 'tcp',
             '%s: scaninfo %r' % (what, si))
    if si.get('numservices') != '0':
        ck.check(si.get('numservices') == str(len(PORTS)) and
                 si.get('services') == compact(PORTS),
                 '%s: scaninfo numservices=%r services=%r, want %d and %r'
                 % (what, si.get('numservices'), si.get('services'),
                    len(PORTS), compact(PORTS)))
    pic = netns.nmap_picture(tr, states, explicit)
    view = netns.xml_view(pic)
    want_hosts = sorted(pic)
    ck.check(sorted(hosts) == want_hosts, '%s: hosts %r, want %r'
             % (what, sorted(hosts), want_hosts))
    bad = []
    for ip in set(hosts) & set(want_hosts):
        h = hosts[ip]
        ck.check(h['addrtype'] == ('ipv6' if ':' in ip else 'ipv4'),
                 '%s: %s addrtype %r' % (what, ip, h['addrtype']))
        ck.check(h['names'] == sorted(names.get(ip, [])) and
                 h['nametypes'] <= {'user'},
                 '%s: %s names %r types %r, want %r' % (
                     what, ip, h['names'], h['nametypes'],
                     sorted(names.get(ip, []))))
        truth_states = {st for (i, _), st in tr.state.items() if i == ip}
        up = answered(tr, ip)
        status = {'state': 'up' if up else 'down',
                  'reason': 'syn-ack' if 'open' in truth_states else
                  'conn-refused' if up else 'no-response',
                  'reason_ttl': '0'}
        ck.check(h['status'] == status, '%s: %s status %r, want %r'
                 % (what, ip, h['status'], status))
        ck.check(h['start'] is not None and h['end'] is not None and
                 abs(int(h['start']) - time.time()) < 600 and
                 int(h['start']) <= int(h['end']),
                 '%s: %s starttime %r endtime %r' % (what, ip, h['start'],
                                                     h['end']))
        ck.check(h['times'] is not None or not up,
                 '%s: %s answered, yet has no <times>' % (what, ip))
        listed, extra = view[ip]
        ck.check(sorted(h['ports']) == [p for p, _ in listed],
                 '%s: %s ports %r, want %r' % (what, ip, sorted(h['ports']),
                                               [p for p, _ in listed]))
        ck.check(h['extra'] == extra, '%s: %s extraports %r, want %r'
                 % (what, ip, h['extra'], extra))
        for p in set(h['ports']) & {p for p, _ in listed}:
            proto, st, rs, svc, how = h['ports'][p]
            if (proto != 'tcp' or st != nmap_state(tr.state[(ip, p)]) or
                    rs not in tr.reasons[(ip, p)] or
                    svc != (netns.service(p) or 'unknown') or
                    how != ('table', '3')):
                bad.append((ip, p, h['ports'][p], tr.state[(ip, p)]))
    ck.check(not bad, '%s: %d ports differ from the ground truth, e.g. %r'
             % (what, len(bad), bad[:5]))
    nup = sum(1 for ip in {i for i, _ in tr.state} if answered(tr, ip))
    fin = root.find('runstats/finished').attrib
    hs = root.find('runstats/hosts').attrib
    ck.check(fin.get('exit') == 'success' and 'errormsg' not in fin and
             int(fin.get('time')) >= start and float(fin.get('elapsed')) >= 0,
             '%s: finished %r' % (what, fin))
    ck.check(hs == {'up': str(nup), 'down': str(scanned - nup),
                    'total': str(scanned)},
             '%s: runstats hosts %r, want up %d of %d'
             % (what, hs, nup, scanned))
    netns.log('  %s: %d hosts, %d ports as the ground truth says'
              % (what, len(hosts), sum(len(h['ports'])
                                       for h in hosts.values())))


def read_ndjson(text):
    return [json.loads(line) for line in text.splitlines()]


def check_csv(raw, ndjson_text, what):
    """RFC 4180 with CRLF, and the NDJSON record for record."""
    ck.check(raw.endswith(b'\r\n') and
             raw.count(b'\n') == raw.count(b'\r\n'),
             '%s: rows must end in CRLF, and every LF be one' % what)
    rows = list(csv.reader(io.StringIO(raw.decode('utf-8'), newline='')))
    if not ck.check(rows and rows[0] == list(netns.KEY_ORDER),
                    '%s: header %r, want %r' % (what, rows[:1],
                                                list(netns.KEY_ORDER))):
        return
    recs = []
    for row in rows[1:]:
        if not ck.check(len(row) == len(netns.KEY_ORDER),
                        '%s: row of %d fields: %r' % (what, len(row), row)):
            continue
        rec = {}
        for k, v in zip(netns.KEY_ORDER, row):
            if v == '':
                continue
            rec[k] = int(v) if k == 'port' else \
                float(v) if k == 'rtt_ms' else v
        recs.append(rec)
    want = read_ndjson(ndjson_text)
    diff = [(i, a, b) for i, (a, b) in enumerate(zip(recs, want)) if a != b]
    ck.check(len(recs) == len(want) and not diff,
             '%s: %d CSV rows, %d NDJSON records; differing rows %r'
             % (what, len(recs), len(want), diff[:5]))
    netns.log('  %s: %d rows, the NDJSON row for row' % (what, len(recs)))


HEAD_RE = re.compile(r'^# trawl (\S+) scan initiated (.+) as: (.+)$')
TAIL_RE = re.compile(r'^# trawl done at (.+) -- (\d+) IP address(?:es)? '
                     r'\((\d+) hosts? up\) scanned in \d+\.\d\d seconds$')
HOST_RE = re.compile(r'^Host: (\S+) \(([^()]*)\)\t(Status: (?:Up|Down)|'
                     r'Ports: (.*?)(?:\tIgnored State: (\S+) \((\d+)\))?)$')
PORT_RE = re.compile(r'^(\d+)/([a-z]+)/tcp//([^/]*)///$')
UNRES_RE = re.compile(r'^# (\S+): unresolved \((\S+)\)$')


def check_grep(text, tr, states, names, scanned, unresolved, what,
               explicit=True):
    lines = text.split('\n')
    ck.check(lines[-1] == '', '%s: does not end with a newline' % what)
    lines = lines[:-1]
    if not ck.check(lines and HEAD_RE.match(lines[0]) and
                    TAIL_RE.match(lines[-1]),
                    '%s: header/trailer %r %r' % (what, lines[:1],
                                                  lines[-1:])):
        return
    got, status, unres = {}, set(), set()
    for line in lines[1:-1]:
        m = HOST_RE.match(line)
        u = UNRES_RE.match(line)
        if u:
            unres.add(u.group(1))
            continue
        if not ck.check(m, '%s: bad line %r' % (what, line)):
            continue
        key = (m.group(1), m.group(2))
        if m.group(3).startswith('Status: '):
            status.add((key, m.group(3)))
            continue
        ck.check(key not in got, '%s: Ports twice for %r' % (what, key))
        ports = {}
        if m.group(5):
            ports['ignored'] = (m.group(5), int(m.group(6)))
        for item in m.group(4).split(', ') if m.group(4) else []:
            pm = PORT_RE.match(item)
            if not ck.check(pm, '%s: bad port item %r' % (what, item)):
                continue
            ports[int(pm.group(1))] = (pm.group(2), pm.group(3) or None)
        got[key] = ports
    want, want_status = {}, set()
    for ip, (listed, extra) in netns.xml_view(
            netns.nmap_picture(tr, states, explicit)).items():
        for n in names.get(ip, ['']):
            w = want.setdefault((ip, n), {})
            for port, st in listed:
                w[port] = (st, netns.service(port) or 'unknown')
            # nmap names the state only when all unlisted are of one.
            if len(extra) == 1:
                w['ignored'] = next(iter(extra.items()))
            want_status.add(((ip, n), 'Status: Up' if answered(tr, ip)
                             else 'Status: Down'))
    ck.check(got == want, '%s: hosts/ports differ: missing %r, extra %r, '
             'wrong %r' % (what, sorted(set(want) - set(got)),
                           sorted(set(got) - set(want)),
                           [(k, got[k], want[k]) for k in set(got) &
                            set(want) if got[k] != want[k]][:3]))
    ck.check(status == want_status, '%s: Status lines for %r, want %r'
             % (what, sorted(status), sorted(want_status)))
    ck.check(unres == set(unresolved), '%s: unresolved %r, want %r'
             % (what, sorted(unres), sorted(unresolved)))
    t = TAIL_RE.match(lines[-1])
    nhosts = sum(1 for ip in {i for i, _ in tr.state} if answered(tr, ip))
    ck.check(int(t.group(2)) == scanned and int(t.group(3)) == nhosts,
             '%s: trailer %r, want %d addresses, %d up'
             % (what, lines[-1], scanned, nhosts))
    netns.log('  %s: %d host lines as the ground truth says' % (what,
                                                                len(got)))


def scan_all_formats(tag, args, wrap=None, timeout=60):
    """One scan, every format; {format: bytes}, and the Run."""
    files = {f: os.path.join(tmp, '%s.%s' % (tag, f))
             for f in ('ndjson', 'xml', 'csv', 'grep')}
    outs = []
    for f, path in files.items():
        outs += ['-o', '%s:%s' % (f, path)]
    argv = [trawl] + outs + args
    r = netns.run(argv, wrap=wrap, timeout=timeout)
    ck.check(r.rc == 0, '%s: exit %r, want 0' % (tag, r.rc))
    got = {}
    for f, path in files.items():
        with open(path, 'rb') as fh:
            got[f] = fh.read()
    return got, files, r, argv


def subset(ips):
    """The ground truth of these addresses only."""
    t = netns.Truth()
    for (ip, port), st in truth.state.items():
        if ip in ips:
            t.set(ip, port, st, truth.reasons[(ip, port)])
    return t


def check_scan(tag, args, ips, states, names, wrap=None, unresolved=()):
    """One scan of ips, each format against the ground truth.  states: as
    given with --states; None: not given (NDJSON open, the nmap formats
    every state)."""
    explicit = states is not None
    nmap_states = states if explicit else ALL
    states = states if explicit else ('open',)
    tr, scanned = subset(ips), len(ips)
    got, files, r, argv = scan_all_formats(tag, args, wrap)
    nd = got['ndjson'].decode('utf-8')
    ports_only = ''.join(line + '\n' for line in nd.splitlines()
                         if '"state":"unresolved"' not in line)
    netns.compare(ck, netns.parse_ndjson(ck, r, where=ports_only), tr,
                  states=states, names=names, what=tag + ' ndjson')
    check_xml(files['xml'], tr, nmap_states, names, scanned, argv,
              tag + ' xml', explicit)
    check_csv(got['csv'], nd, tag + ' csv')
    check_grep(got['grep'].decode('utf-8'), tr, nmap_states, names, scanned,
               unresolved, tag + ' grep', explicit)
    return got, files


# --- 1. every format against the ground truth ------------------------------

ALL = netns.STATES
unnamed = ['127.0.0.1', '127.0.0.2', UNREACH] + (['::1'] if HAVE6 else [])
check_scan('v4v6-all', ['--states', 'all', *FAST, '-p', PSPEC, *unnamed],
           unnamed, ALL, {})
check_scan('v4v6-open', [*FAST, '-p', PSPEC, *unnamed], unnamed, None, {})
check_scan('v4v6-only-open', ['--states', 'open', *FAST, '-p', PSPEC,
                              *unnamed], unnamed, ('open',), {})
check_scan('v4-unnamed', ['--states', 'open,closed', *FAST, '-p', PSPEC,
                          '127.0.0.2'], ['127.0.0.2'], ('open', 'closed'), {})
if HAVE6:
    check_scan('v6-all', ['--states', 'all', *FAST, '-p', PSPEC, '::1'],
               ['::1'], ALL, {})

if HOSTS_WRAP is not None:
    names = dict(NAMES) if HAVE6 else {'127.0.0.1': NAMES['127.0.0.1']}
    targets = ['alpha.trawl.test', 'gamma.trawl.test', '127.0.0.2', UNREACH,
               'nx.trawl.test'] + (['beta.trawl.test'] if HAVE6 else [])
    ips = ['127.0.0.1', '127.0.0.2', UNREACH] + (['::1'] if HAVE6 else [])
    check_scan('named-all', ['--states', 'all', *FAST, '-p', PSPEC,
                             *targets], ips, ALL, names, wrap=HOSTS_WRAP,
               unresolved=['nx.trawl.test'])
    check_scan('named-open', [*FAST, '-p', PSPEC, *targets], ips,
               None, names, wrap=HOSTS_WRAP, unresolved=['nx.trawl.test'])
    # To standard output, with -f.
    argv = [trawl, '-f', 'xml', '--states', 'all', *FAST, '-p', PSPEC,
            *targets]
    r = netns.run(argv, wrap=HOSTS_WRAP)
    ck.check(r.rc == 0, 'named -f xml: exit %r' % r.rc)
    path = os.path.join(tmp, 'stdout.xml')
    with open(path, 'w') as f:
        f.write(r.out)
    check_xml(path, subset(ips), ALL, names, len(ips), argv,
              'named -f xml stdout')
    ck.check('<target specification="nx.trawl.test" status="skipped" '
             'reason="invalid"/>' in r.out,
             'no <target> element for the name that did not resolve')

# --- 2. nmap's own XML, read by the same parser ----------------------------

if shutil.which('nmap') is None:
    ck.cannot_run('nmap(1) not found (Debian package nmap): our reading '
                  'of nmap\'s XML not checked against nmap\'s own')
else:
    few = [22, 80] + [p for i, p in sorted(listening)
                      if i == '127.0.0.1'][:4] + \
        [p for i, p in sorted(dropped) if i == '127.0.0.1'][:2] + RANGE[:6]
    few = sorted(set(few))
    spec = ','.join(map(str, few))
    npath = os.path.join(tmp, 'nmap.xml')
    r = subprocess.run(['nmap', '-sT', '-Pn', '-n', '--max-retries', '0',
                        '--max-rtt-timeout', '300ms', '-p', spec, '-oX',
                        npath, '127.0.0.1'], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        ck.cannot_run('nmap failed here (%s): nmap\'s XML not compared'
                      % r.stderr.strip()[-300:])
    else:
        xmllint(npath, 'nmap\'s own XML')
        _, nh = read_xml(npath, 'nmap.xml')
        got, files, _, _ = scan_all_formats(
            'vs-nmap', ['--states', 'all', *FAST, '-p', spec, '127.0.0.1'])
        _, th = read_xml(files['xml'], 'vs-nmap xml')
        ns = {p: v[1] for p, v in nh.get('127.0.0.1', {}).get('ports',
                                                             {}).items()}
        ts = {p: v[1] for p, v in th.get('127.0.0.1', {}).get('ports',
                                                             {}).items()}
        ck.check(ns == ts and len(ts) == len(few),
                 'nmap and trawl disagree on 127.0.0.1 ports %s: nmap %r, '
                 'trawl %r' % (spec, ns, ts))
        netns.log('  nmap\'s XML and ours read alike: %d ports' % len(ts))

# --- 3. ndiff: two of our files, a listener opened between them ------------

if shutil.which('ndiff') is None:
    ck.cannot_run('ndiff(1) not found (Debian package ndiff): not tested')
else:
    closed = sorted(p for (i, p), st in truth.state.items()
                    if i == '127.0.0.1' and st == 'closed')
    newport = rng.choice(closed)
    da, fa, _, _ = scan_all_formats('ndiff-a', ['--states', 'all', *FAST,
                                                '-p', PSPEC, '127.0.0.1'])
    extra = netns.Listeners()
    extra.add('127.0.0.1', newport)
    extra.start()
    db, fb, _, _ = scan_all_formats('ndiff-b', ['--states', 'all', *FAST,
                                                '-p', PSPEC, '127.0.0.1'])
    extra.close()
    r = subprocess.run(['ndiff', fa['xml'], fb['xml']], capture_output=True,
                       text=True)
    netns.log('ndiff a b:\n' + r.stdout.rstrip())
    changes = set(re.findall(r'^([-+])(\d+)/tcp +(\S+)', r.stdout, re.M))
    # The closed ports are counted, not listed (more than 25): the port
    # that opened is new, and one closed port fewer is not shown.
    nclosed = len(closed)
    shown = set(re.findall(r'^([-+])Not shown: (\d+) closed ports', r.stdout,
                           re.M))
    ck.check(r.returncode == 1 and
             changes == {('+', str(newport), 'open')} and
             shown == {('-', str(nclosed)), ('+', str(nclosed - 1))},
             'ndiff (exit %d) should report %d/tcp open and %d closed '
             'ports not shown instead of %d, and nothing else; it reports '
             '%r %r; stderr %r' % (r.returncode, newport, nclosed - 1,
                                   nclosed, sorted(changes), sorted(shown),
                                   r.stderr[-500:]))
    r = subprocess.run(['ndiff', fa['xml'], fa['xml']], capture_output=True,
                       text=True)
    ck.check(r.returncode == 0 and not re.search(r'^[-+]\d+/tcp', r.stdout,
                                                 re.M),
             'ndiff of a file with itself: exit %d, %r'
             % (r.returncode, r.stdout[-500:]))

# --- 4. hostile service names ------------------------------------------------

HOSTILE = {
    # ESC and a CSI, quotes, markup, invalid UTF-8, the grep separators.
    b'ev\x1b[31mil"<&>\'': None,
    b'x\xff\xfe\xc3(,/)\\': None,
    b'caf\xc3\xa9\xc2\x9b\xef\xbf\xbe': None,
}
# Ports nmap names are named by nmap's table, which comes first: the
# hostile names go on ports it leaves out.
open_ports = sorted(p for (i, p), st in truth.state.items()
                    if i == '127.0.0.1' and st == 'open' and
                    netns.nmap_service(p) is None)
closed_ports = sorted(p for (i, p), st in truth.state.items()
                      if i == '127.0.0.1' and st == 'closed' and
                      netns.nmap_service(p) is None)
hport = [open_ports[0], closed_ports[0], closed_ports[1]]
for name, port in zip(list(HOSTILE), hport):
    HOSTILE[name] = port
services_file = os.path.join(tmp, 'services')
with open(services_file, 'wb') as f:
    for name, port in HOSTILE.items():
        f.write(name + b' %d/tcp\n' % port)
SVC_WRAP, why = private_file(services_file, '/etc/services')
if SVC_WRAP is None:
    ck.cannot_run('no private /etc/services in a mount namespace (%s): '
                  'hostile service names not tested' % why)
else:
    spec = ','.join(str(p) for p in sorted(hport))
    got, files, r, _ = scan_all_formats(
        'hostile', ['--states', 'all', *FAST, '-p', spec, '127.0.0.1'],
        wrap=SVC_WRAP)
    # (NDJSON is JSON's business: it keeps valid UTF-8, C1 controls too.)
    for f in ('xml', 'csv', 'grep'):
        ck.check(b'\x1b' not in got[f] and b'\x9b' not in got[f] and
                 b'\xff' not in got[f],
                 'hostile: raw ESC, CSI or invalid UTF-8 in the %s output'
                 % f)
    if xmllint(files['xml'], 'hostile xml'):
        _, hx = read_xml(files['xml'], 'hostile xml')
        svcs = {p: v[3] for p, v in hx.get('127.0.0.1', {}).get(
            'ports', {}).items()}
        want = {port: netns.esc_bytes(name) for name, port in HOSTILE.items()}
        ck.check(svcs == want, 'hostile xml: services read back %r, want '
                 '%r' % (svcs, want))
    rows = list(csv.reader(io.StringIO(got['csv'].decode('utf-8'),
                                       newline='')))
    svcs = {int(row[1]): row[5] for row in rows[1:]}
    want = {port: netns.esc_bytes(name) for name, port in HOSTILE.items()}
    ck.check(len(rows) == 1 + len(HOSTILE) and svcs == want,
             'hostile csv: %d rows, services %r, want %r'
             % (len(rows), svcs, want))
    lines = got['grep'].decode('ascii', 'replace').split('\n')[:-1]
    ports_lines = [line for line in lines if '\tPorts: ' in line]
    want = {port: netns.esc_bytes(name, keep_utf8=False, extra=b'/,()')
            for name, port in HOSTILE.items()}
    gsv = {}
    if ck.check(len(lines) == 4 and len(ports_lines) == 1,
                'hostile grep: %d lines, want header, Status, Ports, '
                'trailer: %r' % (len(lines), lines)):
        for item in ports_lines[0].split('\tPorts: ')[1].split(', '):
            pm = PORT_RE.match(item)
            if ck.check(pm, 'hostile grep: bad port item %r' % item):
                gsv[int(pm.group(1))] = pm.group(3)
    ck.check(gsv == want, 'hostile grep: services %r, want %r'
             % (gsv, want))
    netns.log('  hostile service names: escaped, every format intact')

# --- 5. a scan stopped by a signal still leaves a whole document -----------

# SIGHUP too: a closed terminal or ssh session must save like SIGTERM.
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    name = signal.Signals(sig).name
    sub = os.path.join(tmp, 'stop-' + name)
    os.mkdir(sub)
    xpath = os.path.join(sub, 'stopped.xml')
    gpath = os.path.join(sub, 'stopped.grep')
    # 65535 probes at 5000/s: thirteen seconds at least, stopped once its
    # handlers are in place and 500 probes have gone out (whose results
    # the document must hold): twelve seconds before its end, however
    # slowly trawl runs.
    argv = [trawl, '--states', 'all', '--rate', '5000', '-p', '1-65535',
            '-o', 'xml:' + xpath, '-o', 'grep:' + gpath, '127.0.0.1']
    netns.log('+ ' + ' '.join(argv))
    base = netns.active_opens()
    p = subprocess.Popen(argv, cwd=sub, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if netns.wait_ready(p):
        netns.wait_probes(p, 500, base)
    still = p.poll() is None
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        ck.check(False, '%s: trawl did not stop within 30 s' % name)
        continue
    ck.check(still and p.returncode == 128 + sig,
             '%s: exit %r, want %d (and still running at the signal: %r)'
             % (name, p.returncode, 128 + sig, still))
    elines = err.decode('utf-8', 'replace').splitlines()
    ck.check(len(elines) == 2 and elines[0].endswith(', interrupted') and
             elines[1] == 'trawl: stopped; to continue: trawl --resume '
             'trawl.resume with the same arguments' and
             os.path.exists(os.path.join(sub, 'trawl.resume')),
             '%s: want the summary ", interrupted", "to continue" and '
             'trawl.resume saved: %r, %r' % (name, elines, os.listdir(sub)))
    if xmllint(xpath, 'stopped by %s' % name, valid=False) and \
            xmllint(xpath, 'stopped by %s' % name):
        root, hx = read_xml(xpath, 'stopped')
        fin = root.find('runstats/finished').attrib
        # Listed or counted (more than 25 closed ones are counted).
        h1 = hx.get('127.0.0.1', {})
        n = len(h1.get('ports', {})) + sum(h1.get('extra', {}).values())
        ck.check(fin.get('exit') == 'error' and fin.get('errormsg'),
                 '%s: finished %r, want exit="error" with a message'
                 % (name, fin))
        ck.check(0 < n < 65535, '%s: %d ports in the stopped scan\'s XML'
                 % (name, n))
        netns.log('  stopped by %s after %d ports: valid document' %
                  (name, n))
    with open(gpath) as f:
        glines = f.read().split('\n')
    ck.check(len(glines) >= 3 and glines[-1] == '' and
             TAIL_RE.match(glines[-2]) and
             '# trawl was interrupted' in glines[-3],
             '%s: grepable output does not end as a stopped scan: %r'
             % (name, glines[-3:]))

lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
