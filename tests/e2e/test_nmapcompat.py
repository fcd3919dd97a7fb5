#!/usr/bin/env python3
"""trawl as a drop-in for nmap's tools: the same scan by nmap and by trawl
reads the same in nmap's own tools.

In a private network namespace with listeners and nft drops of its own,
the test scans the same hosts and ports with `nmap -sT -n -Pn` and with
trawl, IPv4, IPv6 and named hosts, with trawl's default states and with
--states all, and checks:

  - ndiff between nmap's XML and trawl's finds no difference in hosts,
    ports, states or service names (exit 0), and trawl's XML is the
    ground truth in nmap's picture (ports listed, the rest counted in
    <extraports>);
  - xsltproc with nmap.xsl turns trawl's XML into HTML that shows the
    closed ports' summary line;
  - Python's xml.etree finds starttime/endtime on every host (inside the
    run's times), <extraports> with their reasons, <times>, and the
    run's hosts up and down;
  - the grepable output has "Status: Up" for every host up and "Ignored
    State" where ports were counted, and the classic grep/awk/sed
    one-liners print the same on nmap's -oG and trawl's;
  - a host that never answers is down: left out by default, counted in
    <runstats>, shown with its filtered summary with --states all.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

XSL = '/usr/share/nmap/nmap.xsl'
DTD = '/usr/share/nmap/nmap.dtd'

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-nmapcompat')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-nmapcompat.')

for tool, pkg in (('nmap', 'nmap'), ('ndiff', 'ndiff'),
                  ('xsltproc', 'xsltproc'), ('xmllint', 'libxml2-utils')):
    if shutil.which(tool) is None:
        netns.skip('%s(1) not found (Debian package %s): tests/deps.sh '
                   'installs it' % (tool, pkg))
for path in (XSL, DTD):
    if not os.path.exists(path):
        netns.skip('%s not found (Debian package nmap)' % path)

# --- the network -----------------------------------------------------------


def _bindable(ip):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        s.bind((ip, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


# An IPv6 address of the namespace's own besides ::1 (a unique local
# address: it exists only on this namespace's lo).
V6B = 'fd7a:7261:776c::5'
netns.sh(['ip', '-6', 'addr', 'add', V6B + '/128', 'dev', 'lo', 'nodad'])
if not netns.poll_until(lambda: _bindable(V6B), timeout=60):
    netns.hard_error("%s never became usable on lo" % V6B)



# 63 ports: a closed majority (counted, more than 25) on most hosts, and
# on 127.0.0.3 a filtered majority, so that its 12 closed ports are listed.
PORTS = list(range(20, 80)) + [111, 3306, 8080]
PSPEC = '20-79,111,3306,8080'
OPEN = {
    '127.0.0.1': [22, 8080],
    '127.0.0.2': [25, 3306],
    '127.0.0.3': [111],
    '127.0.0.4': [],                # up: answers, nothing open
    '::1': [22, 8080],
    V6B: [53],
}
DROP = {
    '127.0.0.2': list(range(40, 46)),
    '127.0.0.3': list(range(20, 70)),
    '::1': list(range(30, 34)),
    '127.0.0.9': PORTS,             # never answers: down
}
V4 = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']
V6 = ['::1', V6B]
DOWN = '127.0.0.9'

lst = netns.Listeners()
listening = set()
for ip, ports in OPEN.items():
    for port in ports:
        if lst.add(ip, port) is None:
            ck.check(False, 'cannot listen on %s port %d' % (ip, port))
        listening.add((ip, port))
lst.start()
dropped = {(ip, p) for ip, ports in DROP.items() for p in ports}
netns.nft_drop(dropped)
truth = netns.Truth().build(V4 + V6 + [DOWN], PORTS, listening, dropped)
netns.log('ground truth: %s' % truth.counts())
truth.self_check()

# Named hosts from a private /etc/hosts, for nmap (getaddrinfo) and trawl
# (c-ares) alike.
NAMES = {'alpha.nc.test': '127.0.0.1', 'beta.nc.test': '127.0.0.4',
         'six.nc.test': '::1'}
hosts_file = os.path.join(tmp, 'hosts')
with open(hosts_file, 'w') as f:
    f.write('127.0.0.1 localhost\n::1 localhost ip6-localhost\n')
    for name, ip in NAMES.items():
        f.write('%s %s\n' % (ip, name))
HOSTS_WRAP = ['unshare', '-m', '--', 'sh', '-c',
              'mount --bind "$0" /etc/hosts && exec "$@"', hosts_file]
r = subprocess.run(HOSTS_WRAP + ['true'], capture_output=True, text=True)
if r.returncode != 0:
    ck.cannot_run('no private /etc/hosts in a mount namespace (%s): named '
                  'hosts not compared' % r.stderr.strip()[-300:])
    HOSTS_WRAP = None

NMAP = ['nmap', '-sT', '-n', '-Pn', '-T4', '--max-retries', '2']
FAST = ['-t', '500']


def sub(argv, what, wrap=None, ok=(0,)):
    """A command through the harness (logged, killed if it hangs), its
    exit status checked."""
    r = netns.run(argv, timeout=600, wrap=wrap)
    ck.check(r.rc in ok, '%s: exit %r: %s'
             % (what, r.rc, r.err.strip()[-500:]))
    return r


def xml_root(path, what):
    try:
        return ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        ck.check(False, '%s: not XML: %s' % (what, e))
        return None


# --- 1. the same scan by nmap and by trawl ---------------------------------

def ndiff_same(a, b, what):
    """ndiff finds nothing but the two header lines."""
    r = subprocess.run(['ndiff', a, b], capture_output=True, text=True)
    diff = [ln for ln in r.stdout.splitlines()
            if re.match(r'^[-+]', ln) and
            not re.match(r'^[-+](Nmap|trawl) \S+ scan initiated', ln)]
    ck.check(r.returncode == 0 and not diff,
             '%s: ndiff nmap.xml trawl.xml: exit %d, differences %r'
             % (what, r.returncode, diff[:20]))
    return r.returncode == 0 and not diff


def greps(path):
    """The classic one-liners of nmap's grepable output, each run by sh:
    their outputs."""
    lines = {
        'hosts up': "grep 'Status: Up' \"$0\" | cut -d' ' -f2",
        'ports per host': "egrep -v '^#|Status: Up' \"$0\" | "
                          "cut -d' ' -f2,4- | sed -e 's/Ignored.*//'",
        'open ports': "grep -v '^#' \"$0\" | "
                      "awk -F'\\t' '/\\/open\\//{print $1, $2}'",
        'ignored': "grep -o 'Ignored State: [a-z]* ([0-9]*)' \"$0\"",
        'port numbers': "grep -v '^#' \"$0\" | grep -o '[0-9]*/open/' | "
                        "cut -d/ -f1 | sort -n | uniq",
    }
    out = {}
    for name, cmd in lines.items():
        r = subprocess.run(['sh', '-c', cmd, path], capture_output=True,
                           text=True)
        out[name] = r.stdout
    return out


def check_grep(path, up, collapsed, what):
    with open(path) as f:
        text = f.read()
    got_up = set(re.findall(r'^Host: (\S+) .*\tStatus: Up$', text, re.M))
    ck.check(got_up == set(up), '%s: Status: Up for %r, want %r'
             % (what, sorted(got_up), sorted(up)))
    ignored = set(re.findall(r'^Host: (\S+) .*\tIgnored State: \w+ \(\d+\)$',
                             text, re.M))
    ck.check(ignored == set(collapsed), '%s: Ignored State on %r, want %r'
             % (what, sorted(ignored), sorted(collapsed)))


def check_times(root, what, down=()):
    """starttime/endtime on every host within the run; <times> on hosts
    up; runstats hosts up and down."""
    start = int(root.get('start'))
    fin = root.find('runstats/finished')
    end = int(fin.get('time'))
    up = 0
    for h in root.findall('host'):
        ip = h.find('address').get('addr')
        st, et = h.get('starttime'), h.get('endtime')
        if not ck.check(st is not None and et is not None and
                        start <= int(st) <= int(et) <= end,
                        '%s: host %s starttime %r endtime %r outside the '
                        'run %d-%d' % (what, ip, st, et, start, end)):
            continue
        state = h.find('status').get('state')
        if state == 'up':
            up += 1
            t = h.find('times')
            ck.check(t is not None and int(t.get('srtt')) >= 0 and
                     int(t.get('rttvar')) >= 0 and
                     int(t.get('to')) >= int(t.get('srtt')),
                     '%s: host %s: <times> %r' % (what, ip, None if t is None
                                                  else t.attrib))
        for e in h.findall('ports/extraports'):
            reasons = e.findall('extrareasons')
            ck.check(reasons and sum(int(x.get('count')) for x in reasons)
                     == int(e.get('count')),
                     '%s: host %s: extraports %r without matching '
                     'extrareasons' % (what, ip, e.attrib))
    hosts = root.find('runstats/hosts')
    ck.check(int(hosts.get('up')) == up and
             int(hosts.get('down')) == len(down),
             '%s: runstats hosts up %s down %s, want %d and %d'
             % (what, hosts.get('up'), hosts.get('down'), up, len(down)))


def compare(name, targets, ips, trawl_states, v6=False, wrap=None):
    """nmap and trawl on targets; ips are the addresses they resolve to."""
    what = '%s (%s)' % (name, ' '.join(trawl_states) or 'default states')
    d = os.path.join(tmp, name + ('-all' if trawl_states else ''))
    os.mkdir(d)
    nx, ng = os.path.join(d, 'nmap.xml'), os.path.join(d, 'nmap.gnmap')
    tx, tg = os.path.join(d, 'trawl.xml'), os.path.join(d, 'trawl.gnmap')
    sub(NMAP + (['-6'] if v6 else []) + ['-p', PSPEC, '-oX', nx, '-oG', ng]
        + targets, 'nmap, ' + what, wrap=wrap)
    sub([trawl, '-q', *FAST, *trawl_states, '-p', PSPEC, '-o', 'xml:' + tx,
         '-o', 'grep:' + tg] + targets, 'trawl, ' + what, wrap=wrap)
    r = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, tx],
                       capture_output=True, text=True)
    ck.check(r.returncode == 0, '%s: trawl.xml not valid against nmap.dtd: '
             '%s' % (what, r.stderr[-800:]))
    if ndiff_same(nx, tx, what):
        netns.log('  %s: ndiff finds no difference' % what)
    root = xml_root(tx, what)
    if root is None:
        return
    want = netns.xml_view(netns.picture_of(
        {k: v for k, v in truth.state.items() if k[0] in ips},
        netns.STATES, bool(trawl_states)))
    got = netns.xml_picture(root)
    ck.check(got == want, '%s: trawl.xml shows %r, the ground truth is %r'
             % (what, got, want))
    nroot = xml_root(nx, what + ' (nmap)')
    if nroot is not None:
        ck.check(netns.xml_picture(nroot) == want,
                 '%s: nmap.xml shows %r, the ground truth is %r (the test '
                 'is wrong)' % (what, netns.xml_picture(nroot), want))
    check_times(root, what)
    collapsed = [ip for ip, (_, extra) in want.items() if extra]
    check_grep(tg, list(want), collapsed, what + ' grepable')
    gn, gt = greps(ng), greps(tg)
    if wrap is not None:
        # nmap puts only its reverse DNS name between the parentheses
        # (none with -n); trawl the name the address came from: the rest
        # of each line must be nmap's.
        with open(tg) as f:
            named = set(re.findall(r'^Host: (\S+) \(([^)]*)\)', f.read(),
                                   re.M))
        want_named = {(ip, n) for n, ip in NAMES.items() if ip in ips}
        ck.check(named == want_named, '%s: grepable names %r, want %r'
                 % (what, sorted(named), sorted(want_named)))
        gt = {k: re.sub(r'^(Host: \S+ )\([a-z0-9.]+\)', r'\1()', v,
                        flags=re.M)
              for k, v in gt.items()}
    for k in gn:
        ck.check(gn[k] == gt[k] and gt[k],
                 '%s: one-liner "%s": nmap -oG prints %r, trawl %r'
                 % (what, k, gn[k][:400], gt[k][:400]))
    return tx


v4x = None
for states in ([], ['--states', 'all']):
    x = compare('ipv4', V4, V4, states)
    v4x = v4x or x
    compare('ipv6', V6, V6, states, v6=True)
    if HOSTS_WRAP is not None:
        compare('named4', ['alpha.nc.test', 'beta.nc.test'],
                ['127.0.0.1', '127.0.0.4'], states, wrap=HOSTS_WRAP)
        compare('named6', ['six.nc.test'], ['::1'], states, v6=True,
                wrap=HOSTS_WRAP)

# Named hosts carry their name as nmap gives it: <hostname type="user">.
if HOSTS_WRAP is not None:
    root = xml_root(os.path.join(tmp, 'named4', 'trawl.xml'), 'named4')
    if root is not None:
        names = {h.find('address').get('addr'):
                 [(n.get('name'), n.get('type'))
                  for n in h.findall('hostnames/hostname')]
                 for h in root.findall('host')}
        ck.check(names == {'127.0.0.1': [('alpha.nc.test', 'user')],
                           '127.0.0.4': [('beta.nc.test', 'user')]},
                 'named4: host names %r' % names)

# --- 2. nmap.xsl on trawl's XML --------------------------------------------

if v4x is not None:
    html = os.path.join(tmp, 'trawl.html')
    r = sub(['xsltproc', '-o', html, XSL, v4x], 'xsltproc nmap.xsl')
    if r.rc == 0:
        with open(html, errors='replace') as f:
            page = f.read()
        closed1 = sum(1 for (ip, _), st in truth.state.items()
                      if ip == '127.0.0.1' and st == 'closed')
        line = ('The %d ports scanned but not shown below are in state: '
                '<b>closed</b>' % closed1)
        ck.check(line in page, 'nmap.xsl HTML of trawl.xml lacks %r' % line)
        ck.check('conn-refused' in page and '8080' in page and
                 'http-proxy' in page,
                 'nmap.xsl HTML lacks the reasons or the open ports')
        netns.log('  nmap.xsl renders trawl.xml: "%s"' % re.sub('<[^>]*>',
                                                                '', line))

# --- 3. a host that never answers ------------------------------------------

for states, shown in (([], False), (['--states', 'all'], True)):
    what = 'down host (%s)' % (' '.join(states) or 'default states')
    x = os.path.join(tmp, 'down%d.xml' % shown)
    g = os.path.join(tmp, 'down%d.gnmap' % shown)
    sub([trawl, '-q', *FAST, *states, '-p', PSPEC, '-o', 'xml:' + x,
         '-o', 'grep:' + g, '127.0.0.1', DOWN], 'trawl, ' + what)
    root = xml_root(x, what)
    if root is None:
        continue
    hosts = {h.find('address').get('addr'): h for h in root.findall('host')}
    ck.check((DOWN in hosts) == shown, '%s: %s %s' % (
        what, DOWN, 'missing' if shown else 'listed'))
    if shown and DOWN in hosts:
        h = hosts[DOWN]
        ex = [(e.get('state'), e.get('count'))
              for e in h.findall('ports/extraports')]
        ck.check(h.find('status').get('state') == 'down' and
                 h.find('status').get('reason') == 'no-response' and
                 ex == [('filtered', str(len(PORTS)))],
                 '%s: %s status %r extraports %r' % (
                     what, DOWN, h.find('status').attrib, ex))
    check_times(root, what, down=[DOWN])
    with open(g) as f:
        gtext = f.read()
    ck.check(('Host: %s ()\tStatus: Down' % DOWN in gtext) == shown,
             '%s: grepable Status: Down line %s' % (
                 what, 'missing' if shown else 'present'))

ck.finish()
