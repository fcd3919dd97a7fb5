#!/usr/bin/env python3
"""Routes that reject: unreachable, prohibit, blackhole, none at all.

Inside the namespace only: `ip route add unreachable` makes connect() fail
with EHOSTUNREACH, `prohibit` with EACCES, `blackhole` with EINVAL, and an
address with no route at all with ENETUNREACH.  Each must come out as
"unreachable" with the contract's reason, next to a loopback host whose
open and closed ports still come out right, in one scan.
"""
import errno
import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-unreachable')

ROUTES = [
    ('unreachable', '198.51.100.0/28'),
    ('prohibit', '198.51.100.64/28'),
    ('blackhole', '198.51.100.128/28'),
    (None, '203.0.113.0/28'),                 # no route at all
    ('unreachable', '2001:db8:1::/124'),
    ('prohibit', '2001:db8:2::/124'),
    ('blackhole', '2001:db8:3::/124'),
    (None, '2001:db8:4::/124'),
]
WANT_ERRNO = {'unreachable': errno.EHOSTUNREACH, 'prohibit': errno.EACCES,
              'blackhole': errno.EINVAL, None: errno.ENETUNREACH}
for kind, net in ROUTES:
    if kind is not None:
        v = ['-6'] if ':' in net else []
        netns.sh(['ip', *v, 'route', 'add', kind, net])

PORTS = [22, 80, 443] + list(range(30000, 30050))
PSPEC = '22,80,443,30000-30049'

lst = netns.Listeners()
listening = set()
for port in (22, 30007, 30021):
    lst.add('127.0.0.1', port)
    listening.add(('127.0.0.1', port))
lst.start()

truth = netns.Truth().build(['127.0.0.1'], PORTS, listening, set())
hosts = []
for _, net in ROUTES:
    hosts += [str(a) for a in ipaddress.ip_network(net)]
hosts.append('127.255.255.255')           # the broadcast address of lo

# The ground truth of every rejected pair is what connect() says here.
seen = netns.probe([(h, p) for h in hosts for p in PORTS], timeout=2)
surprises = set()
for (h, p), err in seen.items():
    if err in ('open', 'timeout', errno.ECONNREFUSED):
        netns.hard_error('%s:%d answered %r; the namespace should reject it'
                         % (h, p, err))
    state, reason = netns.ERRNO_VERDICT.get(err, ('unreachable', None))
    if state != 'unreachable':
        netns.hard_error('%s:%d gave %s, not an unreachable kind of error'
                         % (h, p, errno.errorcode.get(err, err)))
    # An errno the contract gives no reason for (EINVAL): any reason.
    reasons = {reason} if reason else {'*'}
    truth.set(h, p, 'unreachable', reasons)
for kind, net in ROUTES:
    first = str(next(iter(ipaddress.ip_network(net))))
    got = seen[(first, 22)]
    netns.log('route %-11s %-18s -> %s' % (kind or '(none)', net,
                                           errno.errorcode.get(got, got)))
    if got != WANT_ERRNO[kind]:
        surprises.add((kind, net, got))
if surprises:
    netns.log('note: this kernel answers differently than expected: %r'
              % sorted(surprises, key=str))
netns.log('broadcast 127.255.255.255 -> %s'
          % errno.errorcode.get(seen[('127.255.255.255', 22)]))


class _Any(frozenset):
    """A reason set that holds every reason: for errnos whose reason the
    contract leaves open."""

    def __contains__(self, item):
        return isinstance(item, str) and item != ''


for pair, rs in list(truth.reasons.items()):
    if '*' in rs:
        truth.reasons[pair] = _Any()

counts = truth.counts()
netns.log('ground truth: %s' % counts)
targets = [net for _, net in ROUTES] + ['127.255.255.255', '127.0.0.1']

r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', '-t', '500',
               '-p', PSPEC, *targets])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth, what='all states')
netns.check_summary(ck, r, counts)

r = netns.run([trawl, '-f', 'ndjson', '--states', 'unreachable', '-t', '500',
               '-p', PSPEC, *targets])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth, states=('unreachable',),
              what='--states unreachable')

r = netns.run([trawl, '-t', '500', '-p', PSPEC, *targets])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, truth, states=('open',), what='text, default')
netns.check_summary(ck, r, counts)

r = netns.run([trawl, '--states', 'unreachable', '-p', '22,80',
               '198.51.100.0/30', '2001:db8:2::/126'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
sub = netns.Truth()
for pair, st in truth.state.items():
    ip = ipaddress.ip_address(pair[0])
    if pair[1] in (22, 80) and (
            ip in ipaddress.ip_network('198.51.100.0/30') or
            ip in ipaddress.ip_network('2001:db8:2::/126')):
        sub.state[pair] = st
        sub.reasons[pair] = truth.reasons[pair]
netns.check_text(ck, r.out, sub, states=('unreachable',),
                 what='text, unreachable')

lst.close()
ck.finish()
