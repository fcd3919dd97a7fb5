#!/usr/bin/env python3
"""The engine's window and its source ports.

trawl keeps fewer sockets in flight than -c when answers come back at once
(loopback, a fast LAN), and all of -c when they do not; and it binds each
new socket to a source port of its own, kept while the socket is reused.

(a) A sequential sweep of the refused ports of 127.0.0.1-4, then of 600 ports
    of 127.0.0.9 whose SYNs are dropped.  While the refused ports are swept
    trawl holds few sockets (the median of samples of its descriptors, from
    the moment it is ready to its first SYN to a dropped port, is far below
    -c 600); at the dropped ports it must have all of -c in flight: 600
    distinct ports get a SYN before the first of them can time out (60 s
    after the first SYN), as counted by an nft set.  With -T 1 and -T 2.
(b) -c 1: every probe of a refused sweep leaves from one source port, for
    IPv4 and for IPv6: the socket kept its port from probe to probe.  With
    both families at once, most probes find a socket of their own family.
(c) The ports used are those the kernel would use itself: only from
    ip_local_port_range less ip_local_reserved_ports, also when -c wants
    more sockets than there are such ports; every port still comes out right.
(d) With ip_local_port_range unreadable (a bind mount of an empty file over
    it), connect() picks the ports, and the sweep is as exact; many source
    ports then appear under -c 1, which shows that (b) can fail.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-window')
if shutil.which('nft') is None:
    netns.skip('nft(8) not found (Debian package nftables)')

TABLE = 'trawlwindow'
DROP_HOST = '127.0.0.9'
DROPPED = list(range(1, 601))
RANGE = '/proc/sys/net/ipv4/ip_local_port_range'
RESERVED = '/proc/sys/net/ipv4/ip_local_reserved_ports'


def load_table():
    """Sets of the destination ports SYNs went to at 127.0.0.9 and of the
    source ports of SYNs to the refused ports 20000-20999; a drop of every
    SYN to 127.0.0.9:1-600 on the way in."""
    why = netns.nft_table(TABLE, '''
  set dports { type inet_service; flags dynamic; size 65535; }
  set sports { type inet_service; flags dynamic; size 65535; }
  chain out {
    type filter hook output priority -10; policy accept;
    ip daddr %(h)s tcp flags & (syn|ack) == syn add @dports { tcp dport }
    tcp dport 20000-20999 tcp flags & (syn|ack) == syn add @sports { tcp sport }
  }
  chain in {
    type filter hook input priority -10; policy accept;
    ip daddr %(h)s tcp dport 1-600 drop
  }''' % {'h': DROP_HOST})
    if why is not None:
        netns.skip('nft cannot load a table with dynamic sets here: ' + why)


def elements(name):
    out = netns.sh(['nft', '-n', 'list', 'set', 'inet', TABLE, name])
    m = re.search(r'elements = \{([^}]*)\}', out)
    return set() if m is None else {int(x) for x in
                                    re.findall(r'\d+', m.group(1))}


def sockets(pid):
    """How many sockets the process holds; None when it is gone."""
    n = 0
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                n += os.readlink('/proc/%d/fd/%s' % (pid, fd)).startswith(
                    'socket:')
            except OSError:
                pass
    except OSError:
        return None
    return n


# --- (a) the window ----------------------------------------------------------

def window(threads):
    """The refused ports of four addresses, then the dropped ones: over the
    refused ones, answered at once, the window narrows to 64 a thread;
    every dropped port still gets its SYN.  (That the window widens to -c
    when nothing answers: widen().)"""
    load_table()
    argv = [trawl, '-q', '-f', 'ndjson', '--order', 'sequential', '-T',
            str(threads), '-c', '600', '-t', '60000', '--retries', '0',
            '-p', '1-65535', '127.0.0.1-4', DROP_HOST]
    netns.log('(a) -T %d: %s' % (threads, ' '.join(argv)))
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    samples, seen = [], set()
    # Its sockets over the refused ports, from the moment it is ready until
    # its first SYN to a dropped port.
    netns.wait_ready(p)
    while p.poll() is None:
        seen = elements('dports')
        if seen:
            break
        n = sockets(p.pid)
        if n is not None:
            samples.append(n)
        time.sleep(0.005)
    # Then every dropped port: the scan ends only after each had its SYN.
    netns.poll_until(lambda: len(elements('dports') & set(DROPPED)) ==
                     len(DROPPED), p, 300)
    seen = elements('dports')
    p.kill()
    _, err = p.communicate()
    samples.sort()
    median = samples[len(samples) // 2] if samples else None
    netns.log('  %d samples of its sockets over the refused ports: median '
              '%s, max %s; %d of %d dropped ports got a SYN'
              % (len(samples), median, samples[-1] if samples else None,
                 len(seen & set(DROPPED)), len(DROPPED)))
    if ck.check(len(samples) >= 5, '-T %d: only %d samples of the sockets '
                'while the refused ports were swept' % (threads,
                                                        len(samples))):
        ck.check(median <= 64 * threads + 64, '-T %d: a median of %d '
                 'sockets held while every probe is answered at once; the '
                 'window should be near 64 a thread, not -c 600'
                 % (threads, median))
    ck.check(seen >= set(DROPPED), '-T %d: %d of the %d dropped ports got '
             'a SYN' % (threads, len(seen & set(DROPPED)), len(DROPPED)))


def widen(threads):
    """Only dropped ports: nothing answers, so no round trip is known and
    the first timeout is -t away (a minute here).
    Before it, the window must take all of -c 600: ~600 sockets at once,
    not the 64 a thread of a narrow window."""
    load_table()
    argv = [trawl, '-q', '-f', 'ndjson', '-T', str(threads), '-c', '600',
            '-t', '60000', '--retries', '0', '-p', '1-600', DROP_HOST]
    netns.log('(a) -T %d, dropped ports only: %s' % (threads,
                                                     ' '.join(argv)))
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    most = 0

    def many():
        nonlocal most
        most = max(most, sockets(p.pid) or 0)
        return most >= 590
    netns.wait_ready(p)
    netns.poll_until(many, p, 300)
    p.kill()
    p.communicate()
    netns.log('  at most %d sockets held' % most)
    ck.check(most >= 590, '-T %d: at most %d sockets held at the dropped '
             'ports: the window did not widen to -c 600 when answers '
             'stopped coming' % (threads, most))


for t in (1, 2):
    window(t)
    widen(t)

# --- (b), (c), (d): source ports -----------------------------------------

PORTS = '20000-20999'
IPS = ['127.0.0.1', '::1']


def sweep(what, extra, ips=IPS, wrap=None):
    """A sweep of refused ports: exact?  The source ports its SYNs had."""
    load_table()
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', '-T', '1',
                   '-p', PORTS, *extra, *ips], wrap=wrap, timeout=120)
    ck.check(r.rc == 0, '%s: exit %r, want 0: %s' % (what, r.rc, r.cmd))
    want = netns.Truth().build(ips, range(20000, 21000), set(), set())
    netns.compare(ck, netns.parse_ndjson(ck, r), want, what=what)
    got = elements('sports')
    netns.log('  %s: %d source ports: %s' % (what, len(got),
                                             sorted(got)[:12]))
    return got


with open(RANGE) as f:
    kernel_range = f.read()
with open(RESERVED) as f:
    kernel_reserved = f.read()

for ip in IPS:
    got = sweep('(b) -c 1, %s' % ip, ['-c', '1'], ips=[ip])
    ck.check(len(got) == 1, '(b) -c 1 to %s: SYNs from %d source ports, '
             'want 1: a refused socket should carry the next probe from '
             'the port it is bound to' % (ip, len(got)))
# Both families in random order: a refused socket carries a probe of its
# own family.  Taking whichever socket came first, half the probes would
# need a new one (some 1000 ports); a socket of the right family is there
# for most (some 250).
got = sweep('(b) -c 64, both families', ['-c', '64'])
ck.check(len(got) < 2000 // 3, '(b) -c 64 to %s: SYNs from %d source '
         'ports for 2000 probes: a socket of the other family was taken '
         'where one of the right family was free' % (' and '.join(IPS),
                                                    len(got)))

# (c) 45000-45019 less 45000-45009 and 45015: nine ports for -c 30.
netns.set_local_port_range(45000, 45019)
with open(RESERVED, 'w') as f:
    f.write('45000-45009,45015\n')
allowed = set(range(45010, 45020)) - {45015}
for extra in (['-c', '30'], ['-c', '1']):
    got = sweep('(c) 9 ports allowed, %s' % ' '.join(extra), extra)
    ck.check(got and got <= allowed, '(c) %s: source ports %s outside the '
             'allowed %s' % (' '.join(extra), sorted(got - allowed),
                             sorted(allowed)))
with open(RESERVED, 'w') as f:
    f.write(kernel_reserved if kernel_reserved.strip() else '\n')
with open(RANGE, 'w') as f:
    f.write(kernel_range)

# (d) the range unreadable: bind mount an empty file over it.
r = subprocess.run(['unshare', '-m', '--', 'sh', '-c',
                    'mount --bind /dev/null %s && cat %s' % (RANGE, RANGE)],
                   capture_output=True, text=True)
if r.returncode != 0 or r.stdout != '':
    ck.cannot_run('(d): cannot hide ip_local_port_range with a bind mount: '
                  + (r.stderr.strip() or 'it still reads %r' % r.stdout))
else:
    got = sweep('(d) range unreadable, -c 1', ['-c', '1'], ips=['127.0.0.1'],
                wrap=['unshare', '-m', '--', 'sh', '-c',
                      'mount --bind /dev/null %s && exec "$@"' % RANGE,
                      'sh'])
    ck.check(len(got) > 10, '(d): %d source ports with connect() picking '
             'them, want many: then (b) proves nothing' % len(got))

ck.finish()
