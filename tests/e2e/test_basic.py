#!/usr/bin/env python3
"""64 loopback addresses x 300 ports, with random listeners and drops.

trawl's output must be the ground truth exactly: every listening pair open,
every dropped pair filtered, everything else closed, nothing twice, nothing
missing; the same for the CIDR and the range spelling of the targets; only
the open ports with the default --states, in NDJSON and in text.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-basic')
rng = random.Random(netns.seed_from_env(20240611))

IPS = ['127.0.1.%d' % i for i in range(64)]
SVC_PORTS = [22, 80, 443, 631]    # /etc/services knows them: "service" key
PORTS = SVC_PORTS + list(range(20000, 20300))
PSPEC = '22,80,443,631,20000-20299'
WILD = 20150                      # listened on 0.0.0.0: open on every address

lst = netns.Listeners()
listening = set()
for ip in IPS:
    for port in rng.sample([p for p in PORTS if p != WILD], rng.randint(1, 5)):
        if lst.add(ip, port) is not None:
            listening.add((ip, port))
if lst.add('0.0.0.0', WILD) is None:
    netns.hard_error('port %d taken in a fresh namespace' % WILD)
listening |= {(ip, WILD) for ip in IPS}
for ip, port in [('127.0.1.1', 22), ('127.0.1.2', 80), ('127.0.1.2', 443),
                 ('127.0.1.40', 631), ('127.0.1.63', 22), ('127.0.1.0', 80)]:
    if (ip, port) not in listening and lst.add(ip, port) is not None:
        listening.add((ip, port))
lst.start()

# Drops: some on listening pairs (a drop wins), most on closed ones.
dropped = set(rng.sample(sorted(listening), 10))
while len(dropped) < 40:
    dropped.add((rng.choice(IPS), rng.choice(PORTS)))
netns.nft_drop(dropped)

truth = netns.Truth().build(IPS, PORTS, listening, dropped)
counts = truth.counts()
netns.log('ground truth: %s' % counts)
truth.self_check()

FAST = ['-t', '300', '--retries', '1']

# 1. CIDR, every state.
r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *FAST,
               '-p', PSPEC, '127.0.1.0/26'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth, what='CIDR, all states')
netns.check_summary(ck, r, counts)

# 2. The same space as a range, ports as a list with repeats, in order.
r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *FAST,
               '-p', '20000-20099,20005,20100-20199,631',
               '-p', '20200-20299,20150,22,80,443', '--order', 'sequential',
               '127.0.1.0-63', '127.0.1.5'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
recs = netns.parse_ndjson(ck, r)
netns.compare(ck, recs, truth, what='range, port list with repeats')
netns.check_summary(ck, r, counts)
order = []
for rec in recs:
    if not order or order[-1] != rec['ip']:
        order.append(rec['ip'])
ck.check(order == IPS, '--order sequential: hosts not in address order: %r'
         % order[:10])

# 3. Default states: open only.
r = netns.run([trawl, '-f', 'ndjson', *FAST, '-p', PSPEC,
               '127.0.1.0/26'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth, states=('open',),
              what='default states')
netns.check_summary(ck, r, counts)

# 4. A subset of states.
r = netns.run([trawl, '-f', 'ndjson', '--states', 'filtered,closed', *FAST,
               '-p', PSPEC, '127.0.1.0/26'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.compare(ck, netns.parse_ndjson(ck, r), truth,
              states=('closed', 'filtered'), what='--states filtered,closed')

# 5. Text, default format and states.
r = netns.run([trawl, *FAST, '-p', PSPEC, '127.0.1.0/26'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, truth, states=('open',), what='text')
netns.check_summary(ck, r, counts)

# 6. Text with every state: filtered lines under their hosts too.
r = netns.run([trawl, '--states', 'all', *FAST, '-p', PSPEC,
               '127.0.1.0/26'])
ck.check(r.rc == 0, 'exit %r, want 0: %s' % (r.rc, r.cmd))
netns.check_text(ck, r.out, truth, states=netns.STATES, what='text, all')

lst.close()
ck.finish()
