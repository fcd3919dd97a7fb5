#!/usr/bin/env python3
"""The names-at-scale modules against a DNS world of known truth.

tests/dnsprobe drives dns.c, ctlog.c and discover.c on their own (trawl
itself does not use them yet).  In a private network namespace, dnsfix.py
starts dnsmasq with over ten thousand names and a crt.sh look-alike; every
answer must be the ground truth exactly:

(a) every name, both families, through --resolver 127.0.0.53: addresses,
    NXDOMAIN, the wildcard zone, a name no server is authoritative for;
    the resolution rate goes to the log;
(b) -4 and -6: only that family, "nodata" for a name without it;
(c) a resolver on another port and over IPv6 ([::1]:5353), two resolvers
    at once, one name at a time (--concurrency 1), more in flight (not so
    many that dnsmasq's socket buffer overflows: each drop costs a 2 s
    timeout, and a storm of them makes the run a test of c-ares's
    retransmissions rather than of ours);
(d) a resolver where nothing listens: every name fails, quickly;
(e) the certificate log: the clean names, each once, in first-seen order;
    HTTP errors, a page that is not JSON, nothing listening;
(f) wordlist discovery, without and with wildcard DNS.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfix  # noqa: E402
import netns  # noqa: E402

netns.enter_namespace()

probe = netns.trawl_path()      # the dnsprobe executable
ck = netns.Checker('e2e-dnsmod')
world = dnsfix.World(n=10000, seed=netns.seed_from_env(5))
zone = world.zone
RESOLVER = ['--resolver', dnsfix.SERVER]
RATE_RE = re.compile(r'^dnsprobe: (\d+) names in ([0-9.]+) s '
                     r'\((\d+) names/s\)$', re.M)


def run(args, names=None, timeout=120, env=None):
    argv = [probe] + args
    netns.log('+ ' + ' '.join(argv) + ('' if names is None else
                                        ' < %d names' % len(names)))
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, input=None if names is None else
                           ''.join(n + '\n' for n in names),
                           capture_output=True, text=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired:
        ck.check(False, 'dnsprobe did not finish within %d s: %s'
                 % (timeout, ' '.join(argv)))
        return None
    el = time.monotonic() - t0
    netns.log('  exit %d in %.2f s, %d lines out; stderr: %s'
              % (r.returncode, el, r.stdout.count('\n'),
                 r.stderr.strip()[-500:] or '(empty)'))
    r.elapsed = el
    return r


def parse(ck, r, what):
    """dnsprobe's lines -> {name: frozenset(addrs) | 'nxdomain' | ...}."""
    got = {}
    for line in r.stdout.splitlines():
        f = line.split(' ')
        if len(f) < 2:
            ck.check(False, 'bad line %r (%s)' % (line, what))
            continue
        name = f[0]
        if not ck.check(name not in got, 'two answers for %s (%s)'
                        % (name, what)):
            continue
        if f[1] == 'unresolved':
            got[name] = ' '.join(f[2:])
        else:
            try:
                got[name] = frozenset(dnsfix.canon(a) for a in f[1:])
            except ValueError:
                ck.check(False, 'bad address in %r (%s)' % (line, what))
    return got


def want_for(name, family=None):
    """What dnsprobe must print for name: a set of addresses, or the
    status word."""
    addrs = zone.truth(name, family)
    if addrs:
        return addrs
    in_zone = (name == dnsfix.DOMAIN or name.endswith('.' + dnsfix.DOMAIN)
               or name == dnsfix.WILD or name.endswith('.' + dnsfix.WILD))
    if not in_zone:
        return 'failed'         # nobody answers for it: REFUSED
    if zone.truth(name):        # exists, but not in this family
        return 'nodata'
    return 'nxdomain'


def compare(ck, got, names, family=None, what=''):
    bad = []
    for n in names:
        want = want_for(n, family)
        g = got.get(n)
        if isinstance(want, str):
            ok = isinstance(g, str) and g.split(':')[0] == want
        else:
            ok = g == want
        if not ok:
            bad.append((n, sorted(g) if isinstance(g, frozenset) else g,
                        sorted(want) if isinstance(want, frozenset)
                        else want))
    extra = sorted(set(got) - set(names))
    ck.check(not bad, '%d of %d names wrong (%s), e.g. (name, got, want) %r'
             % (len(bad), len(names), what, bad[:8]))
    ck.check(not extra, 'answers for names not asked (%s): %r'
             % (what, extra[:8]))
    netns.log('  compared %d names (%s): %d wrong' % (len(names), what,
                                                        len(bad)))


def rate(r):
    m = RATE_RE.search(r.stderr)
    ck.check(m, 'no rate line on stderr: %r' % r.stderr[-300:])
    return (int(m.group(1)), float(m.group(2)), int(m.group(3))) if m \
        else (0, 0.0, 0)


ALL = zone.names() + [dnsfix.DOMAIN] + zone.nx + sorted(zone.wild_own) + \
    ['nothing-here.' + dnsfix.WILD, dnsfix.WILD, 'no-such-zone.example']
netns.log('%d names under %s, %d NXDOMAIN, %d in all'
          % (len(zone.names()), dnsfix.DOMAIN, len(zone.nx), len(ALL)))

# --- (a) everything, both families --------------------------------------------

r = run(RESOLVER + ['resolve'], ALL)
if r is not None:
    ck.check(r.returncode == 0, 'exit %d' % r.returncode)
    compare(ck, parse(ck, r, 'all'), ALL, None, 'all names, A and AAAA')
    n, secs, per_s = rate(r)
    ck.check(n == len(ALL), 'rate line counts %d names, want %d'
             % (n, len(ALL)))
    netns.log('RESOLUTION RATE: %d names in %.3f s: %d names/s '
              '(default concurrency, A and AAAA)' % (n, secs, per_s))

# --- (b) one family ------------------------------------------------------------

for fam in (4, 6):
    r = run(['-%d' % fam] + RESOLVER + ['resolve'], ALL)
    if r is not None:
        ck.check(r.returncode == 0, 'exit %d' % r.returncode)
        compare(ck, parse(ck, r, '-%d' % fam), ALL, fam, 'IPv%d only' % fam)
        netns.log('RESOLUTION RATE: -%d: %d names/s' % (fam, rate(r)[2]))

# --- (c) other resolvers, other concurrency ------------------------------------

world.add_server('::1', 5353)
world.add_server('127.0.0.54', 5300)
SUB = zone.names()[:800] + zone.nx[:100] + sorted(zone.wild_own)
for args, names, fam, what in (
        (['--resolver', '[::1]:5353'], SUB, None,
         'IPv6 resolver, port 5353'),
        (['--resolver', '127.0.0.54:5300'], SUB, None,
         'IPv4 resolver, port 5300'),
        (['--resolver', '[::1]:5353', '--resolver', '127.0.0.53'], SUB,
         None, 'two resolvers'),
        (RESOLVER + ['--concurrency', '1'], SUB[:300], None,
         'one name at a time'),
        (RESOLVER + ['-4', '--concurrency', '120'], ALL, 4,
         'A only, 120 in flight')):
    r = run(args + ['resolve'], names)
    if r is not None:
        ck.check(r.returncode == 0, 'exit %d (%s)' % (r.returncode, what))
        compare(ck, parse(ck, r, what), names, fam, what)
        netns.log('RESOLUTION RATE: %s: %d names/s' % (what, rate(r)[2]))

# --- (d) nothing listens --------------------------------------------------------

r = run(['--resolver', '127.0.0.99', '--timeout', '200', '--tries', '2',
         'resolve'], SUB[:50])
if r is not None:
    got = parse(ck, r, 'dead resolver')
    bad = [(n, g) for n, g in got.items()
           if not (isinstance(g, str) and g.startswith('failed: '))]
    ck.check(len(got) == 50 and not bad, 'with no resolver listening every '
             'name must fail: %d answers, e.g. %r' % (len(got), bad[:5]))
    # 200 ms, then 400 ms: the names fail together, not one after another.
    ck.check(r.elapsed < 5, 'failing 50 names took %.2f s' % r.elapsed)

# --- (e) the certificate log -------------------------------------------------------

env = dnsfix.no_proxy_env()
r = run(['ct', world.http.base, dnsfix.DOMAIN], env=env)
if r is not None:
    ck.check(r.returncode == 0, 'ct: exit %d' % r.returncode)
    got = r.stdout.splitlines()
    want = world.ct.expected
    ck.check(got == want, 'ct: %d names, want %d; first difference at %r'
             % (len(got), len(want), next(
                 ((i, g, w) for i, (g, w) in enumerate(zip(got, want))
                  if g != w), (min(len(got), len(want)), None, None))))
    ck.check(world.http.requests[-1] == '/?q=%25.' + dnsfix.DOMAIN +
             '&output=json', 'ct: request was %r'
             % world.http.requests[-1:])
    netns.log('  ct: %d names extracted from %d entries'
              % (len(got), len(world.ct.entries)))
    # And they resolve like the rest.
    r2 = run(RESOLVER + ['resolve'], got)
    if r2 is not None:
        compare(ck, parse(ck, r2, 'ct names'), got, None, 'ct names')

r = run(['ct', world.http.base + 'mirror', 'Trawl.Test'], env=env)
if r is not None:
    ck.check(r.returncode == 0 and r.stdout.splitlines() ==
             world.ct.expected, 'ct via a mirror path, domain in capitals')

for path, msg in (
        ('status/503/', '127.0.0.1:%d: HTTP 503' % world.http.port),
        ('status/404/', '127.0.0.1:%d: HTTP 404' % world.http.port),
        ('garbage/', '127.0.0.1:%d: the answer is not a JSON array '
         '(it starts "<html><body>rate limited")' % world.http.port)):
    r = run(['ct', world.http.base + path, dnsfix.DOMAIN], env=env)
    if r is not None:
        ck.check(r.returncode == 1 and r.stdout == '' and
                 r.stderr.strip() == 'dnsprobe: ' + msg,
                 'ct %s: exit %d, stderr %r, want %r'
                 % (path, r.returncode, r.stderr.strip(), msg))

with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    dead = s.getsockname()[1]
r = run(['ct', 'http://127.0.0.1:%d/' % dead, dnsfix.DOMAIN], env=env)
if r is not None:
    want = ("dnsprobe: cannot reach 'http://127.0.0.1:%d/?q=%%25.%s&output="
            "json': " % (dead, dnsfix.DOMAIN))
    ck.check(r.returncode == 1 and r.stderr.startswith(want),
             'ct, nothing listening: %r, want it to start %r'
             % (r.stderr.strip(), want))

# --- (f) wordlists ------------------------------------------------------------------

tmp = tempfile.mkdtemp(prefix='trawl-words-')
words = [n[:-len('.' + dnsfix.DOMAIN)] for n in zone.names()[:1500]]
words += ['nx%d' % i for i in range(200)]
path = os.path.join(tmp, 'words')
with open(path, 'w') as f:
    f.write('# a wordlist\n\n' + '\n'.join(words) + '\nbad word\n'
            + words[0].upper() + '\n')
r = run(RESOLVER + ['words', dnsfix.DOMAIN, path])
if r is not None:
    ck.check(r.returncode == 0, 'words: exit %d' % r.returncode)
    names = [w + '.' + dnsfix.DOMAIN for w in words]
    compare(ck, parse(ck, r, 'words'), names, None, 'wordlist, no wildcard')
    ck.check(':%d: bad word \'bad word\'' % (len(words) + 3) in r.stderr,
             'words: the bad word is not reported with its line: %r'
             % r.stderr[-300:])
    ck.check('wildcard' not in r.stderr.split('words:')[0],
             'words: a wildcard reported where there is none')

wild_words = ['real', 'www', 'same', 'multi', 'foo', 'bar', 'mail', 'dev']
with open(path, 'w') as f:
    f.write('\n'.join(wild_words) + '\n')
r = run(RESOLVER + ['words', dnsfix.WILD, path])
if r is not None:
    ck.check(r.returncode == 0, 'wild words: exit %d' % r.returncode)
    got = parse(ck, r, 'wild words')
    wild = frozenset({dnsfix.WILD_ADDR})
    kept = {w + '.' + dnsfix.WILD for w in wild_words
            if not zone.truth(w + '.' + dnsfix.WILD) <= wild}
    ck.check(set(got) == kept, 'wild words: kept %r, want %r'
             % (sorted(got), sorted(kept)))
    compare(ck, got, sorted(kept), None, 'wildcard survivors')
    note = 'dnsprobe: %s: wildcard DNS, %d names dropped' % (
        dnsfix.WILD, len(wild_words) - len(kept))
    ck.check(note in r.stderr.splitlines(), 'wild words: want %r on '
             'stderr, got %r' % (note, r.stderr))

shutil.rmtree(tmp, ignore_errors=True)
world.stop()
ck.finish()
