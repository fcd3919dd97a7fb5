#!/usr/bin/env python3
"""::1 with listeners and drops, in every spelling, and the name localhost.

The answer for "localhost" is what getaddrinfo(AF_UNSPEC, SOCK_STREAM)
returns here, deduplicated: every one of those addresses is scanned and
every record carries "host":"localhost".
"""
import json
import os
import random
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-ipv6')
rng = random.Random(netns.seed_from_env(6))

try:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(('::1', 0))
    s.close()
except OSError as e:
    netns.skip('no IPv6 loopback in this namespace: %s' % e)

RANGE = list(range(21000, 21200))
lst = netns.Listeners()
listening = set()
for port in rng.sample(RANGE, 20):
    if lst.add('::1', port) is not None:
        listening.add(('::1', port))
# Two ports of the kernel's choosing, scanned by name in the port list.
extra = [lst.add('::1', 0), lst.add('::1', 0)]
listening |= {('::1', p) for p in extra}
# 127.0.0.1 listens elsewhere, so that v4 and v6 answers differ.
for port in rng.sample(RANGE, 20):
    if lst.add('127.0.0.1', port) is not None:
        listening.add(('127.0.0.1', port))
lst.add('::1', 22)
lst.add('127.0.0.1', 80)
listening |= {('::1', 22), ('127.0.0.1', 80)}
lst.start()

PORTS = [22, 80] + RANGE + extra
PSPEC = '22,80,21000-21199,%d,%d' % tuple(extra)

dropped = set()
while len(dropped) < 8:
    dropped.add(('::1', rng.choice(RANGE)))
dropped.add(('::1', sorted(listening)[0][1]))   # a listener, dropped
while len(dropped) < 14:
    dropped.add(('127.0.0.1', rng.choice(RANGE)))
netns.nft_drop(dropped)

FAST = ['-t', '300', '--retries', '1']

t6 = netns.Truth().build(['::1'], PORTS, listening, dropped)
netns.log('ground truth for ::1: %s' % t6.counts())
t6.self_check()

for targets in (['::1'], ['[::1]'], ['::1/128'],
                ['0:0:0:0:0:0:0:1', '[::1]', '::1']):
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *FAST,
                   '-p', PSPEC, *targets])
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), t6, what=' '.join(targets))
    netns.check_summary(ck, r, t6.counts())

r = netns.run([trawl, *FAST, '-p', PSPEC, '[::1]'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, t6, what='text [::1]')

# localhost: whatever the resolver here says, deduplicated.
gai = []
for ai in socket.getaddrinfo('localhost', None, socket.AF_UNSPEC,
                             socket.SOCK_STREAM):
    a = netns.canon(ai[4][0])
    if a not in gai:
        gai.append(a)
netns.log('localhost resolves to %r' % gai)
ck.check(all(a in ('127.0.0.1', '::1') for a in gai),
         'localhost resolves to %r; this test expects only 127.0.0.1 and ::1'
         % gai)
tl = netns.Truth().build(gai, PORTS, listening, dropped)
tl.self_check()
names = {a: ['localhost'] for a in gai}

r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *FAST, '-p', PSPEC,
               'localhost'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), tl, names=names,
              what='localhost')
netns.check_summary(ck, r, tl.counts())

r = netns.run([trawl, *FAST, '-p', PSPEC, 'localhost'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, tl, names=names, what='text localhost')

# -6 keeps only the IPv6 addresses of the name.  When the hosts file has
# none for localhost, trawl's resolver (c-ares) answers ::1 anyway, as RFC
# 6761 says localhost must: the loopback address of the family asked for.
v6 = [a for a in gai if ':' in a] or ['::1']
r = netns.run([trawl, '-6', '-f', 'ndjson', *FAST, '-p', PSPEC, 'localhost'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r),
              netns.Truth().build(v6, PORTS, listening, dropped),
              states=('open',), names={a: ['localhost'] for a in v6},
              what='-6 localhost')

# -4 skips an IPv6 literal with a warning, and scans the rest.
r = netns.run([trawl, '-4', '-f', 'ndjson', *FAST, '-p', PSPEC, '::1',
               '127.0.0.1'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r),
              netns.Truth().build(['127.0.0.1'], PORTS, listening, dropped),
              states=('open',), what='-4 ::1 127.0.0.1')
ck.check(any('::1' in l for l in r.err_lines[:-1]),
         'no warning naming the skipped literal ::1: %r' % r.err)

# Only an IPv6 literal under -4: nothing to scan.
r = netns.run([trawl, '-4', '-p', PSPEC, '::1'])
ck.check(r.rc == 1, 'exit %r, want 1: %s' % (r.rc, r.cmd))
ck.check('trawl: no target address to scan' in r.err_lines,
         'want "trawl: no target address to scan" on stderr: %r' % r.err)

# Several names for one address, and a name with both families: a private
# /etc/hosts, bind-mounted in a mount namespace of trawl's own.
HOSTS = """127.0.0.1 localhost
::1 localhost ip6-localhost
127.0.0.1 alpha.trawl.test
::1 beta.trawl.test
127.0.0.1 beta.trawl.test
"""
hosts = os.path.join(os.environ.get('TMPDIR', '/tmp'),
                     'trawl-e2e-hosts.%d' % os.getpid())
with open(hosts, 'w') as f:
    f.write(HOSTS)
wrap = ['unshare', '-m', '--', 'sh', '-c',
        'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
resolve = subprocess.run(wrap + [sys.executable, '-c', """
import json, socket, sys
out = {}
for n in sys.argv[1:]:
    for ai in socket.getaddrinfo(n, None, socket.AF_UNSPEC,
                                 socket.SOCK_STREAM):
        out.setdefault(n, [])
        if ai[4][0] not in out[n]:
            out[n].append(ai[4][0])
print(json.dumps(out))
""", 'localhost', 'alpha.trawl.test', 'beta.trawl.test'],
    capture_output=True, text=True)
if resolve.returncode != 0:
    ck.cannot_run('no private /etc/hosts in a mount namespace (%s): '
                  'several names for one address not tested'
                  % resolve.stderr.strip()[-300:])
else:
    by_name = json.loads(resolve.stdout)
    netns.log('with the private hosts file: %r' % by_name)
    names = {}
    for n, addrs in by_name.items():
        for a in addrs:
            names.setdefault(netns.canon(a), []).append(n)
    tn = netns.Truth().build(list(names), PORTS, listening, dropped)
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *FAST,
                   '-p', PSPEC, 'localhost', 'alpha.trawl.test',
                   'beta.trawl.test'], wrap=wrap)
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.compare(ck, netns.parse_ndjson(ck, r), tn, names=names,
                  what='several names')
    netns.check_summary(ck, r, tn.counts())
    r = netns.run([trawl, *FAST, '-p', PSPEC, 'localhost',
                   'alpha.trawl.test', 'beta.trawl.test'], wrap=wrap)
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.check_text(ck, r.out, tn, names=names, what='text, several names')
    # -6 and -4 pick one family of a name's addresses.
    for opt, fam in (('-6', ':'), ('-4', '.')):
        v = [a for a in names if fam in a]
        sub = netns.Truth().build(v, PORTS, listening, dropped)
        r = netns.run([trawl, opt, '-f', 'ndjson', '--states', 'all', *FAST,
                       '-p', PSPEC, 'localhost', 'beta.trawl.test'],
                      wrap=wrap)
        ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
        scanned = {a: [n for n in names[a] if n != 'alpha.trawl.test']
                   for a in v}
        netns.compare(ck, netns.parse_ndjson(ck, r), sub, names=scanned,
                      what='%s, names with both families' % opt)
os.unlink(hosts)

# IPv4-mapped addresses are the IPv4 host they reach: an exclusion in
# either spelling holds for both, and a host given both ways is probed once
# (counted SYNs: a mapped connect() leaves over IPv4).
err = netns.syn_counter('mapped', 'ip daddr 127.0.0.1 tcp dport 80')
if err is not None:
    netns.hard_error('nft SYN counter: %s' % err)
for xs in (['-x', '127.0.0.1', '::ffff:127.0.0.1'],
           ['-x', '::ffff:127.0.0.1', '127.0.0.1'],
           ['-x', '::ffff:127.0.0.0/120', '[::ffff:7f00:1]'],
           ['-4', '-x', '127.0.0.1', '::ffff:127.0.0.1']):
    r = netns.run([trawl, '-p', '80', '-f', 'ndjson', *xs])
    ck.check(r.rc == 1 and r.out == '' and r.err_lines ==
             ['trawl: no target address to scan'],
             'an excluded host in another spelling: want exit 1, no output, '
             '"no target address to scan": exit %r, out %r, err %r: %s'
             % (r.rc, r.out, r.err, r.cmd))
ck.check(netns.syn_count('mapped') == 0, 'excluded 127.0.0.1 was sent %d '
         'SYNs as ::ffff:127.0.0.1' % netns.syn_count('mapped'))
r = netns.run([trawl, '-p', '80', '-f', 'ndjson', '--states', 'all',
               '127.0.0.1', '::ffff:127.0.0.1', '::ffff:127.0.0.0/126'])
recs = netns.parse_ndjson(ck, r)
ck.check(r.rc == 0 and [(x['ip'], x['state']) for x in recs] ==
         [('127.0.0.0', 'closed'), ('127.0.0.1', 'open'),
          ('127.0.0.2', 'closed'), ('127.0.0.3', 'closed')],
         'mapped and IPv4 spellings of 127.0.0.0/30: want 4 IPv4 hosts '
         'once each: exit %r, %r' % (r.rc, recs))
ck.check(netns.syn_count('mapped') == 1, '127.0.0.1 given twice was sent '
         '%d SYNs, want 1' % netns.syn_count('mapped'))
r = netns.run([trawl, '-6', *FAST, '-p', '80', '::ffff:127.0.0.1', '::1'])
ck.check(r.rc == 0 and "trawl: skipping '::ffff:127.0.0.1': not IPv6" in
         r.err_lines, '-6 with a mapped address: want it skipped as IPv4: '
         'exit %r, err %r' % (r.rc, r.err))
netns.log('IPv4-mapped addresses: excluded and deduplicated as IPv4')

lst.close()
ck.finish()
