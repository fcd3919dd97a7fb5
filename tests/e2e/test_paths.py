#!/usr/bin/env python3
"""Impaired paths: with its default options, trawl is exact on paths that
drop, queue and rate-limit (issue 14).

Each sweep runs on hosts of the namespace that listen on 4 of the 100 most
common ports (impair.World), behind one impairment on lo:

  (a) a clean path with truly filtered ports (nft drop, never an answer):
      exact, nothing said about losses, and no attempt more than the
      default retry per filtered port (silence is not loss);
  (b) a bandwidth bottleneck (tc tbf): exact, and the summary and the
      --stats-every lines say what the path dropped and the pace;
  (c) 5% of SYNs dropped at random (nft numgen);
  (d) every host dropping its SYNs above 50/s (an nft meter per address);
  (e) a mix: one rate-limited host among clean ones, with filtered ports:
      the limited host is slowed on its own.

Exact: every open port open, every closed port closed, every dropped port
filtered.  The time each takes against nmap is bench/'s business.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
import impair  # noqa: E402

netns.enter_namespace()
trawl = netns.trawl_path()
ck = netns.Checker('e2e-paths')
# No port of the sweeps in the ephemeral range: a loopback connect() that
# meets itself would be retried, one attempt more than (a) counts.
netns.set_local_port_range(20000, 29999)

PATH_RE = re.compile(r'the path dropped (\d+\.\d)% of attempts')


def sweep(world, what, extra=()):
    """Scan world with the default options (NDJSON, every state); check
    every port against the truth and the summary's counts."""
    r = netns.run([trawl, '-f', 'ndjson', '--states', 'all', *extra,
                   '-p', world.portspec(), *world.targets()], timeout=240)
    ck.check(r.rc == 0, '%s: exit %r, want 0' % (what, r.rc))
    recs = netns.parse_ndjson(ck, r)
    netns.compare(ck, recs, world.truth, what=what)
    missed, false_filtered, other = world.errors(recs)
    netns.log('  %s: %.2f s; %d open ports missed, %d closed reported '
              'filtered, %d other errors; nft dropped %d SYNs'
              % (what, r.elapsed, missed, false_filtered, other,
                 impair.dropped_syns()))
    netns.check_summary(ck, r, world.truth.counts(), only_line=not extra)
    return r


def summary(r):
    return r.err_lines[-1] if r.err_lines else ''


# (a) Clean, with filtered ports: the default retry and not one more.
impair.clear()
w = impair.World(60, base='127.20.0.1', filtered=20)
filtered = sum(1 for s in w.truth.state.values() if s == 'filtered')
before = netns.active_opens()
r = sweep(w, '(a) clean path, filtered ports')
attempts = netns.active_opens() - before
probes = len(w.truth.state)
ck.check(attempts == probes + filtered,
         '(a) %d connection attempts; a probe each and one retry per '
         'filtered port make %d (%d probes, %d filtered)'
         % (attempts, probes + filtered, probes, filtered))
ck.check(PATH_RE.search(summary(r)) is None,
         '(a) nothing was lost, yet the summary says so: %r' % summary(r))
w.close()

# (b) A bottleneck: 2 Mbit/s, a queue of 20 ms, the rest dropped.
impair.clear()
w = impair.World(100, base='127.21.0.1')
impair.bottleneck()
r = sweep(w, '(b) bottleneck', extra=('--stats-every', '1'))
m = PATH_RE.search(summary(r))
ck.check(m is not None and float(m.group(1)) > 0,
         '(b) the summary should say what the path dropped: %r'
         % summary(r))
ck.check('; paced down to ' in summary(r),
         '(b) the summary should say the pace it settled at: %r'
         % summary(r))
stats = [l for l in r.err_lines if l.startswith('trawl: progress: ')]
ck.check(any(re.search(r'; lost \d+\.\d%, paced \d+/s', l) for l in stats),
         '(b) no --stats-every line says what was lost and the pace: %r'
         % stats[-3:])
w.close()

# (c) Random loss: 5% of the SYNs.
impair.clear()
w = impair.World(200, base='127.22.0.1')
impair.random_loss(5)
r = sweep(w, '(c) 5% random loss')
ck.check(impair.dropped_syns() > 0, '(c) nft dropped no SYN: no test')
ck.check(PATH_RE.search(summary(r)) is not None,
         '(c) the summary should say what the path dropped: %r'
         % summary(r))
w.close()

# (d) Every host drops its SYNs above 50/s (a burst of 10).
impair.clear()
w = impair.World(50, base='127.23.0.1')
impair.host_rate_limit(50, 10)
r = sweep(w, '(d) per-host SYN rate limit')
ck.check(impair.dropped_syns() > 0, '(d) nft dropped no SYN: no test')
w.close()

# (e) One rate-limited host among 100, and 2 filtered ports per host.
impair.clear()
w = impair.World(100, base='127.24.0.1', filtered=2)
impair.host_rate_limit(50, 10, [w.ips[7]])
r = sweep(w, '(e) one limited host, filtered ports')
ck.check(impair.dropped_syns() > 0, '(e) nft dropped no SYN: no test')
ck.check(re.search(r'; \d+ hosts? slowed on (its|their) own',
                   summary(r)) is not None,
         '(e) the limited host should be slowed on its own: %r'
         % summary(r))
w.close()

impair.clear()
ck.finish()
