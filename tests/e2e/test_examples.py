#!/usr/bin/env python3
"""Every example of README.md and man/trawl.1, run as written.

The examples are found in the documents themselves, so that one added
later cannot go untested:

  README.md    every command of a ```sh block (a paragraph of the block is
               one example: its commands run in order in one directory;
               a comment line after a command is that command's output);
               in other fenced blocks, lines starting with `trawl ` or
               `$ trawl`; outside code, a line starting with an inline
               `trawl ...` (prose that starts with the word trawl is not
               an example); a plain ``` block right after a ```sh block
               is the output of its last command.
  man/trawl.1  in .Bd -literal blocks that hold a command naming trawl:
               lines with a `$ ` prompt (or another host's, `hosta$ `),
               bare `trawl ...` lines, and `# ` lines when every line of
               the block has that root prompt; .Dl lines with a `$ `
               prompt; a line `.Li trawl ...`.  Lines after a command up
               to the next one are its output.

EXAMPLES says how each command runs, keyed by its exact text (lines
joined at a trailing backslash).  The test fails on a command it does not
know and on an entry that matches no command any more.

Everything runs in this script's private network namespace, where the
documentation's addresses are local (192.0.2.0/24, 10.20.0.0/16,
10.30.1.0/24 and 2001:db8::/32 routed to lo), a few of them listen, a few
ports drop SYNs (nft), and dnsmasq answers for example.com.  Each command
runs with sh in a mount namespace of its own where /etc, /var/lib and
/usr/local/share are overlays: /etc/hosts is Debian's (localhost is
127.0.0.1 and ::1), /etc/resolv.conf names the dnsmasq, and files an
example reads under /etc/trawl are there.  The trawl under test is first
in PATH (under TRAWL_WRAPPER too: valgrind, setpriv to nobody).

A scan far too large to finish runs for real and is stopped with SIGINT
(SIGTERM for the one shown running under systemd) once trawl is ready and
sending: it must exit 128+signal, save its rest, say how to go on, and a
--dry-run of the rest must count exactly what it did not do.  Output the
documents show (dry-run lines, summary lines, exit statuses) is compared
with what trawl prints: exactly where the example determines the numbers,
by its shape where they depend on timing.
"""
import collections
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfix  # noqa: E402
import netns  # noqa: E402
import sdunit  # noqa: E402
import trawlwrap  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
README = os.path.join(SRC, 'README.md')
MANPAGE = os.path.join(SRC, 'man', 'trawl.1')


# --- finding the examples ----------------------------------------------------

class Cmd:
    """One command of a document: its text, where it is, what the
    document shows as its output."""

    def __init__(self, doc, line, text, prompt):
        self.doc, self.line, self.text, self.prompt = doc, line, text, prompt
        self.output = []

    @property
    def where(self):
        return '%s:%d' % (self.doc, self.line)


class Chunk:
    """Commands that run together, in order, in one directory."""

    def __init__(self, doc, line, cmds, problems=()):
        self.doc, self.line, self.cmds = doc, line, cmds
        self.problems = list(problems)


def _join(lines, k, text):
    """text continued on lines[k+1...] while it ends in a backslash;
    (joined text, index of its last line)."""
    while text.endswith('\\') and k + 1 < len(lines):
        k += 1
        text = text[:-1].rstrip() + ' ' + lines[k][1].strip()
    return text, k


def _sh_paragraphs(doc, body):
    """The commands of a ```sh block, one Chunk per paragraph."""
    chunks, par = [], []
    for ln, t in body + [(None, '')]:
        if t.strip():
            par.append((ln, t))
            continue
        if not par:
            continue
        cmds, k = [], 0
        while k < len(par):
            ln0, t0 = par[k]
            s = t0.strip()
            if s.startswith('#'):
                if cmds:        # after a command: what it prints
                    cmds[-1].output.append(s[1:].strip())
                k += 1
                continue
            text, k = _join(par, k, s)
            prompt = ''
            if text.startswith('$ '):
                text, prompt = text[2:], '$'
            cmds.append(Cmd(doc, ln0, text, prompt))
            k += 1
        if cmds:
            chunks.append(Chunk(doc, cmds[0].line, cmds))
        par = []
    return chunks


def readme_chunks(path):
    doc = os.path.basename(path)
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    chunks = []
    after_sh = None        # the last sh chunk, while only blanks follow it
    i = 0
    while i < len(lines):
        m = re.match(r'^( *)```(\S*)\s*$', lines[i])
        if m is None:
            s = lines[i].strip()
            im = re.match(r'^`(\$ )?(trawl [^`]*)`', s)
            if im:
                chunks.append(Chunk(doc, i + 1, [
                    Cmd(doc, i + 1, im.group(2), 'inline')]))
            if s:
                after_sh = None
            i += 1
            continue
        indent, lang = len(m.group(1)), m.group(2)
        j = i + 1
        body = []
        while j < len(lines) and not re.match(r'^ *```\s*$', lines[j]):
            t = lines[j]
            body.append((j + 1, t[indent:] if not t[:indent].strip()
                         else t))
            j += 1
        if j == len(lines):
            chunks.append(Chunk(doc, i + 1, [], ['unterminated ``` block']))
            break
        if lang == 'sh':
            new = _sh_paragraphs(doc, body)
            chunks += new
            after_sh = new[-1] if new else None
        else:
            cmds = []
            for k, (ln, t) in enumerate(body):
                if re.match(r'^(\$ )?trawl ', t):
                    text = t[2:] if t.startswith('$ ') else t
                    # A synopsis goes on over indented lines.
                    for _, t2 in body[k + 1:]:
                        if not t2.startswith(' ') or not t2.strip():
                            break
                        text += ' ' + t2.strip()
                    cmds.append(Cmd(doc, ln, text, 'fenced'))
            if cmds:
                chunks.append(Chunk(doc, i + 1, cmds))
            elif after_sh is not None and lang == '':
                after_sh.cmds[-1].output += [t for _, t in body if t.strip()]
            after_sh = None
        i = j + 1
    return chunks


def man_unescape(s):
    s = s.replace('\\e', '\0')
    for esc, ch in (('\\(dq', '"'), ('\\(aq', "'"), ('\\(ha', '^'),
                    ('\\(ti', '~'), ('\\-', '-'), ('\\&', '')):
        s = s.replace(esc, ch)
    return s.replace('\0', '\\')


PROMPT_RE = re.compile(r'^(?:([A-Za-z][\w.-]*)?\$) (.*)$')
NAMES_TRAWL_RE = re.compile(r'\btrawl\b')


def _literal_chunk(doc, body):
    nonblank = [t for _, t in body if t.strip()]
    root = bool(nonblank) and all(t.startswith('# ') for t in nonblank)
    cmds, before = [], []
    k = 0
    while k < len(body):
        ln, t = body[k]
        m = PROMPT_RE.match(t)
        if root:
            text, prompt = t[2:], '#'
        elif m:
            text, prompt = m.group(2), (m.group(1) or '') + '$'
        elif re.match(r'^trawl\s', t):
            text, prompt = t, ''
        else:
            if cmds:
                if t.strip():
                    cmds[-1].output.append(t)
            elif t.strip():
                before.append(t)
            k += 1
            continue
        text, k2 = _join(body, k, text.strip())
        cmds.append(Cmd(doc, ln, text, prompt))
        k = k2 + 1
    if not any(NAMES_TRAWL_RE.search(c.text) for c in cmds):
        return None
    problems = ['lines before the first command: %r' % before] if before \
        else []
    return Chunk(doc, cmds[0].line, cmds, problems)


def man_chunks(path):
    doc = 'man/' + os.path.basename(path)
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    chunks = []
    i = 0
    while i < len(lines):
        t = lines[i]
        if t.startswith('.Bd -literal'):
            j = i + 1
            body = []
            while j < len(lines) and not lines[j].startswith('.Ed'):
                body.append((j + 1, man_unescape(lines[j])))
                j += 1
            c = _literal_chunk(doc, body)
            if c is not None:
                chunks.append(c)
            i = j + 1
            continue
        m = re.match(r'^\.Dl (.*)$', t)
        if m:
            text = man_unescape(m.group(1))
            pm = PROMPT_RE.match(text)
            if pm or text.startswith('trawl '):
                cmd = Cmd(doc, i + 1, pm.group(2) if pm else text,
                          '$' if pm else '')
                chunks.append(Chunk(doc, i + 1, [cmd]))
        m = re.match(r'^\.Li (trawl .*)$', t)
        if m:
            chunks.append(Chunk(doc, i + 1, [
                Cmd(doc, i + 1, man_unescape(m.group(1)), 'inline')]))
        i += 1
    return chunks


# --- the world the examples run in -------------------------------------------

netns.enter_namespace()
TRAWL = netns.trawl_path()
REAL_TRAWL = netns.real_trawl_path()
ck = netns.Checker('e2e-examples')
T0 = time.monotonic()

for argv in (['ip', 'route', 'add', 'local', '192.0.2.0/24', 'dev', 'lo'],
             ['ip', 'route', 'add', 'local', '10.20.0.0/16', 'dev', 'lo'],
             ['ip', 'route', 'add', 'local', '10.30.1.0/24', 'dev', 'lo'],
             ['ip', '-6', 'route', 'add', 'local', '2001:db8::/32', 'dev',
              'lo']):
    netns.sh(argv)

LOCALHOST_V = ('127.0.0.1', '::1')
# What listens.  127.0.0.1 and ::1 together have five open ports, as the
# man page's Ctrl-C example says.
BASE_LISTEN = {
    ('127.0.0.1', 22), ('127.0.0.1', 80), ('127.0.0.1', 631),
    ('::1', 22), ('::1', 5432),
    ('192.0.2.10', 22), ('192.0.2.10', 80), ('192.0.2.10', 443),
    ('192.0.2.10', 8080),
    ('192.0.2.20', 25), ('192.0.2.20', 80), ('192.0.2.30', 443),
    ('2001:db8::10', 22), ('2001:db8::10', 80), ('2001:db8::10', 443),
    ('2001:db8::20', 22),
    ('10.20.0.5', 22), ('10.20.0.5', 3389), ('10.20.1.1', 80),
    ('10.20.1.1', 443), ('10.20.64.9', 22), ('10.20.255.7', 22),
    ('10.30.1.5', 22), ('2001:db8:20::5', 22),
}
# A port that opens between two runs of an example about changes.
CHANGE = ('192.0.2.9', 443)
# Dropped SYNs: filtered ports on 192.0.2.10, and on localhost a range
# outside the ephemeral one that keeps a -p- scan of it busy for a few
# seconds (1 s timeout, 1 retry), long enough to be interrupted.
DROP = {('192.0.2.10', 135), ('192.0.2.10', 139), ('192.0.2.10', 445)}
DROP |= {(a, p) for a in LOCALHOST_V for p in range(61000, 61256)}

# nodad: an address that is not tentative from the start, so that the
# listeners can bind it at once.
for a in sorted({a for a, _ in BASE_LISTEN if ':' in a and a != '::1'}):
    netns.sh(['ip', '-6', 'addr', 'add', a + '/128', 'dev', 'lo', 'nodad'])
listeners = netns.Listeners()
for a, p in sorted(BASE_LISTEN):
    if listeners.add(a, p) is None:
        netns.hard_error('%s port %d taken in a fresh namespace' % (a, p))
listeners.start()
OPEN = set(BASE_LISTEN)


def drop_rules():
    v4 = sorted((a, p) for a, p in DROP if ':' not in a)
    v6 = sorted((a, p) for a, p in DROP if ':' in a)
    return '''
  set drop4 { type ipv4_addr . inet_service; elements = { %s } }
  set drop6 { type ipv6_addr . inet_service; elements = { %s } }
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr . tcp dport @drop4 drop
    ip6 daddr . tcp dport @drop6 drop
  }''' % (', '.join('%s . %d' % e for e in v4),
          ', '.join('%s . %d' % e for e in v6))


for why in (netns.nft_table('exdrop', drop_rules()),
            netns.syn_counter('exsyn', '')):
    if why is not None:
        netns.skip('nft cannot load a table in the namespace: ' + why)


def syns():
    """SYNs sent in the namespace so far."""
    return netns.syn_count('exsyn')


# example.com, for names, --subdomains and --list-names.
EX_ZONE = {
    'example.com': {'192.0.2.1'},
    'www.example.com': {'192.0.2.10', '2001:db8::10'},
    'api.example.com': {'192.0.2.10'},
    'mail.example.com': {'192.0.2.20'},
    'vpn.example.com': {'192.0.2.30'},
    'dev.example.com': {'2001:db8::20'},
}
# The certificate log's names, spelled as logs spell them; two of them no
# longer resolve.
CT_NAMES = ['example.com', 'www.example.com', 'dev.example.com',
            'mail.example.com', 'vpn.example.com', 'old.example.com',
            'legacy.example.com']
CT_ENTRIES = [
    {'id': 1, 'name_value': 'example.com\nwww.example.com'},
    {'id': 2, 'name_value': '*.dev.example.com'},
    {'id': 3, 'name_value': 'MAIL.example.com\nvpn.example.com.'},
    {'id': 4, 'name_value': 'old.example.com\nlegacy.example.com\n'
                            'hostmaster@example.com'},
    {'id': 5, 'name_value': 'www.example.org'},
]
WORDS = ['www', 'api', 'ftp', 'intranet']


class ExZone:
    records = {n: frozenset(a) for n, a in EX_ZONE.items()}

    def hosts_text(self):
        return ''.join('%s %s\n' % (a, n) for n in sorted(self.records)
                       for a in sorted(self.records[n]))


class CtLog:
    entries = CT_ENTRIES


DNS_TMP = tempfile.mkdtemp(prefix='trawl-examples-dns-')
dns = dnsfix.Dnsmasq(ExZone(), dnsfix.SERVER, 53, DNS_TMP,
                     domains=('example.com',))
for name, want in EX_ZONE.items():
    got = set()
    for qtype in ('A', 'AAAA'):
        got |= dnsfix.query(dnsfix.SERVER, 53, name, qtype)[1]
    if got != want:
        netns.hard_error('dnsmasq: %s is %r, want %r' % (name, got, want))
if dnsfix.query(dnsfix.SERVER, 53, 'old.example.com', 'A')[0] != \
        dnsfix.NXDOMAIN:
    netns.hard_error('dnsmasq: old.example.com should be NXDOMAIN')

HOSTS = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
NAMES = {'localhost': set(LOCALHOST_V)}
NAMES.update(EX_ZONE)

# The trawl under test, first in PATH.
TMP = tempfile.mkdtemp(prefix='trawl-examples-')
BIN = os.path.join(TMP, 'bin')
os.mkdir(BIN)
os.chmod(BIN, 0o755)
os.symlink(TRAWL, os.path.join(BIN, 'trawl'))
ENV = dnsfix.no_proxy_env()
ENV['PATH'] = BIN + ':' + ENV.get('PATH', '/usr/bin:/bin')
ENV['LC_ALL'] = 'C'

with open(os.path.join(SRC, 'data', 'top-tcp-ports.txt')) as f:
    RANKED = [int(l.split('#')[0]) for l in f if l.split('#')[0].strip()]
TOP100, TOP1000 = RANKED[:100], RANKED[:1000]
ALL_PORTS = range(1, 65536)


# --- target spaces and what must come out of them ----------------------------

def _interval(spec):
    if '/' in spec:
        n = ipaddress.ip_network(spec, strict=False)
        return n.version, int(n.network_address), int(n.broadcast_address)
    if '-' in spec:
        a, b = spec.split('-', 1)
        if '.' not in b and ':' not in b:
            b = a.rsplit('.', 1)[0] + '.' + b
        lo, hi = ipaddress.ip_address(a), ipaddress.ip_address(b)
        return lo.version, int(lo), int(hi)
    a = ipaddress.ip_address(spec.strip('[]'))
    return a.version, int(a), int(a)


def _merge(ivs):
    out = []
    for v, lo, hi in sorted(ivs):
        if out and out[-1][0] == v and lo <= out[-1][2] + 1:
            out[-1][2] = max(out[-1][2], hi)
        else:
            out.append([v, lo, hi])
    return out


class Space:
    """Addresses: targets (addresses, CIDRs, ranges, names of NAMES) less
    exclusions."""

    def __init__(self, targets, exclude=()):
        ivs = []
        for t in targets:
            if t in NAMES:
                ivs += [_interval(a) for a in NAMES[t]]
            else:
                ivs.append(_interval(t))
        ivs = _merge(ivs)
        for x in _merge([_interval(e) for e in exclude]):
            cut = []
            for v, lo, hi in ivs:
                if v != x[0] or hi < x[1] or lo > x[2]:
                    cut.append([v, lo, hi])
                    continue
                if lo < x[1]:
                    cut.append([v, lo, x[1] - 1])
                if hi > x[2]:
                    cut.append([v, x[2] + 1, hi])
            ivs = cut
        self.ivs = ivs

    def count(self):
        return sum(hi - lo + 1 for _, lo, hi in self.ivs)

    def __contains__(self, ip):
        a = ipaddress.ip_address(ip)
        return any(v == a.version and lo <= int(a) <= hi
                   for v, lo, hi in self.ivs)

    def addrs(self):
        if self.count() > 4096:
            netns.hard_error('Space.addrs() of %d addresses' % self.count())
        return [ipaddress.ip_address(i).compressed if v == 4 else
                ipaddress.IPv6Address(i).compressed
                for v, lo, hi in self.ivs for i in range(lo, hi + 1)]


def names_of(targets):
    """ip -> sorted names, for the names among targets."""
    out = collections.defaultdict(set)
    for t in targets:
        for a in NAMES.get(t, ()):
            out[netns.canon(a)].add(t)
    return {a: sorted(n) for a, n in out.items()}


def pair_states(space, ports):
    """{(ip, port): state} of the pairs of space x ports that are not
    closed."""
    ports = set(ports)
    out = {}
    for a, p in OPEN:
        if a in space and p in ports:
            out[(netns.canon(a), p)] = 'open'
    for a, p in DROP:                    # a drop wins over a listener
        if a in space and p in ports:
            out[(netns.canon(a), p)] = 'filtered'
    return out


def want_records(space, ports, states=('open',), names=None):
    """{(ip, port, name or None): state} that a scan must report."""
    names = names or {}
    pairs = {}
    if 'closed' in states:
        pairs = {(a, p): 'closed' for a in space.addrs() for p in ports}
    pairs.update(pair_states(space, ports))
    return {(a, p, n): st for (a, p), st in pairs.items() if st in states
            for n in names.get(a, [None])}


def want_text(space, ports, states=('open',), names=None):
    """What the text format shows of a scan, nmap's picture of it:
    ({(ip, port, name): state} listed, {ip: {state: count}} not shown) of
    the hosts with a port not closed; and of every other host of the
    space, all of whose ports are closed (there may be 65536 of them),
    the one picture they share: (ports listed, {state: count})."""
    names = names or {}
    special = pair_states(space, ports)
    pairs = {(a, p): 'closed' for a in {a for a, _ in special}
             for p in ports}
    pairs.update(special)
    listed, extra = {}, {}
    for ip, (ls, ex) in netns.picture_of(
            pairs, states, tuple(states) != ('open',)).items():
        for n in names.get(ip, [None]):
            for p, st in ls:
                listed[(ip, p, n)] = st
        extra[ip] = ex
    if 'closed' in states and len(ports) <= netns.FEW:
        uniform = (sorted(ports), {})
    else:
        uniform = ([], {'closed': len(ports)})
    return listed, extra, uniform


def want_counts(space, ports):
    c = dict.fromkeys(netns.STATES, 0)
    for st in pair_states(space, ports).values():
        c[st] += 1
    c['closed'] = space.count() * len(ports) - c['open'] - c['filtered']
    return c


# --- running a command -------------------------------------------------------

OVERLAID = ('etc', 'var/lib', 'usr/local/share')

# sh -c PRELUDE sh ROOT CWD SCRIPT: the overlays, then the command.
PRELUDE = r'''set -e
for d in etc var/lib usr/local/share; do
    mount -t overlay overlay \
        -o "lowerdir=/$d,upperdir=$1/up/$d,workdir=$1/work/$d" "/$d"
done
cd "$2"
exec sh -c "$3"
'''


class Res:
    def __init__(self, text, rc, out, err, syns_sent, elapsed):
        self.text, self.rc, self.out, self.err = text, rc, out, err
        self.syns, self.elapsed = syns_sent, elapsed
        self.signalled = None

    @property
    def err_lines(self):
        return [l for l in self.err.splitlines()
                if not l.startswith('trawl: concurrency lowered to ')]

    def run(self):
        """For netns's checks."""
        return netns.Run(['sh', '-c', self.text], self.rc, self.out,
                         self.err, self.elapsed)


def is_simple(text):
    """A command without pipes, lists, redirections or expansions: sh
    may exec it, so that its process is the one started."""
    if '$' in text or '`' in text:
        return False
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        toks = list(lex)
    except ValueError:
        return False
    return not any(t and set(t) <= set('();<>|&') for t in toks)


def _wait_sending(p, before, timeout):
    """Until a SYN left after before: the scan itself has begun (names it
    had to resolve first are resolved)."""
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        if syns() > before:
            return True
        time.sleep(0.002)
    return False


class Ctx:
    """The state of one chunk: its directory, its overlays, what its
    commands left behind."""

    def __init__(self, chunk, n):
        self.chunk = chunk
        self.dir = tempfile.mkdtemp(prefix='chunk%02d-' % n, dir=TMP)
        self.cwd = os.path.join(self.dir, 'cwd')
        self.root = os.path.join(self.dir, 'root')
        self.logs = os.path.join(self.dir, 'logs')
        for d in (self.cwd, self.logs):
            os.mkdir(d)
        for d in OVERLAID:
            for part in ('up', 'work'):
                os.makedirs(os.path.join(self.root, part, d))
            # The merged directory takes the upper one's mode.
            os.chmod(os.path.join(self.root, 'up', d),
                     stat.S_IMODE(os.stat('/' + d).st_mode))
        self.write('/etc/hosts', HOSTS)
        self.write('/etc/resolv.conf', 'nameserver %s\n' % dnsfix.SERVER)
        self.last = None
        self.rest = {}          # resume file -> probes left in it
        self.doc_done = 0       # the document's probes before a stop
        self.doc_rest = None    # the document's resumed dry run
        self.cleanups = []
        self.nruns = 0
        self.broken = False     # a command could not run: stop there

    def host_path(self, path):
        """Where a path of the example's world is, seen from here."""
        if not path.startswith('/'):
            return os.path.join(self.cwd, path)
        for d in OVERLAID:
            if path.startswith('/' + d + '/'):
                return os.path.join(self.root, 'up', path[1:])
        return path

    def exists(self, path):
        """Whether path is there (an overlay's whiteout is not)."""
        try:
            st = os.lstat(self.host_path(path))
        except FileNotFoundError:
            return False
        return not (stat.S_ISCHR(st.st_mode) and st.st_rdev == 0)

    def read(self, path):
        with open(self.host_path(path), errors='backslashreplace') as f:
            return f.read()

    def write(self, path, text, mode=0o644):
        p = self.host_path(path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(text)
        os.chmod(p, mode)

    def mkdir(self, path, mode=0o755):
        p = self.host_path(path)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)

    def run(self, text, sig=None, cwd='', env=None, timeout=None,
            stderr_to=None):
        """Run text with sh in this chunk's world; a Res."""
        self.nruns += 1
        base = os.path.join(self.logs, '%02d' % self.nruns)
        script = ('exec ' + text) if is_simple(text) else text
        argv = ['unshare', '-m', '--', 'sh', '-c', PRELUDE, 'sh', self.root,
                cwd or self.cwd, script]
        netns.log('+ %s%s' % (text, '' if sig is None else
                              '   (then %s)' % signal.Signals(sig).name))
        timeout = timeout or 900
        before = syns()
        t0 = time.monotonic()
        with open(base + '.out', 'w+b') as out, \
                open(stderr_to or base + '.err', 'w+b') as err:
            p = subprocess.Popen(argv, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err,
                                 env=dict(ENV, **(env or {})))
            signalled = None
            if sig is not None:
                ready = netns.wait_ready(p, 300) and \
                    _wait_sending(p, before, 300)
                if ready:
                    p.send_signal(sig)
                    signalled = sig
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                ck.check(False, '%s did not end within %d s' % (text,
                                                                timeout))
            el = time.monotonic() - t0
            out.seek(0)
            err.seek(0)
            r = Res(text, p.returncode, out.read().decode(errors='replace'),
                    err.read().decode(errors='replace'), syns() - before, el)
        r.signalled = signalled
        if sig is not None and signalled is None:
            ck.check(False, '%s: never saw it ready and sending (exit %r) '
                     'before it could be stopped' % (text, r.rc))
        netns.log('  exit %s in %.2f s, %d SYNs, %d bytes out, stderr: %s'
                  % (r.rc, el, r.syns, len(r.out),
                     r.err.strip()[-500:] or '(empty)'))
        return r


# --- checking what came out --------------------------------------------------

def records_text(text, what, not_shown=None):
    """The port records; what --baseline adds after them left out.  The
    "Not shown" counts into not_shown[ip] = {state: count}."""
    text = text.split('Changes since the last run:\n', 1)[0]
    recs, ns = {}, {}
    for head, entries in netns.parse_text(ck, text, what, ns).items():
        m = netns.TEXT_HOST_RE.match(head)
        if m is None:
            continue
        ip = m.group('ip1') or m.group('ip2')
        names = m.group('names').split(', ') if m.group('names') else [None]
        for port, st, _, _ in entries:
            for n in names:
                recs[(ip, port, n)] = st
        if not_shown is not None:
            not_shown[ip] = {st: c for st, (c, _) in ns[head].items()}
    return recs


def records_ndjson(text, what):
    """The port records; the "change" records of --baseline left out."""
    text = ''.join(l for l in text.splitlines(keepends=True)
                   if not l.startswith('{"change":'))
    run_ = netns.Run(['(%s)' % what], 0, text, '', 0)
    recs = {}
    for r in netns.parse_ndjson(ck, run_, where=text):
        k = (r['ip'], r['port'], r.get('host'))
        ck.check(k not in recs, 'record twice (%s): %r' % (what, k))
        recs[k] = r['state']
    return recs


def compare_records(got, want, what, subset=False):
    missing = sorted(set(want) - set(got), key=str)
    extra = sorted(set(got) - set(want), key=str)
    wrong = sorted((k for k in set(got) & set(want) if got[k] != want[k]),
                   key=str)
    ck.check((subset or not missing) and not extra and not wrong,
             '%s: %d records, %d expected%s; missing %r, extra %r, wrong '
             'state %r' % (what, len(got), len(want),
                           ' (some may be missing: interrupted)' if subset
                           else '', missing[:8], extra[:8],
                           [(k, got[k], want[k]) for k in wrong[:8]]))


SUM_RE = re.compile(
    r'^trawl: (\d+) probes, (\d+) open, (\d+) closed, (\d+) filtered, '
    r'(\d+) unreachable in (\d+\.\d\d) s \((\d+) probes/s\)'
    r'(; names: (?:(\d+) discovered, )?(\d+) resolved, (\d+) unresolved)?'
    r'(, interrupted)?$')
DRY_RE = re.compile(r'^(\d+) probes \((\d+) hosts x (\d+) ports'
                    r'(, shard \d+/\d+)?(, resumed)?\)$')


def summary_of(res):
    lines = [l for l in res.err_lines if SUM_RE.match(l)]
    return SUM_RE.match(lines[-1]) if lines else None


def resume_arg(text):
    words = shlex.split(text)
    for i, w in enumerate(words):
        if w == '--resume' and i + 1 < len(words):
            return words[i + 1]
        if w.startswith('--resume='):
            return w.split('=', 1)[1]
    return None


def scan(space, ports, src='stdout', fmt='text', states=('open',),
         names=None, whole=True, counts=True):
    """A check: the results of a scan of space x ports are the ground
    truth; its summary counts them.  src is 'stdout' or a file; whole:
    the file holds the whole scan even when this run resumed one; counts:
    the summary counts the whole scan (not so for a shard)."""
    def check(ctx, cmd, res):
        sp = space() if callable(space) else space
        nm = names_of(names) if names is not None else {}
        what = '%s (%s)' % (cmd.text, cmd.where)
        text = res.out if src == 'stdout' else (
            ctx.read(src) if ctx.exists(src) else None)
        if not ck.check(text is not None, '%s: %s not written'
                        % (what, src)):
            return
        interrupted = res.signalled is not None
        if fmt == 'text':
            got_ns = {}
            got = records_text(text, what, got_ns)
            want, want_ns, (u_ports, u_ns) = want_text(sp, ports, states,
                                                       nm)
            # The hosts whose every port is closed: all alike, all shown.
            others = {ip for ip in got_ns if ip not in want_ns}

            def alike(ip):
                # Stopped, a host may have only some of its ports done.
                if interrupted and not u_ports:
                    return set(got_ns[ip]) == {'closed'} and \
                        0 < got_ns[ip]['closed'] <= len(ports)
                return got_ns[ip] == u_ns and sorted(
                    p for (i, p, _) in got if i == ip) == u_ports or \
                    (interrupted and not got_ns[ip])
            bad = sorted(ip for ip in others if ip not in sp or
                         not alike(ip))
            ck.check(not bad, '%s: hosts with only closed ports shown '
                     'otherwise than %r, e.g. %r' % (what, (u_ports, u_ns),
                                                    bad[:4]))
            for ip in others:
                for n in nm.get(ip, [None]):
                    for p in u_ports:
                        want[(ip, p, n)] = 'closed'
            if not interrupted and whole:
                ck.check(len(others) + len(want_ns) == sp.count(),
                         '%s: %d hosts shown, want all %d (every one '
                         'answered)' % (what, len(others) + len(want_ns),
                                        sp.count()))
                got_special = {ip: ns for ip, ns in got_ns.items()
                               if ip in want_ns}
                ck.check(got_special == want_ns, '%s: "Not shown" counts '
                         '%r, want %r' % (what,
                                          sorted(got_special.items())[:4],
                                          sorted(want_ns.items())[:4]))
        else:
            got = records_ndjson(text, what)
            want = want_records(sp, ports, states, nm)
        compare_records(got, want, what, subset=interrupted or not whole)
        if interrupted or not counts:
            return
        rest = ctx.rest.get(resume_arg(cmd.text))
        m = summary_of(res)
        if not ck.check(m, '%s: no summary line: %r' % (what, res.err_lines)):
            return
        if rest is not None:
            ck.check(int(m.group(1)) == rest, '%s: %s probes, the resume '
                     'file had %d left' % (what, m.group(1), rest))
            return
        want = want_counts(sp, ports)
        got_c = [int(x) for x in m.group(1, 2, 3, 4, 5)]
        want_c = [sp.count() * len(ports)] + [want[s] for s in netns.STATES]
        ck.check(got_c == want_c, '%s: summary %r, ground truth %r '
                 '(probes, open, closed, filtered, unreachable)'
                 % (what, got_c, want_c))
    return check


def all_of(*checks):
    def check(ctx, cmd, res):
        for c in checks:
            c(ctx, cmd, res)
    return check


# --- the table ---------------------------------------------------------------

class Ex:
    """How one command runs.

    how: 'run'       for real, to the end;
         'stop'      for real, then SIGINT (or sig) once trawl is ready;
         'dry-run'   with --dry-run added: too large to scan;
         'shell'     a command of the example that is not trawl, for real;
         'instead'   something else runs in its place (see note);
         'status'    `echo $?`: the exit status of the command before;
         'synopsis'  a usage synopsis, checked against trawl --help;
         'not-run'   not run at all (see note), only checked.
    add: words added to the command (said in note).  before/check/after:
    functions of (ctx, cmd[, res]).  space: (hosts, ports) that a dry
    run of it must count; never: addresses no SYN may go to; needs:
    programs besides trawl (without one, the rest of the example does not
    run and the test ends as skipped)."""

    def __init__(self, how, note='', add='', before=None, check=None,
                 rc=0, sig=signal.SIGINT, space=None, never=(),
                 instead=None, needs=()):
        self.how, self.note, self.add = how, note, add
        self.before, self.check = before, check
        self.rc, self.sig, self.space, self.never = rc, sig, space, never
        self.instead, self.needs = instead, needs


HOSTS_TXT = '''# lab networks
10.20.0.0/16
10.30.1.1-10.30.1.99   # printers
2001:db8:20::/120
'''
INVENTORY = '''name,address,room
web,192.0.2.10,1.04
db,10.20.0.5,1.07
mail,mail.example.com,2.01
'''
DO_NOT_SCAN = '''# never scanned
10.20.0.5
10.20.64.0/18   # the lab's control network
'''
OFFICE_CONF = '''# office.conf: the office network
input-file = office.targets
exclude = 192.0.2.1
top-ports = 100
'''
OFFICE_SPACE = Space(['192.0.2.0/28'], ['192.0.2.1'])
# The example configuration as the $EDITOR of the systemd example leaves
# it: NAME is office, and its input-file line is in use.
EDITOR_SCRIPT = ("#!/bin/sh\nsed -i -e 's/NAME/office/g' "
                 "-e 's/^# input-file = /input-file = /' \"$1\"\n")
UNIT_SPACE = Space(['192.0.2.0/28'], ['192.0.2.1', '192.0.2.128/25'])
UNIT_PORTS = [22, 25, 80, 443, 3306, 5432, 6379] + list(range(8000, 8101))


def files(**content):
    """A before: write these files (name -> text; '__' for '/')."""
    def before(ctx, cmd):
        for name, text in content.items():
            ctx.write(name.replace('__', '/'), text)
    return before


def chain(*fns):
    def f(ctx, cmd, *rest):
        for fn in fns:
            if fn is not None:
                fn(ctx, cmd, *rest)
    return f


class _CtHolder:
    server = None


def start_ct(ctx, cmd):
    """The certificate log look-alike, for this chunk only (it listens on
    127.0.0.1, which other examples scan)."""
    if _CtHolder.server is None:
        _CtHolder.server = dnsfix.CtServer({'example.com': CtLog()})

        def stop():
            _CtHolder.server.stop()
            _CtHolder.server = None
        ctx.cleanups.append(stop)
    ctx.write('words.txt', '# words to try\n' + '\n'.join(WORDS) + '\n')


def ct_url():
    return _CtHolder.server.base


class _Change:
    listeners = None


def open_change(ctx, cmd, *rest):
    """CHANGE starts listening (until the end of the chunk)."""
    if _Change.listeners is not None:
        return
    lst = netns.Listeners()
    if lst.add(*CHANGE) is None:
        netns.hard_error('%s port %d taken' % CHANGE)
    lst.start()
    _Change.listeners = lst
    OPEN.add(CHANGE)

    def close():
        _Change.listeners.close()
        _Change.listeners = None
        OPEN.discard(CHANGE)
    ctx.cleanups.append(close)


def run_first(ctx, cmd):
    """The first run of a baseline example: it only makes the baseline."""
    r = ctx.run(cmd.text)
    ck.check(r.rc == 0, '%s: first run exit %r, want 0 (it makes the '
             'baseline)' % (cmd.text, r.rc))
    ck.check(ctx.exists('office.baseline'), '%s: first run made no '
             'office.baseline' % cmd.text)


def check_changed(src):
    def check(ctx, cmd, res):
        text = res.out if src == 'stdout' else ctx.read(src)
        if src == 'stdout':
            ok = 'Changes since the last run:' in text.splitlines() and \
                any(re.match(r'^\+ 192\.0\.2\.9 port 443/tcp open$', l)
                    for l in text.splitlines())
        else:
            recs = [json.loads(l) for l in text.splitlines()]
            ok = any((r.get('change'), r.get('ip'), r.get('port')) ==
                     ('port-opened',) + CHANGE for r in recs)
        ck.check(ok, '%s: the change (%s port %d opened) is not reported '
                 'in %s: %r' % (cmd.text, CHANGE[0], CHANGE[1], src,
                                text[-600:]))
    return check


def check_results_only(src):
    """src holds port records and nothing else: no change among them."""
    def check(ctx, cmd, res):
        text = ctx.read(src)
        bad = [l for l in text.splitlines() if '"change"' in l]
        ck.check(not bad, '%s: change records in the results file %s: %r'
                 % (cmd.text, src, bad[:3]))
    return check


def check_changes_only(src, want):
    """src holds change records and nothing else: exactly want, a set of
    (change, ip, port)."""
    def check(ctx, cmd, res):
        recs = []
        text = ctx.read(src)
        rest = netns.parse_ndjson(ck, netns.Run([src], 0, '', '', 0),
                                  where=text, changes=recs)
        got = {(r['change'], r['ip'], r.get('port')) for r in recs}
        ck.check(not rest and got == want, '%s: %s holds %r and %d other '
                 'records; want the changes %r alone'
                 % (cmd.text, src, sorted(got, key=str), len(rest),
                    sorted(want, key=str)))
    return check


def check_jq_changes(ctx, cmd, res):
    """192.0.2.9 had no open port: it came up, with port 443."""
    want = 'host-up\t%s\nport-opened\t%s\t%d\n' % (CHANGE[0], *CHANGE)
    ck.check(res.out == want, '%s: %r, want %r' % (cmd.text, res.out, want))


def interrupt_first(ctx, cmd):
    """An interrupted scan whose rest the example continues."""
    first = 'trawl -p- -f ndjson -o sweep.ndjson 10.20.0.0/16'
    run_stop(ctx, Cmd(cmd.doc, cmd.line, first, ''),
             Ex('stop', space=(65536, 65535)))


def check_jq_ports(ctx, cmd, res):
    ports = sorted(p for (_, p), s in pair_states(Space(['192.0.2.10']),
                                                  ALL_PORTS).items()
                   if s == 'open')
    want = ''.join('%d\t%s\n' % (p, netns.service(p) or '') for p in ports)
    ck.check(res.out == want, '%s: %r, want %r' % (cmd.text, res.out, want))


def check_list_names(ctx, cmd, res):
    lines = []
    for n in set(CT_NAMES) | {w + '.example.com' for w in WORDS}:
        if n in EX_ZONE:
            addrs = sorted((ipaddress.ip_address(a) for a in EX_ZONE[n]),
                           key=lambda x: (x.version, x))
            lines.append(' '.join([n] + [a.compressed for a in addrs]))
    want = ''.join(l + '\n' for l in sorted(lines))
    ck.check(res.out == want, '%s: printed %r, want %r'
             % (cmd.text, res.out, want))
    check_unresolved_warnings(ctx, cmd, res)


def check_unresolved_warnings(ctx, cmd, res):
    want = ["trawl: cannot resolve '%s': nxdomain" % n for n in CT_NAMES
            if n not in EX_ZONE]
    got = [l for l in res.err_lines if l.startswith('trawl: cannot ')]
    ck.check(sorted(got) == sorted(want), '%s: warnings %r, want %r'
             % (cmd.text, got, want))


SUBDOMAIN_NAMES = [n for n in set(CT_NAMES) | {w + '.example.com'
                                               for w in WORDS}
                   if n in EX_ZONE]


def check_names_summary(ctx, cmd, res):
    m = summary_of(res)
    found = len(set(CT_NAMES) | set(SUBDOMAIN_NAMES))
    want = (str(found), str(len(SUBDOMAIN_NAMES)),
            str(found - len(SUBDOMAIN_NAMES)))
    ck.check(m and m.group(9, 10, 11) == want,
             '%s: summary %r, want names: %s discovered, %s resolved, %s '
             'unresolved' % (cmd.text, res.err_lines[-1:], *want))


SUBDOMAIN_SCAN = scan(lambda: Space(SUBDOMAIN_NAMES), TOP100,
                      src='example.ndjson', fmt='ndjson',
                      names=SUBDOMAIN_NAMES)


def check_xml(path, space, ports):
    """path is an nmap XML document whose open ports are the truth's."""
    def check(ctx, cmd, res):
        try:
            root = ET.fromstring(ctx.read(path))
        except (ET.ParseError, OSError) as e:
            ck.check(False, '%s: %s is not XML: %s' % (cmd.text, path, e))
            return
        got = set()
        for h in root.iter('host'):
            ip = [a.get('addr') for a in h.iter('address')][0]
            for p in h.iter('port'):
                st = p.find('state').get('state')
                if st == 'open':
                    got.add((netns.canon(ip), int(p.get('portid'))))
        sp = space() if callable(space) else space
        want = {k for k, s in pair_states(sp, ports).items() if s == 'open'}
        ck.check(got == want, '%s: open ports in %s %r, want %r'
                 % (cmd.text, path, sorted(got), sorted(want)))
    return check


def check_services(path, by_name=True):
    """path is NDJSON of a --banners scan: open ports only, each saying
    how its service was named (the listeners here accept and never
    speak, so by the port table), at least one of them."""
    def check(ctx, cmd, res):
        try:
            recs = [json.loads(l) for l in ctx.read(path).splitlines()]
        except (ValueError, OSError) as e:
            ck.check(False, '%s: %s is not NDJSON: %s' % (cmd.text, path, e))
            return
        ck.check(res.rc == 0 and recs, '%s: exit %r, %d records'
                 % (cmd.text, res.rc, len(recs)))
        for r in recs:
            ck.check(r.get('state') == 'open' and
                     r.get('method') in ('probed', 'table') and
                     (not by_name or
                      r.get('host', '').endswith('example.com')),
                     '%s: record %r: want an open port of a name under '
                     'example.com with its method' % (cmd.text, r))
    return check


def check_ptr(path):
    """path is an nmap XML document whose hosts with an open port have
    the PTR name dnsmasq gives their address (one of the names of the
    hosts file, EX_ZONE), and only those."""
    def check(ctx, cmd, res):
        try:
            root = ET.fromstring(ctx.read(path))
        except (ET.ParseError, OSError) as e:
            ck.check(False, '%s: %s is not XML: %s' % (cmd.text, path, e))
            return
        named = collections.defaultdict(set)
        for n, addrs in EX_ZONE.items():
            for a in addrs:
                named[netns.canon(a)].add(n)
        for h in root.iter('host'):
            ip = netns.canon([a.get('addr') for a in h.iter('address')][0])
            ptr = [x.get('name') for x in h.iter('hostname')
                   if x.get('type') == 'PTR']
            opened = any(p.find('state').get('state') == 'open'
                         for p in h.iter('port'))
            ok = (len(ptr) == 1 and ptr[0] in named[ip]) if opened and \
                named.get(ip) else not ptr
            ck.check(ok, '%s: %s has PTR names %r, want one of %r'
                     % (cmd.text, ip, ptr, sorted(named.get(ip, ()))
                        if opened else []))
    return check


def check_ndiff(ctx, cmd, res):
    ck.check(re.search(r'^\+443/tcp +open', res.out, re.M) and
             CHANGE[0] in res.out,
             '%s: the port that opened on tuesday (%s %d) is not in the '
             'diff: %r' % (cmd.text, CHANGE[0], CHANGE[1], res.out))


SHARD_SPACE = Space(['10.20.0.0/16'])
SHARD_PORTS = [22, 80, 443, 3389]


def check_shard(ctx, cmd, res):
    n = re.search(r'shard-(\d)\.ndjson', cmd.text).group(1)
    scan(SHARD_SPACE, SHARD_PORTS, src='shard-%s.ndjson' % n, fmt='ndjson',
         whole=False, counts=False)(ctx, cmd, res)
    m = summary_of(res)
    ctx.rest.setdefault('shards', []).append(int(m.group(1)) if m else -1)


def check_all_shards(ctx, cmd, res):
    got = records_ndjson(ctx.read('all.ndjson'), 'all.ndjson')
    compare_records(got, want_records(SHARD_SPACE, SHARD_PORTS),
                    'the three shards together (all.ndjson)')
    done = ctx.rest.get('shards', [])
    total = SHARD_SPACE.count() * len(SHARD_PORTS)
    ck.check(sum(done) == total and max(done) - min(done) <= 1,
             'the shards made %r probes; want %d together, in slices of '
             'nearly equal size' % (done, total))


def check_jq_groups(ctx, cmd, res):
    try:
        got = json.loads(res.out)
    except ValueError:
        ck.check(False, '%s: not JSON: %r' % (cmd.text, res.out[:300]))
        return
    want = collections.defaultdict(list)
    for (a, p), s in pair_states(SHARD_SPACE, SHARD_PORTS).items():
        if s == 'open':
            want[a].append(p)
    ck.check(isinstance(got, list) and
             [g['ip'] for g in got] == sorted(want) and
             all(sorted(g['ports']) == sorted(want[g['ip']]) for g in got),
             '%s: %r, want %r' % (cmd.text, got, dict(want)))


def check_seed_repeats(ctx, cmd, res):
    again = ctx.run(cmd.text)
    ck.check(again.rc == 0 and again.out == res.out,
             '%s: a second run with the same seed wrote other output'
             % cmd.text)


def check_sequential(ctx, cmd, res):
    heads = [b.split('\n', 1)[0] for b in res.out.split('\n\n') if b]
    key = [ipaddress.ip_address(h) for h in heads]
    ck.check(key == sorted(key), '%s: hosts not in address order: %r'
             % (cmd.text, heads[:10]))


def check_rate(rate):
    def check(ctx, cmd, res):
        m = summary_of(res)
        if m:
            n, secs = int(m.group(1)), float(m.group(6))
            ck.check(n <= rate * (secs + 0.01) + 2,
                     '%s: %d probes in %.2f s, more than --rate %d allows'
                     % (cmd.text, n, secs, rate))
    return check


def check_duration(ctx, cmd, res):
    """"about two minutes and ten seconds" at --rate 2000."""
    n = ctx.last_dry[0]
    ck.check(abs(n / 2000 - 130) < 5, '%s: %d probes at 2000/s is %.0f s, '
             'not about 2 min 10 s' % (cmd.text, n, n / 2000))


def check_resume_done(path):
    def check(ctx, cmd, res):
        ck.check(not ctx.exists(path), '%s: %s still there after the scan '
                 'completed' % (cmd.text, path))
    return check


def check_nothing_sent(ctx, cmd, res):
    ck.check(res.syns == 0, '%s: %d SYNs sent by a dry run'
             % (cmd.text, res.syns))


def check_million_million(ctx, cmd, res):
    m = DRY_RE.match(res.out.strip())
    ck.check(m and int(m.group(1)) > 10 ** 12, '%s: %r is not more than a '
             'million million probes' % (cmd.text, res.out))


def check_run_all(ctx, cmd, res):
    for script in ('deps.sh', 'run-all.sh'):
        r = subprocess.run(['sh', '-n', os.path.join(SRC, 'tests', script)],
                           capture_output=True, text=True)
        ck.check(r.returncode == 0, 'sh -n tests/%s: %s'
                 % (script, r.stderr))


def check_synopsis(ctx, cmd, res):
    """Every option of trawl --help in the synopsis, and nothing else."""
    r = subprocess.run([REAL_TRAWL, '--help'], capture_output=True,
                       text=True)
    helped = set()
    for line in r.stdout.splitlines():
        m = re.match(r'^\s+(?:(-\w), )?(--[\w-]+)|^\s+(-\w)\s', line)
        if m:
            helped.add(m.group(2) or m.group(3))
            if m.group(1):
                helped.add(m.group(1))
    short = {'-' + c for c in re.findall(r'\[-(\w+)\]', cmd.text)[0]} \
        if re.search(r'\[-(\w+)\]', cmd.text) else set()
    listed = set(re.findall(r'(?<![\w-])(--?[\w][\w-]*)', cmd.text)) | short
    listed = {o for o in listed if len(o) == 2 or o.startswith('--')}
    longs = {}
    for line in r.stdout.splitlines():
        m = re.match(r'^  (-\w), (--[\w-]+)', line)
        if m:
            longs[m.group(2)] = m.group(1)
    missing = sorted(o for o in helped if o.startswith('--') and
                     o not in listed and longs.get(o) not in listed)
    unknown = sorted(o for o in listed if o not in helped and
                     o not in ('-46hqV',))
    ck.check(not missing and not unknown, 'synopsis (%s): options of '
             'trawl --help missing: %r; options trawl does not have: %r'
             % (cmd.where, missing, unknown))


def installed_example(ctx, cmd):
    """The example configuration where the install puts it, as meson
    says (under the default prefix, /usr/local); the state directory."""
    build = os.path.dirname(REAL_TRAWL)
    r = subprocess.run(['meson', 'introspect', '--installed', build],
                       capture_output=True, text=True)
    src = None
    if r.returncode == 0:
        for s, d in json.loads(r.stdout).items():
            if d.endswith('/share/doc/trawl/examples/trawl.conf'):
                src = s
    if not ck.check(src is not None and os.path.exists(src),
                    'meson introspect --installed %s: nothing installed '
                    'as share/doc/trawl/examples/trawl.conf (%s)'
                    % (build, r.stderr.strip()[-300:])):
        src = os.path.join(SRC, 'contrib', 'systemd', 'example.conf')
    with open(src) as f:
        ctx.write('/usr/local/share/doc/trawl/examples/trawl.conf', f.read())
    ctx.write('editor', EDITOR_SCRIPT, 0o755)
    ctx.mkdir('/var/lib/trawl', 0o777 if trawlwrap.DROPS_PRIVILEGES
              else 0o755)


def unit_commands(instance):
    """The ExecStartPre= and ExecStart= commands of trawl@INSTANCE.service,
    as systemd runs them (sdunit.py), for sh: the trawl in PATH."""
    with open(os.path.join(SRC, 'contrib', 'systemd',
                           'trawl@.service.in')) as f:
        text = f.read().replace('@bindir@/trawl', 'trawl')
    try:
        cmds = sdunit.commands(text, instance,
                               {'STATE_DIRECTORY': '/var/lib/trawl'})
    except ValueError as e:
        netns.hard_error('trawl@.service.in: %s' % e)
    return [shlex.join(argv) for argv, _ in cmds]


def unit_command(instance):
    """The ExecStart= of trawl@INSTANCE.service."""
    return unit_commands(instance)[-1]


def run_unit(ctx, cmd):
    """A start of trawl@office.service: each ExecStartPre=, then
    ExecStart=, in /var/lib/trawl (its WorkingDirectory=)."""
    texts = unit_commands('office')
    for text in texts[:-1]:
        r = ctx.run(text, cwd=ctx.host_path('/var/lib/trawl'))
        ck.check(r.rc == 0, 'ExecStartPre=%s: exit %r: %s'
                 % (text, r.rc, r.err))
    res = ctx.run(texts[-1], cwd=ctx.host_path('/var/lib/trawl'))
    res.text = texts[-1]
    return res


def check_unit_run(ctx, cmd, res):
    """A first run: the results, an empty changes file, the XML."""
    ck.check(res.rc == 0, '%s: exit %r, want 0 (a first run)'
             % (res.text, res.rc))
    scan(UNIT_SPACE, UNIT_PORTS, src='/var/lib/trawl/office.ndjson',
         fmt='ndjson')(ctx, cmd, res)
    check_results_only('/var/lib/trawl/office.ndjson')(ctx, cmd, res)
    check_changes_only('/var/lib/trawl/office.changes.ndjson',
                       set())(ctx, cmd, res)
    check_xml('/var/lib/trawl/office.xml', UNIT_SPACE,
              UNIT_PORTS)(ctx, cmd, res)
    for f in ('office.baseline', 'office.xml'):
        ck.check(ctx.exists('/var/lib/trawl/' + f),
                 '%s: no /var/lib/trawl/%s' % (res.text, f))


def unit_first_night(ctx):
    """What the example of the systemd units leaves behind, unless this
    chunk did it: the example installed and edited, a first run."""
    if ctx.exists('/var/lib/trawl/office.baseline'):
        return
    installed_example(ctx, None)
    with open(ctx.host_path('/usr/local/share/doc/trawl/examples/'
                            'trawl.conf')) as f:
        conf = f.read()
    ctx.write('/etc/trawl/office.conf', re.sub(
        r'^# input-file = ', 'input-file = ', conf.replace('NAME', 'office'),
        flags=re.M))
    ctx.write('/etc/trawl/office.targets', '192.0.2.0/28\n')
    r = run_unit(ctx, None)
    ck.check(r.rc == 0, 'trawl@office.service, a first run: exit %r: %s'
             % (r.rc, r.err))


def run_unit_again(ctx, cmd):
    """A second start of trawl@office.service, 192.0.2.9 having opened
    port 443 since the first."""
    unit_first_night(ctx)
    open_change(ctx, cmd)
    return run_unit(ctx, cmd)


def unit_two_nights(ctx, cmd):
    """Before a command that reads what the second run left."""
    if not ctx.exists('/var/lib/trawl/office.prev.xml'):
        r = run_unit_again(ctx, cmd)
        ck.check(r.rc == 3, 'trawl@office.service, a second run: exit %r, '
                 'want 3: %s' % (r.rc, r.err))


def check_unit_again(ctx, cmd, res):
    """The second run: exit 3, the changes alone in their file, the first
    run's XML kept as office.prev.xml."""
    ck.check(res.rc == 3, '%s: exit %r, want 3 (something changed)'
             % (res.text, res.rc))
    check_results_only('/var/lib/trawl/office.ndjson')(ctx, cmd, res)
    check_changes_only('/var/lib/trawl/office.changes.ndjson', {
        ('host-up', CHANGE[0], None),
        ('port-opened',) + CHANGE})(ctx, cmd, res)
    check_xml('/var/lib/trawl/office.xml', UNIT_SPACE,
              UNIT_PORTS)(ctx, cmd, res)
    ck.check(ctx.exists('/var/lib/trawl/office.prev.xml'),
             '%s: the first run\'s XML not kept as office.prev.xml'
             % res.text)


def run_unit_journal(ctx, cmd):
    """What journalctl would show: the unit's lines, stderr being the
    journal's stream (JOURNAL_STREAM names it)."""
    text = unit_command('office')
    errf = os.path.join(ctx.logs, 'journal.err')
    open(errf, 'w').close()
    st = os.stat(errf)
    res = ctx.run(text, cwd=ctx.host_path('/var/lib/trawl'),
                  env={'JOURNAL_STREAM': '%d:%d' % (st.st_dev, st.st_ino)},
                  stderr_to=errf)
    res.text = text
    return res


def check_journal(ctx, cmd, res):
    lines = res.err.splitlines()
    ck.check(res.rc == 0 and lines and
             all(re.match(r'^<[0-7]>trawl: ', l) for l in lines) and
             SUM_RE.match(lines[-1][3:]) and lines[-1].startswith('<6>'),
             '%s with JOURNAL_STREAM: exit %r, lines %r; want each with '
             'its priority, the summary <6>' % (res.text, res.rc, lines))


QUICK_START = ('apt-get update && apt-get install -y build-essential meson '
               'ninja-build pkg-config check python3 netbase nftables '
               'iproute2 mandoc libc-ares-dev libcurl4-openssl-dev '
               'libjson-c-dev libssl-dev && meson setup build && ninja -C '
               'build && '
               './build/trawl localhost')


def link_build(ctx, cmd):
    os.mkdir(os.path.join(ctx.cwd, 'build'))
    os.symlink(TRAWL, os.path.join(ctx.cwd, 'build', 'trawl'))


LOCALHOST_TOP = scan(Space(['localhost']), TOP100, names=['localhost'])

EXAMPLES = {
    # --- README.md and man/trawl.1 both ---
    'trawl localhost': Ex('run', check=LOCALHOST_TOP),
    'trawl --top-ports 1000 192.0.2.0/24': Ex(
        'run', check=scan(Space(['192.0.2.0/24']), TOP1000)),
    'trawl -p- -f ndjson -o host.ndjson 192.0.2.10': Ex(
        'run', check=scan(Space(['192.0.2.10']), ALL_PORTS,
                          src='host.ndjson', fmt='ndjson')),
    'jq -r \'"\\(.port)\\t\\(.service // "")"\' host.ndjson': Ex(
        'shell', 'reads the host.ndjson of the command before it',
        check=check_jq_ports, needs=('jq',)),
    'trawl -p 1-1024 -t 2000 --retries 2 --states open,closed,filtered '
    '192.0.2.10': Ex(
        'run', note='three ports of 192.0.2.10 drop SYNs: filtered',
        check=scan(Space(['192.0.2.10']), range(1, 1025),
                   states=('open', 'closed', 'filtered'))),
    "trawl -p 22,80,443 '[::1]'": Ex(
        'run', check=scan(Space(['::1']), [22, 80, 443])),
    'trawl -p 22,80,443 2001:db8::/120': Ex(
        'run', check=scan(Space(['2001:db8::/120']), [22, 80, 443])),
    'trawl -6 www.example.com': Ex(
        'run', note='www.example.com from the dnsmasq of /etc/resolv.conf',
        check=scan(Space(['2001:db8::10']), TOP100,
                   names=['www.example.com'])),
    'trawl --dry-run -p 22,80,443,3389 -x 10.20.255.0/24 10.20.0.0/16': Ex(
        'run', space=(65280, 4), check=check_nothing_sent),
    "awk -F, 'NR > 1 { print $2 }' inventory.csv | trawl -i - -p 22,3389":
        Ex('shell', 'the whole pipeline; inventory.csv made first',
           before=files(**{'inventory.csv': INVENTORY}), needs=('awk',),
           check=scan(Space(['192.0.2.10', '10.20.0.5',
                             'mail.example.com']), [22, 3389],
                      names=['mail.example.com'])),
    'trawl --subdomains example.com --wordlist words.txt --list-names': Ex(
        'run', add='--ct-url', note='--ct-url added: the crt.sh look-alike;'
        ' words.txt made first', before=start_ct, check=check_list_names),
    'trawl -p- 10.0.0.0/8': Ex(
        'dry-run', 'the text is about its size: --dry-run added',
        space=(16777216, 65535), check=check_million_million),
    'trawl --config office.conf --baseline office.baseline '
    '--fail-on-change': Ex(
        'run', 'office.conf and office.targets made first; run once to '
        'make the baseline, then 192.0.2.9 opens port 443 and the example '
        'runs: exit 3', rc=3,
        before=chain(files(**{'office.conf': OFFICE_CONF,
                              'office.targets': '192.0.2.0/28\n'}),
                     run_first, open_change),
        check=all_of(scan(OFFICE_SPACE, TOP100), check_changed('stdout'))),
    'trawl --banners -p 443 --baseline web.baseline --cert-expiry 30 '
    '--fail-on-change -o changes:web.changes.ndjson 192.0.2.0/24': Ex(
        'run', note='no TLS server among the listeners here: the first '
        'night makes the baseline and tells nothing (test_certwatch.py '
        'has real ones)',
        check=check_changes_only('web.changes.ndjson', set())),

    # --- README.md ---
    QUICK_START: Ex(
        'instead', 'the build is the one under test: only ./build/trawl '
        'localhost runs, ./build/trawl being it', before=link_build,
        instead=lambda ctx, cmd: ctx.run('./build/trawl localhost'),
        check=LOCALHOST_TOP),
    'sh tests/deps.sh && sh tests/run-all.sh': Ex(
        'not-run', 'it installs packages and runs this test too; only '
        'sh -n checks the scripts',
        check=check_run_all),
    'trawl [-46hqV] [-c N] [-f FORMAT] [-i FILE] [-o [FORMAT:]FILE] '
    '[-p PORTS] [-T N] [-t MS] [-x LIST] [--banners [--banner-timeout MS]] '
    '[--baseline FILE '
    '[--fail-on-change]] [--cert-expiry DAYS] [--checkpoint SECONDS] '
    '[--config FILE] '
    '[--ct-url URL] '
    '[--dns-concurrency N] [--dry-run] [--exclude-file FILE] '
    '[--host-concurrency N] [--list-names] [--order ORDER] [--progress | '
    '--no-progress] [--rate N] [--rdns] [--resolver ADDR[:PORT]] '
    '[--resume FILE] '
    '[--retries N] [--seed N] [--shard I/N | --shards N] [--states LIST] '
    '[--stats-every SECONDS] [--stylesheet URL | --no-stylesheet] '
    '[--subdomains DOMAIN [--wordlist FILE]] [--top-ports N] '
    '[TARGET...]': Ex(
        'synopsis', 'every option of trawl --help, no other',
        check=check_synopsis),
    'trawl -i hosts.txt -p 22': Ex(
        'run', 'hosts.txt (the man page\'s example input file) made first',
        before=files(**{'hosts.txt': HOSTS_TXT}),
        check=scan(Space(['10.20.0.0/16', '10.30.1.1-10.30.1.99',
                          '2001:db8:20::/120']), [22])),
    'trawl -x 10.20.0.1,10.20.255.0/24 --exclude-file do-not-scan.txt '
    '10.20.0.0/16': Ex(
        'stop', 'do-not-scan.txt made first; no SYN may reach an exclusion',
        before=files(**{'do-not-scan.txt': DO_NOT_SCAN}),
        space=(65536 - 1 - 256 - 1 - 16384, 100),
        never=('10.20.0.1', '10.20.255.0/24', '10.20.0.5', '10.20.64.0/18'),
        check=scan(Space(['10.20.0.0/16'], ['10.20.0.1', '10.20.255.0/24',
                                            '10.20.0.5', '10.20.64.0/18']),
                   TOP100)),
    'trawl -p- --rate 2000 --host-concurrency 4 -f ndjson -o sweep.ndjson '
    '10.20.0.0/16': Ex(
        'stop', space=(65536, 65535), check=all_of(
            check_rate(2000), scan(Space(['10.20.0.0/16']), ALL_PORTS,
                                   src='sweep.ndjson', fmt='ndjson'))),
    'trawl --seed 42 -p 1-1024 10.20.0.0/24': Ex(
        'run', 'run twice: the same output', check=all_of(
            scan(Space(['10.20.0.0/24']), range(1, 1025)),
            check_seed_repeats)),
    'trawl --order sequential -p 1-1024 10.20.0.0/24': Ex(
        'run', check=all_of(scan(Space(['10.20.0.0/24']), range(1, 1025)),
                            check_sequential)),
    'trawl --shard 2/3 --seed 42 -p- -f ndjson -o shard-2.ndjson '
    '10.20.0.0/16': Ex(
        'stop', space=(65536, 65535), check=scan(
            Space(['10.20.0.0/16']), ALL_PORTS, src='shard-2.ndjson',
            fmt='ndjson')),
    'trawl -p- -f ndjson -o sweep.ndjson --resume trawl.resume '
    '10.20.0.0/16': Ex(
        'stop', 'first the same scan without --resume, stopped with '
        'SIGINT, saves trawl.resume', before=interrupt_first,
        space=(65536, 65535), check=scan(
            Space(['10.20.0.0/16']), ALL_PORTS, src='sweep.ndjson',
            fmt='ndjson')),
    'trawl --stats-every 60 -p- -f ndjson -o sweep.ndjson 10.20.0.0/16': Ex(
        'stop', space=(65536, 65535)),
    'trawl --subdomains example.com --wordlist words.txt -f ndjson -o '
    'example.ndjson': Ex(
        'run', add='--ct-url', note='--ct-url added: the crt.sh look-alike;'
        ' words.txt made first', before=start_ct,
        check=all_of(SUBDOMAIN_SCAN, check_names_summary,
                     check_unresolved_warnings)),
    'install -D -m 0644 /usr/local/share/doc/trawl/examples/trawl.conf '
    '/etc/trawl/office.conf': Ex(
        'shell', 'in overlays of /etc and /usr/local/share that hold what '
        'meson installs', before=installed_example,
        needs=('install', 'meson'),
        check=lambda ctx, cmd, res: ck.check(
            ctx.exists('/etc/trawl/office.conf'), '%s: nothing copied'
            % cmd.text)),
    'echo 192.0.2.0/28 > /etc/trawl/office.targets': Ex(
        'shell', check=lambda ctx, cmd, res: ck.check(
            ctx.read('/etc/trawl/office.targets') == '192.0.2.0/28\n',
            '%s: %r' % (cmd.text, ctx.read('/etc/trawl/office.targets')))),
    '$EDITOR /etc/trawl/office.conf': Ex(
        'shell', 'EDITOR is a script that puts office for NAME and the '
        'input-file line in use', needs=('sed',),
        check=lambda ctx, cmd, res: ck.check(
            re.search(r'^input-file = /etc/trawl/office\.targets$',
                      ctx.read('/etc/trawl/office.conf'), re.M),
            '%s: not edited' % cmd.text)),
    'systemctl enable --now trawl@office.timer': Ex(
        'instead', 'no systemd here: runs what the timer starts, the '
        'ExecStartPre= and ExecStart= of trawl@office.service in '
        '/var/lib/trawl', instead=run_unit, check=check_unit_run),
    'systemctl start trawl@office.service': Ex(
        'instead', 'no systemd here: the first run as the example before '
        'leaves it, then 192.0.2.9 opens port 443, then the commands of '
        'trawl@office.service again', instead=run_unit_again,
        check=check_unit_again),
    "jq -r '[.change, .ip, .port // empty] | @tsv' "
    "/var/lib/trawl/office.changes.ndjson": Ex(
        'shell', 'after the two runs of trawl@office.service above (made '
        'first where the example shows only this)', before=unit_two_nights,
        check=check_jq_changes, needs=('jq',)),
    'ndiff /var/lib/trawl/office.prev.xml /var/lib/trawl/office.xml': Ex(
        'shell', 'exit 1: the two runs differ', rc=1,
        before=unit_two_nights, check=check_ndiff, needs=('ndiff',)),

    # --- man/trawl.1 ---
    'trawl -p 22,80,443,3389 -x 10.20.255.0/24 --rate 2000 -f ndjson -o '
    'sweep.ndjson 10.20.0.0/16': Ex(
        'stop', space=(65280, 4), never=('10.20.255.0/24',),
        check=all_of(check_rate(2000), check_duration, scan(
            Space(['10.20.0.0/16'], ['10.20.255.0/24']), SHARD_PORTS,
            src='sweep.ndjson', fmt='ndjson'))),
    'trawl --shard 1/3 --seed 20261125 -p 22,80,443,3389 -f ndjson -o '
    'shard-1.ndjson 10.20.0.0/16': Ex(
        'run', 'the three machines are this one, in turn',
        check=check_shard),
    'trawl --shard 2/3 --seed 20261125 -p 22,80,443,3389 -f ndjson -o '
    'shard-2.ndjson 10.20.0.0/16': Ex('run', check=check_shard),
    'trawl --shard 3/3 --seed 20261125 -p 22,80,443,3389 -f ndjson -o '
    'shard-3.ndjson 10.20.0.0/16': Ex('run', check=check_shard),
    'cat shard-*.ndjson > all.ndjson': Ex('shell', check=check_all_shards),
    "jq -s 'group_by(.ip) | map({ip: .[0].ip, ports: map(.port)})' "
    "all.ndjson": Ex('shell', check=check_jq_groups, needs=('jq',)),
    'trawl -p- -f ndjson -o lo.ndjson localhost': Ex(
        'stop', 'Ctrl-C is SIGINT; 512 ports of localhost drop SYNs, so '
        'that the scan lasts a few seconds', space=(2, 65535),
        check=scan(Space(['localhost']), ALL_PORTS, src='lo.ndjson',
                   fmt='ndjson', names=['localhost'])),
    'echo $?': Ex('status'),
    'trawl --dry-run -p- -f ndjson -o lo.ndjson --resume trawl.resume '
    'localhost': Ex('run', space=(2, 65535)),
    'trawl -p- -f ndjson -o lo.ndjson --resume trawl.resume localhost': Ex(
        'run', check=all_of(
            scan(Space(['localhost']), ALL_PORTS, src='lo.ndjson',
                 fmt='ndjson', names=['localhost']),
            check_resume_done('trawl.resume'))),
    'trawl --stats-every 60 --resume /var/lib/trawl/sweep.resume -i '
    '/etc/trawl/targets -f ndjson -o /var/lib/trawl/sweep.ndjson': Ex(
        'stop', 'SIGTERM, as systemd stops a service; /etc/trawl/targets '
        'and /var/lib/trawl made first', sig=signal.SIGTERM,
        before=chain(files(**{'__etc__trawl__targets': '10.20.0.0/16\n'}),
                     lambda ctx, cmd: ctx.mkdir('/var/lib/trawl', 0o777)),
        space=(65536, 100)),
    'trawl --subdomains example.com --wordlist words.txt -o '
    'ndjson:example.ndjson -o xml:example.xml': Ex(
        'run', add='--ct-url', note='--ct-url added: the crt.sh look-alike;'
        ' words.txt made first', before=start_ct,
        check=all_of(SUBDOMAIN_SCAN, check_names_summary,
                     check_xml('example.xml', lambda: Space(SUBDOMAIN_NAMES),
                               TOP100))),
    'trawl --config office.conf --baseline office.baseline '
    '--fail-on-change -o ndjson:office.ndjson -o '
    'changes:office.changes.ndjson': Ex(
        'run', 'office.conf and office.targets made first; run once to '
        'make the baseline, then 192.0.2.9 opens port 443 and the example '
        'runs: exit 3', rc=3,
        before=chain(files(**{'office.conf': OFFICE_CONF,
                              'office.targets': '192.0.2.0/28\n'}),
                     run_first, open_change),
        check=all_of(scan(OFFICE_SPACE, TOP100, src='office.ndjson',
                          fmt='ndjson'),
                     check_results_only('office.ndjson'),
                     check_changes_only('office.changes.ndjson', {
                         ('host-up', CHANGE[0], None),
                         ('port-opened',) + CHANGE}))),
    "jq -r '[.change, .ip, .port // empty] | @tsv' office.changes.ndjson":
    Ex(
        'shell', 'reads the office.changes.ndjson of the command before it',
        check=check_jq_changes, needs=('jq',)),
    'trawl -o xml:monday.xml 192.0.2.0/24': Ex(
        'run', check=check_xml('monday.xml', Space(['192.0.2.0/24']),
                               TOP100)),
    'trawl -o xml:tuesday.xml 192.0.2.0/24': Ex(
        'run', '192.0.2.9 opens port 443 first', before=open_change,
        check=check_xml('tuesday.xml', Space(['192.0.2.0/24']), TOP100)),
    'trawl --rdns -p 22,80,443 -o xml:names.xml 192.0.2.0/24': Ex(
        'run', note='the dnsmasq of /etc/resolv.conf has PTR records for '
        'the addresses of example.com',
        check=all_of(check_xml('names.xml', Space(['192.0.2.0/24']),
                               [22, 80, 443]), check_ptr('names.xml'))),
    'trawl --banners -p 22,25,80,443,6379 -f ndjson -o services.ndjson '
    '192.0.2.0/24': Ex(
        'run', check=check_services('services.ndjson', by_name=False)),
    'trawl --banners --subdomains example.com -p 22,80,443 -f ndjson -o '
    'services.ndjson': Ex(
        'run', add='--ct-url', note='--ct-url added: the crt.sh look-alike',
        before=start_ct, check=check_services('services.ndjson')),
    'ndiff monday.xml tuesday.xml': Ex(
        'shell', 'exit 1: the scans differ', rc=1, check=check_ndiff,
        needs=('ndiff',)),
    'journalctl -u trawl@office.service': Ex(
        'instead', 'no journal here: runs the ExecStart= of '
        'trawl@office.service again with JOURNAL_STREAM naming its stderr,'
        ' and checks each line\'s priority', instead=run_unit_journal,
        check=check_journal),
}
for k in list(EXAMPLES):
    if EXAMPLES[k].how == 'run' and not k.startswith('trawl'):
        netns.hard_error('a "run" entry that is not trawl: %r' % k)


# --- running one command of an example ---------------------------------------

def full_text(ctx, cmd, ex):
    text = cmd.text
    if ex.add == '--ct-url':
        text += ' --ct-url ' + shlex.quote(ct_url())
    return text


def never_table(addrs):
    v4 = [a for a in addrs if ':' not in a]
    v6 = [a for a in addrs if ':' in a]

    def elems(lst):
        return 'elements = { %s }' % ', '.join(lst) if lst else ''
    why = netns.nft_table('exnever', '''
  set n4 { type ipv4_addr; flags interval; %s }
  set n6 { type ipv6_addr; flags interval; %s }
  chain out {
    type filter hook output priority -20; policy accept;
    ip daddr @n4 tcp flags & (syn|ack) == syn counter
    ip6 daddr @n6 tcp flags & (syn|ack) == syn counter
  }''' % (elems(v4), elems(v6)))
    if why is not None:
        netns.hard_error('nft: ' + why)


def never_count():
    out = netns.sh(['nft', 'list', 'table', 'inet', 'exnever'])
    return sum(int(n) for n in re.findall(r'counter packets (\d+)', out))


def dry(ctx, text, what):
    """(probes, hosts, ports, shard, resumed) of text with --dry-run."""
    r = ctx.run(text + ' --dry-run')
    m = DRY_RE.match(r.out.strip()) if r.out.count('\n') == 1 else None
    if not ck.check(r.rc == 0 and m, '%s: --dry-run: exit %r, stdout %r'
                    % (what, r.rc, r.out)):
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            bool(m.group(4)), bool(m.group(5)))


def run_stop(ctx, cmd, ex):
    """For real, stopped once ready: exit 128+sig, the rest saved."""
    text = full_text(ctx, cmd, ex)
    what = '%s (%s)' % (text, cmd.where)
    path = resume_arg(text)
    before = dry(ctx, text, what)
    if before is None:
        return None
    ctx.last_dry = before
    if ex.space is not None:
        ck.check(before[1:3] == ex.space, '%s: a dry run counts %d hosts x '
                 '%d ports, want %d x %d' % ((what,) + before[1:3] +
                                             ex.space))
    if ex.never:
        never_table(ex.never)
    res = ctx.run(text, sig=ex.sig)
    name = path or 'trawl.resume'
    lines = res.err_lines
    m = summary_of(res)
    want_rc = 128 + ex.sig
    ck.check(res.rc == want_rc, '%s: exit %r, want %d' % (what, res.rc,
                                                          want_rc))
    ck.check(len(lines) >= 2 and m and m.group(12) and
             SUM_RE.match(lines[-2]) and lines[-1] ==
             'trawl: stopped; to continue: trawl --resume %s with the same '
             'arguments' % name,
             '%s: stderr should end with the summary (", interrupted") and '
             '"trawl: stopped; to continue: trawl --resume %s with the same '
             'arguments": %r' % (what, name, lines[-4:]))
    ck.check(ctx.exists(name), '%s: no resume file %s' % (what, name))
    if ex.never:
        n = never_count()
        ck.check(n == 0, '%s: %d SYNs to excluded addresses %r'
                 % (what, n, ex.never))
    if m:
        done = int(m.group(1))
        after = dry(ctx, text + ('' if path else ' --resume trawl.resume'),
                    what + ', its rest')
        if after is not None:
            ck.check(after[4] and after[0] == before[0] - done,
                     '%s: the rest is %d probes%s; want %d - %d = %d, '
                     'resumed' % (what, after[0], '' if after[4] else
                                  ' (not resumed)', before[0], done,
                                  before[0] - done))
        ctx.rest[name] = before[0] - done
    return res


def run_cmd(ctx, cmd):
    """Run one command as its entry says; its Res (None: not run)."""
    ex = EXAMPLES[cmd.text]
    netns.log('--- %s [%s%s]' % (cmd.where, ex.how,
                                  ': ' + ex.note if ex.note else ''))
    missing = [n for n in ex.needs if shutil.which(n, path=ENV['PATH'])
               is None]
    if missing:
        ck.cannot_run('%s: %s not found; this example and the rest of its '
                      'block not run' % (cmd.where, ', '.join(missing)))
        ctx.broken = True
        return None
    if ex.before is not None:
        ex.before(ctx, cmd)
    res = None
    if ex.how == 'stop':
        res = run_stop(ctx, cmd, ex)
    elif ex.how in ('run', 'shell'):
        text = full_text(ctx, cmd, ex)
        res = ctx.run(text, env={'EDITOR': os.path.join(ctx.cwd,
                                                        'editor')})
        ck.check(res.rc == ex.rc, '%s (%s): exit %r, want %d'
                 % (text, cmd.where, res.rc, ex.rc))
        if ex.space is not None and '--dry-run' in text:
            m = DRY_RE.match(res.out.strip())
            got = m and (int(m.group(2)), int(m.group(3)))
            ck.check(got == ex.space, '%s: %r, want %d hosts x %d ports'
                     % (text, res.out, *ex.space))
            rest = ctx.rest.get(resume_arg(text))
            if m and rest is not None:
                ck.check(m.group(5) and int(m.group(1)) == rest,
                         '%s: %r; the resume file has %d probes left'
                         % (text, res.out, rest))
    elif ex.how == 'dry-run':
        res = ctx.run(cmd.text + ' --dry-run')
        m = DRY_RE.match(res.out.strip())
        got = m and (int(m.group(2)), int(m.group(3)))
        ck.check(res.rc == 0 and got == ex.space and
                 int(m.group(1)) == ex.space[0] * ex.space[1],
                 '%s --dry-run: exit %r, %r; want %d hosts x %d ports'
                 % (cmd.text, res.rc, res.out, *ex.space))
    elif ex.how == 'instead':
        res = ex.instead(ctx, cmd)
    elif ex.how == 'status':
        want = cmd.output[0] if cmd.output else None
        ck.check(ctx.last is not None and want is not None and
                 str(ctx.last.rc) == want.strip(),
                 '%s: the command before exited %r; the document says %r'
                 % (cmd.where, ctx.last and ctx.last.rc, want))
        return None
    elif ex.how in ('synopsis', 'not-run'):
        pass
    else:
        netns.hard_error('unknown how %r' % ex.how)
    if ex.check is not None and (res is not None or
                                 ex.how in ('synopsis', 'not-run')):
        ex.check(ctx, cmd, res)
    if res is not None:
        check_doc_output(ctx, cmd, ex, res)
    return res


def check_doc_output(ctx, cmd, ex, res):
    """What the document shows after the command, against what came."""
    what = '%s (%s)' % (cmd.text, cmd.where)
    for line in cmd.output:
        shown = line[2:] if line.startswith('^C') else line
        if line.startswith('^C'):
            ck.check(ex.how == 'stop', '%s: the document shows a Ctrl-C, '
                     'the table does not stop it' % what)
        dm, sm = DRY_RE.match(shown), SUM_RE.match(shown)
        if dm:
            got = DRY_RE.match(res.out.strip())
            if not ck.check(got, '%s: the document shows %r, trawl printed '
                            '%r' % (what, shown, res.out)):
                continue
            if dm.group(5):         # resumed: the count depends on Ctrl-C
                ck.check(got.group(2, 3, 4, 5) == dm.group(2, 3, 4, 5),
                         '%s: the document shows %r, trawl printed %r'
                         % (what, shown, res.out.strip()))
                total = int(dm.group(2)) * int(dm.group(3))
                ck.check(int(dm.group(1)) + ctx.doc_done == total,
                         '%s: the document\'s %s probes left and %d done '
                         'before do not make %d' % (what, dm.group(1),
                                                    ctx.doc_done, total))
                ctx.doc_rest = int(dm.group(1))
            else:
                ck.check(got.group(0) == shown, '%s: the document shows '
                         '%r, trawl printed %r' % (what, shown,
                                                   res.out.strip()))
        elif sm:
            got = summary_of(res)
            shape = lambda m: (bool(m.group(8)), bool(m.group(9)),  # noqa
                               bool(m.group(12)))
            ck.check(got and shape(got) == shape(sm),
                     '%s: the document shows %r, trawl printed %r (names, '
                     'discovered, interrupted: %r, want %r)'
                     % (what, shown, res.err_lines[-2:],
                        got and shape(got), shape(sm)))
            n = [int(x) for x in sm.group(1, 2, 3, 4, 5)]
            rate = n[0] / float(sm.group(6))
            ck.check(n[0] == sum(n[1:]) and
                     abs(rate - int(sm.group(7))) <= max(1, rate / 500),
                     '%s: the document\'s summary does not add up: %r'
                     % (what, shown))
            if sm.group(9):
                ck.check(int(sm.group(9)) == int(sm.group(10)) +
                         int(sm.group(11)), '%s: the document\'s names do '
                         'not add up: %r' % (what, shown))
            if sm.group(12):
                ctx.doc_done += n[0]
            elif ctx.doc_rest is not None:
                ck.check(n[0] == ctx.doc_rest, '%s: the document\'s resumed'
                         ' run makes %d probes, its dry run said %d'
                         % (what, n[0], ctx.doc_rest))
        elif shown.startswith('trawl: stopped; to continue: '):
            ck.check(shown in res.err_lines, '%s: the document shows %r, '
                     'trawl printed %r' % (what, shown, res.err_lines[-2:]))
        else:
            ck.check(False, '%s: the document shows %r after it; the test '
                     'does not know that kind of output' % (what, shown))


# --- all of it ---------------------------------------------------------------

chunks = readme_chunks(README) + man_chunks(MANPAGE)
found = collections.Counter()
per_doc = collections.Counter()
for c in chunks:
    for p in c.problems:
        ck.check(False, '%s:%d: %s' % (c.doc, c.line, p))
    for cmd in c.cmds:
        found[cmd.text] += 1
        per_doc[cmd.doc] += 1
unknown = sorted({(cmd.where, cmd.text) for c in chunks for cmd in c.cmds
                  if cmd.text not in EXAMPLES})
stale = sorted(set(EXAMPLES) - set(found))
ck.check(not unknown, 'examples the test does not know how to run (add '
         'them to EXAMPLES): %s' % ''.join('\n  %s: %s' % u for u in unknown))
ck.check(not stale, 'EXAMPLES entries that match no example any more: %s'
         % ''.join('\n  ' + s for s in stale))
netns.log('%d example commands: %s; %d distinct'
          % (sum(per_doc.values()), ', '.join(
              '%d in %s' % (n, d) for d, n in sorted(per_doc.items())),
             len(found)))
for c in chunks:
    for cmd in c.cmds:
        ex = EXAMPLES.get(cmd.text)
        netns.log('  %-18s %-9s %s' % (cmd.where, ex.how if ex else '???',
                                       cmd.text))

probe = Ctx(Chunk('(preflight)', 0, []), 99)
r = probe.run('test -f /etc/hosts && grep -q ip6-localhost /etc/hosts')
if r.rc != 0:
    netns.skip('cannot give the examples /etc, /var/lib and /usr/local/share '
               'overlays in a mount namespace: %s' % r.err.strip()[-300:])

for n, c in enumerate(chunks):
    if any(cmd.text not in EXAMPLES for cmd in c.cmds):
        continue
    ctx = Ctx(c, n)
    netns.log('=== %s:%d: %d command(s) in %s'
              % (c.doc, c.line, len(c.cmds), ctx.cwd))
    try:
        for cmd in c.cmds:
            res = run_cmd(ctx, cmd)
            if ctx.broken:
                break
            if res is not None:
                ctx.last = res
    finally:
        for f in reversed(ctx.cleanups):
            f()

listeners.close()
dns.stop()
shutil.rmtree(DNS_TMP, ignore_errors=True)
shutil.rmtree(TMP, ignore_errors=True)
netns.log('whole test: %.1f s' % (time.monotonic() - T0))
ck.finish()
