#!/usr/bin/env python3
"""Issue 7, point 7: least privilege.

(a) trawl needs no privilege: a representative scan -- listeners, nft
    drops, an unreachable route, names through a private /etc/hosts, an -i
    file, NDJSON and XML outputs and a resume file in a directory of the
    user's -- run as nobody (setpriv --reuid=nobody --regid=nogroup
    --clear-groups, in the test's namespace; checked to hold no
    capability) gives exactly the results of the same run as root, which
    are the ground truth.
(b) A set-uid or set-gid trawl refuses to run: a copy of the binary, owned
    by root and mode 4755 (then 2755, group root), run as nobody, exits 1
    with "trawl: refusing to run set-uid or set-gid" and sends nothing; so
    does a copy set-uid to nobody run by root.  The same copy without the
    bit runs.  The copy lives on a file system that honours set-uid bits
    (not mounted nosuid), which a set-uid copy of id(1) confirms first;
    with no such place, or with no_new_privs set on the test, (b) is
    skipped with the reason.  (These run the binary itself, never under
    TRAWL_WRAPPER: valgrind cannot run a set-uid program.)
"""
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
import trawlwrap  # noqa: E402

netns.enter_namespace()
real = netns.real_trawl_path()
ck = netns.Checker('e2e-privilege')

if os.geteuid() != 0:
    netns.skip('needs root in the namespace to drop to nobody')
if shutil.which('setpriv') is None:
    netns.skip('setpriv(1) not found (Debian package util-linux)')
try:
    NOBODY = pwd.getpwnam('nobody')
except KeyError:
    netns.skip('no user "nobody"')
GROUP = None
for g in ('nogroup', 'nobody'):
    try:
        GROUP = grp.getgrnam(g)
        break
    except KeyError:
        pass
if GROUP is None:
    netns.skip('no group "nogroup" or "nobody"')
AS_NOBODY = ['setpriv', '--reuid=%d' % NOBODY.pw_uid,
             '--regid=%d' % GROUP.gr_gid, '--clear-groups', '--']

# A directory every user can reach, holding a copy of trawl: the build
# directory may not be reachable by nobody.
top = tempfile.mkdtemp(prefix='trawl-e2e-priv.')
os.chmod(top, 0o755)
copy = os.path.join(top, 'trawl')
shutil.copy2(real, copy)
os.chmod(copy, 0o755)
# Under meson test --setup=nobody the wrapper would make the run "as root"
# a run as nobody too: this test drops privileges itself.
trawl = copy if trawlwrap.DROPS_PRIVILEGES else trawlwrap.wrap(copy)

# The harness's premise: as nobody, no capability at all.
r = subprocess.run(AS_NOBODY + ['sh', '-c', 'id -u; grep ^Cap /proc/self/status'],
                   capture_output=True, text=True)
caps = dict(re.findall(r'^(Cap\w+):\s+([0-9a-f]+)$', r.stdout, re.M))
if r.returncode != 0 or r.stdout.split()[0] != str(NOBODY.pw_uid) or \
        int(caps.get('CapEff', '1'), 16) or int(caps.get('CapPrm', '1'), 16):
    netns.hard_error('setpriv did not make an unprivileged process: %r %r'
                     % (r.stdout, r.stderr))
netns.log('as nobody: uid %d, CapEff %s, CapPrm %s'
          % (NOBODY.pw_uid, caps['CapEff'], caps['CapPrm']))

# --- (a) the same scan as root and as nobody -----------------------------------

IPS = ['127.0.7.1', '127.0.7.2', '127.0.7.3']
PORTS = [22, 80] + list(range(33000, 33200))
PSPEC = '22,80,33000-33199'
UNREACH = '198.51.100.1'
netns.sh(['ip', 'route', 'add', 'unreachable', '198.51.100.0/30'])
lst = netns.Listeners()
listening = set()
for i, ip in enumerate(IPS):
    for port in [22] + list(range(33000 + i, 33200, 17)):
        if lst.add(ip, port) is not None:
            listening.add((ip, port))
lst.start()
dropped = {('127.0.7.1', 33003), ('127.0.7.2', 22), ('127.0.7.3', 80),
           ('127.0.7.3', 33100)}
netns.nft_drop(dropped)
truth = netns.Truth().build(IPS, PORTS, listening, dropped)
for port in PORTS:
    truth.set(UNREACH, port, 'unreachable', {'host-unreach'})
truth.self_check()
netns.log('ground truth: %s' % truth.counts())
NAMES = {'127.0.7.1': ['alpha.priv.test'],
         '127.0.7.2': ['beta.priv.test', 'gamma.priv.test']}
hosts = os.path.join(top, 'hosts')
with open(hosts, 'w') as f:
    f.write('127.0.0.1 localhost\n' + ''.join(
        '%s %s\n' % (ip, ' '.join(n)) for ip, n in NAMES.items()))
os.chmod(hosts, 0o644)
HOSTS_WRAP = ['unshare', '-m', '--', 'sh', '-c',
              'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
r = subprocess.run(HOSTS_WRAP + ['true'], capture_output=True, text=True)
if r.returncode != 0:
    ck.cannot_run('no private /etc/hosts (%s): names left out of (a)'
                  % r.stderr.strip())
    HOSTS_WRAP, NAMES = [], {}
    targets = IPS + [UNREACH]
else:
    targets = [n for ns in NAMES.values() for n in ns] + \
        ['127.0.7.3', UNREACH]
tfile = os.path.join(top, 'targets')
with open(tfile, 'w') as f:
    f.write('# the targets\n' + ''.join(t + '\n' for t in targets))
os.chmod(tfile, 0o644)


def scan_as(who, prefix):
    d = os.path.join(top, who)
    os.mkdir(d)
    if who == 'nobody':
        os.chown(d, NOBODY.pw_uid, GROUP.gr_gid)
    os.chmod(d, 0o755)
    nd, xml = os.path.join(d, 'scan.ndjson'), os.path.join(d, 'scan.xml')
    argv = [trawl, '--states', 'all', '-t', '300', '--retries', '1',
            '--order', 'sequential', '-p', PSPEC, '-i', tfile,
            '--resume', os.path.join(d, 'scan.resume'),
            '-o', 'ndjson:' + nd, '-o', 'xml:' + xml]
    netns.log('as %s:' % who)
    r = netns.run(argv, wrap=HOSTS_WRAP + prefix, timeout=90)
    ck.check(r.rc == 0, 'as %s: exit %r: %s' % (who, r.rc, r.err))
    ck.check(not os.path.exists(os.path.join(d, 'scan.resume')),
             'as %s: resume file left' % who)
    out = {}
    for key, path in (('ndjson', nd), ('xml', xml)):
        if ck.check(os.path.exists(path), 'as %s: %s not written'
                    % (who, path)):
            st = os.stat(path)
            want_uid = NOBODY.pw_uid if who == 'nobody' else 0
            ck.check(st.st_uid == want_uid, 'as %s: %s is owned by uid %d'
                     % (who, path, st.st_uid))
            with open(path) as f:
                out[key] = f.read()
    return r, out


def norm_ndjson(text):
    recs = []
    for line in text.splitlines():
        x = json.loads(line)
        x.pop('rtt_ms', None)
        recs.append(tuple(sorted(x.items())))
    return recs


def norm_xml(text):
    # Times and the command line differ; hosts, names and ports must not.
    text = re.sub(r'(start|time|endtime|starttime|elapsed)="[^"]*"', '',
                  text)
    text = re.sub(r'(startstr|timestr|summary|args)="[^"]*"', '', text)
    text = re.sub(r'<!--.*?-->', '', text)
    return re.sub(r'<times [^>]*/>', '', text)


r_root, o_root = scan_as('root', [])
r_nobody, o_nobody = scan_as('nobody', AS_NOBODY)
for who, r, o in (('root', r_root, o_root), ('nobody', r_nobody, o_nobody)):
    if 'ndjson' in o:
        netns.compare(ck, netns.parse_ndjson(ck, r, where=o['ndjson']), truth,
                      names=NAMES, what='as %s' % who)
    netns.check_summary(ck, r, truth.counts(), only_line=False)
if 'ndjson' in o_root and 'ndjson' in o_nobody:
    ck.check(norm_ndjson(o_root['ndjson']) == norm_ndjson(o_nobody['ndjson']),
             'NDJSON as nobody differs from NDJSON as root (rtt aside)')
if 'xml' in o_root and 'xml' in o_nobody:
    ck.check(norm_xml(o_root['xml']) == norm_xml(o_nobody['xml']),
             'XML as nobody differs from XML as root (times aside)')
strip = [re.sub(r' in \d+\.\d\d s \(\d+ probes/s\)', '', l)
         for l in r_root.err_lines]
strip_n = [re.sub(r' in \d+\.\d\d s \(\d+ probes/s\)', '', l)
           for l in r_nobody.err_lines]
ck.check(strip == strip_n, 'stderr as nobody %r, as root %r'
         % (strip_n, strip))
netns.log('(a) as nobody: the same results as root, the ground truth')

# --- (b) set-uid and set-gid copies ------------------------------------------------


def no_new_privs():
    with open('/proc/self/status') as f:
        m = re.search(r'^NoNewPrivs:\s+(\d+)', f.read(), re.M)
    return m is not None and m.group(1) == '1'


def suid_dir():
    """A directory, reachable by nobody, on a file system that honours
    set-uid bits; or None and why not."""
    tried = []
    for base in (tempfile.gettempdir(), '/var/tmp', os.path.dirname(real),
                 os.getcwd()):
        if not os.path.isdir(base) or base in [t for t, _ in tried]:
            continue
        if os.statvfs(base).f_flag & os.ST_NOSUID:
            tried.append((base, 'mounted nosuid'))
            continue
        d = tempfile.mkdtemp(prefix='trawl-e2e-suid.', dir=base)
        os.chmod(d, 0o755)
        # Does a set-uid root id(1) there give nobody euid 0?
        idc = os.path.join(d, 'id')
        shutil.copy2(shutil.which('id'), idc)
        os.chown(idc, 0, 0)
        os.chmod(idc, 0o4755)
        p = subprocess.run(AS_NOBODY + [idc, '-u'], capture_output=True,
                           text=True)
        os.unlink(idc)
        if p.returncode == 0 and p.stdout.strip() == '0':
            return d, None
        shutil.rmtree(d, ignore_errors=True)
        tried.append((base, 'a set-uid root id(1) there gives nobody %r %r'
                      % (p.stdout.strip(), p.stderr.strip()[:100])))
    return None, '; '.join('%s: %s' % t for t in tried)


REFUSE = 'trawl: refusing to run set-uid or set-gid'
if no_new_privs():
    ck.cannot_run('the test runs with no_new_privs set: set-uid bits are '
                  'ignored here, (b) not run')
else:
    d, why = suid_dir()
    if d is None:
        ck.cannot_run('no directory on a file system that honours set-uid '
                      'bits (%s): (b) not run' % why)
    else:
        c = os.path.join(d, 'trawl')
        shutil.copy2(real, c)
        scan = ['-f', 'ndjson', '-t', '300', '-p', '22', '127.0.7.1']
        why = netns.syn_counter('trawlpriv', 'tcp dport 22')
        if why is not None:
            netns.hard_error('nft: ' + why)

        def syns():
            return netns.syn_count('trawlpriv')

        for mode, uid, gid, runner, what in (
                (0o755, 0, 0, AS_NOBODY, 'no set-uid bit, run by nobody'),
                (0o4755, 0, 0, AS_NOBODY, 'set-uid root, run by nobody'),
                (0o2755, 0, 0, AS_NOBODY, 'set-gid root, run by nobody'),
                (0o4755, NOBODY.pw_uid, GROUP.gr_gid, [],
                 'set-uid nobody, run by root')):
            os.chown(c, uid, gid)
            os.chmod(c, mode)
            for args in (['--version'], scan):
                before = syns()
                argv = runner + [c] + args
                netns.log('+ %s  # %s, mode %o' % (' '.join(argv), what,
                                                    mode))
                p = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=30, cwd=d)
                netns.log('  exit %d, stdout %r, stderr %r'
                          % (p.returncode, p.stdout[:80], p.stderr))
                if mode == 0o755:
                    ck.check(p.returncode == 0 and p.stderr.count(REFUSE) == 0,
                             '%s: %s: exit %d, stderr %r; a plain copy must '
                             'run' % (what, ' '.join(args), p.returncode,
                                      p.stderr))
                    continue
                ck.check(p.returncode == 1 and p.stdout == '' and
                         p.stderr == REFUSE + '\n',
                         '%s: %s: want exit 1 and only %r, got exit %d, '
                         'stdout %r, stderr %r'
                         % (what, ' '.join(args), REFUSE, p.returncode,
                            p.stdout[:100], p.stderr))
                ck.check(syns() == before, '%s: %d SYNs sent'
                         % (what, syns() - before))
        shutil.rmtree(d, ignore_errors=True)
        netns.log('(b) set-uid/set-gid copies refused (exit 1, one line), '
                  'the plain copy ran')

lst.close()
shutil.rmtree(top, ignore_errors=True)
ck.finish()
