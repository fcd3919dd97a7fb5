"""Impaired paths inside the private network namespace, for the tests and
the benchmark of issue 14 (accurate on real networks).

Every impairment works on lo, the namespace's only interface, so it applies
to trawl's SYNs and to the answers alike:

  bottleneck(rate, ...)   a token bucket (tc qdisc tbf) on lo: a path with a
                          fixed bandwidth and a bounded queue, which drops
                          what does not fit, as a congested uplink does;
  random_loss(percent)    nft drops that share of the SYNs at random
                          (numgen random), as a lossy WAN link does;
  host_rate_limit(...)    nft drops each address's SYNs above a rate (a
                          meter keyed by destination address), as firewalls
                          with SYN-flood protection do; for some addresses
                          or all;
  and netns.nft_drop() for truly filtered ports (never any answer).

World() sets up hosts with listeners on a few of the 100 most common ports
and the ground truth; clear() removes every impairment.  Each function
returns None or hard-fails through netns.hard_error: an impairment that
silently did not load would make a test pass for nothing.
"""
import os
import random

import netns

NFT_TABLE = 'trawl_impair'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def top_ports(n=100):
    """The n most common ports, as trawl ranks them (data/)."""
    out = []
    with open(os.path.join(ROOT, 'data', 'top-tcp-ports.txt')) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                out.append(int(line))
    return out[:n]


def clear():
    """No impairment left: lo's root qdisc back to the default, our nft
    table gone."""
    netns.sh(['tc', 'qdisc', 'del', 'dev', 'lo', 'root'], check=False)
    netns.sh(['nft', 'delete', 'table', 'inet', NFT_TABLE], check=False)


def bottleneck(rate='2mbit', burst='4kb', latency='20ms'):
    """A token bucket on lo: rate, a bucket of burst bytes, and a queue
    that holds what waits at most latency (beyond: dropped)."""
    netns.sh(['tc', 'qdisc', 'replace', 'dev', 'lo', 'root', 'tbf', 'rate',
              rate, 'burst', burst, 'latency', latency])
    out = netns.sh(['tc', 'qdisc', 'show', 'dev', 'lo'])
    if 'tbf' not in out:
        netns.hard_error('tbf did not load on lo: %r' % out)


def _nft(body):
    why = netns.nft_table(NFT_TABLE, body)
    if why is not None:
        netns.hard_error('nft: %s' % why)


SYN = 'tcp flags & (syn|ack) == syn'


def random_loss(percent):
    """Drop percent % of the SYNs that leave, at random."""
    _nft('''
  chain out {
    type filter hook output priority -5; policy accept;
    %s numgen random mod 100 < %d counter drop
  }''' % (SYN, percent))


def host_rate_limit(per_second, burst, addrs=None):
    """Drop each address's SYNs above per_second (a burst of burst); only
    for addrs (IPv4) when given, else for every address."""
    match = 'ip daddr { %s } ' % ', '.join(addrs) if addrs else ''
    _nft('''
  set flood {
    type ipv4_addr; size 65535; flags dynamic,timeout; timeout 60s;
  }
  chain out {
    type filter hook output priority -5; policy accept;
    %s%s update @flood { ip daddr limit rate over %d/second burst %d packets } counter drop
  }''' % (match, SYN, per_second, burst))


def dropped_syns():
    """SYNs our nft table dropped so far (random loss, rate limits)."""
    out = netns.sh(['nft', 'list', 'table', 'inet', NFT_TABLE], check=False)
    total = 0
    for word in out.split('counter packets ')[1:]:
        total += int(word.split()[0])
    return total


class World:
    """nhosts addresses from base (127.x.y.z), each listening on `listen`
    of the first nports most common ports, and dropping `filtered` of them
    (nft: truly filtered, never an answer).  truth: netns.Truth."""

    def __init__(self, nhosts, base='127.9.0.1', nports=100, listen=4,
                 filtered=0, seed=14):
        rng = random.Random(seed)
        a, b, c, d = (int(x) for x in base.split('.'))
        first = (a << 24) | (b << 16) | (c << 8) | d
        self.ips = ['%d.%d.%d.%d' % ((first + i) >> 24, (first + i) >> 16 &
                                      255, (first + i) >> 8 & 255,
                                      (first + i) & 255)
                    for i in range(nhosts)]
        self.ports = top_ports(nports)
        self.lst = netns.Listeners()
        self.listening = set()
        self.dropped = set()
        for ip in self.ips:
            chosen = rng.sample(self.ports, listen + filtered)
            for port in chosen[:listen]:
                if self.lst.add(ip, port) is None:
                    netns.hard_error('%s:%d taken' % (ip, port))
                self.listening.add((ip, port))
            for port in chosen[listen:]:
                self.dropped.add((ip, port))
        self.lst.start()
        if self.dropped:
            netns.nft_drop(self.dropped)
        self.truth = netns.Truth().build(self.ips, self.ports,
                                         self.listening, self.dropped)
        self.target = '%s-%s' % (self.ips[0], self.ips[-1].split('.')[-1]) \
            if self.ips[0].rsplit('.', 1)[0] == \
            self.ips[-1].rsplit('.', 1)[0] else None

    def targets(self):
        """Words naming every host: one range when they share a /24."""
        return [self.target] if self.target else list(self.ips)

    def portspec(self):
        return ','.join(str(p) for p in self.ports)

    def errors(self, records):
        """(open ports missed, closed reported filtered, other wrong) of
        NDJSON records (dicts) against the truth; every port must be
        reported (--states all)."""
        got = {(r['ip'], r['port']): r['state'] for r in records}
        missed = wrong_filtered = other = 0
        for pair, state in self.truth.state.items():
            g = got.get(pair)
            if g == state:
                continue
            if state == 'open':
                missed += 1
            elif state == 'closed' and g == 'filtered':
                wrong_filtered += 1
            else:
                other += 1
        other += len(set(got) - set(self.truth.state))
        return missed, wrong_filtered, other

    def close(self):
        self.lst.close()
