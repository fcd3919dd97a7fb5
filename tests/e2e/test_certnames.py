#!/usr/bin/env python3
"""Names from certificates: --subdomains with --banners.

While the scan runs, the subject alternative names of each TLS
certificate it reads that lie under the --subdomains domain (cleaned like
the certificate log's names: lower case, a leading "*." dropped) join the
names being resolved, once each, and their addresses are scanned too,
reported under those names; the chain goes on until nothing new can come.

In a private network namespace: dnsmasq (dnsfix.py) serves certs.test, the
certificate log look-alike (dnsfix.CtServer) knows only www.certs.test,
and one real nginx serves HTTP on port 80 and HTTPS on 443 on several
loopback addresses, each with certificates of the test's own (svcfix.py):

  www.certs.test    127.0.0.11  the log's only name; its certificate names
                                www (known), api, *.wild (-> wild, NXDOMAIN),
                                alias (an address already scanned: .11),
                                other.example and certs.test.evil.net (not
                                under the domain), an IP address
  api.certs.test    127.0.0.12  with SNI "api.certs.test": Deep (-> deep),
                                api; without it (or another name) a default
                                certificate naming nosni.certs.test
  deep.certs.test   127.0.0.13  deep, api and WWW (known), quiet, nx
  quiet.certs.test  127.0.0.15  nothing listens: closed
  alias.certs.test  127.0.0.11  www's address: one scan, both names
  other.example     127.0.0.14  nginx listens; must never be asked for or
                                scanned
  nosni.certs.test  127.0.0.16  nginx listens; only a grab without SNI would
                                bring it
  wild, nx          NXDOMAIN    "unresolved" records

The ground truth is the zone, the certificates (openssl x509 says each
one's SHA-256) and nft counters of the SYNs sent to each address and port;
dnsmasq's query log shows which names trawl asked for.

Checks: (1) the scan with --banners, its names resolved before the scan
(the log's one name) and while it runs (--dns-concurrency 1 and deep typed
too): exactly the records of www, api, deep, quiet and alias, each (name,
port) once, "host" the name, the certificate of each 443 the one served
for that name (SNI); the NXDOMAIN names once each as "unresolved";
dnsmasq asked for exactly those names, each query type once (none for
other.example, nosni, nor names of certificates never reached); one SYN
per port of each scanned address (.11 although it has two names), none
to .14 or .16; it ends (no hang); the text output shows every name.
(2) Without --banners, and with typed names but no --subdomains: only www.
(3) With --resume (names resolved before the scan): only www, exit 0.
(4) --list-names and --dry-run with --banners: only www.
"""
import collections
import json
import os
import re
import socket
import ssl
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfix  # noqa: E402
import netns  # noqa: E402

netns.enter_namespace()
import svcfix  # noqa: E402  (after the namespace: it imports netns)

trawl = netns.trawl_path()
ck = netns.Checker('e2e-certnames')
TIMEOUT = 300                   # one trawl run; meson's limit is above

NGINX = svcfix.need('nginx', 'nginx-light')
svcfix.need('openssl', 'openssl')
svcfix.need('nft', 'nftables')

DOMAIN = 'certs.test'
PORTS = (80, 443)
PSPEC = ','.join(str(p) for p in PORTS)

ADDR = {
    'www.' + DOMAIN: '127.0.0.11',
    'api.' + DOMAIN: '127.0.0.12',
    'deep.' + DOMAIN: '127.0.0.13',
    'other.example': '127.0.0.14',
    'quiet.' + DOMAIN: '127.0.0.15',
    'nosni.' + DOMAIN: '127.0.0.16',
    'alias.' + DOMAIN: '127.0.0.11',
}
WWW, API, DEEP, QUIET, ALIAS, NOSNI = (
    n + '.' + DOMAIN for n in ('www', 'api', 'deep', 'quiet', 'alias',
                               'nosni'))
OTHER = 'other.example'
NX = ['wild.' + DOMAIN, 'nx.' + DOMAIN]
# Where nginx listens (80 and 443); .15 has nothing.
SERVED = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14',
          '127.0.0.16']
ALL_ADDRS = sorted(set(ADDR.values()))

tmp, etc, outdir = svcfix.workdirs('certnames')


# --- DNS and the certificate log ---------------------------------------------

class CertZone:
    """What dnsfix.Dnsmasq needs of a zone: records and hosts_text()."""

    def __init__(self, addr):
        self.records = {n: frozenset({a}) for n, a in addr.items()}

    def hosts_text(self):
        return ''.join('%s %s\n' % (a, n) for n in sorted(self.records)
                       for a in sorted(self.records[n]))


zone = CertZone(ADDR)
dns = dnsfix.Dnsmasq(zone, dnsfix.SERVER, 53, tmp, domains=(DOMAIN,),
                     extra=['--log-queries'])
for name in sorted(ADDR) + NX:
    rcode, got = dnsfix.query(dnsfix.SERVER, 53, name, 'A')
    want = {ADDR[name]} if name in ADDR else set()
    if got != want or rcode != (dnsfix.NOERROR if want else
                                dnsfix.NXDOMAIN):
        netns.hard_error('dnsmasq says %s -> rcode %d %r, want %r'
                         % (name, rcode, sorted(got), sorted(want)))
netns.log('dnsmasq answers as the zone says: %d names, %d NXDOMAIN'
          % (len(ADDR), len(NX)))

ct_log = types.SimpleNamespace(entries=[{
    'issuer_ca_id': 1, 'issuer_name': 'C=XX, O=Trawl Test, CN=Log',
    'common_name': WWW, 'name_value': WWW, 'id': 1,
    'entry_timestamp': '2024-01-01T00:00:00.000',
    'not_before': '2024-01-01T00:00:00', 'not_after': '2024-03-31T00:00:00',
    'serial_number': '01', 'result_count': 1}])
http = dnsfix.CtServer({DOMAIN: ct_log})
CT = ['--subdomains', DOMAIN, '--ct-url', http.base, '--resolver',
      dnsfix.SERVER]


# --- the certificates and nginx ----------------------------------------------

def cert(name, cn, sans):
    return svcfix.make_cert(etc, name, '/O=Trawl Test/CN=' + cn, sans=sans)


CERT = {
    'www': cert('www', WWW, [
        'DNS:' + WWW, 'DNS:' + API, 'DNS:*.wild.' + DOMAIN,
        'DNS:' + ALIAS, 'DNS:' + OTHER, 'DNS:' + DOMAIN + '.evil.net',
        'IP:127.0.0.11']),
    'api': cert('api', API, ['DNS:' + API, 'DNS:Deep.Certs.Test']),
    'nosni': cert('nosni', 'default.invalid', ['DNS:' + NOSNI]),
    'deep': cert('deep', DEEP, [
        'DNS:' + DEEP, 'DNS:' + API, 'DNS:WWW.' + DOMAIN, 'DNS:' + QUIET,
        'DNS:' + NX[1]]),
    'other': cert('other', OTHER, ['DNS:' + OTHER, 'DNS:other.' + DOMAIN]),
    'nosni-host': cert('nosni-host', NOSNI, ['DNS:' + NOSNI,
                                             'DNS:more.' + DOMAIN]),
}
SHA = {k: svcfix.cert_facts(v[0])['sha256'] for k, v in CERT.items()}
# The certificate each (name, 443) must show: the name's own via SNI.
WANT_CERT = {WWW: 'www', ALIAS: 'www', API: 'api', DEEP: 'deep'}

ngx = os.path.join(etc, 'nginx')
os.mkdir(ngx)
os.chmod(ngx, 0o755)


def server(addr, port, crt=None, names=None, default=False):
    listen = '%s:%d%s%s' % (addr, port, ' ssl' if crt else '',
                            ' default_server' if default else '')
    s = '  server {\n    listen %s;\n' % listen
    if names:
        s += '    server_name %s;\n' % ' '.join(names)
    if crt:
        s += ('    ssl_certificate %s;\n    ssl_certificate_key %s;\n'
              % CERT[crt])
    s += '    location / { return 200 "%s\\n"; }\n  }\n' % addr
    return s


servers = ''
for a in SERVED:
    servers += server(a, 80)
servers += server('127.0.0.11', 443, 'www')
servers += server('127.0.0.12', 443, 'nosni', default=True)
servers += server('127.0.0.12', 443, 'api', names=[API])
servers += server('127.0.0.13', 443, 'deep')
servers += server('127.0.0.14', 443, 'other')
servers += server('127.0.0.16', 443, 'nosni-host')
conf = os.path.join(etc, 'nginx.conf')
with open(conf, 'w') as f:
    f.write(svcfix.nginx_head(ngx, 1024, 'text/plain') + '''\
{servers}}}
'''.format(ngx=ngx, servers=servers))
# nginx goes however the test ends.
daemons = svcfix.Daemons(tmp)
nginx = daemons.start('nginx', [NGINX, '-e', 'stderr', '-p', ngx, '-c', conf,
                                '-g', 'daemon off;'],
                      [(a, p, 'http' if p == 80 else 'tls')
                       for a in SERVED for p in PORTS])
# The fixture's own word on SNI: api's certificate with the name, the
# default one without.
for sni, want in ((None, 'nosni'), (API, 'api')):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(('127.0.0.12', 443), timeout=5) as s, \
            ctx.wrap_socket(s, server_hostname=sni) as t:
        der = t.getpeercert(binary_form=True)
    if svcfix.hashlib_sha256(der) != SHA[want]:
        netns.hard_error('127.0.0.12:443 with SNI %r does not serve the %s '
                         'certificate' % (sni, want))


# --- SYN counters: one per (address, port) -----------------------------------

def cname(a, p):
    return 'c%s_%d' % (a.replace('.', '_'), p)


body = ''.join('  counter %s {}\n' % cname(a, p)
               for a in ALL_ADDRS for p in PORTS)
body += ('  chain out {\n    type filter hook output priority -10; '
         'policy accept;\n')
body += ''.join('    ip daddr %s tcp dport %d tcp flags & (syn|ack) == syn '
                'counter name "%s"\n' % (a, p, cname(a, p))
                for a in ALL_ADDRS for p in PORTS)
body += '  }'
err = netns.nft_table('trawl_certnames', body)
if err is not None:
    netns.hard_error('nft: ' + err)


def syns():
    """{(addr, port): SYNs since the last call}."""
    out = netns.sh(['nft', 'list', 'counters', 'table', 'inet',
                    'trawl_certnames'])
    got = {}
    for m in re.finditer(r'counter (\w+) \{\s*packets (\d+)', out):
        got[m.group(1)] = int(m.group(2))
    res = {}
    for a in ALL_ADDRS:
        for p in PORTS:
            if cname(a, p) not in got:
                netns.hard_error('no counter %s in:\n%s' % (cname(a, p),
                                                            out))
            res[(a, p)] = got[cname(a, p)]
    netns.sh(['nft', 'reset', 'counters', 'table', 'inet',
              'trawl_certnames'])
    return res


syns()


def dns_queries():
    """{name: {query type: times}} dnsmasq was asked since the last call.
    dnsmasq may write its log a little after it answers: a query of our
    own, last, is the sign that the lines before it are in."""
    dns_queries.n += 1
    mark = 'mark-%d.%s' % (dns_queries.n, DOMAIN)
    dnsfix.query(dnsfix.SERVER, 53, mark, 'A')

    def logged():
        with open(dns.logfile) as f:
            f.seek(dns_queries.pos)
            return 'query[A] %s from' % mark in f.read()

    ok = netns.poll_until(logged, timeout=20)
    if not ok:
        netns.hard_error('dnsmasq did not log the query for %s' % mark)
    with open(dns.logfile) as f:
        f.seek(dns_queries.pos)
        text = f.read()
        dns_queries.pos = f.tell()
    asked = collections.defaultdict(collections.Counter)
    for m in re.finditer(r'query\[(\w+)\] (\S+) from', text):
        if m.group(2) != mark:
            asked[m.group(2).lower()][m.group(1)] += 1
    return asked


dns_queries.pos = 0
dns_queries.n = 0
dns_queries()


# --- checking a run ----------------------------------------------------------

def load(path, what):
    """(port records, unresolved records) of an NDJSON file."""
    recs, unres = [], []
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        ck.check(False, '%s: cannot read %s: %s' % (what, path, e))
        return recs, unres
    ck.check(text == '' or text.endswith('\n'), '%s: NDJSON does not end '
             'with a newline' % what)
    for n, line in enumerate(text.splitlines(), 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            ck.check(False, '%s: line %d not JSON: %s: %r'
                     % (what, n, e, line[:300]))
            continue
        if not ck.check(isinstance(rec, dict), '%s: line %d not an object'
                        % (what, n)):
            continue
        (unres if rec.get('state') == 'unresolved' else recs).append(rec)
    return recs, unres


def expect(names):
    """{(host, ip, port): state} for these names."""
    want = {}
    for n in names:
        for p in PORTS:
            want[(n, ADDR[n], p)] = ('open' if ADDR[n] in SERVED
                                     else 'closed')
    return want


def check_records(recs, want, what, banners):
    got = collections.Counter((r.get('host'), r.get('ip'), r.get('port'))
                              for r in recs)
    dups = sorted(k for k, c in got.items() if c > 1)
    ck.check(not dups, '%s: records more than once: %r' % (what, dups))
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    ck.check(not missing and not extra,
             '%s: records missing %r, unexpected %r' % (what, missing, extra))
    for r in recs:
        k = (r.get('host'), r.get('ip'), r.get('port'))
        if k not in want:
            continue
        ck.check(r.get('state') == want[k], '%s: %r is %r, want %r'
                 % (what, k, r.get('state'), want[k]))
        if not banners or r.get('state') != 'open':
            continue
        if k[2] == 443:
            t = r.get('tls')
            sha = t.get('sha256') if isinstance(t, dict) else None
            cert_ = WANT_CERT.get(k[0])
            ck.check(sha == SHA.get(cert_),
                     '%s: %s port 443 shows certificate %r, want the %s '
                     'one (%s): SNI' % (what, k[0], sha, cert_,
                                        SHA.get(cert_)))
    netns.log('  %s: %d records, %d expected, %d missing, %d unexpected'
              % (what, len(recs), len(want), len(missing), len(extra)))


def check_unresolved(unres, want, what):
    got = collections.Counter(r.get('host') for r in unres)
    ck.check(sorted(got.elements()) == sorted(want),
             '%s: unresolved records for %r, want %r (each once)'
             % (what, sorted(got.elements()), sorted(want)))
    for r in unres:
        ck.check(r.get('reason') == 'nxdomain', '%s: %r, want reason '
                 'nxdomain' % (what, r))


def check_syns(got, names, what, tries=1):
    """One SYN per port to each address of names (shared or not), none to
    any other address."""
    scanned = {ADDR[n] for n in names}
    bad = {k: v for k, v in got.items()
           if v != (tries if k[0] in scanned else 0)}
    ck.check(not bad, '%s: SYNs per (address, port) %r; want %d to each '
             'port of %r, none elsewhere' % (what, bad, tries,
                                             sorted(scanned)))


def check_asked(asked, names, what):
    """dnsmasq was asked for exactly these names (a name from a
    certificate once, though several certificates show it; the log's
    name once, though certificates show it too), each query type once."""
    got = sorted(asked)
    ck.check(got == sorted(names), '%s: dnsmasq was asked for %r, want %r'
             % (what, got, sorted(names)))
    twice = {n: dict(c) for n, c in asked.items()
             if any(v > 1 for v in c.values())}
    ck.check(not twice, '%s: names asked for more than once (query type: '
             'times): %r' % (what, twice))
    netns.log('  %s: dnsmasq asked for %s' % (what, ', '.join(
        '%s %s' % (n, '+'.join(sorted(c))) for n, c in sorted(asked.items()))))


NAMES_RE = re.compile(r'; names: (\d+) discovered(?: \((\d+) from '
                      r'certificates\))?, (\d+) resolved, (\d+) unresolved')


def check_ends(r, what, names=None):
    """trawl ended, its summary last; names: the summary's (discovered,
    from certificates, resolved, unresolved)."""
    if r.rc is None:
        ck.check(False, '%s: trawl did not finish within %d s (a hang): %s'
                 % (what, TIMEOUT, r.cmd))
        return False
    last = r.err_lines[-1] if r.err_lines else ''
    m = NAMES_RE.search(last)
    # The harness's pattern knows no "(C from certificates)".
    plain = re.sub(r' \(\d+ from certificates\)', '', last, count=1)
    ck.check(netns.SUMMARY_RE.match(plain), '%s: stderr does not end with '
             'the summary: %r' % (what, r.err_lines[-3:]))
    if names is not None:
        got = m and (int(m.group(1)), int(m.group(2) or 0), int(m.group(3)),
                     int(m.group(4)))
        ck.check(got == names, '%s: the summary says names (discovered, '
                 'from certificates, resolved, unresolved) %r, want %r: %r'
                 % (what, got, names, last))
    return True


def out(name):
    path = os.path.join(outdir, name)
    if os.path.exists(path):
        os.unlink(path)
    return path


# --- (1) the chain -----------------------------------------------------------

CHAIN = [WWW, API, DEEP, QUIET, ALIAS]
states = ['--states', 'open,closed,unresolved']
# The log's one name is resolved before the scan (a few names are: one
# round of queries); with --dns-concurrency 1 and a typed name besides it
# they resolve while the scan runs.  deep, typed, is then known when api's
# certificate shows it: asked for once all the same.
# The summary's names (discovered, from certificates, resolved,
# unresolved): the log's www and the names certificates brought (api,
# wild, alias, deep, quiet, nx; not deep when typed); resolved, all but
# wild and nx.
VARIANTS = [('chain, names resolved before the scan', [], (7, 6, 5, 2)),
            ('chain, names resolved during the scan',
             ['--dns-concurrency', '1', DEEP], (6, 5, 5, 2))]
for run_no, (what, extra, summary) in enumerate(VARIANTS):
    f = out('chain%d.ndjson' % run_no)
    r = netns.run([trawl] + CT + ['--banners', '-p', PSPEC, '-f', 'ndjson',
                                  '-o', 'ndjson:' + f] + states + extra,
                  timeout=TIMEOUT)
    got_syns = syns()
    asked = dns_queries()
    if not check_ends(r, what, summary):
        continue
    ck.check(r.rc == 0, '%s: exit %r, want 0' % (what, r.rc))
    recs, unres = load(f, what)
    check_records(recs, expect(CHAIN), what, True)
    check_unresolved(unres, NX, what)
    check_syns(got_syns, CHAIN, what)
    check_asked(asked, CHAIN + NX, what)

# The same in text on stdout: each name's host line once.
r = netns.run([trawl] + CT + ['--banners', '-p', PSPEC, '--states',
                              'open,closed'], timeout=TIMEOUT)
syns()
dns_queries()
if check_ends(r, 'chain, text'):
    ck.check(r.rc == 0, 'chain, text: exit %r, want 0' % r.rc)
    for n in CHAIN:
        ck.check(len(re.findall(r'\b%s\b' % re.escape(n), r.out)) >= 1,
                 'chain, text: %s not shown: %r' % (n, r.out[:2000]))
    for n in (OTHER, NOSNI):
        # The certificate's SANs may be shown; no host line of its own.
        ck.check(not re.search(r'^\S*%s' % re.escape(n), r.out, re.M),
                 'chain, text: a line begins with %s: %r'
                 % (n, r.out[:2000]))

# --- (2) without --banners: no certificate read, only the log's name ---------

f = out('plain.ndjson')
r = netns.run([trawl] + CT + ['-p', PSPEC, '-f', 'ndjson', '-o',
                              'ndjson:' + f] + states, timeout=TIMEOUT)
got_syns = syns()
asked = dns_queries()
check_asked(asked, [WWW], 'without --banners')
if check_ends(r, 'without --banners', (1, 0, 1, 0)):
    ck.check(r.rc == 0, 'without --banners: exit %r, want 0' % r.rc)
    recs, unres = load(f, 'without --banners')
    check_records(recs, expect([WWW]), 'without --banners', False)
    check_unresolved(unres, [], 'without --banners')
    check_syns(got_syns, [WWW], 'without --banners')

# Names typed, --banners, no --subdomains: no domain, nothing joins.
f = out('typed.ndjson')
r = netns.run([trawl, '--resolver', dnsfix.SERVER, '--banners', '-p', PSPEC,
               '-f', 'ndjson', '-o', 'ndjson:' + f, WWW] + states,
              timeout=TIMEOUT)
got_syns = syns()
check_asked(dns_queries(), [WWW], 'typed name, no --subdomains')
if check_ends(r, 'typed name, no --subdomains'):
    ck.check(r.rc == 0, 'typed name, no --subdomains: exit %r, want 0'
             % r.rc)
    recs, unres = load(f, 'typed name, no --subdomains')
    check_records(recs, expect([WWW]), 'typed name, no --subdomains',
                  True)
    check_unresolved(unres, [], 'typed name, no --subdomains')
    check_syns(got_syns, [WWW], 'typed name, no --subdomains')

# --- (3) --resume: names resolved before the scan, none join -----------------

f = out('resume.ndjson')
state = out('certnames.resume')
r = netns.run([trawl] + CT + ['--banners', '--resume', state, '-p', PSPEC,
                              '-f', 'ndjson', '-o', 'ndjson:' + f] + states,
              timeout=TIMEOUT)
got_syns = syns()
check_asked(dns_queries(), [WWW], '--resume')
if check_ends(r, '--resume', (1, 0, 1, 0)):
    ck.check(r.rc == 0, '--resume: exit %r, want 0' % r.rc)
    recs, unres = load(f, '--resume')
    check_records(recs, expect([WWW]), '--resume', True)
    check_unresolved(unres, [], '--resume')
    check_syns(got_syns, [WWW], '--resume')
    ck.check(not os.path.exists(state), '--resume: a finished scan left '
             '%s' % state)

# --- (4) --list-names and --dry-run: resolved before, nothing joins ----------

r = netns.run([trawl] + CT + ['--banners', '-p', PSPEC, '--list-names'],
              timeout=TIMEOUT)
ck.check(r.rc == 0 and r.out == '%s %s\n' % (WWW, ADDR[WWW]),
         '--list-names --banners: exit %r, stdout %r, want %r'
         % (r.rc, r.out, '%s %s\n' % (WWW, ADDR[WWW])))
r = netns.run([trawl] + CT + ['--banners', '-p', PSPEC, '--dry-run'],
              timeout=TIMEOUT)
want = '2 probes (1 hosts x 2 ports)\n'
ck.check(r.rc == 0 and r.out == want, '--dry-run --banners: exit %r, '
         'stdout %r, want %r' % (r.rc, r.out, want))
got_syns = syns()
check_syns(got_syns, [], '--list-names and --dry-run')

nginx.stop()
dns.stop()
http.stop()
ck.finish()
