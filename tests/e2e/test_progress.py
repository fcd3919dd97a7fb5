#!/usr/bin/env python3
"""The live progress line on a terminal that the results share.

stdout and stderr are one pseudo-terminal, as in an interactive shell.  The
line is drawn at most four times a second (the man page's promise), taken
off before results are written and drawn again at its next turn, however
often results arrive; and every result still reaches the terminal.
"""
import os
import pty
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-progress')

IPS = ['127.0.3.%d' % i for i in range(8)]
lst = netns.Listeners()
listening = set()
for i, ip in enumerate(IPS):
    for port in (4000 + 13 * i, 4450 - 11 * i):
        lst.add(ip, port)
        listening.add((ip, port))
lst.start()
# Dropped ports keep the scan going for a few timeouts while the other
# hosts' results stream out.
netns.nft_drop({(ip, port) for ip in IPS for port in range(4100, 4121)})

argv = [trawl, '--order', 'sequential', '-p', '4000-4500', '-t', '200',
        '-c', '50', '127.0.3.0/29']
netns.log('+ %s  # stdout and stderr on a pseudo-terminal' % ' '.join(argv))
master, slave = pty.openpty()
t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                     stderr=slave, close_fds=True)
os.close(slave)
data = b''
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:         # EIO: the last writer closed the terminal
        break
    if not chunk:
        break
    data += chunk
rc = p.wait(60)
elapsed = time.monotonic() - t0
os.close(master)

draws = data.count(b'\r\x1b[Ktrawl: ')
clears = data.count(b'\r\x1b[K') - draws
netns.log('  exit %d in %.2f s: %d bytes, %d draws, %d clears'
          % (rc, elapsed, len(data), draws, clears))
ck.check(rc == 0, 'exit %r' % rc)
ck.check(1 <= draws <= 4 * elapsed + 2,
         'the progress line was drawn %d times in %.2f s: want at least '
         'once and at most four times a second' % (draws, elapsed))
ck.check(clears <= draws, 'the line was taken off %d times, drawn %d'
         % (clears, draws))
# Without the line's bytes, the terminal holds the text results whole.
text = re.sub(rb'\r\x1b\[K(trawl: [^\r\n]*)?', b'', data)
text = text.replace(b'\r\n', b'\n').decode('utf-8', 'replace')
got = set()
host = None
for line in text.splitlines():
    m = re.match(r'^(127\.0\.3\.\d+)$', line)
    if m:
        host = m.group(1)
        continue
    m = re.match(r'^  (\d+)/tcp +open', line)
    if m and host:
        got.add((host, int(m.group(1))))
ck.check(got == listening, 'open ports on the terminal: %d of %d, %r'
         % (len(got & listening), len(listening), sorted(got ^ listening)))
ck.check(any(l.startswith('trawl: 4008 probes, 16 open, ')
             for l in text.splitlines()), 'no summary line:\n' + text[-500:])

lst.close()
ck.finish()
