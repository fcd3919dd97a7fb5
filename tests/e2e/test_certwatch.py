#!/usr/bin/env python3
"""What answered, watched from night to night (--banners with --baseline,
--cert-expiry), against real daemons in a private network namespace.

Night 1: nginx serves HTTP on 8080 and HTTPS on 8443 with a certificate
valid 5 days.  trawl --banners --baseline B --cert-expiry 7
--fail-on-change -o changes:C: the first run has nothing to compare, yet
the certificate expires within 7 days: C holds exactly one cert-expiring
record (days_left 4 or 5, not_after, subject and SHA-256 as openssl says),
exit 3.  B keeps what answered: nginx and its version on both ports, the
certificate's SHA-256 and expiry.  --cert-expiry without --baseline says
the same on stdout (-f changes); --cert-expiry 1 says nothing (exit 0).

Between the nights, a run without --banners: no service or certificate
change (it saw none), exit 0, and B still keeps what night 1 saw (carried
over for the ports still open), so that a job that alternates flags loses
nothing.  The same against a copy of B with the lines of what answered
taken out (a baseline of a trawl from before them): it loads, and tells
nothing either.

Night 2: 8443 serves a new certificate (a new key, 400 days); on 8080
nginx gives way to python3 -m http.server.  The same command: exactly one
service-changed record (8080: was nginx and its version, now what trawl's
own results say of the Python server) and one cert-changed (8443: was and
now, each as openssl says), no cert-expiring (400 days), exit 3.  The same
night from a copy of B with text output: the two change lines for people.

Usage errors: --cert-expiry without --banners, and out of range, exit 2
with one line on stderr.  Every wait is for a sign (a port that answers a
witness, a file), never a fixed delay.
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
import svcfix  # noqa: E402  (after the namespace: it imports netns)

trawl = netns.trawl_path()
ck = netns.Checker('e2e-certwatch')
tmp, etc, outdir = svcfix.workdirs('certwatch')

NGINX = svcfix.need('nginx', 'nginx-light')
svcfix.need('openssl', 'openssl')
V4 = '127.0.0.1'
HTTP, HTTPS = 8080, 8443
PORTS = '%d,%d' % (HTTP, HTTPS)
SCAN = ['-q', '--banners', '-p', PORTS, '-t', '2000', V4]

r = subprocess.run([NGINX, '-v'], capture_output=True, text=True)
m = re.search(r'nginx/(\S+)', r.stderr + r.stdout)
if not m:
    netns.hard_error('nginx -v says %r' % (r.stderr + r.stdout))
NGINX_VERSION = m.group(1)

# Every daemon goes, however the test ends.
daemons = svcfix.Daemons(etc)
start = daemons.start
teardown = daemons.stop


def write(name, text):
    path = os.path.join(etc, name)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


www = os.path.join(etc, 'www')
os.mkdir(www)
os.chmod(www, 0o755)
write('www/index.html', '<!DOCTYPE html>\n<html><head><title>certwatch'
      '</title></head><body></body></html>\n')


def nginx(night, cert, http):
    """nginx with HTTPS on 8443 (cert), and HTTP on 8080 when http."""
    ngx = os.path.join(etc, 'nginx-%d' % night)
    os.mkdir(ngx)
    os.chmod(ngx, 0o755)
    plain = '''  server {{
    listen {v4}:{http};
    root {www};
  }}
'''.format(v4=V4, http=HTTP, www=www) if http else ''
    conf = write('nginx-%d.conf' % night,
                 svcfix.nginx_head(ngx, 64, 'text/html') + '''\
{plain}  server {{
    listen {v4}:{https} ssl;
    ssl_certificate {crt};
    ssl_certificate_key {key};
    root {www};
  }}
}}
'''.format(ngx=ngx, www=www, v4=V4, https=HTTPS, crt=cert[0], key=cert[1],
           plain=plain))
    ends = [(V4, HTTPS, 'tls')] + ([(V4, HTTP, 'http')] if http else [])
    return start('nginx-%d' % night, [NGINX, '-e', 'stderr', '-p', ngx,
                                      '-c', conf, '-g', 'daemon off;'], ends)


def out(name):
    return os.path.join(outdir, name)


def changes_of(path, what):
    """The change records of path, each checked against the contract
    (netns), as plain dicts."""
    if not ck.check(os.path.exists(path), '%s: no %s' % (what, path)):
        return []
    got = []
    netns.read_ndjson(ck, path, changes=got)
    with open(path) as f:
        plain = [json.loads(line) for line in f if line.strip()]
    ck.check(len(plain) == len(got), '%s: %d lines in %s, %d change '
             'records' % (what, len(plain), path, len(got)))
    return plain


def results_of(path):
    """The NDJSON results of path by port."""
    with open(path) as f:
        return {rec['port']: rec for rec in (json.loads(line) for line in f
                                             if line.strip())}


def answer_lines(path):
    """The lines of a baseline file about what answered."""
    with open(path) as f:
        return [line for line in f.read().splitlines()
                if line.split(' ', 1)[0] in ('service', 'product', 'version',
                                             'cert', 'subject')]


def check_expiring(recs, facts, what):
    ok = ck.check(len(recs) == 1 and recs[0]['change'] == 'cert-expiring',
                  '%s: want exactly one cert-expiring record, got %r'
                  % (what, recs))
    if not ok:
        return
    rec = recs[0]
    ck.check(rec['ip'] == V4 and rec['port'] == HTTPS and
             rec['proto'] == 'tcp', '%s: where: %r' % (what, rec))
    ck.check(rec['days_left'] in (4, 5), '%s: days_left %r for a '
             'certificate valid 5 days' % (what, rec['days_left']))
    for k in ('sha256', 'not_after', 'subject'):
        ck.check(rec.get(k) == facts[k], '%s: %s %r, openssl says %r'
                 % (what, k, rec.get(k), facts[k]))


# --- usage errors ------------------------------------------------------------

for args, want in (
        (['--cert-expiry', '7', '-p', PORTS, V4],
         'trawl: --cert-expiry needs --banners'),
        (['--banners', '--cert-expiry', '0', '-p', PORTS, V4],
         "trawl: bad cert-expiry '0' (1..36500)"),
        (['--banners', '--cert-expiry', '36501', '-p', PORTS, V4],
         "trawl: bad cert-expiry '36501' (1..36500)")):
    r = netns.run([trawl, *args], timeout=20)
    ck.check(r.rc == 2 and r.err_lines == [want] and r.out == '',
             '%s: exit %r, stderr %r; want 2 and %r' % (r.cmd, r.rc,
                                                         r.err_lines, want))

# --- night 1 -----------------------------------------------------------------

cert1 = svcfix.make_cert(etc, 'night1', '/O=Trawl Night/CN=www.example.test',
                         sans=('DNS:www.example.test',), days=5)
facts1 = svcfix.cert_facts(cert1[0])
ngx1 = nginx(1, cert1, http=True)

base = out('watch.baseline')
c1 = out('night1.changes')
r = netns.run([trawl, *SCAN, '--baseline', base, '--cert-expiry', '7',
               '--fail-on-change', '-o', 'changes:' + c1, '-o',
               'ndjson:' + out('night1.ndjson')], timeout=120)
ck.check(r.rc == 3, 'night 1: exit %r, want 3 (a certificate expires '
         'within 7 days)' % r.rc)
check_expiring(changes_of(c1, 'night 1'), facts1, 'night 1')
ck.check(os.path.exists(base), 'night 1: no baseline written')
night1 = results_of(out('night1.ndjson'))
for port in (HTTP, HTTPS):
    rec = night1.get(port, {})
    ck.check(rec.get('product') == 'nginx' and
             rec.get('version') == NGINX_VERSION, 'night 1: port %d '
             'answered %r, want nginx %s' % (port, rec, NGINX_VERSION))
want_lines = [
    'service %s %d http' % (V4, HTTP),
    'product %s %d nginx' % (V4, HTTP),
    'version %s %d %s' % (V4, HTTP, NGINX_VERSION),
    'service %s %d http ssl' % (V4, HTTPS),
    'product %s %d nginx' % (V4, HTTPS),
    'version %s %d %s' % (V4, HTTPS, NGINX_VERSION),
    'cert %s %d %s %d' % (V4, HTTPS, facts1['sha256'],
                          facts1['not_after_epoch']),
    'subject %s %d %s' % (V4, HTTPS, facts1['subject'].replace(
        ' ', '\\x20')),
]
lines1 = answer_lines(base) if os.path.exists(base) else []
ck.check(lines1 == want_lines, 'night 1: the baseline keeps %r, want %r'
         % (lines1, want_lines))

# Without a baseline: the expiring certificate alone, on stdout.
r = netns.run([trawl, *SCAN, '--cert-expiry', '7', '-f', 'changes'],
              timeout=120)
ck.check(r.rc == 0, 'cert-expiry alone: exit %r, want 0' % r.rc)
got = []
netns.parse_ndjson(ck, r, changes=got)
check_expiring([json.loads(line) for line in r.out.splitlines()], facts1,
               'cert-expiry alone')
# In text, the certificates alone are no "changes since the last run".
r = netns.run([trawl, *SCAN, '--cert-expiry', '7'], timeout=120)
text = r.out.splitlines()
ck.check(r.rc == 0 and 'Certificates near their end:' in text and
         'Changes since the last run:' not in text and
         sum(1 for line in text if line.startswith('! ')) == 1,
         'cert-expiry alone, text: exit %r, want 0, one "!" line under '
         '"Certificates near their end:":\n%s' % (r.rc, r.out))
r = netns.run([trawl, *SCAN, '--cert-expiry', '1', '--fail-on-change', '-f',
               'changes'], timeout=120)
ck.check(r.rc == 0 and r.out == '', '--cert-expiry 1 (4 days left): exit '
         '%r, stdout %r; want 0 and nothing' % (r.rc, r.out))

# --- between the nights: no --banners ----------------------------------------

old_style = out('old-style.baseline')
with open(base) as f, open(old_style, 'w') as g:
    g.write(''.join(line for line in f if line.split(' ', 1)[0] not in
                    ('service', 'product', 'version', 'cert', 'subject')))
for path, what in ((base, 'no --banners'),
                   (old_style, 'a baseline without what answered')):
    cx = out('quiet-%s.changes' % os.path.basename(path))
    r = netns.run([trawl, '-q', '-p', PORTS, '-t', '2000', V4, '--baseline',
                   path, '--fail-on-change', '-o', 'changes:' + cx],
                  timeout=120)
    ck.check(r.rc == 0, '%s: exit %r, want 0 (nothing changed)'
             % (what, r.rc))
    ck.check(changes_of(cx, what) == [], '%s: changes told' % what)
lines = answer_lines(base)
ck.check(lines == lines1, 'no --banners: the baseline lost what night 1 '
         'saw: %r, want %r' % (lines, lines1))
# The old style against --banners: it loads, and tells nothing either.
cx = out('old-style-banners.changes')
r = netns.run([trawl, *SCAN, '--baseline', old_style, '--fail-on-change',
               '-o', 'changes:' + cx], timeout=120)
ck.check(r.rc == 0 and changes_of(cx, 'old style, --banners') == [],
         'a baseline without what answered, then --banners: exit %r, want '
         '0 and no change' % r.rc)

# --- night 2 -----------------------------------------------------------------

ngx1.stop()
cert2 = svcfix.make_cert(etc, 'night2', '/O=Trawl Night/CN=www.example.test',
                         sans=('DNS:www.example.test',), days=400)
facts2 = svcfix.cert_facts(cert2[0])
ck.check(facts2['sha256'] != facts1['sha256'], 'the two certificates are '
         'the same')
nginx(2, cert2, http=False)
start('http.server', [sys.executable, '-m', 'http.server', '--bind', V4,
                      '--directory', www, str(HTTP)], [(V4, HTTP, 'http')])

text_base = out('text.baseline')
shutil.copyfile(base, text_base)
c2 = out('night2.changes')
r = netns.run([trawl, *SCAN, '--baseline', base, '--cert-expiry', '7',
               '--fail-on-change', '-o', 'changes:' + c2, '-o',
               'ndjson:' + out('night2.ndjson')], timeout=120)
ck.check(r.rc == 3, 'night 2: exit %r, want 3 (changed)' % r.rc)
night2 = results_of(out('night2.ndjson'))
py = night2.get(HTTP, {})
ck.check(py.get('product') not in (None, 'nginx'), 'night 2: the Python '
         'server on %d answered %r' % (HTTP, py))
recs = changes_of(c2, 'night 2')
kinds = sorted(rec['change'] for rec in recs)
ck.check(kinds == ['cert-changed', 'service-changed'], 'night 2: want one '
         'cert-changed and one service-changed record, got %r' % recs)
for rec in recs:
    if rec['change'] == 'service-changed':
        ck.check(rec['port'] == HTTP, 'service-changed on %r' % rec)
        ck.check(rec['was'] == {'service': 'http', 'product': 'nginx',
                                'version': NGINX_VERSION},
                 'service-changed was %r, want nginx %s'
                 % (rec['was'], NGINX_VERSION))
        want = {k: py[k] for k in ('product', 'version') if k in py}
        want['service'] = 'http'
        ck.check(rec['now'] == want, 'service-changed now %r, trawl\'s '
                 'results say %r' % (rec['now'], want))
    elif rec['change'] == 'cert-changed':
        ck.check(rec['port'] == HTTPS, 'cert-changed on %r' % rec)
        for side, facts in (('was', facts1), ('now', facts2)):
            want = {k: facts[k] for k in ('sha256', 'not_after', 'subject')}
            ck.check(rec[side] == want, 'cert-changed %s %r, openssl says '
                     '%r' % (side, rec[side], want))

# The same night for people: the text notes.
r = netns.run([trawl, *SCAN[1:], '--baseline', text_base], timeout=120)
notes = [line for line in r.out.splitlines() if line.startswith('~ ')]
py_text = ' '.join(py[k] for k in ('product', 'version') if k in py)
want = ['~ %s port %d/tcp service nginx %s -> %s' % (V4, HTTP, NGINX_VERSION,
                                                     py_text),
        '~ %s port %d/tcp certificate replaced (not after %s -> %s)'
        % (V4, HTTPS, facts1['not_after'][:10], facts2['not_after'][:10])]
ck.check(r.rc == 0 and notes == want, 'night 2 as text: exit %r, notes %r; '
         'want 0 and %r' % (r.rc, notes, want))

teardown()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
