#!/usr/bin/env python3
"""Names at scale: trawl resolving, discovering and scanning host names.

In a private network namespace, dnsfix.py serves over ten thousand names
under trawl.test (dnsmasq on 127.0.0.53), NXDOMAIN names, the wildcard
zone wild.test and a crt.sh look-alike.  This test adds names that share
addresses (aliases, one-address groups, mixes of two names' addresses),
listens on some (address, port) pairs -- counting every connection -- and
compares trawl's whole output with that ground truth:

(1) every name and the NXDOMAIN ones read with -i: one NDJSON record per
    (name, address, open port), one "unresolved" record per NXDOMAIN name,
    the summary's counts and names, the warnings, and each open pair
    connected to exactly once although several names may reach it; a
    subset with --states all, with -4 and -6 ("no-address"), a name no
    server answers for ("dns-error"), in text, and --dry-run;
(2) --list-names on the same names: every line exact; the resolution rate
    goes to the log;
(3) --subdomains with --ct-url: the clean names of the log with their
    addresses, a scan of them, a log server that is down or answers 503;
(4) --wordlist under a wildcard zone, and under one without a wildcard,
    together with the certificate log;
(5) the text host line of names that share an address;
(6) an NXDOMAIN name next to a literal address: the address is scanned;
(7) only NXDOMAIN names: nothing to scan, exit 1.

IPv4 addresses are 127.1.0.0/16 (loopback already); the IPv6 prefix
fd74:7261:776c::/48 gets a local route on lo, so every address of it
answers (RST), and the addresses listened on are put on lo.
"""
import collections
import ipaddress
import json
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfix  # noqa: E402
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-names')
SEED = netns.seed_from_env(11)
rng = random.Random(SEED)
T0 = time.monotonic()

DOMAIN = dnsfix.DOMAIN
PORTS = [22, 443, 20080]           # two known to /etc/services, one not
PSPEC = ','.join(str(p) for p in PORTS)
RESOLVER = ['--resolver', dnsfix.SERVER]
FAST = ['-t', '500', '--retries', '0', '-c', '2048']
ENV = dnsfix.no_proxy_env()


# --- the DNS world, with names that share addresses --------------------------

zone = dnsfix.Zone(n=10000, seed=SEED)
base_names = zone.names()
arng = random.Random(SEED + 100)
GROUPS = []                 # lists of names resolving to one fresh address
ALIASES = []
TWIN_OF = {}                # alias -> the name whose addresses it has
# Twins: a second name with exactly the addresses of an existing one.
for i, base in enumerate(arng.sample(base_names, 150)):
    n = 'alias-%d.%s' % (i, DOMAIN)
    zone.records[n] = zone.records[base]
    ALIASES.append(n)
    TWIN_OF[n] = base
# Mixes: one address of each of two existing names.
for i in range(50):
    a, b = arng.sample(base_names, 2)
    n = 'mix-%d.%s' % (i, DOMAIN)
    zone.records[n] = frozenset({arng.choice(sorted(zone.records[a])),
                                 arng.choice(sorted(zone.records[b]))})
    ALIASES.append(n)
# Groups: 2 to 4 names on one fresh address (the fixture's counters stay
# far below 127.1.250.0 and fd74:7261:776c:ffff::).
for g in range(24):
    addr = ('127.1.250.%d' % (g + 1) if g < 20 else
            dnsfix.canon('fd74:7261:776c:ffff::%x' % (g + 1)))
    names = ['grp%d-%s.%s' % (g, c, DOMAIN)
             for c in 'abcd'[:arng.randint(2, 4)]]
    for n in names:
        zone.records[n] = frozenset({addr})
    GROUPS.append(names)

tmp = tempfile.mkdtemp(prefix='trawl-names-')
dns = dnsfix.Dnsmasq(zone, dnsfix.SERVER, 53, tmp)
dnsfix.self_check(zone)
ct = dnsfix.CtLog(zone, seed=SEED + 2)
http = dnsfix.CtServer({DOMAIN: ct})

# Every address of the prefix answers; those listened on are on lo.
netns.sh(['ip', '-6', 'route', 'replace', 'local',
          dnsfix.V6_PREFIX + '/48', 'dev', 'lo'])

ALL = zone.names()                              # under trawl.test
RESOLVABLE = [n for n in ALL if zone.truth(n)]
NX = list(zone.nx)
netns.log('%d names under %s (%d sharing addresses), %d NXDOMAIN'
          % (len(ALL), DOMAIN, len(ALIASES) + sum(map(len, GROUPS)),
             len(NX)))
if len(RESOLVABLE) < 10000:
    netns.hard_error('the fixture has only %d names' % len(RESOLVABLE))


def names_by_addr(names, family=None):
    """addr -> sorted names reaching it."""
    m = collections.defaultdict(set)
    for n in names:
        for a in zone.truth(n, family):
            m[a].add(n)
    return {a: sorted(ns) for a, ns in m.items()}


BY_ADDR = names_by_addr(RESOLVABLE)
SHARED = sorted(a for a, ns in BY_ADDR.items() if len(ns) > 1)
netns.log('%d addresses, %d of them reached by several names'
          % (len(BY_ADDR), len(SHARED)))
if len(SHARED) < 100:
    netns.hard_error('only %d shared addresses' % len(SHARED))


lst = netns.Listeners()
listening = set()
v4 = sorted(a for a in BY_ADDR if ':' not in a)
v6 = sorted(a for a in BY_ADDR if ':' in a)
want_pairs = set()
want_pairs |= {(a, rng.choice(PORTS)) for a in rng.sample(v4, 500)}
want_pairs |= {(a, rng.choice(PORTS)) for a in rng.sample(v6, 40)}
# Shared addresses: the point of counting connections.
want_pairs |= {(a, rng.choice(PORTS)) for a in rng.sample(SHARED, 120)}
for names in GROUPS:
    a = next(iter(zone.truth(names[0])))
    want_pairs |= {(a, PORTS[0]), (a, PORTS[2])}
dnsfix.add_v6_to_lo({a for a, _ in want_pairs})
for a, p in sorted(want_pairs):
    if lst.add(a, p) is None:
        netns.hard_error('%s port %d taken in a fresh namespace' % (a, p))
    listening.add((a, p))
lst.start()


def truth_for(addrs):
    return netns.Truth().build(sorted(addrs), PORTS, listening, set())


TRUTH = truth_for(BY_ADDR)
netns.log('ground truth: %d addresses x %d ports: %s; %d open pairs on '
          'shared addresses' % (len(BY_ADDR), len(PORTS), TRUTH.counts(),
                                len([1 for a, _ in listening
                                     if a in set(SHARED)])))
TRUTH.self_check()
lst.take()


# --- helpers -----------------------------------------------------------------

def write(name, lines):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(''.join(l + '\n' for l in lines))
    return path


def run(args, timeout=60):
    return netns.run([trawl] + args, timeout=timeout)


UNRES_RE = re.compile(r"^trawl: cannot resolve '([^']*)': (.+)$")


def split_ndjson(r):
    """(text of the address records, list of "unresolved" records)."""
    rest, unres = [], []
    for line in r.out.splitlines(keepends=True):
        if '"state":"unresolved"' in line:
            unres.append(line)
        else:
            rest.append(line)
    return ''.join(rest), unres


def check_unresolved_records(lines, want, what):
    """want: name -> reason.  Each record exactly
    {"host":NAME,"proto":"tcp","state":"unresolved","reason":R}."""
    got = {}
    bad = []
    for line in lines:
        try:
            rec = json.loads(line, object_pairs_hook=list)
        except ValueError:
            bad.append(line)
            continue
        keys = [k for k, _ in rec]
        d = dict(rec)
        if keys != ['host', 'proto', 'state', 'reason'] or \
                d['proto'] != 'tcp' or d['state'] != 'unresolved' or \
                not isinstance(d['host'], str):
            bad.append(line)
            continue
        ck.check(d['host'] not in got, 'two unresolved records for %r (%s)'
                 % (d['host'], what))
        got[d['host']] = d['reason']
    ck.check(not bad, '%d malformed unresolved records (%s), e.g. %r'
             % (len(bad), what, bad[:3]))
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted(n for n in set(want) & set(got) if want[n] != got[n])
    ck.check(not missing and not extra and not wrong,
             'unresolved records (%s): %d missing %r, %d extra %r, %d with '
             'the wrong reason %r'
             % (what, len(missing), missing[:5], len(extra), extra[:5],
                len(wrong), [(n, got[n], want[n]) for n in wrong[:5]]))
    netns.log('  %d unresolved records, %d expected' % (len(got), len(want)))


def check_stderr(r, unresolved, what, notes=(), summary=True):
    """stderr: a warning per unresolved name (name -> reason text or None
    for any), the notes, then the summary line."""
    lines = [l for l in r.err_lines
             if not l.startswith('trawl: concurrency lowered to ')]
    if summary:
        if not ck.check(lines and netns.SUMMARY_RE.match(lines[-1]),
                        'stderr does not end with the summary (%s): %r'
                        % (what, lines[-3:])):
            return
        lines = lines[:-1]
    warned = collections.Counter()
    other = []
    wrong = []
    for l in lines:
        m = UNRES_RE.match(l)
        if m and m.group(1) in unresolved:
            warned[m.group(1)] += 1
            want = unresolved[m.group(1)]
            if want is not None and m.group(2) != want:
                wrong.append(l)
        elif l not in notes:
            other.append(l)
    ck.check(not other, 'unexpected stderr lines (%s): %r'
             % (what, other[:5]))
    ck.check(not wrong, 'warnings with the wrong reason (%s): %r'
             % (what, wrong[:5]))
    twice = [n for n, c in warned.items() if c > 1]
    silent = sorted(set(unresolved) - set(warned))
    ck.check(not twice and not silent,
             'one "cannot resolve" warning per unresolved name (%s): %d '
             'twice %r, %d missing %r'
             % (what, len(twice), twice[:5], len(silent), silent[:5]))
    for n in notes:
        ck.check(n in lines, 'stderr lacks %r (%s)' % (n, what))


def check_names_summary(r, resolved, unresolved, discovered=None):
    lines = [l for l in r.err_lines if l.startswith('trawl: ')]
    last = lines[-1] if lines else ''
    want = '; names: %s%d resolved, %d unresolved' % (
        '' if discovered is None else '%d discovered, ' % discovered,
        resolved, unresolved)
    ck.check(last.endswith(want), 'summary %r should end with %r (%s)'
             % (last, want, r.cmd))


def check_connections(want_open, what):
    """Every open pair of the scan connected to exactly once."""
    got = lst.take()
    want = collections.Counter({p: 1 for p in want_open})
    bad = sorted((p, got.get(p, 0)) for p in set(got) | set(want)
                 if got.get(p, 0) != want.get(p, 0))
    shared_open = [p for p in want_open if p[0] in SHARED_SET]
    ck.check(not bad, 'connections per open pair should be exactly 1 (%s): '
             '%d pairs differ, e.g. (pair, count) %r'
             % (what, len(bad), bad[:8]))
    netns.log('  connections counted: %d pairs, %d of them on addresses of '
              'several names; %d pairs not exactly once'
              % (len(got), len(shared_open), len(bad)))


SHARED_SET = set(SHARED)


def open_pairs(truth):
    return {p for p, s in truth.state.items() if s == 'open'}


def list_lines(names, family=None):
    """--list-names' lines for these names: resolved ones only."""
    out = []
    for n in set(names):
        addrs = zone.truth(n, family)
        if not addrs:
            continue
        key = sorted((ipaddress.ip_address(a) for a in addrs),
                     key=lambda x: (x.version, x))
        out.append(' '.join([n] + [a.compressed for a in key]))
    return sorted(out)


def check_list(r, want, what):
    got = r.out.splitlines()
    ck.check(r.out == '' or r.out.endswith('\n'),
             '--list-names output does not end with a newline (%s)' % what)
    gs, ws = set(got), set(want)
    dups = sorted(l for l, c in collections.Counter(got).items() if c > 1)
    ck.check(got == want,
             '--list-names (%s): %d lines, want %d; %d missing, e.g. %r; '
             '%d extra, e.g. %r; %d printed more than once, e.g. %r; '
             'sorted: %s'
             % (what, len(got), len(want), len(ws - gs),
                sorted(ws - gs)[:4], len(gs - ws), sorted(gs - ws)[:4],
                len(dups), dups[:3], got == sorted(got)))
    netns.log('  %d --list-names lines, %d expected' % (len(got), len(want)))


# --- (1) and (2): every name, read with -i -----------------------------------

inp = ['# every name of the zone, and names that do not exist', '']
mixed = RESOLVABLE + NX
rng.shuffle(mixed)
for i, n in enumerate(mixed):
    inp.append(n)
    if i % 1000 == 0:
        inp += ['# comment %d' % i, '']
inp += rng.sample(RESOLVABLE, 20) + NX[:5]          # repeats: once each
names_txt = write('names.txt', inp)
UNRES_NX = {n: 'nxdomain' for n in NX}

r = run(['-i', names_txt] + RESOLVER + ['--list-names'])
ck.check(r.rc == 0, '--list-names: exit %r, want 0' % r.rc)
check_list(r, list_lines(RESOLVABLE), 'every name')
check_stderr(r, UNRES_NX, '--list-names', summary=False)
netns.log('RESOLUTION RATE: %d names (A and AAAA, --dns-concurrency '
          'default) in %.2f s: %.0f names/s, --list-names'
          % (len(RESOLVABLE) + len(NX), r.elapsed,
             (len(RESOLVABLE) + len(NX)) / max(r.elapsed, 1e-3)))
ck.check(r.elapsed < 30, 'resolving %d names took %.1f s'
         % (len(mixed), r.elapsed))
ck.check(not lst.take(), 'nothing may be scanned with --list-names')

r = run(['-i', names_txt] + RESOLVER + ['-p', PSPEC, '--dry-run'])
want = '%d probes (%d hosts x %d ports)\n' % (len(BY_ADDR) * len(PORTS),
                                             len(BY_ADDR), len(PORTS))
ck.check(r.rc == 0 and r.out == want, '--dry-run: exit %r, %r, want %r'
         % (r.rc, r.out, want))

r = run(['-i', names_txt] + RESOLVER + ['-p', PSPEC, '-f', 'ndjson',
         '--states', 'open,unresolved'] + FAST, timeout=120)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
text, unres = split_ndjson(r)
recs = netns.parse_ndjson(ck, r, where=text)
netns.compare(ck, recs, TRUTH, states=('open',), names=BY_ADDR,
              what='every name, open')
check_unresolved_records(unres, UNRES_NX, 'every name')
netns.check_summary(ck, r, TRUTH.counts(), only_line=False)
check_names_summary(r, len(RESOLVABLE), len(NX))
check_stderr(r, UNRES_NX, 'every name')
check_connections(open_pairs(TRUTH), 'every name')
netns.log('SCAN: %d names, %d addresses x %d ports in %.2f s'
          % (len(mixed), len(BY_ADDR), len(PORTS), r.elapsed))

# The same in text, the default states: host lines name every name.
r = run(['-i', names_txt] + RESOLVER + ['-p', PSPEC] + FAST, timeout=120)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, TRUTH, states=('open',), names=BY_ADDR,
                 what='every name, text')
check_connections(open_pairs(TRUTH), 'every name, text')

# A subset with every state, a name nobody answers for, both families.
SUB = sorted(set(ALIASES + [n for g in GROUPS for n in g] +
                 rng.sample(RESOLVABLE, 400)))
AAAA_ONLY = [n for n in SUB if not zone.truth(n, 4)]
A_ONLY = [n for n in SUB if not zone.truth(n, 6)]
REFUSED = 'no-such-zone.example'
sub_txt = write('sub.txt', SUB + NX[:30] + [REFUSED])
for fam in (None, 4, 6):
    flag = [] if fam is None else ['-%d' % fam]
    what = 'subset, --states all' + (' -%d' % fam if fam else '')
    by_addr = names_by_addr(SUB, fam)
    truth = truth_for(by_addr)
    unres = {n: 'nxdomain' for n in NX[:30]}
    unres[REFUSED] = 'dns-error'
    nodata = AAAA_ONLY if fam == 4 else A_ONLY if fam == 6 else []
    unres.update({n: 'no-address' for n in nodata})
    r = run(['-i', sub_txt] + RESOLVER + flag +
            ['-p', PSPEC, '-f', 'ndjson', '--states', 'all'] + FAST)
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    text, ulines = split_ndjson(r)
    netns.compare(ck, netns.parse_ndjson(ck, r, where=text), truth,
                  names=by_addr, what=what)
    check_unresolved_records(ulines, unres, what)
    netns.check_summary(ck, r, truth.counts(), only_line=False)
    check_names_summary(r, len(SUB) - len(nodata), len(unres))
    check_stderr(r, {n: {'nxdomain': 'nxdomain', 'no-address': 'nodata',
                         'dns-error': None}[w] for n, w in unres.items()},
                 what)
    check_connections(open_pairs(truth), what)
    if fam is not None:
        r = run(['-i', sub_txt] + RESOLVER + flag + ['--list-names'])
        ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
        check_list(r, list_lines(SUB, fam), '--list-names -%d' % fam)

# --- (3) the certificate log -------------------------------------------------

CT_NAMES = ct.expected
ct_want = list_lines(CT_NAMES)
ck.check(len(ct_want) == len(CT_NAMES) and DOMAIN in CT_NAMES,
         'fixture: every logged name should resolve')
nreq = len(http.requests)
r = run(['--subdomains', DOMAIN, '--ct-url', http.base, '--list-names'] +
        RESOLVER)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
check_list(r, ct_want, '--subdomains, certificate log')
ck.check(r.err == '', 'stderr should be empty: %r' % r.err[-300:])
ck.check(http.requests[nreq:] == ['/?q=%25.' + DOMAIN + '&output=json'],
         'requests to the log: %r' % http.requests[nreq:])

by_ct = names_by_addr(CT_NAMES)
truth_ct = truth_for(by_ct)
r = run(['--subdomains', DOMAIN.upper(), '--ct-url', http.base, '-p',
         PSPEC, '-f', 'ndjson', '--states', 'open,closed,unresolved'] +
        RESOLVER + FAST)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
text, ulines = split_ndjson(r)
netns.compare(ck, netns.parse_ndjson(ck, r, where=text), truth_ct,
              states=('open', 'closed'), names=by_ct,
              what='--subdomains scan')
check_unresolved_records(ulines, {}, '--subdomains scan')
netns.check_summary(ck, r, truth_ct.counts())
check_names_summary(r, len(CT_NAMES), 0, discovered=len(CT_NAMES))
check_connections(open_pairs(truth_ct), '--subdomains scan')

# Discovered names, a typed one besides them, and an NXDOMAIN one.
typed = next(n for n in RESOLVABLE if n not in set(CT_NAMES))
by_ct = names_by_addr(CT_NAMES + [typed])
truth_ct = truth_for(by_ct)
r = run(['--subdomains', DOMAIN, '--ct-url', http.base + 'mirror', '-p',
         PSPEC, '-f', 'ndjson', '--states', 'open,unresolved', typed,
         NX[0]] + RESOLVER + FAST)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
text, ulines = split_ndjson(r)
netns.compare(ck, netns.parse_ndjson(ck, r, where=text), truth_ct,
              states=('open',), names=by_ct, what='--subdomains and names')
check_unresolved_records(ulines, {NX[0]: 'nxdomain'}, '--subdomains and '
                         'names')
check_names_summary(r, len(CT_NAMES) + 1, 1, discovered=len(CT_NAMES))
check_stderr(r, {NX[0]: 'nxdomain'}, '--subdomains and names')
check_connections(open_pairs(truth_ct), '--subdomains and names')

with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    dead = s.getsockname()[1]
for base, pattern in (
        ('http://127.0.0.1:%d/' % dead,
         r"^trawl: %s: cannot reach 'http://127\.0\.0\.1:%d/\?q=%%25\.%s"
         r"&output=json': .+$" % (re.escape(DOMAIN), dead, re.escape(DOMAIN))),
        (http.base + 'status/503/',
         r'^trawl: %s: .*\b503\b.*$' % re.escape(DOMAIN))):
    for extra in (['--list-names'], ['-p', PSPEC, '127.1.0.1']):
        r = run(['--subdomains', DOMAIN, '--ct-url', base] + RESOLVER +
                extra + FAST)
        ck.check(r.rc == 1 and r.out == '' and len(r.err_lines) == 1 and
                 re.match(pattern, r.err_lines[0]),
                 'log at %s: exit %r (want 1), stdout %r, stderr %r (want '
                 'one line matching %r)' % (base, r.rc, r.out[:100],
                                            r.err_lines[:4], pattern))
ck.check(not lst.take(), 'a scan ran although the log failed')

# --- (4) wordlists -----------------------------------------------------------

WILD = dnsfix.WILD
wild_words = ['real', 'www', 'same', 'multi', 'foo', 'bar', 'mail', 'dev']
words = write('wild-words', ['# words', ''] + wild_words)
kept = [w + '.' + WILD for w in wild_words
        if not zone.truth(w + '.' + WILD) <= {dnsfix.WILD_ADDR}]
note = 'trawl: %s: wildcard DNS, %d names dropped' % (
    WILD, len(wild_words) - len(kept))
r = run(['--subdomains', WILD, '--ct-url', http.base, '--wordlist', words,
         '--list-names'] + RESOLVER)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
check_list(r, list_lines(kept), 'wordlist under a wildcard')
ck.check(r.err_lines == [note], 'stderr %r, want just %r'
         % (r.err_lines, note))

by_wild = names_by_addr(kept)
truth_wild = truth_for(by_wild)
r = run(['--subdomains', WILD, '--ct-url', http.base, '--wordlist', words,
         '-p', PSPEC, '-f', 'ndjson', '--states', 'all'] + RESOLVER + FAST)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth_wild, names=by_wild,
              what='wordlist under a wildcard, scan')
netns.check_summary(ck, r, truth_wild.counts(), only_line=False)
check_names_summary(r, len(kept), 0, discovered=len(kept))
check_stderr(r, {}, 'wordlist under a wildcard, scan', notes=[note])
lst.take()

# No wildcard, words with the certificate log: names found both ways once.
tn_words = ([n[:-len('.' + DOMAIN)] for n in rng.sample(RESOLVABLE, 150)] +
            [n[:-len('.' + DOMAIN)] for n in CT_NAMES[1:60]] +
            ['nope%d' % i for i in range(50)])
words = write('words', tn_words)
found = sorted(set(CT_NAMES) | {w + '.' + DOMAIN for w in tn_words
                                if zone.truth(w + '.' + DOMAIN)})
r = run(['--subdomains', DOMAIN, '--ct-url', http.base, '--wordlist', words,
         '--list-names'] + RESOLVER)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
check_list(r, list_lines(found), 'certificate log and wordlist')
ck.check(r.err == '', 'stderr should be empty: %r' % r.err[-300:])
by_found = names_by_addr(found)
truth_found = truth_for(by_found)
r = run(['--subdomains', DOMAIN, '--ct-url', http.base, '--wordlist', words,
         '-p', PSPEC, '-f', 'ndjson'] + RESOLVER + FAST)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth_found, states=('open',),
              names=by_found, what='certificate log and wordlist, scan')
netns.check_summary(ck, r, truth_found.counts())
check_names_summary(r, len(found), 0, discovered=len(found))
check_connections(open_pairs(truth_found), 'certificate log and wordlist')

# A typed name that a word finds too (the log empty): one name, once.
empty_log = dnsfix.CtServer({})
name = found[0]
words = write('one-word', [name[:-len('.' + DOMAIN)]])
r = run(['--subdomains', DOMAIN, '--ct-url', empty_log.base, '--wordlist',
         words, '--list-names', name] + RESOLVER)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
check_list(r, list_lines([name]), 'a typed name found by a word too')
truth = truth_for(names_by_addr([name]))
r = run(['--subdomains', DOMAIN, '--ct-url', empty_log.base, '--wordlist',
         words, '-p', PSPEC, '-f', 'ndjson', '--states', 'all', name] +
        RESOLVER + FAST)
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth,
              names=names_by_addr([name]), what='typed name found by a word')
netns.check_summary(ck, r, truth.counts())
# Whether a typed name also counts as discovered is not said; that one
# name is resolved once is.
ck.check(re.search(r'; names: [01] discovered, 1 resolved, 0 unresolved$',
                   r.err.rstrip('\n')),
         'one name, typed and found by a word: summary %r should count it '
         'resolved once' % r.err_lines[-1:])
check_connections(open_pairs(truth), 'typed name found by a word')
empty_log.stop()

# --- (5) names sharing an address, in text -----------------------------------

for names in (GROUPS[0], GROUPS[-1], [ALIASES[0], TWIN_OF[ALIASES[0]]]):
    by = names_by_addr(names)
    truth = truth_for(by)
    r = run(list(reversed(names)) + RESOLVER + ['-p', PSPEC, '--states',
                                                'open,closed'] + FAST)
    ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
    netns.check_text(ck, r.out, truth, states=('open', 'closed'), names=by,
                     what='text, %s' % ' '.join(names))
    if len(by) == 1:
        addr, ns = next(iter(by.items()))
        head = r.out.split('\n', 1)[0]
        ck.check(sorted(head.split(' (')[0].split(', ')) == ns and
                 head.endswith(' (%s)' % addr),
                 'host line %r, want the names %s and (%s)'
                 % (head, ', '.join(ns), addr))
    netns.check_summary(ck, r, truth.counts())
    check_names_summary(r, len(names), 0)
    check_connections(open_pairs(truth), 'text, %s' % names[0])

# --- (6) an NXDOMAIN name and a literal address ------------------------------

lit_port = lst.add('127.0.0.1', 0)
listening.add(('127.0.0.1', lit_port))
r = run([NX[1], '127.0.0.1', '-p', '%d,%d' % (lit_port, PORTS[2]), '-f',
         'ndjson', '--states', 'all'] + RESOLVER + FAST)
truth = netns.Truth().build(['127.0.0.1'], [lit_port, PORTS[2]], listening,
                            set())
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
text, ulines = split_ndjson(r)
netns.compare(ck, netns.parse_ndjson(ck, r, where=text), truth,
              what='NXDOMAIN name and a literal')
check_unresolved_records(ulines, {NX[1]: 'nxdomain'}, 'NXDOMAIN name and a '
                         'literal')
netns.check_summary(ck, r, truth.counts(), only_line=False)
check_names_summary(r, 0, 1)
check_stderr(r, {NX[1]: 'nxdomain'}, 'NXDOMAIN name and a literal')
check_connections({('127.0.0.1', lit_port)}, 'NXDOMAIN name and a literal')

# --- (7) nothing but NXDOMAIN names ------------------------------------------

for extra in ([], ['-f', 'ndjson', '--states', 'all']):
    r = run(NX[2:5] + RESOLVER + ['-p', PSPEC] + extra + FAST)
    ck.check(r.rc == 1, 'only NXDOMAIN names: exit %r, want 1: %s'
             % (r.rc, r.cmd))
    ck.check('trawl: no target address to scan' in r.err_lines,
             'only NXDOMAIN names: stderr %r lacks "trawl: no target '
             'address to scan"' % r.err_lines)
    for n in NX[2:5]:
        ck.check("trawl: cannot resolve '%s': nxdomain" % n in r.err_lines,
                 'only NXDOMAIN names: no warning for %s' % n)
r = run(NX[2:5] + RESOLVER + ['--list-names'])
ck.check(r.rc == 0 and r.out == '', '--list-names, only NXDOMAIN names: '
         'exit %r (want 0), stdout %r (want nothing)' % (r.rc, r.out[:200]))
check_stderr(r, {n: 'nxdomain' for n in NX[2:5]}, '--list-names, only '
             'NXDOMAIN', summary=False)
lst.take()

# --- (8) few names are resolved first, so the scan can be resumed ------------

# Three names of one IPv4 address each, every port dropped so that the
# scan lasts a few timeouts; stopped once its first SYN is seen (the names
# are resolved by then).  At most --dns-concurrency names are resolved
# before the scan: stopped, it saves trawl.resume like any other, and the
# resumed run completes it.  With more names than that they join the scan
# as they resolve, which no later run could repeat: no resume file.
import signal  # noqa: E402
import subprocess  # noqa: E402

FEW = [n for n in base_names if len(zone.truth(n)) == 1 and
       zone.truth(n, 4)][:3]
FEW_ADDRS = sorted({a for n in FEW for a in zone.truth(n)})
RPORTS = range(30000, 30010)
netns.nft_drop({(a, p) for a in FEW_ADDRS for p in RPORTS})
err = netns.syn_counter('trawl_names_syn', 'ip daddr { %s } tcp dport '
                        '30000-30009' % ', '.join(FEW_ADDRS))
if err is not None:
    netns.hard_error('nft SYN counter: %s' % err)
RARGS = ['-p', '30000-30009', '-t', '400', '--retries', '0', '-c', '4',
         '-f', 'ndjson', '--states', 'all', '-o', 'few.ndjson'] + RESOLVER


def stop_after_first_syn(argv, cwd):
    """Run argv, SIGINT it once its first SYN left; (exit, stderr lines)."""
    before = netns.syn_count('trawl_names_syn')
    netns.log('+ %s  # SIGINT after its first SYN' % ' '.join(argv))
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=ENV)
    deadline = time.monotonic() + 60
    while (netns.syn_count('trawl_names_syn') == before and
           p.poll() is None and time.monotonic() < deadline):
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1].decode('utf-8', 'replace')
    netns.log('  exit %r, stderr: %s' % (p.returncode, err.strip()))
    return p.returncode, err.splitlines()


for dnsc, resumable in (([], True), (['--dns-concurrency', '2'], False)):
    cwd = tempfile.mkdtemp(dir=tmp)
    what = '%d names%s' % (len(FEW), ' '.join([''] + dnsc))
    rc, lines = stop_after_first_syn([trawl] + RARGS + dnsc + FEW, cwd)
    saved = os.path.exists(os.path.join(cwd, 'trawl.resume'))
    ck.check(rc == 130 and lines and lines[-1] == (
        'trawl: stopped; to continue: trawl --resume trawl.resume with the '
        'same arguments' if resumable else 'trawl: stopped; names were '
        'resolved during the scan, so it cannot be resumed: give --resume '
        'FILE from the start') and saved == resumable,
        '%s, stopped: want exit 130, %s: exit %r, resume file %s, %r'
        % (what, 'resumable' if resumable else 'not resumable', rc,
           saved, lines[-2:]))
    if not (resumable and saved):
        continue
    r = netns.run([trawl] + RARGS + ['--resume', 'trawl.resume'] + FEW,
                  timeout=120, wrap=['env', '-C', cwd])
    with open(os.path.join(cwd, 'few.ndjson')) as f:
        recs = netns.parse_ndjson(ck, r, where=f.read())
    got = collections.Counter((x['ip'], x['port']) for x in recs)
    want = {(a, p) for a in FEW_ADDRS for p in RPORTS}
    ck.check(r.rc == 0 and set(got) == want and max(got.values()) == 1 and
             all(x['state'] == 'filtered' for x in recs),
             '%s, resumed: want exit 0 and each of %d probes once, '
             'filtered: exit %r, %d records, %d distinct'
             % (what, len(want), r.rc, len(recs), len(got)))
netns.log('(8) few names: resolved first, stopped and resumed')

lst.close()
http.stop()
dns.stop()
shutil.rmtree(tmp, ignore_errors=True)
netns.log('whole test: %.1f s' % (time.monotonic() - T0))
ck.finish()
