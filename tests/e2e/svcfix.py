"""Real services and hostile ones, for e2e-banners (test_banners.py).

Debian's own daemons -- sshd, nginx, openssl s_server, redis-server,
OpenSMTPD, vsftpd -- each started by the test inside its private network
namespace with a configuration of the test's own in a temporary directory
(never the system's, never systemd), each on its usual port and on an
unusual one; and hostile servers in Python threads.

What a daemon really is -- the ground truth of a service scan -- comes from
the package database (dpkg-query) and from a witness of the fixture's own:
a few lines of Python that speak each protocol, read the greeting, and
wait until every listener answers (a sign, never a fixed delay).

sshd and smtpd want directories of the system's (/run/sshd, the queue under
/var/spool/smtpd, a control socket in /run): each runs in a mount namespace
of its own, with empty tmpfs over /run and /var/spool, so nothing of the
host's is touched.
"""

import atexit
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import netns

# A mount namespace with /run and /var/spool of its own (tmpfs), and
# /run/sshd, sshd's privilege separation directory, in it.
PRIVATE_DIRS = ['unshare', '-m', '--propagation', 'private', '--', 'sh',
                '-c', 'mount -t tmpfs -o mode=0755 trawl-run /run && '
                'mkdir -m 0755 /run/sshd && '
                'mount -t tmpfs -o mode=0755 trawl-spool /var/spool && '
                'exec "$@"', 'private-dirs']


def dpkg_version(pkg):
    """The installed version of a Debian package, or None."""
    r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() \
        else None


def split_version(v):
    """'1:9.2p1-2+deb12u10' -> ('9.2p1', '2+deb12u10'): upstream version
    and Debian revision (epoch dropped)."""
    if ':' in v:
        v = v.split(':', 1)[1]
    if '-' in v:
        up, rev = v.rsplit('-', 1)
    else:
        up, rev = v, ''
    return up, rev


# --- witnesses: speak each protocol once -------------------------------------

def _connect(addr, port, timeout):
    s = socket.socket(netns.family_of(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def _read_until(s, pred, limit=65536):
    data = b''
    while not pred(data) and len(data) < limit:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def witness(kind, addr, port, timeout=2.0):
    """What the service at addr:port says to a client of kind: the
    greeting (ssh, ftp, smtp: its first line with its CR LF), the reply
    head and body (http), the reply to PING (redis), or for 'tls' a dict
    of the handshake (version, DER certificate) and the HTTP reply inside.
    Raises OSError (ssl.SSLError) when it does not answer so."""
    s = _connect(addr, port, timeout)
    try:
        if kind in ('ssh', 'ftp', 'smtp'):
            data = _read_until(s, lambda d: b'\n' in d)
            want = {'ssh': b'SSH-', 'ftp': b'220', 'smtp': b'220'}[kind]
            if not data.startswith(want) or not data.endswith(b'\n'):
                raise OSError('%s on %s:%d greets %r' % (kind, addr, port,
                                                         data))
            if kind == 'ssh':
                s.sendall(b'SSH-2.0-trawltest\r\n')
            elif kind == 'ftp':
                s.sendall(b'QUIT\r\n')
            else:
                s.sendall(b'QUIT\r\n')
            return data
        if kind == 'http':
            return _http(s, addr)
        if kind == 'redis':
            s.sendall(b'PING\r\n')
            data = _read_until(s, lambda d: d.endswith(b'\r\n'))
            if data != b'+PONG\r\n':
                raise OSError('redis on %s:%d: PING -> %r' % (addr, port,
                                                              data))
            return data
        if kind == 'tls':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            t = ctx.wrap_socket(s, server_hostname=None)
            s = t
            der = t.getpeercert(binary_form=True)
            out = {'version': t.version(), 'der': der}
            out['http'] = _http(t, addr)
            return out
        raise ValueError(kind)
    finally:
        try:
            s.close()
        except OSError:
            pass


def _http(s, addr):
    host = '[%s]' % addr if ':' in addr else addr
    s.sendall(('GET / HTTP/1.0\r\nHost: %s\r\n\r\n' % host).encode())
    data = _read_until(s, lambda d: False, limit=1 << 20)
    if not data.startswith(b'HTTP/1.'):
        raise OSError('no HTTP reply from %s: %r' % (addr, data[:200]))
    return data


# --- daemons -----------------------------------------------------------------

class Daemon:
    """A daemon started in the foreground, its output in a log file;
    ready() waits until each (addr, port, kind) answers its witness."""

    def __init__(self, name, argv, tmp, wrap=None):
        self.name = name
        self.log = os.path.join(tmp, name + '.log')
        self.argv = (wrap or []) + argv
        netns.log('+ %s' % ' '.join(self.argv))
        self.logf = open(self.log, 'wb')
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=_die_with_parent)
        self.seen = {}
        self.stopped = False

    def tail(self):
        try:
            with open(self.log, 'rb') as f:
                return f.read()[-1500:].decode(errors='replace')
        except OSError:
            return ''

    def ready(self, endpoints, timeout=60):
        """Wait until every (addr, port, kind) answers; what each said
        (in self.seen).  None when all did, else why not."""
        deadline = time.monotonic() + timeout
        for addr, port, kind in endpoints:
            last = None
            while True:
                if self.proc.poll() is not None:
                    return '%s exited %d: %s' % (self.name,
                                                 self.proc.returncode,
                                                 self.tail())
                try:
                    self.seen[(addr, port)] = witness(kind, addr, port)
                    break
                except (OSError, ssl.SSLError) as e:
                    last = e
                if time.monotonic() > deadline:
                    return '%s does not answer %s on %s port %d: %s; %s' % (
                        self.name, kind, addr, port, last, self.tail())
                time.sleep(0.02)
        netns.log('%s ready: %s' % (self.name, ', '.join(
            '%s:%d %s' % e for e in endpoints)))
        return None

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, 9)
                except OSError:
                    pass
                self.proc.wait()
        # Whatever it left in its process group (nginx workers, sshd
        # children of connections) goes with it.
        try:
            os.killpg(self.proc.pid, 9)
        except OSError:
            pass
        self.logf.close()


class Daemons(list):
    """The daemons of one test, started in cwd, every one stopped however
    the test ends: checks done, a harness error (sys.exit), an exception,
    or SIGTERM (meson's time limit).  also: more to stop first (hostile
    servers)."""

    def __init__(self, cwd):
        super().__init__()
        self.cwd = cwd
        self.also = []
        atexit.register(self.stop)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    def start(self, name, argv, endpoints, wrap=None):
        """A daemon that answers on every endpoint, or a harness error."""
        d = Daemon(name, argv, self.cwd, wrap=wrap)
        self.append(d)
        why = d.ready(endpoints)
        if why is not None:
            netns.hard_error(why)
        return d

    def stop(self):
        while self.also:
            self.also.pop().stop()
        for d in self:
            d.stop()


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies (a
    daemon must not outlive a test killed by meson's time limit)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, 9, 0, 0, 0)       # PR_SET_PDEATHSIG, SIGKILL


def need(path, pkg):
    """path if it is an executable, else skip naming the package."""
    p = shutil.which(path) if '/' not in path else path
    if not p or not os.access(p, os.X_OK):
        netns.skip('%s not found (Debian package %s): tests/deps.sh '
                   'installs it' % (path, pkg))
    return p


def workdirs(name):
    """A test's temporary tree: (tmp, etc, out).  tmp and etc are readable
    by the daemons' unprivileged workers (nginx's nobody) and writable by
    root alone; out is for trawl's outputs, written by trawl, which may
    run as nobody."""
    tmp = tempfile.mkdtemp(prefix='trawl-e2e-%s.' % name)
    os.chmod(tmp, 0o755)
    etc = os.path.join(tmp, 'etc')
    os.mkdir(etc)
    os.chmod(etc, 0o755)
    out = os.path.join(tmp, 'out')
    os.mkdir(out)
    os.chmod(out, 0o777)
    return tmp, etc, out


def nginx_head(ngx, worker_connections=1024, default_type='text/html'):
    """The start of an nginx.conf for a test (its files under ngx, run as
    nobody), up to and with the http block's defaults: the caller adds
    its servers and closes the block."""
    return ('''\
user nobody nogroup;
worker_processes 1;
pid {ngx}/nginx.pid;
error_log stderr;
events {{ worker_connections {wc}; }}
http {{
  access_log off;
  client_body_temp_path {ngx}/body;
  proxy_temp_path {ngx}/proxy;
  fastcgi_temp_path {ngx}/fastcgi;
  uwsgi_temp_path {ngx}/uwsgi;
  scgi_temp_path {ngx}/scgi;
  default_type {dt};
'''.format(ngx=ngx, wc=worker_connections, dt=default_type))


def make_cert(tmp, name, subj, sans=(), days=5, ca=None):
    """A certificate (and its key) with subject subj ('/C=XX/CN=...')
    and the SANs given ('DNS:x', 'IP:y'): self-signed, or issued by ca
    (the (cert, key) of an earlier make_cert()).  Its paths (cert, key)."""
    cert = os.path.join(tmp, name + '.crt')
    key = os.path.join(tmp, name + '.key')
    argv = ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key,
            '-out', cert, '-days', str(days), '-subj', subj]
    if sans:
        argv += ['-addext', 'subjectAltName=' + ','.join(sans)]
    if ca is not None:
        argv += ['-CA', ca[0], '-CAkey', ca[1]]
    netns.sh(argv)
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    return cert, key


def cert_facts(cert):
    """What openssl x509 says of cert: {'sha256': hex lower-case,
    'not_after': 'YYYY-MM-DDTHH:MM:SSZ', 'subject': ..., 'issuer': ...,
    'sans': [...], 'not_after_epoch': int}."""
    out = netns.sh(['openssl', 'x509', '-in', cert, '-noout',
                    '-fingerprint', '-sha256', '-enddate', '-subject',
                    '-issuer', '-nameopt', 'RFC2253', '-ext',
                    'subjectAltName'])
    facts = {'raw': out}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('sha256 Fingerprint=') or \
                line.startswith('SHA256 Fingerprint='):
            facts['sha256'] = line.split('=', 1)[1].replace(':', '').lower()
        elif line.startswith('notAfter='):
            t = time.strptime(line.split('=', 1)[1].strip(),
                              '%b %d %H:%M:%S %Y GMT')
            facts['not_after'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', t)
            facts['not_after_epoch'] = int(_timegm(t))
        elif line.startswith('subject='):
            facts['subject'] = line.split('=', 1)[1].strip()
        elif line.startswith('issuer='):
            facts['issuer'] = line.split('=', 1)[1].strip()
        elif 'Subject Alternative Name' in line and i + 1 < len(lines):
            facts['sans'] = [x.strip() for x in lines[i + 1].split(',')]
    return facts


def _timegm(t):
    import calendar
    return calendar.timegm(t)


# --- hostile servers ---------------------------------------------------------

class Hostile:
    """A listening socket on (addr, port) whose every connection is
    handled by handler(conn, record) in a thread of its own; record is a
    dict the handler fills (accepted/closed times, what it read)."""

    def __init__(self, addr, port, handler, name):
        self.name = name
        self.handler = handler
        self.sock = socket.socket(netns.family_of(addr), socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(128)
        self.addr, self.port = addr, port
        self.records = []
        self.conns = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if not r:
                continue
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            rec = {'accepted': time.monotonic(), 'closed': None,
                   'read': b''}
            with self.lock:
                self.records.append(rec)
                self.conns.append(c)
            threading.Thread(target=self._run, args=(c, rec),
                             daemon=True).start()

    def _run(self, c, rec):
        try:
            self.handler(c, rec, self.stopping)
        except OSError as e:
            rec['error'] = str(e)
        finally:
            if rec['closed'] is None:
                rec['closed'] = time.monotonic()

    def snapshot(self):
        with self.lock:
            return [dict(r) for r in self.records]

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


def _peer_gone(c, timeout):
    """Wait up to timeout for the client to send or close: True when it
    closed (EOF or reset); what it sent is discarded."""
    r, _, _ = select.select([c], [], [], timeout)
    if not r:
        return False
    try:
        data = c.recv(65536)
    except OSError:
        return True
    return not data


HOSTILE_GREETING = (b'\x1b[2J\x1b]0;pwned\x07' + b'\xff\xfe\xc3\x28' +
                    b'"<>&,' + b'\x00\x00' + b'tail' + b'\r\n')


def h_greeting(c, rec, stopping):
    """Sends HOSTILE_GREETING, then waits for the client to go."""
    c.sendall(HOSTILE_GREETING)
    while not stopping.is_set():
        if _peer_gone(c, 0.2):
            rec['closed'] = time.monotonic()
            return


def h_trickle(c, rec, stopping):
    """One byte a second, for ever; rec['closed'] when the client went."""
    n = 0
    while not stopping.is_set():
        try:
            c.send(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 26:n % 26 + 1])
        except OSError:
            rec['closed'] = time.monotonic()
            return
        n += 1
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if _peer_gone(c, end - time.monotonic()):
                rec['closed'] = time.monotonic()
                return
            if stopping.is_set():
                return


_MEG = (b'x' * 1023 + b'\n') * 1024


def h_flood(c, rec, stopping):
    """64 MiB as fast as the client takes them, then more, for ever."""
    sent = 0
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    while not stopping.is_set():
        try:
            c.sendall(_MEG)
        except OSError:
            break
        sent += len(_MEG)
    rec['sent'] = sent
    rec['closed'] = time.monotonic()


def h_silent(c, rec, stopping):
    """Accepts, never reads, never writes: held until the test ends."""
    stopping.wait()


def _read_client_hello(c, rec, timeout=30):
    """Read one TLS record (a ClientHello: content type 22); True when
    one came."""
    c.settimeout(timeout)
    data = b''
    try:
        while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5],
                                                               'big'):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    rec['read'] = data
    hello = len(data) >= 6 and data[0] == 0x16 and data[5] == 1
    rec['client_hello'] = hello
    return hello


def h_tls_reset(c, rec, stopping):
    """Reads the ClientHello, then resets the connection (SO_LINGER 0)."""
    _read_client_hello(c, rec)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 b'\x01\x00\x00\x00\x00\x00\x00\x00')
    c.close()
    rec['closed'] = time.monotonic()


GARBAGE_TLS = (b'\x16\x03\x03\x00\x10' + b'\x02\x00\x00\xff' +
               b'\xde\xad\xbe\xef' * 3 + b'\x17\x03\x03\xff\xff' +
               b'\x1b[31mnot tls\x00\xff')


def h_tls_garbage(c, rec, stopping):
    """Reads the ClientHello (if one comes), answers with a broken TLS
    record, then waits for the client to go."""
    _read_client_hello(c, rec)
    c.sendall(GARBAGE_TLS)
    c.settimeout(None)
    while not stopping.is_set():
        if _peer_gone(c, 0.2):
            rec['closed'] = time.monotonic()
            return


def hashlib_sha256(der):
    """SHA-256 of a DER certificate, lower-case hex."""
    import hashlib
    return hashlib.sha256(der).hexdigest()
