#!/usr/bin/env python3
"""--banners: what answers on an open port, against real daemons and
hostile servers.

In a private network namespace the test starts Debian's own daemons with
configurations of its own (svcfix.py), each on its usual port and on an
unusual one, on 127.0.0.1 and for some on ::1 too:

    sshd 22 2222, vsftpd 21 2121, OpenSMTPD 25 2525, nginx HTTP 80 8081
    (8081 answers 301 with a Location of the test's), nginx HTTPS 443 9443
    18443
    (a self-signed certificate with several SANs, 5 days to live),
    openssl s_server -www 4433 14433 (a certificate issued by a CA of the
    test's), redis-server 6379 16379.

The ground truth is what each daemon is: its package's version
(dpkg-query), what a witness of the fixture's own reads from it (the
greeting, the TLS handshake), what openssl x509 says of the certificates.

(1) trawl --banners on every port, in NDJSON, XML, grepable, CSV and
    text: for EVERY daemon on BOTH ports nmap's service name (with
    "tunnel":"ssl" inside TLS), product, version, "method":"probed", the
    greeting as banner, the certificate (subject, issuer, SANs, not
    after, days left, self-signed or not, SHA-256) and the HTTP head
    (status, Server, title, Location); XML valid against nmap.dtd with
    nmap's service attributes and banner / ssl-cert / http-title
    scripts, rendered by nmap.xsl; grepable in nmap's
    port/state/proto/owner/service/rpc/version/ layout (ssl|http); CSV
    with product, version, tunnel, banner columns.
(2) The same over ::1 for sshd, nginx and redis.
(3) nmap -sT -sV on the same ports: the same service names (and
    tunnels) as trawl; a table of both is printed.
(4) Hostile servers (Python threads), scanned with --banner-timeout 3000:
    a greeting of ESC sequences, invalid UTF-8, NULs and "<>&, ; one
    byte a second for ever; a server that never speaks; one that resets
    the connection after the ClientHello; one that answers it with a
    broken TLS record.  Every port open, every output well-formed, no
    raw control byte anywhere, the hostile banner there, escaped; no
    connection held past its limit (with slack for valgrind).
(5) 50 ports of a server that sends 64 MiB and more as fast as it can:
    trawl's peak RSS (VmHWM, sampled until it exits) stays under 64 MiB.
"""
import csv
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
import svcfix  # noqa: E402  (after the namespace: it imports netns)

trawl = netns.trawl_path()
ck = netns.Checker('e2e-banners')
tmp, etc, outdir = svcfix.workdirs('banners')

XSL = '/usr/share/nmap/nmap.xsl'
DTD = '/usr/share/nmap/nmap.dtd'
TIMEOUT = 300            # for one trawl run; meson's own limit is above
BANNER_TIMEOUT = 3000    # ms, for the hostile servers
UNDER_VALGRIND = netns.WRAPPED and 'valgrind' in os.path.basename(
    (os.environ.get('TRAWL_WRAPPER', '').split() or [''])[0])

SSHD = svcfix.need('/usr/sbin/sshd', 'openssh-server')
NGINX = svcfix.need('nginx', 'nginx-light')
REDIS = svcfix.need('redis-server', 'redis-server')
VSFTPD = svcfix.need('vsftpd', 'vsftpd')
SMTPD = svcfix.need('smtpd', 'opensmtpd')
OPENSSL = svcfix.need('openssl', 'openssl')
svcfix.need('ssh-keygen', 'openssh-client')
svcfix.need('unshare', 'util-linux')

HAVE_NMAP = shutil.which('nmap') is not None
HAVE_XMLLINT = shutil.which('xmllint') is not None and os.path.exists(DTD)
HAVE_XSLT = shutil.which('xsltproc') is not None and os.path.exists(XSL)
if not HAVE_NMAP:
    ck.cannot_run('nmap(1) not found (Debian package nmap): trawl not '
                  'compared with nmap -sV')
if not HAVE_XMLLINT:
    ck.cannot_run('xmllint(1) or %s missing (libxml2-utils, nmap): the XML '
                  'not validated' % DTD)
if not HAVE_XSLT:
    ck.cannot_run('xsltproc(1) or %s missing (xsltproc, nmap): the XML not '
                  'rendered' % XSL)

# --- ground truth: the packages ----------------------------------------------

VERSIONS = {}
for pkg in ('openssh-server', 'nginx-light', 'redis-server', 'vsftpd',
            'opensmtpd', 'openssl'):
    v = svcfix.dpkg_version(pkg)
    if v is None:
        netns.skip('package %s not installed (dpkg-query): tests/deps.sh '
                   'installs it' % pkg)
    VERSIONS[pkg] = v
netns.log('packages: %s' % ', '.join('%s %s' % kv for kv in
                                     sorted(VERSIONS.items())))
ssh_up, ssh_rev = svcfix.split_version(VERSIONS['openssh-server'])
SSH_VERSION = '%s Debian %s' % (ssh_up, ssh_rev) if ssh_rev else ssh_up
NGINX_VERSION = svcfix.split_version(VERSIONS['nginx-light'])[0]
REDIS_VERSION = svcfix.split_version(VERSIONS['redis-server'])[0]
VSFTPD_VERSION = svcfix.split_version(VERSIONS['vsftpd'])[0]

# Quotes for the formats to escape; no HTML entity (whether one is decoded
# is not the question here).  The page folds it over lines.
TITLE = 'Trawl "Banner" Fixture\'s page'
TITLE_HTML = TITLE
LOCATION = 'http://www.example.test/moved/here?from=8081'

V4, V6 = '127.0.0.1', '::1'


class Fix:
    """One port of one daemon and what trawl must find there."""

    def __init__(self, port, daemon, kind, service, tunnel=None,
                 product=None, version=None, extrainfo=None, http=None,
                 cert=None, v6=False, nmap_strict=True):
        self.port, self.daemon, self.kind = port, daemon, kind
        self.service, self.tunnel = service, tunnel
        self.product, self.version, self.extrainfo = (product, version,
                                                      extrainfo)
        self.http = http          # {'status':..., 'title':..., 'location':}
        self.cert = cert          # the name of a certificate of CERTS
        self.v6 = v6              # listens on ::1 too
        self.nmap_strict = nmap_strict


PAGE = {'status': 200, 'server': 'nginx/' + NGINX_VERSION, 'title': TITLE,
        'location': None}
MOVED = {'status': 301, 'server': 'nginx/' + NGINX_VERSION, 'title': None,
         'location': LOCATION}
SSERVER = {'status': 200, 'server': None, 'title': None, 'location': None}

FIXES = [
    Fix(21, 'vsftpd-21', 'ftp', 'ftp', product='vsftpd',
        version=VSFTPD_VERSION),
    Fix(2121, 'vsftpd-2121', 'ftp', 'ftp', product='vsftpd',
        version=VSFTPD_VERSION),
    Fix(22, 'sshd', 'ssh', 'ssh', product='OpenSSH', version=SSH_VERSION,
        extrainfo='protocol 2.0', v6=True),
    Fix(2222, 'sshd', 'ssh', 'ssh', product='OpenSSH', version=SSH_VERSION,
        extrainfo='protocol 2.0', v6=True),
    Fix(25, 'smtpd', 'smtp', 'smtp', product='OpenSMTPD'),
    Fix(2525, 'smtpd', 'smtp', 'smtp', product='OpenSMTPD'),
    Fix(80, 'nginx', 'http', 'http', product='nginx', version=NGINX_VERSION,
        http=PAGE, v6=True),
    Fix(8081, 'nginx', 'http', 'http', product='nginx',
        version=NGINX_VERSION, http=MOVED, v6=True),
    Fix(443, 'nginx', 'tls', 'http', 'ssl', product='nginx',
        version=NGINX_VERSION, http=PAGE, cert='web', v6=True),
    Fix(9443, 'nginx', 'tls', 'http', 'ssl', product='nginx',
        version=NGINX_VERSION, http=PAGE, cert='web', v6=True),
    # No port list knows it: plain HTTP first gets nginx's "400 The plain
    # HTTP request was sent to HTTPS port", which means TLS, as nmap says.
    Fix(18443, 'nginx', 'tls', 'http', 'ssl', product='nginx',
        version=NGINX_VERSION, http=PAGE, cert='web', v6=True),
    Fix(4433, 's_server-4433', 'tls', 'http', 'ssl', http=SSERVER,
        cert='leaf', nmap_strict=False),
    Fix(14433, 's_server-14433', 'tls', 'http', 'ssl', http=SSERVER,
        cert='leaf', nmap_strict=False),
    Fix(6379, 'redis-6379', 'redis', 'redis',
        product='Redis key-value store', version=REDIS_VERSION, v6=True),
    Fix(16379, 'redis-16379', 'redis', 'redis',
        product='Redis key-value store', version=REDIS_VERSION, v6=True),
]
BY_PORT = {f.port: f for f in FIXES}
PORTS = sorted(BY_PORT)
PSPEC = ','.join(str(p) for p in PORTS)
PORTS6 = sorted(f.port for f in FIXES if f.v6)

# --- the certificates --------------------------------------------------------

WEB_SANS = ['DNS:www.example.test', 'DNS:api.example.test',
            'DNS:*.cdn.example.test', 'IP:127.0.0.1', 'IP:::1']
web_cert = svcfix.make_cert(etc, 'web', '/C=XX/O=Trawl Test/OU=Banners/'
                            'CN=www.example.test', WEB_SANS, days=5)
ca_cert = svcfix.make_cert(etc, 'ca', '/O=Trawl Test/CN=Trawl Test CA',
                           days=30)
leaf_cert = svcfix.make_cert(etc, 'leaf', '/C=XX/O=Trawl Test/'
                             'CN=sserver.example.test',
                             ['DNS:sserver.example.test', 'IP:127.0.0.1'],
                             days=20, ca=ca_cert)
CERTS = {'web': svcfix.cert_facts(web_cert[0]),
         'leaf': svcfix.cert_facts(leaf_cert[0])}
CERTS['web']['self_signed'] = True
CERTS['leaf']['self_signed'] = False
for name, facts in CERTS.items():
    netns.log('certificate %s: %s' % (name, facts['raw'].strip().replace(
        '\n', ' | ')))
    for k in ('sha256', 'not_after', 'subject', 'issuer', 'sans'):
        if k not in facts:
            netns.hard_error('openssl x509 says no %s of certificate %s: %s'
                             % (k, name, facts['raw']))


def san_set(names):
    """SANs as comparable words: 'DNS:a' / 'a' -> 'a', 'IP Address:x' /
    'IP:x' / 'x' -> the address in canonical form."""
    out = set()
    for n in names:
        n = str(n).strip()
        for pre in ('DNS:', 'IP Address:', 'IP:'):
            if n.startswith(pre):
                n = n[len(pre):]
                break
        try:
            n = ipaddress.ip_address(n).compressed
        except ValueError:
            pass
        out.add(n)
    return out


# --- the daemons -------------------------------------------------------------

# Every daemon and hostile server goes, however the test ends.
daemons = svcfix.Daemons(etc)
hostiles = daemons.also
start = daemons.start
teardown = daemons.stop


def write(name, text, mode=0o644):
    path = os.path.join(etc, name)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def endpoints(name):
    out = []
    for f in FIXES:
        if f.daemon == name:
            out.append((V4, f.port, f.kind))
            if f.v6:
                out.append((V6, f.port, f.kind))
    return out


# sshd: host keys of its own, 22 and 2222 on 127.0.0.1 and ::1.
hostkey = os.path.join(etc, 'ssh_host_ed25519_key')
netns.sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'trawltest',
          '-f', hostkey])
os.chmod(hostkey, 0o600)
sshd_conf = write('sshd_config', '''\
Port 22
Port 2222
ListenAddress 127.0.0.1
ListenAddress ::1
HostKey %s
PidFile %s/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 500
LoginGraceTime 120
''' % (hostkey, etc))
start('sshd', [SSHD, '-D', '-e', '-f', sshd_conf], endpoints('sshd'),
      wrap=svcfix.PRIVATE_DIRS)

# vsftpd: one instance a port, never letting anyone in.
empty = os.path.join(etc, 'vsftpd-empty')
os.mkdir(empty)
os.chmod(empty, 0o755)
for port in (21, 2121):
    conf = write('vsftpd-%d.conf' % port, '''\
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
xferlog_enable=NO
dirmessage_enable=NO
seccomp_sandbox=NO
max_clients=0
max_per_ip=0
secure_chroot_dir=%s
pam_service_name=vsftpd
''' % (port, empty), mode=0o600)
    start('vsftpd-%d' % port, [VSFTPD, conf], endpoints('vsftpd-%d' % port))

# OpenSMTPD: 25 and 2525 on 127.0.0.1, rejecting every mail.
smtpd_conf = write('smtpd.conf', '''\
listen on 127.0.0.1 port 25 hostname mx.example.test
listen on 127.0.0.1 port 2525 hostname mx.example.test
match from any for any reject
''', mode=0o600)
start('smtpd', [SMTPD, '-d', '-f', smtpd_conf], endpoints('smtpd'),
      wrap=svcfix.PRIVATE_DIRS)

# nginx: a page with a title on 80, a redirect on 8081, the page over TLS
# on 443 and 9443.
www = os.path.join(etc, 'www')
os.mkdir(www)
os.chmod(www, 0o755)
write('www/index.html', '<!DOCTYPE html>\n<html><head>\n<title>\n  %s\n'
      '</title></head><body><p>trawl e2e-banners</p></body></html>\n'
      % TITLE_HTML.replace(' ', '\n  ', 1))
ngx = os.path.join(etc, 'nginx')
os.mkdir(ngx)
os.chmod(ngx, 0o755)
nginx_conf = write('nginx.conf', svcfix.nginx_head(ngx, 1024, 'text/html') + '''\
  server {{
    listen 127.0.0.1:80;
    listen [::1]:80;
    root {www};
    index index.html;
  }}
  server {{
    listen 127.0.0.1:8081;
    listen [::1]:8081;
    location / {{ return 301 {loc}; }}
  }}
  server {{
    listen 127.0.0.1:443 ssl;
    listen [::1]:443 ssl;
    listen 127.0.0.1:9443 ssl;
    listen [::1]:9443 ssl;
    listen 127.0.0.1:18443 ssl;
    listen [::1]:18443 ssl;
    ssl_certificate {crt};
    ssl_certificate_key {key};
    root {www};
    index index.html;
  }}
}}
'''.format(ngx=ngx, www=www, loc=LOCATION, crt=web_cert[0],
           key=web_cert[1]))
start('nginx', [NGINX, '-e', 'stderr', '-p', ngx, '-c', nginx_conf, '-g',
                'daemon off;'], endpoints('nginx'))

# openssl s_server -www: the CA-issued certificate.
for port in (4433, 14433):
    start('s_server-%d' % port,
          [OPENSSL, 's_server', '-accept', '%s:%d' % (V4, port), '-cert',
           leaf_cert[0], '-key', leaf_cert[1], '-www'],
          endpoints('s_server-%d' % port))

# redis-server: nothing saved, nothing written.
for port in (6379, 16379):
    d = os.path.join(etc, 'redis-%d' % port)
    os.mkdir(d)
    start('redis-%d' % port,
          [REDIS, '--port', str(port), '--bind', '127.0.0.1 ::1', '--save',
           '', '--appendonly', 'no', '--daemonize', 'no', '--dir', d],
          endpoints('redis-%d' % port))

# What the witnesses saw: the greetings (the banners' ground truth) and the
# TLS versions.
SEEN = {}
for d in daemons:
    SEEN.update(d.seen)
for (addr, port), what in sorted(SEEN.items(), key=str):
    f = BY_PORT[port]
    if f.kind == 'tls':
        facts = CERTS[f.cert]
        if not ck.check(svcfix.hashlib_sha256(what['der']) ==
                        facts['sha256'], 'harness: %s:%d serves another '
                        'certificate than %s' % (addr, port, f.cert)):
            continue
        netns.log('witness %s:%d: %s, %r' % (addr, port, what['version'],
                                            what['http'][:40]))
    else:
        netns.log('witness %s:%d: %r' % (addr, port, what[:120]))
    reply = what['http'] if f.kind == 'tls' else what
    if f.http is not None:
        # The harness's own check of what the HTTP fixtures say.
        head, _, body = reply.partition(b'\r\n\r\n')
        m = re.match(rb'^HTTP/1\.[01] (\d+) ', head)
        hdrs = dict((k.strip().lower(), v.strip()) for k, _, v in
                    (ln.partition(b':') for ln in head.split(b'\r\n')[1:]))
        title = re.search(rb'<title>(.*?)</title>', body, re.S | re.I)
        ok = (m and int(m.group(1)) == f.http['status'] and
              (hdrs.get(b'server') or b'').decode() ==
              (f.http['server'] or '') and
              (hdrs.get(b'location') or b'').decode() ==
              (f.http['location'] or ''))
        if f.http['title'] is not None:
            ok = ok and title and ' '.join(title.group(1).decode().split(
            )) == TITLE_HTML
        if not ok:
            teardown()
            netns.hard_error('%s:%d (%s) does not answer as the test set it '
                             'up: %r' % (addr, port, f.daemon, reply[:600]))
netns.log('every daemon answers: %s' % PSPEC)

# --- trawl's outputs ---------------------------------------------------------

FORMATS = ('ndjson', 'xml', 'grep', 'csv', 'text')


def scan(tag, targets, pspec, extra=(), timeout=TIMEOUT, monitor=None):
    """trawl --banners on targets; {format: path}, the Run."""
    paths = {fmt: os.path.join(outdir, '%s.%s' % (tag, fmt))
             for fmt in FORMATS}
    argv = [trawl, '--banners', *extra, '-p', pspec]
    for fmt in FORMATS:
        argv += ['-o', '%s:%s' % (fmt, paths[fmt])]
    argv += targets
    p = netns.start(argv)
    if monitor is not None:
        monitor(p)
    r = netns.finish(p, timeout=timeout)
    ck.check(r.rc == 0, '%s: exit %r, want 0: %s' % (tag, r.rc,
                                                     r.err.strip()[-800:]))
    return paths, r


def read_bytes(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


RAW_CTRL = re.compile('[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]')


def raw_problems(data, crlf=False, tab=False):
    """What is wrong with data as text for a terminal: invalid UTF-8, raw
    control characters but newline (CR LF with crlf, tab with tab)."""
    out = []
    if crlf:
        data = data.replace(b'\r\n', b'\n')
    if b'\x1b' in data:
        out.append('raw ESC at byte %d' % data.index(b'\x1b'))
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        out.append('invalid UTF-8 at byte %d: %r'
                   % (e.start, data[max(0, e.start - 20):e.start + 10]))
        text = data.decode('utf-8', 'replace')
    for m in RAW_CTRL.finditer(text):
        if tab and m.group() == '\t':
            continue
        out.append('raw control U+%04X in %r' % (
            ord(m.group()), text[max(0, m.start() - 30):m.end() + 10]))
        if len(out) > 5:
            break
    return out


def load_ndjson(path, what):
    """Records of an NDJSON file, each line checked to be a JSON object;
    {(ip, port): record}."""
    data = read_bytes(path)
    ck.check(not raw_problems(data), '%s: NDJSON not clean text: %r'
             % (what, raw_problems(data)))
    recs = {}
    text = data.decode('utf-8', 'replace')
    ck.check(text.endswith('\n'), '%s: NDJSON does not end with a newline'
             % what)
    for n, line in enumerate(text.splitlines(), 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            ck.check(False, '%s: NDJSON line %d not JSON: %s: %r'
                     % (what, n, e, line[:300]))
            continue
        if not ck.check(isinstance(rec, dict) and 'ip' in rec and
                        'port' in rec, '%s: NDJSON line %d not a port '
                        'record: %r' % (what, n, line[:300])):
            continue
        key = (rec['ip'], rec['port'])
        ck.check(key not in recs, '%s: two records for %r' % (what, key))
        recs[key] = rec
    return recs


def load_xml(path, what):
    """The XML's root, validated against nmap.dtd; {(ip, port): <port>}."""
    data = read_bytes(path)
    ck.check(not raw_problems(data, tab=True), '%s: XML not clean text: %r'
             % (what, raw_problems(data, tab=True)))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        ck.check(False, '%s: XML does not parse: %s' % (what, e))
        return None, {}
    if HAVE_XMLLINT:
        r = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, path],
                           capture_output=True, text=True)
        ck.check(r.returncode == 0, '%s: XML not valid against nmap.dtd: %s'
                 % (what, r.stderr[-1000:]))
    ports = {}
    for h in root.findall('host'):
        ip = h.find('address').get('addr')
        for p in h.findall('ports/port'):
            ports[(netns.canon(ip), int(p.get('portid')))] = p
    return root, ports


GREP_PORT = re.compile(r'^(\d+)/([a-z|]+)/tcp/([^/]*)/([^/]*)/([^/]*)/'
                       r'([^/]*)/$')


def load_grep(path, what):
    """{(ip, port): (state, service, version field)} of a grepable file,
    every line checked against nmap's layout."""
    data = read_bytes(path)
    ck.check(not raw_problems(data, tab=True), '%s: grepable not clean '
             'text: %r' % (what, raw_problems(data, tab=True)))
    out = {}
    for line in data.decode('utf-8', 'replace').splitlines():
        if line.startswith('#'):
            continue
        m = re.match(r'^Host: (\S+) \(([^)]*)\)\t(.*)$', line)
        if not ck.check(m, '%s: grepable line not "Host: ADDR (NAME)\\t...":'
                        ' %r' % (what, line[:300])):
            continue
        ip = netns.canon(m.group(1))
        for field in m.group(3).split('\t'):
            if not field.startswith('Ports: '):
                ck.check(re.match(r'^(Status: (Up|Down)|Ignored State: '
                                  r'\w+ \(\d+\))$', field),
                         '%s: grepable field %r' % (what, field[:300]))
                continue
            for entry in field[len('Ports: '):].split(', '):
                pm = GREP_PORT.match(entry)
                if not ck.check(pm, '%s: grepable port entry %r not '
                                'port/state/proto/owner/service/rpc/'
                                'version/' % (what, entry[:300])):
                    continue
                out[(ip, int(pm.group(1)))] = (pm.group(2), pm.group(4),
                                               pm.group(6))
    return out


def load_csv(path, what):
    """(header, {(ip, port): row dict}) of a CSV file: it parses, every
    row has the header's column count."""
    data = read_bytes(path)
    ck.check(not raw_problems(data, crlf=True), '%s: CSV not clean text: '
             '%r' % (what, raw_problems(data, crlf=True)))
    rows = list(csv.reader(io.StringIO(data.decode('utf-8', 'replace'),
                                       newline='')))
    if not ck.check(rows, '%s: CSV empty' % what):
        return [], {}
    head = rows[0]
    bad = [r for r in rows[1:] if len(r) != len(head)]
    ck.check(not bad, '%s: %d CSV rows without the header\'s %d columns, '
             'e.g. %r' % (what, len(bad), len(head), bad[:2]))
    out = {}
    for r in rows[1:]:
        if len(r) == len(head):
            d = dict(zip(head, r))
            try:
                out[(netns.canon(d.get('ip', '')), int(d.get('port', '')))] \
                    = d
            except ValueError:
                ck.check(False, '%s: CSV row without ip, port: %r'
                         % (what, r))
    return head, out


def load_text(path, what):
    data = read_bytes(path)
    ck.check(not raw_problems(data), '%s: text output not clean: %r'
             % (what, raw_problems(data)))
    return data.decode('utf-8', 'replace')


def grep_version(f):
    """nmap's grepable version field of a fixture: product, version,
    (extrainfo), '/' made '|'."""
    parts = [x for x in (f.product, f.version) if x]
    if f.extrainfo:
        parts.append('(%s)' % f.extrainfo)
    return ' '.join(parts).replace('/', '|')


# --- (1), (2): the daemons ---------------------------------------------------

def check_record(rec, ip, f, what):
    """One NDJSON record against the fixture f."""
    where = '%s %s:%d (%s)' % (what, ip, f.port, f.daemon)
    if not ck.check(rec is not None, '%s: no record for the open port'
                    % where):
        return
    ck.check(rec.get('state') == 'open', '%s: state %r' % (where,
                                                          rec.get('state')))
    ck.check(rec.get('service') == f.service, '%s: "service" %r, want %r'
             % (where, rec.get('service'), f.service))
    ck.check(rec.get('tunnel') == f.tunnel, '%s: "tunnel" %r, want %r'
             % (where, rec.get('tunnel'), f.tunnel))
    ck.check(rec.get('method') == 'probed', '%s: "method" %r, want "probed"'
             % (where, rec.get('method')))
    if f.product is not None:
        ck.check(rec.get('product') == f.product, '%s: "product" %r, want %r'
                 % (where, rec.get('product'), f.product))
    if f.version is not None:
        ck.check(rec.get('version') == f.version, '%s: "version" %r, want %r'
                 % (where, rec.get('version'), f.version))
    if f.extrainfo is not None:
        ck.check(rec.get('extrainfo') == f.extrainfo, '%s: "extrainfo" %r, '
                 'want %r' % (where, rec.get('extrainfo'), f.extrainfo))
    banner = rec.get('banner')
    if f.kind in ('ssh', 'ftp', 'smtp'):
        greet = SEEN[(V4, f.port)].rstrip(b'\r\n').decode()
        ck.check(isinstance(banner, str) and banner.startswith(greet),
                 '%s: "banner" %r, want the greeting %r first'
                 % (where, banner, greet))
    if f.kind == 'ssh':
        want = 'SSH-2.0-OpenSSH_' + ssh_up
        ck.check(isinstance(banner, str) and banner.startswith(want),
                 '%s: "banner" %r does not begin %r' % (where, banner, want))
    if f.http is not None:
        h = rec.get('http')
        if ck.check(isinstance(h, dict), '%s: no "http" object: %r'
                    % (where, rec)):
            for k in ('status', 'server', 'title', 'location'):
                want = f.http[k]
                if want is None and k == 'title' and f.http['status'] == 301:
                    # nginx's own page for the redirect: not ours.
                    continue
                ck.check(h.get(k) == want, '%s: "http"."%s" %r, want %r'
                         % (where, k, h.get(k), want))
    else:
        ck.check('http' not in rec, '%s: an "http" object on a service '
                 'that is not HTTP: %r' % (where, rec.get('http')))
    if f.cert is not None:
        check_tls(rec.get('tls'), ip, f, where)
    else:
        ck.check('tls' not in rec, '%s: a "tls" object on a port without '
                 'TLS: %r' % (where, rec.get('tls')))


def check_tls(t, ip, f, where):
    facts = CERTS[f.cert]
    if not ck.check(isinstance(t, dict), '%s: no "tls" object' % where):
        return
    seen = SEEN.get((ip, f.port)) or SEEN[(V4, f.port)]
    ck.check(t.get('version') == seen['version'], '%s: "tls"."version" %r, '
             'the handshake says %r' % (where, t.get('version'),
                                        seen['version']))
    for k in ('subject', 'issuer', 'not_after', 'sha256', 'self_signed'):
        ck.check(t.get(k) == facts[k], '%s: "tls"."%s" %r, openssl x509 '
                 'says %r' % (where, k, t.get(k), facts[k]))
    sans = t.get('sans')
    ck.check(isinstance(sans, list) and san_set(sans) ==
             san_set(facts['sans']), '%s: "tls"."sans" %r, openssl x509 '
             'says %r' % (where, sans, facts['sans']))
    left = (facts['not_after_epoch'] - time.time()) / 86400
    ok = (int(left), int(left) + 1, int(left) - 1)
    ck.check(t.get('days_left') in ok, '%s: "tls"."days_left" %r, about '
             '%.2f days are left' % (where, t.get('days_left'), left))


def check_xml_port(p, ip, f, what):
    where = '%s %s:%d (%s)' % (what, ip, f.port, f.daemon)
    if not ck.check(p is not None, '%s: no <port>' % where):
        return
    st = p.find('state')
    ck.check(st is not None and st.get('state') == 'open',
             '%s: <state> %r' % (where, None if st is None else st.attrib))
    s = p.find('service')
    if not ck.check(s is not None, '%s: no <service>' % where):
        return
    want = {'name': f.service, 'method': 'probed', 'tunnel': f.tunnel,
            'product': f.product, 'version': f.version,
            'extrainfo': f.extrainfo}
    for k, v in want.items():
        if v is None and k != 'tunnel':
            continue
        ck.check(s.get(k) == v, '%s: <service %s=%r>, want %r'
                 % (where, k, s.get(k), v))
    scripts = {sc.get('id'): sc.get('output') for sc in p.findall('script')}
    if f.kind in ('ssh', 'ftp', 'smtp'):
        greet = SEEN[(V4, f.port)].rstrip(b'\r\n').decode()
        ck.check((scripts.get('banner') or '').startswith(greet),
                 '%s: <script id="banner" output=%r>, want the greeting %r'
                 % (where, scripts.get('banner'), greet))
    if f.cert is not None:
        facts = CERTS[f.cert]
        out = scripts.get('ssl-cert') or ''
        cn = re.search(r'CN=([^,]+)', facts['subject']).group(1)
        missing = [w for w in [cn, facts['not_after'][:10]] +
                   sorted(n for n in san_set(facts['sans'])
                          if not re.match(r'^[\d.:]+$', n))
                   if w not in out]
        ck.check(out and not missing, '%s: <script id="ssl-cert"> %r lacks '
                 '%r' % (where, out, missing))
    if f.http is not None and f.http['title'] is not None:
        ck.check(scripts.get('http-title') == f.http['title'],
                 '%s: <script id="http-title" output=%r>, want %r'
                 % (where, scripts.get('http-title'), f.http['title']))


def check_daemons(tag, ip, ports, paths, r):
    what = tag
    recs = load_ndjson(paths['ndjson'], what)
    netns.log('  %s: NDJSON %d records' % (tag, len(recs)))
    ck.check(set(recs) == {(ip, p) for p in ports}, '%s: records for %r, '
             'want the open ports %r' % (tag, sorted(recs), ports))
    for port in ports:
        if (ip, port) in recs:
            netns.log('  %s' % json.dumps(recs[(ip, port)])[:400])
        check_record(recs.get((ip, port)), ip, BY_PORT[port], tag)
    root, xports = load_xml(paths['xml'], what)
    for port in ports:
        check_xml_port(xports.get((ip, port)), ip, BY_PORT[port],
                       tag + ' XML')
    if root is not None and HAVE_XSLT:
        html = os.path.join(outdir, tag + '.html')
        x = subprocess.run(['xsltproc', '-o', html, XSL, paths['xml']],
                           capture_output=True, text=True)
        page = read_bytes(html).decode('utf-8', 'replace')
        ck.check(x.returncode == 0 and 'OpenSSH' in page and
                 'nginx' in page and SSH_VERSION in page,
                 '%s: xsltproc nmap.xsl: exit %d, the page %s OpenSSH '
                 '%s and nginx: %s' % (tag, x.returncode, 'shows' if
                                       'OpenSSH' in page else 'lacks',
                                       SSH_VERSION, x.stderr[-500:]))
    g = load_grep(paths['grep'], what)
    for port in ports:
        f = BY_PORT[port]
        got = g.get((ip, port))
        svc = 'ssl|' + f.service if f.tunnel else f.service
        if not ck.check(got is not None, '%s grepable: no entry for %s:%d'
                        % (tag, ip, port)):
            continue
        ck.check(got[0] == 'open' and got[1] == svc,
                 '%s grepable %s:%d: state/service %r, want open/%s'
                 % (tag, ip, port, got[:2], svc))
        want = grep_version(f)
        if f.kind == 'ssh':
            ck.check(got[2] == want, '%s grepable %s:%d: version field %r, '
                     'want %r' % (tag, ip, port, got[2], want))
        elif want:
            ck.check(got[2].startswith(want), '%s grepable %s:%d: version '
                     'field %r, want %r first' % (tag, ip, port, got[2],
                                                  want))
    head, rows = load_csv(paths['csv'], what)
    missing = [c for c in ('ip', 'port', 'state', 'service', 'product',
                           'version', 'tunnel', 'banner') if c not in head]
    ck.check(not missing, '%s: CSV header %r lacks %r' % (tag, head,
                                                          missing))
    for port in ports:
        f = BY_PORT[port]
        row = rows.get((ip, port))
        if not ck.check(row is not None, '%s CSV: no row for %s:%d'
                        % (tag, ip, port)):
            continue
        want = {'service': f.service, 'tunnel': f.tunnel or '',
                'product': f.product, 'version': f.version}
        for k, v in want.items():
            if v is not None and k in row:
                ck.check(row[k] == v, '%s CSV %s:%d: %s %r, want %r'
                         % (tag, ip, port, k, row[k], v))
        if f.cert is not None:
            facts = CERTS[f.cert]
            for col, k in (('tls_sha256', 'sha256'),
                           ('tls_not_after', 'not_after'),
                           ('tls_subject', 'subject')):
                if col in head:
                    ck.check(row[col] == facts[k], '%s CSV %s:%d: %s %r, '
                             'openssl x509 says %r' % (tag, ip, port, col,
                                                       row[col], facts[k]))
        if f.http is not None:
            for col, k in (('http_status', 'status'),
                           ('http_location', 'location'),
                           ('http_title', 'title')):
                want = f.http[k]
                if col in head and (want is not None or k == 'location'):
                    ck.check(row[col] == str(want or ''), '%s CSV %s:%d: '
                             '%s %r, want %r' % (tag, ip, port, col,
                                                 row[col], want))
        if f.kind == 'ssh' and 'banner' in row:
            ck.check(row['banner'].startswith('SSH-2.0-OpenSSH_' + ssh_up),
                     '%s CSV %s:%d: banner %r' % (tag, ip, port,
                                                  row['banner']))
    text = load_text(paths['text'], what)
    for port in ports:
        f = BY_PORT[port]
        svc = 'ssl/' + f.service if f.tunnel else f.service
        ck.check(re.search(r'^  %d/tcp +open +%s\b' % (port, re.escape(svc)),
                           text, re.M),
                 '%s text: no line "  %d/tcp open %s ..."' % (tag, port, svc))
    return recs


netns.log('--- (1) the daemons on %s' % V4)
paths4, r4 = scan('daemons4', [V4], PSPEC)
recs4 = check_daemons('daemons4', V4, PORTS, paths4, r4)

netns.log('--- (2) the daemons on %s' % V6)
paths6, r6 = scan('daemons6', [V6], ','.join(map(str, PORTS6)))
check_daemons('daemons6', V6, PORTS6, paths6, r6)

# --- (3) nmap -sV ------------------------------------------------------------

if HAVE_NMAP:
    netns.log('--- (3) nmap -sT -sV on the same ports')
    nx = os.path.join(tmp, 'nmap.xml')
    nr = netns.run(['nmap', '-sT', '-sV', '-n', '-Pn', '-p', PSPEC, V4,
                    '-oX', nx], timeout=900)
    ck.check(nr.rc == 0, 'nmap -sV: exit %r: %s' % (nr.rc, nr.err[-500:]))
    nmap_ports = {}
    try:
        for p in ET.parse(nx).getroot().findall('host/ports/port'):
            s = p.find('service')
            nmap_ports[int(p.get('portid'))] = (
                p.find('state').get('state'),
                None if s is None else s.attrib)
    except (ET.ParseError, OSError) as e:
        ck.check(False, 'nmap -oX: not XML: %s' % e)

    def name_of(attrs):
        if not attrs:
            return '-'
        n = attrs.get('name', '?')
        return 'ssl/' + n if attrs.get('tunnel') == 'ssl' else n

    def pv(attrs):
        return ' '.join(x for x in (attrs.get('product'),
                                    attrs.get('version')) if x) if attrs \
            else ''

    rows = [('port', 'daemon', 'nmap -sV', 'trawl --banners', 'nmap product',
             'trawl product')]
    for port in PORTS:
        f = BY_PORT[port]
        n = nmap_ports.get(port, (None, None))
        rec = recs4.get((V4, port)) or {}
        tn = rec.get('service') or '-'
        if rec.get('tunnel') == 'ssl':
            tn = 'ssl/' + tn
        rows.append((str(port), f.daemon, name_of(n[1]), tn, pv(n[1]),
                     ' '.join(x for x in (rec.get('product'),
                                          rec.get('version')) if x)))
        if name_of(n[1]) != tn:
            if f.nmap_strict:
                ck.check(False, 'port %d (%s): nmap -sV says %s, trawl %s'
                         % (port, f.daemon, name_of(n[1]), tn))
            else:
                netns.log('NOTE: port %d (%s): nmap -sV says %s, trawl %s; '
                          'not a failure for this fixture'
                          % (port, f.daemon, name_of(n[1]), tn))
        elif f.nmap_strict:
            want = ('ssl/' if f.tunnel else '') + f.service
            ck.check(tn == want, 'port %d (%s): nmap and trawl say %s, the '
                     'fixture is %s' % (port, f.daemon, tn, want))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        netns.log('  ' + '  '.join(c.ljust(w) for c, w in zip(r, widths)))

# --- (4) hostile servers -----------------------------------------------------

netns.log('--- (4) hostile servers, --banner-timeout %d' % BANNER_TIMEOUT)
H1, H2 = '127.0.0.2', '127.0.0.3'
greet = svcfix.Hostile(H1, 2000, svcfix.h_greeting, 'greeting')
trickle = svcfix.Hostile(H1, 2001, svcfix.h_trickle, 'trickle')
silent = svcfix.Hostile(H1, 2002, svcfix.h_silent, 'silent')
reset = svcfix.Hostile(H1, 443, svcfix.h_tls_reset, 'tls-reset')
garbage = svcfix.Hostile(H2, 443, svcfix.h_tls_garbage, 'tls-garbage')
hostiles += [greet, trickle, silent, reset, garbage]
HOSTILE_OPEN = {(H1, 2000), (H1, 2001), (H1, 2002), (H1, 443), (H2, 443)}
t0 = time.monotonic()
hpaths, hr = scan('hostile', [H1, H2], '443,2000-2002',
                  extra=['--banner-timeout', str(BANNER_TIMEOUT)])
what = 'hostile'
hrecs = load_ndjson(hpaths['ndjson'], what)
ck.check(set(hrecs) == HOSTILE_OPEN and all(
    r.get('state') == 'open' for r in hrecs.values()),
    '%s: records %r, want open %r' % (what, sorted(
        (k, r.get('state')) for k, r in hrecs.items()),
        sorted(HOSTILE_OPEN)))
for k, rec in sorted(hrecs.items()):
    netns.log('  %s:%d %s' % (k[0], k[1], json.dumps(rec)[:300]))
b = (hrecs.get((H1, 2000)) or {}).get('banner')
ck.check(isinstance(b, str) and 'pwned' in b and '"<>&,' in b and
         'tail' in b, '%s: the hostile greeting\'s banner %r lacks "pwned", '
         '\'"<>&,\' or "tail" (after the NULs)' % (what, b))
# nmap's picture lists the few closed ports of an up host too (netns.FEW).
HOSTILE_ALL = {(h, p) for h in (H1, H2) for p in (443, 2000, 2001, 2002)}


def states_of(ports, state_of):
    """{pair: state} of a format's ports, checked to be the open ones and
    closed ones of the hostile hosts."""
    got = {k: state_of(v) for k, v in ports.items()}
    want = {k: 'open' if k in HOSTILE_OPEN else 'closed'
            for k in HOSTILE_ALL}
    return got == want or got == {k: v for k, v in want.items()
                                  if v == 'open'}, got


hroot, hx = load_xml(hpaths['xml'], what)
ok, got = states_of(hx, lambda p: p.find('state').get('state'))
ck.check(ok, '%s XML: ports %r, want open %r (and the rest closed)'
         % (what, sorted(got.items()), sorted(HOSTILE_OPEN)))
xb = [sc.get('output') for sc in (hx.get((H1, 2000)).findall('script')
                                  if (H1, 2000) in hx else [])
      if sc.get('id') == 'banner']
ck.check(xb and 'pwned' in xb[0] and '"<>&,' in xb[0],
         '%s XML: the hostile banner script %r' % (what, xb))
if hroot is not None and HAVE_XSLT:
    html = os.path.join(outdir, 'hostile.html')
    x = subprocess.run(['xsltproc', '-o', html, XSL, hpaths['xml']],
                       capture_output=True, text=True)
    page = read_bytes(html)
    ck.check(x.returncode == 0 and b'pwned' in page and b'\x1b' not in page,
             '%s: xsltproc nmap.xsl: exit %d, the page %s the banner, %s raw '
             'ESC: %s' % (what, x.returncode, 'shows' if b'pwned' in page
                          else 'lacks', 'with' if b'\x1b' in page else 'no',
                          x.stderr[-500:]))
hg = load_grep(hpaths['grep'], what)
ok, got = states_of(hg, lambda v: v[0])
ck.check(ok, '%s grepable: %r, want open %r (and the rest closed)'
         % (what, sorted(got.items()), sorted(HOSTILE_OPEN)))
hhead, hrows = load_csv(hpaths['csv'], what)
ck.check(set(hrows) == HOSTILE_OPEN, '%s CSV: rows %r, want %r'
         % (what, sorted(hrows), sorted(HOSTILE_OPEN)))
if 'banner' in hhead and (H1, 2000) in hrows:
    ck.check('pwned' in hrows[(H1, 2000)]['banner'],
             '%s CSV: the hostile banner %r' % (what,
                                                hrows[(H1, 2000)]['banner']))
load_text(hpaths['text'], what)
# stderr too reaches a terminal.
ck.check(not raw_problems(hr.err.encode()), '%s: stderr not clean: %r'
         % (what, raw_problems(hr.err.encode())))

# No connection outlives its limit: each one the trickle server saw was
# closed by trawl, within the limit and a generous slack.
limit = BANNER_TIMEOUT / 1000 * 4 + 5
ck.check(netns.poll_until(lambda: all(r['closed'] is not None for r in
                                      trickle.snapshot()), timeout=30),
         'trickle: connections still open after trawl exited: %r'
         % trickle.snapshot())
tr = trickle.snapshot()
ck.check(tr, 'trickle: trawl never connected')
for i, rec in enumerate(tr):
    held = (rec['closed'] or time.monotonic()) - rec['accepted']
    netns.log('  trickle connection %d held %.2f s' % (i, held))
    ck.check(held < limit, 'trickle: connection %d held %.2f s, over '
             '--banner-timeout %d ms (+ slack: %.1f s)'
             % (i, held, BANNER_TIMEOUT, limit))
hellos = [r for r in reset.snapshot() + garbage.snapshot()
          if r.get('client_hello')]
netns.log('  ClientHellos: %d to the resetting server, %d to the garbage '
          'one' % (sum(1 for r in reset.snapshot() if r.get('client_hello')),
                   sum(1 for r in garbage.snapshot()
                       if r.get('client_hello'))))
ck.check(any(r.get('client_hello') for r in reset.snapshot()) and
         any(r.get('client_hello') for r in garbage.snapshot()),
         'no ClientHello reached the TLS servers on port 443: the TLS '
         'failures were never exercised')
ck.check(silent.snapshot(), 'silent: trawl never connected')

# --- (5) memory with 50 ports of floods --------------------------------------

netns.log('--- (5) 50 ports that send 64 MiB and more')
H3 = '127.0.0.4'
FLOOD = list(range(30000, 30050))
for port in FLOOD:
    hostiles.append(svcfix.Hostile(H3, port, svcfix.h_flood, 'flood'))
# and one that never speaks, so that trawl lives on for --banner-timeout
# after the floods: VmHWM, a high-water mark, is read after them then.
QUIET = FLOOD[-1] + 1
hostiles.append(svcfix.Hostile(H3, QUIET, svcfix.h_silent, 'quiet'))
RSS_LIMIT = 64 << 10     # kB
peak = {'kb': 0, 'samples': 0}


def watch(p):
    def loop():
        path = '/proc/%d/status' % p.pid
        while p.poll() is None:
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith('VmHWM:'):
                            peak['kb'] = max(peak['kb'],
                                             int(line.split()[1]))
                            peak['samples'] += 1
            except (OSError, ValueError):
                pass
            time.sleep(0.005)
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    peak['thread'] = t


fpaths, fr = scan('flood', [H3], '%d-%d' % (FLOOD[0], QUIET),
                  extra=['--banner-timeout', str(BANNER_TIMEOUT)],
                  monitor=watch)
peak['thread'].join()
what = 'flood'
frecs = load_ndjson(fpaths['ndjson'], what)
ck.check(set(frecs) == {(H3, p) for p in FLOOD + [QUIET]} and all(
    r.get('state') == 'open' for r in frecs.values()),
    '%s: %d open records, want the %d ports' % (what, len(frecs),
                                                len(FLOOD)))
load_xml(fpaths['xml'], what)
load_grep(fpaths['grep'], what)
load_csv(fpaths['csv'], what)
load_text(fpaths['text'], what)
sent = sum(r.get('sent', 0) for h in hostiles if h.name == 'flood'
           for r in h.snapshot())
netns.log('  peak RSS (VmHWM) %d kB over %d samples; the servers sent %.1f '
          'MiB' % (peak['kb'], peak['samples'], sent / 1048576))
if UNDER_VALGRIND:
    netns.log('  (under valgrind the process is memcheck: its RSS is not '
              'trawl\'s, not compared)')
else:
    ck.check(peak['samples'] > 0, 'flood: VmHWM never read')
    ck.check(peak['kb'] < RSS_LIMIT, 'flood: trawl\'s peak RSS %d kB, over '
             '%d kB' % (peak['kb'], RSS_LIMIT))

teardown()
ck.finish()
