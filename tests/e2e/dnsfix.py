"""A DNS world for end-to-end tests of names at scale.

Inside the private network namespace of netns.enter_namespace(), this
module starts

  * dnsmasq on 127.0.0.53 port 53 (and, on request, more instances on
    other addresses and ports), answering from a generated hosts file only
    (--no-resolv --no-hosts, no /etc/dnsmasq.conf): over ten thousand names
    under trawl.test, some with several A and AAAA records, some with only
    one family; names under trawl.test that are not in the file get
    NXDOMAIN; everything under wild.test that has no record of its own
    gets the wildcard address 127.9.9.9 (AAAA: no data);
  * a crt.sh look-alike: python's http.server in a thread on 127.0.0.1,
    port 0, answering GET /?q=%25.DOMAIN&output=json with a JSON array of
    certificate entries whose "name_value" holds newline-separated names,
    spelled as real logs spell them (upper case, "*.", trailing dots,
    e-mail addresses, other domains).  /status/NNN/ answers HTTP NNN,
    /garbage/ answers an HTML page with 200.

Everything comes with its ground truth: Zone.truth() maps each name to the
set of addresses it must resolve to (empty: NXDOMAIN), and CtLog.expected
lists the clean names a client must extract, in first-seen order.  A
hand-written DNS client (query()) checks a sample of the truth against
dnsmasq first, so a failure points at the code under test, not the fixture.

Addresses are loopback (127.1.0.0/16) for IPv4 and fd74:7261:776c::/48 for
IPv6; add_v6_to_lo() puts IPv6 ones on lo for a test that wants to connect.
"""

import ipaddress
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import netns

DOMAIN = 'trawl.test'
WILD = 'wild.test'
WILD_ADDR = '127.9.9.9'
SERVER = '127.0.0.53'
V6_PREFIX = 'fd74:7261:776c::'


def canon(addr):
    return ipaddress.ip_address(addr).compressed


def family_of(addr):
    return 6 if ':' in addr else 4


# --- the zone ----------------------------------------------------------------

class Zone:
    """Names under DOMAIN and WILD and their addresses.

    records: name -> frozenset of canonical addresses (both families).
    nx: names under DOMAIN that do not exist.
    wild_own: names under WILD with records of their own."""

    def __init__(self, n=10000, seed=1):
        rng = random.Random(seed)
        self.records = {}
        v4 = 0
        v6 = 0

        def next_v4():
            nonlocal v4
            v4 += 1
            return '127.1.%d.%d' % (v4 // 250, v4 % 250 + 1)

        def next_v6():
            nonlocal v6
            v6 += 1
            return canon('%s%x:%x' % (V6_PREFIX, v6 >> 16, v6 & 0xffff))

        shapes = ['h%d', 'web-%d', 'api.h%d', 'x%d.y.z', 'n%d-a-b']
        for i in range(n):
            name = (shapes[i % len(shapes)] % i) + '.' + DOMAIN
            kind = rng.random()
            addrs = set()
            if kind < 0.60:                      # one A
                addrs.add(next_v4())
            elif kind < 0.75:                    # several A
                for _ in range(rng.randint(2, 4)):
                    addrs.add(next_v4())
            elif kind < 0.90:                    # A and AAAA
                for _ in range(rng.randint(1, 2)):
                    addrs.add(next_v4())
                for _ in range(rng.randint(1, 3)):
                    addrs.add(next_v6())
            else:                                # AAAA only
                for _ in range(rng.randint(1, 2)):
                    addrs.add(next_v6())
            self.records[name] = frozenset(addrs)
        # The domain itself has an address too.
        self.records[DOMAIN] = frozenset({'127.1.255.1'})
        self.nx = ['nx%d.%s' % (i, DOMAIN) for i in range(n // 10)]
        # Under the wildcard: own records, one equal to the wildcard's.
        self.wild_own = {
            'real.' + WILD: frozenset({'127.9.9.20'}),
            'www.' + WILD: frozenset({'127.9.9.21', canon(V6_PREFIX + '9:21')}),
            'same.' + WILD: frozenset({WILD_ADDR}),
            'multi.' + WILD: frozenset({WILD_ADDR, '127.9.9.22'}),
        }
        self.records.update(self.wild_own)

    def truth(self, name, family=None):
        """The addresses name must resolve to (family 4, 6 or None for
        both); an empty set for a name that has none."""
        name = name.lower().rstrip('.')
        if name in self.records:
            addrs = self.records[name]
        elif name == WILD or name.endswith('.' + WILD):
            addrs = frozenset({WILD_ADDR})
        else:
            addrs = frozenset()
        if family is not None:
            addrs = frozenset(a for a in addrs if family_of(a) == family)
        return addrs

    def names(self):
        return sorted(n for n in self.records if n.endswith('.' + DOMAIN))

    def hosts_text(self):
        lines = []
        for name in sorted(self.records):
            for a in sorted(self.records[name]):
                lines.append('%s %s' % (a, name))
        return '\n'.join(lines) + '\n'


# --- dnsmasq -------------------------------------------------------------------

def dnsmasq_path():
    for p in (shutil.which('dnsmasq'), '/usr/sbin/dnsmasq'):
        if p and os.access(p, os.X_OK):
            return p
    netns.skip('dnsmasq not found (Debian package dnsmasq-base)')


class Dnsmasq:
    """dnsmasq serving zone on addr:port; stop() ends it.  It answers
    NXDOMAIN for a name of domains that zone lacks; extra are more
    options of dnsmasq's."""

    def __init__(self, zone, addr=SERVER, port=53, tmpdir=None,
                 domains=(DOMAIN, WILD), extra=()):
        self.addr, self.port = addr, port
        self.tmp = tmpdir or tempfile.mkdtemp(prefix='trawl-dnsfix-')
        tag = '%s-%d' % (addr.replace(':', '_'), port)
        self.hosts = os.path.join(self.tmp, 'hosts-' + tag)
        self.logfile = os.path.join(self.tmp, 'dnsmasq-%s.log' % tag)
        with open(self.hosts, 'w') as f:
            f.write(zone.hosts_text())
        # dnsmasq binds the addresses interfaces carry: give lo this one.
        plen = 128 if ':' in addr else 32
        netns.sh(['ip', 'addr', 'replace', '%s/%d' % (addr, plen), 'dev',
                  'lo'])
        argv = [dnsmasq_path(), '--keep-in-foreground',
                '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
                '--addn-hosts=' + self.hosts,
                '--listen-address=' + addr, '--bind-interfaces',
                '--port=%d' % port, '--pid-file=']
        argv += ['--local=/%s/' % d for d in domains]
        argv += ['--address=/%s/%s' % (WILD, WILD_ADDR),
                '--log-facility=' + self.logfile]
        # More of dnsmasq's options: PTR records, --log-queries...
        argv += list(extra)
        if os.geteuid() == 0:
            argv.append('--user=root')
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        probe = next(iter(sorted(zone.records)))
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                netns.hard_error('dnsmasq on %s:%d exited %d: %s %s'
                                 % (addr, port, self.proc.returncode,
                                    self.proc.stdout.read().decode(
                                        errors='replace'), self._log()))
            try:
                query(addr, port, probe, 'A', timeout=0.2)
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                netns.hard_error('dnsmasq on %s:%d does not answer: %s'
                                 % (addr, port, self._log()))
        netns.log('dnsmasq on %s port %d: %d names' % (addr, port,
                                                       len(zone.records)))

    def _log(self):
        try:
            with open(self.logfile) as f:
                return f.read()[-2000:]
        except OSError:
            return ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- a DNS client of our own, the fixture's witness ------------------------------

QTYPES = {'A': 1, 'AAAA': 28, 'PTR': 12}
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5


def query(server, port, name, qtype, timeout=1.0):
    """One UDP query; (rcode, set of canonical addresses).  Raises OSError
    (socket.timeout included) when there is no answer."""
    qid = random.getrandbits(16)
    msg = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip('.').split('.'):
        msg += bytes([len(label)]) + label.encode()
    msg += b'\0' + struct.pack('>HH', QTYPES[qtype], 1)
    fam = socket.AF_INET6 if ':' in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, (server, port))
        while True:
            data, _ = s.recvfrom(4096)
            if len(data) >= 12 and struct.unpack('>H', data[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack('>HHHHHH', data[:12])
    i = 12
    for _ in range(qd):
        i = _skip_name(data, i) + 4
    addrs = set()
    for _ in range(an):
        i = _skip_name(data, i)
        rtype, _, _, rdlen = struct.unpack('>HHIH', data[i:i + 10])
        i += 10
        rdata = data[i:i + rdlen]
        i += rdlen
        if rtype == 1 and rdlen == 4:
            addrs.add(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28 and rdlen == 16:
            addrs.add(canon(socket.inet_ntop(socket.AF_INET6, rdata)))
    return flags & 0xf, addrs


def _skip_name(data, i):
    while True:
        n = data[i]
        if n == 0:
            return i + 1
        if n & 0xc0 == 0xc0:
            return i + 2
        i += n + 1


def self_check(zone, server=SERVER, port=53, sample=200, seed=2):
    """Ask dnsmasq for a sample of the truth ourselves; exit 99 when it
    disagrees: then the fixture is broken, not the code under test."""
    rng = random.Random(seed)
    names = rng.sample(zone.names(), min(sample, len(zone.names())))
    names += rng.sample(zone.nx, min(20, len(zone.nx)))
    names += sorted(zone.wild_own) + ['nothing-here.' + WILD]
    bad = []
    for name in names:
        got = set()
        rcodes = set()
        for qtype in ('A', 'AAAA'):
            rcode, addrs = query(server, port, name, qtype)
            rcodes.add(rcode)
            got |= addrs
        want = zone.truth(name)
        ok = got == want and (rcodes == {NOERROR} if want or
                              name.endswith(WILD) else rcodes == {NXDOMAIN})
        if not ok:
            bad.append((name, sorted(got), sorted(want), sorted(rcodes)))
    if bad:
        netns.hard_error('dnsmasq disagrees with the ground truth: %r'
                         % bad[:5])
    netns.log('fixture self-check: %d names asked, ground truth confirmed'
              % len(names))


def add_v6_to_lo(addrs):
    """Put these IPv6 addresses on lo, so that connects to them work."""
    for a in sorted(addrs):
        if ':' in a:
            netns.sh(['ip', '-6', 'addr', 'replace', a + '/128', 'dev',
                      'lo'])


# --- the certificate log -------------------------------------------------------

class CtLog:
    """crt.sh-shaped entries for DOMAIN built from zone's names.

    entries: the JSON array's elements; expected: the clean names under
    DOMAIN a client must extract, each once, in first-seen order."""

    def __init__(self, zone, count=3000, seed=3):
        rng = random.Random(seed)
        names = zone.names()
        pool = rng.sample(names, min(2000, len(names))) + [DOMAIN]
        self.entries = []
        self.expected = []
        seen = set()

        def spell(n):
            r = rng.random()
            if r < 0.5:
                return n
            if r < 0.65:
                return n.upper()
            if r < 0.8:
                return '*.' + n
            if r < 0.9:
                return n + '.'
            return ' ' + n.title() + ' \r'

        junk = ['admin@' + DOMAIN, 'bad name.' + DOMAIN, 'x..' + DOMAIN,
                '-lead.' + DOMAIN, 'caf\u00e9.' + DOMAIN,
                '*.*.' + DOMAIN, 'h1.example.org', DOMAIN + '.evil.net',
                'x' + DOMAIN, 'www.' + WILD, '1.2.3.4', 'a' * 64 + '.' + DOMAIN]
        for i in range(count):
            parts = []
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.1:
                    parts.append(rng.choice(junk))
                    continue
                n = rng.choice(pool)
                parts.append(spell(n))
                if n not in seen:
                    seen.add(n)
                    self.expected.append(n)
            self.entries.append({
                'issuer_ca_id': 183267,
                'issuer_name': "C=US, O=Let's Encrypt, CN=R3",
                'common_name': parts[0].strip(),
                'name_value': '\n'.join(parts),
                'id': 9000000000 + i,
                'entry_timestamp': '2024-01-01T00:00:00.%03d' % (i % 1000),
                'not_before': '2024-01-01T00:00:00',
                'not_after': '2024-03-31T00:00:00',
                'serial_number': '%032x' % rng.getrandbits(128),
                'result_count': len(parts),
            })
        # Elements crt.sh never sends but a mirror might: skipped.
        self.entries.insert(count // 2, {'id': 1, 'name_value': None})
        self.entries.insert(count // 3, 'not an object')


class CtServer:
    """The crt.sh look-alike; base is its URL.  requests lists the paths
    (with query strings) asked for."""

    def __init__(self, logs):
        self.logs = logs            # domain -> CtLog
        self.requests = []
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                fixture.requests.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(url.query)
                parts = [p for p in url.path.split('/') if p]
                if parts[:1] == ['status'] and len(parts) >= 2:
                    return self._send(int(parts[1]), b'busy\n',
                                      'text/plain')
                if parts[:1] == ['garbage']:
                    return self._send(200, b'<html><body>rate limited'
                                      b'</body></html>', 'text/html')
                if parts not in ([], ['mirror']):
                    return self._send(404, b'not found\n', 'text/plain')
                query_ = q.get('q', [''])[0]
                if q.get('output') != ['json'] or \
                        not query_.startswith('%.'):
                    return self._send(400, b'bad query\n', 'text/plain')
                log = fixture.logs.get(query_[2:].lower())
                body = json.dumps(log.entries if log else []).encode()
                return self._send(200, body, 'application/json')

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = 'http://127.0.0.1:%d/' % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def no_proxy_env():
    """The environment for a client of CtServer: no proxy in between."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ('http_proxy', 'https_proxy', 'all_proxy')}
    env['no_proxy'] = '*'
    return env


# --- all of it -------------------------------------------------------------------

class World:
    """The zone, dnsmasq on SERVER:53 and the certificate log server."""

    def __init__(self, n=10000, seed=1):
        self.tmp = tempfile.mkdtemp(prefix='trawl-dnsfix-')
        self.zone = Zone(n, seed)
        self.servers = [Dnsmasq(self.zone, SERVER, 53, self.tmp)]
        self_check(self.zone)
        self.ct = CtLog(self.zone, seed=seed + 2)
        self.http = CtServer({DOMAIN: self.ct})

    def add_server(self, addr, port):
        """Another dnsmasq with the same zone, e.g. ('::1', 5353)."""
        d = Dnsmasq(self.zone, addr, port, self.tmp)
        self.servers.append(d)
        return d

    def stop(self):
        for d in self.servers:
            d.stop()
        self.http.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
