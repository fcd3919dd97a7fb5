#!/usr/bin/env python3
"""Issue 7, point 6: hostile text never reaches a terminal or a log raw.

How can bytes such as ESC, newline, quotes, <, & or invalid UTF-8 reach
trawl's output?  Each way in is tried:

(a) Typed: a target argument, a line of an -i file, -x, an --exclude-file
    line, a --config value, --subdomains, --resolver, -p, and file names
    that cannot be opened.  trawl takes only host-name characters, so each
    is refused: exit 2 (exit 1 for a file that cannot be opened), exactly
    one line on stderr that names the word with the bad bytes escaped as
    \\xNN, nothing on stdout, and no probe sent (an nft counter), not even
    to the good target given beside it.  A NUL inside an -i line must not
    cut the line short into a good target.
(b) /etc/services (private, in a mount namespace): service names with ESC
    and a CSI, quotes, <, &, a backslash, DEL, a C1 control and invalid
    UTF-8.  test_formats.py checks XML, CSV and grepable output; here the
    text and NDJSON outputs: text has no raw control character (C0, DEL,
    C1) and no invalid UTF-8, and its \\xNN escapes give the exact bytes
    back; NDJSON is valid UTF-8 JSON whose service strings are the names
    (invalid bytes aside).
(c) /etc/hosts can only give names that were typed, and typed names are
    (a); nothing to add.
(d) From the network: a certificate log (the crt.sh look-alike of
    dnsfix.py) whose entries hold names with ESC, C1, OSC sequences,
    quotes and markup: only the clean names are taken (--list-names), and
    a scan of them writes no raw control byte in any format.  A --wordlist
    with such words is refused, each bad word named escaped on stderr,
    nothing probed.
In every run, stderr is valid UTF-8 with no raw control character but the
newlines that end its lines.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-hostile')
tmp = tempfile.mkdtemp(prefix='trawl-e2e-hostile.')
import dnsfix  # noqa: E402  (after the namespace: it imports netns)

FORMATS = ('text', 'ndjson', 'csv', 'grep', 'xml')
# C0 but tab and newline, DEL, and C1 (U+0080..U+009F) once decoded.
RAW_CTRL = re.compile('[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]')


def raw_problems(data, allow_tab=False, crlf=False):
    """What is wrong with data (bytes) as text for a terminal: invalid
    UTF-8, raw control characters (but the newlines, and CR LF line ends
    with crlf).  [] when nothing."""
    out = []
    if crlf:
        data = data.replace(b'\r\n', b'\n')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        out.append('invalid UTF-8 at byte %d: %r' % (e.start,
                                                     data[max(0, e.start -
                                                              20):e.start +
                                                          10]))
        text = data.decode('utf-8', 'replace')
    for m in RAW_CTRL.finditer(text):
        out.append('raw control U+%04X in %r'
                   % (ord(m.group()), text[max(0, m.start() - 30):
                                           m.end() + 10]))
        if len(out) > 5:
            break
    if not allow_tab and '\t' in text:
        out.append('raw tab')
    return out


def esc(b):
    """How the bad bytes of a word must look in a log line: each byte that
    is a control character (C0, DEL; the bytes of a C1 character) or part
    of invalid UTF-8 as \\xNN."""
    return netns.esc_bytes(b, backslash=False)


def check_stderr(err, what):
    ck.check(not raw_problems(err.rstrip(b'\n').replace(b'\n', b' ')),
             '%s: stderr has raw control bytes or invalid UTF-8: %s'
             % (what, raw_problems(err.rstrip(b'\n').replace(b'\n', b' '))))


def run(args, wrap=None, env=None, timeout=60):
    argv = [os.fsencode(trawl)] + [a if isinstance(a, bytes) else
                                   os.fsencode(a) for a in args]
    netns.log('+ %r' % [a for a in args])
    r = subprocess.run((wrap or []) + argv, capture_output=True,
                       timeout=timeout, env=env, cwd=tmp)
    netns.log('  exit %d, stdout %d bytes, stderr %r'
              % (r.returncode, len(r.stdout), r.stderr[:300]))
    return r


# --- nft: count the SYNs of the scans (to port 22) ---------------------------------------------------

def syns():
    return netns.syn_count('trawlhostile')


HAVE_NFT = shutil.which('nft') is not None and \
    netns.syn_counter('trawlhostile', 'tcp dport 22') is None
if not HAVE_NFT:
    ck.cannot_run('nft cannot count SYNs here: "nothing probed" not checked')

# --- (a) typed words ------------------------------------------------------------

WORDS = [
    b'ev\x1b[31mil.example',           # ESC and a CSI: colours the terminal
    b'\x1b]0;pwned\x07.example',       # OSC: sets the window title
    b'a\nb.example',                   # a newline: a second, forged line
    b'cr\rlf.example',
    b'tab\tbed.example',
    b'del\x7f.example',
    b'\xff\xfe.example',               # invalid UTF-8
    b'c1\xc2\x9b31m.example',          # U+009B, CSI as one C1 character
    b'a"b<c>&d\'e.example',            # quotes and markup: no escape needed
]
LONG_DIR = os.path.join(tmp, 'd' * 150)     # a long "FILE:LINE: " prefix
os.mkdir(LONG_DIR)


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


cases = []
for i, w in enumerate(WORDS):
    one_line = b'\n' not in w
    cases += [
        ('target argument', ['-p', '22', '127.0.0.1', w], 2, w),
        ('-x', ['-p', '22', '-x', w, '127.0.0.1'], 2, w),
        ('--subdomains', ['--subdomains', w, '-p', '22'], 2, w),
        ('--resolver', ['--resolver', w, '-p', '22', '127.0.0.1'], 2, w),
        ('-p', ['-p', b'22,' + w, '127.0.0.1'], 2, w),
        ('-o into a missing directory', ['-o', b'/nonexistent/' + w + b'/o',
                                         '-p', '22', '127.0.0.1'], 1, w),
        ('-i of a missing file', ['-i', b'/nonexistent/' + w, '-p', '22'],
         1, w),
    ]
    if one_line:
        cases += [
            ('-i line 2', ['-p', '22', '-i', write(os.path.join(
                tmp, 'in%d' % i), b'127.0.0.1\n' + w + b'\n')], 2, w),
            ('--exclude-file line 1', ['-p', '22', '--exclude-file',
                                       write(os.path.join(tmp, 'ex%d' % i),
                                             w + b'\n'), '127.0.0.1'], 2, w),
        ]
    if one_line and b'"' not in w:
        # A quoted --config value, in a file with a long path.
        conf = write(os.path.join(LONG_DIR, 'c%d.conf' % i),
                     b'ports = 22\nexclude = "' + w + b'"\n')
        cases.append(('--config value', ['--config', conf, '127.0.0.1'], 2,
                      w))
# Many escapable bytes in one word, behind a long FILE:LINE prefix: the
# escaped line is four times as long as the word.  (Under AddressSanitizer
# this overflowed log.c's line buffer.)
conf = write(os.path.join(LONG_DIR, 'tabs.conf'),
             b'format = "' + b'\t' * 1100 + b'"\n')
cases.append(('--config value of 1100 tabs, long file name',
              ['--config', conf, '127.0.0.1'], 2, None))

for what, args, want_rc, word in cases:
    before = syns() if HAVE_NFT else 0
    r = run(args, timeout=30)
    desc = '%s %r' % (what, word)
    lines = r.stderr.split(b'\n')
    ck.check(r.returncode == want_rc, '%s: exit %d, want %d'
             % (desc, r.returncode, want_rc))
    ck.check(r.stdout == b'', '%s: stdout %r' % (desc, r.stdout[:100]))
    if ck.check(len(lines) == 2 and lines[1] == b'' and
                lines[0].startswith(b'trawl: '),
                '%s: want exactly one line "trawl: ..." on stderr, got %r'
                % (desc, r.stderr[:300])):
        check_stderr(r.stderr, desc)
        if word is not None and esc(word) != word.decode('utf-8', 'replace'):
            # The line shows the word with its bad bytes escaped (a config
            # file refuses a control character in a value as such).
            shown = esc(word)
            line = lines[0].decode('utf-8', 'replace')
            first = re.search(r'\\x[0-9a-f]{2}', shown).group()
            ck.check(shown in line or (what == '--config value' and
                                       "bad character '%s'" % first in line),
                     '%s: the line does not show the word escaped as %r: %r'
                     % (desc, shown, lines[0][:200]))
    if HAVE_NFT:
        ck.check(syns() == before, '%s: refused, but %d SYNs were sent'
                 % (desc, syns() - before))

# A NUL inside an -i line: the line is not the good target before it.
path = write(os.path.join(tmp, 'nul'), b'127.0.0.2\x00junk\n')
before = syns() if HAVE_NFT else 0
r = run(['-p', '22', '-i', path], timeout=30)
ck.check(r.returncode == 2 and r.stderr.startswith(b'trawl: ') and
         r.stderr.count(b'\n') == 1 and b'\\x00' in r.stderr,
         '-i line "127.0.0.2\\x00junk": want exit 2 and one line naming it '
         "(\"%s:1: bad target '127.0.0.2\\x00junk'\"), got exit %d, "
         'stderr %r [trawl bug: the line is cut at the NUL and '
         '127.0.0.2 is scanned]' % (path, r.returncode, r.stderr[:200]))
check_stderr(r.stderr, '-i line with a NUL')
if HAVE_NFT:
    ck.check(syns() == before, '-i line "127.0.0.2\\x00junk": %d SYNs sent'
             % (syns() - before))

# --- (b) hostile service names (on ports nmap leaves unnamed: its names come first) ---

lst = netns.Listeners()
SVC = {
    5121: b'ev\x1b[31mil"<&>\'',
    5122: b'x\xff\xfe\xc3(,/)\\',
    5123: b'caf\xc3\xa9\xc2\x9b\xef\xbf\xbe',
    5124: b'del\x7fx',
    5125: b'osc\x1b]0;t\x07',
}
for port in (5121, 5122, 5124):
    lst.add('127.0.0.1', port)
lst.start()
svc_file = write(os.path.join(tmp, 'services'),
                 b''.join(n + b' %d/tcp\n' % p for p, n in SVC.items()))


def private(src, dst):
    wrap = ['unshare', '-m', '--', 'sh', '-c',
            'mount --bind "$0" %s && exec "$@"' % dst, src]
    r = subprocess.run(wrap + ['true'], capture_output=True, text=True)
    return (wrap, None) if r.returncode == 0 else (None, r.stderr.strip())


SVC_WRAP, why = private(svc_file, '/etc/services')
if SVC_WRAP is None:
    ck.cannot_run('no private /etc/services (%s): (b) not run' % why)
else:
    spec = '5121-5125'
    r = run(['-f', 'text', '--states', 'all', '-t', '300', '-p', spec,
             '127.0.0.1'], wrap=SVC_WRAP)
    ck.check(r.returncode == 0, 'hostile services, text: exit %d'
             % r.returncode)
    check_stderr(r.stderr, 'hostile services, text')
    probs = raw_problems(r.stdout)
    ck.check(not probs, 'hostile services, text output: %s' % probs)
    got = {}
    for line in r.stdout.decode('utf-8', 'replace').splitlines():
        m = re.match(r'^  (\d+)/tcp +(\S+) +(\S+)$', line)
        if m:
            got[int(m.group(1))] = m.group(3)
    for port, name in SVC.items():
        shown = got.get(port)
        if not ck.check(shown is not None, 'hostile services, text: no '
                        'service shown for %d: %r' % (port, r.stdout)):
            continue
        back = re.sub(rb'\\x([0-9a-f]{2})', lambda m: bytes([int(m.group(1),
                                                                 16)]),
                      shown.encode())
        ck.check(back == name, 'hostile services, text: %d shows %r, whose '
                 '\\xNN escapes give %r, not the name %r'
                 % (port, shown, back, name))
    ck.check(b'\\x1b' in r.stdout, 'hostile services, text: no \\x1b shown')

    r = run(['-f', 'ndjson', '--states', 'all', '-t', '300', '-p', spec,
             '127.0.0.1'], wrap=SVC_WRAP)
    ck.check(r.returncode == 0, 'hostile services, ndjson: exit %d'
             % r.returncode)
    check_stderr(r.stderr, 'hostile services, ndjson')
    try:
        text = r.stdout.decode('utf-8')
    except UnicodeDecodeError as e:
        text = None
        ck.check(False, 'hostile services: NDJSON is not valid UTF-8: %s'
                 % e)
    if text is not None:
        ck.check(not re.search('[\x00-\x09\x0b-\x1f]', text),
                 'hostile services: raw C0 control in the NDJSON')
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError as e:
                ck.check(False, 'hostile services: NDJSON line is not JSON '
                         '(%s): %r' % (e, line))
                continue
            name = SVC[rec['port']]
            try:
                want = name.decode('utf-8')
            except UnicodeDecodeError:
                continue        # invalid UTF-8: any valid rendering
            ck.check(rec.get('service') == want, 'hostile services: NDJSON '
                     'service of %d is %r, want %r'
                     % (rec['port'], rec.get('service'), want))
    netns.log('  hostile service names: text escaped, NDJSON valid')

# --- (d) names from the network ------------------------------------------------------

CLEAN = {'ok1.trawl.test': '127.0.6.1', 'ok2.trawl.test': '127.0.6.2',
         'ok3.trawl.test': '127.0.6.3'}
HOSTILE_CT = ['ev\x1bil.trawl.test', 'x\x9b.trawl.test',
              'osc\x1b]0;pwned\x07.trawl.test', 'a<b>&c.trawl.test',
              'q"uote.trawl.test', 'del\x7f.trawl.test', 'tab\tx.trawl.test',
              '\u00e9t\u00e9.trawl.test', 'back\\slash.trawl.test',
              'nul\x00x.trawl.test']


class Log:
    entries = ([{'id': i, 'name_value': n, 'common_name': n}
                for i, n in enumerate(HOSTILE_CT)] +
               [{'id': 100, 'name_value': 'ok1.trawl.test\nev2\x1b[1m.'
                 'trawl.test\nOK2.trawl.test\r'},
                {'id': 101, 'name_value': '*.ok3.trawl.test\n'
                 'x\u0085y.trawl.test'}])


srv = dnsfix.CtServer({dnsfix.DOMAIN: Log()})
for ip in set(CLEAN.values()):
    lst.add(ip, 22)
hosts = write(os.path.join(tmp, 'hosts'), (
    '127.0.0.1 localhost\n' + ''.join('%s %s\n' % (a, n)
                                      for n, a in CLEAN.items())).encode())
BAD_WORDS = [b'ev\x1bil', b'x\xc2\x9b', b'\xffbad', b'osc\x1b]0;t\x07',
             b'a<b>']
bad_words = write(os.path.join(tmp, 'badwords'),
                  b'w1\n' + b''.join(w + b'\n' for w in BAD_WORDS))
HOSTS_WRAP, why = private(hosts, '/etc/hosts')
if HOSTS_WRAP is None:
    ck.cannot_run('no private /etc/hosts (%s): (d) not run' % why)
else:
    env = dnsfix.no_proxy_env()
    base = ['--subdomains', dnsfix.DOMAIN, '--ct-url', srv.base,
            '--resolver', '127.0.0.99']
    r = run(base + ['--list-names'], wrap=HOSTS_WRAP, env=env)
    check_stderr(r.stderr, 'certificate log, --list-names')
    check_stderr(r.stdout, 'certificate log, --list-names stdout')
    got = set(r.stdout.decode('utf-8', 'replace').splitlines())
    want = {'%s %s' % (n, a) for n, a in CLEAN.items()}
    ck.check(r.returncode == 0 and got == want,
             'certificate log with hostile names: --list-names'
             ' exit %d, %r; want exactly the clean names %r'
             % (r.returncode, sorted(got), sorted(want)))
    for fmt in FORMATS:
        r = run(base + ['-f', fmt, '--states', 'all', '-t', '300', '-p',
                        '22'], wrap=HOSTS_WRAP, env=env)
        what = 'certificate log with hostile names, -f %s' % fmt
        ck.check(r.returncode == 0, '%s: exit %d' % (what, r.returncode))
        check_stderr(r.stderr, what)
        probs = raw_problems(r.stdout, allow_tab=(fmt == 'grep'),
                             crlf=(fmt == 'csv'))
        ck.check(not probs, '%s: %s' % (what, probs))
        for n in HOSTILE_CT:
            core = n.split('.')[0].encode()
            ck.check(core not in r.stdout, '%s: the hostile name %r is in '
                     'the output' % (what, n))
        for n in CLEAN:
            ck.check(n.encode() in r.stdout, '%s: %s is not in the output'
                     % (what, n))
    # A wordlist with such words: refused, each bad word named escaped.
    # (Read after the certificate log; no DNS server needed to refuse.)
    before = syns() if HAVE_NFT else 0
    r = run(['--subdomains', dnsfix.DOMAIN, '--ct-url', srv.base,
             '--wordlist', bad_words, '--resolver', '127.0.0.99', '-p',
             '22'], wrap=HOSTS_WRAP, env=env)
    what = '--wordlist with hostile words'
    ck.check(r.returncode in (1, 2) and r.stdout == b'',
             '%s: exit %d (want 1 or 2), stdout %r' % (what, r.returncode,
                                                      r.stdout[:100]))
    check_stderr(r.stderr, what)
    text = r.stderr.decode('utf-8', 'replace')
    ck.check(all(l.startswith('trawl: ') for l in text.splitlines()),
             '%s: stderr lines not all "trawl: ...": %r' % (what, text))
    for w in BAD_WORDS:
        if esc(w) != w.decode('utf-8', 'replace'):
            ck.check(esc(w) in text, '%s: %r not named escaped (%r): %r'
                     % (what, w, esc(w), text[:500]))
    if HAVE_NFT:
        ck.check(syns() == before, '%s: %d SYNs sent' % (what,
                                                        syns() - before))
srv.stop()
lst.close()
shutil.rmtree(tmp, ignore_errors=True)
ck.finish()
