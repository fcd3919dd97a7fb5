/*
 * The parsers of server replies (svcid.h): what the first bytes of a
 * connection say about the service behind it.
 *
 * Names, products and versions are nmap's (nmap-service-probes, 7.93), so
 * that a port trawl calls "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u10" is
 * the port nmap -sV calls the same: a report is compared with nmap's, and
 * a name that differs only in spelling reads as a change.  nmap gets there
 * with thousands of regular expressions; the few services trawl knows are
 * recognised by hand here, each rule a short reading of nmap's match lines
 * for the common case, and nothing is claimed where nmap's answer would
 * hinge on detail this code does not look at (a product is left empty
 * rather than guessed).
 *
 * Everything here reads only the n bytes it is given: replies are cut
 * short by the grab's limits, and hostile by nature.  Every string written
 * ends at the first NUL, CR or LF of its source and is cut to its array.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "trawl/svcid.h"

/* Ports where the client speaks first, by the probe that fits them. */
static const uint16_t http_ports[] = {
	80, 81, 591, 2375, 3000, 5000, 5601, 7001, 8000, 8008, 8069, 8080,
	8081, 8082, 8088, 8180, 8888, 9000, 9090, 9200, 10000,
};
static const uint16_t tls_ports[] = {
	443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 2376, 3269,
	4443, 5061, 5986, 6443, 6697, 7443, 8443, 8883, 9443, 10443,
};

static bool
port_in(uint16_t port, const uint16_t *list, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (list[i] == port)
			return true;
	return false;
}

enum svc_probe
svcid_first_probe(uint16_t port)
{
	if (port_in(port, http_ports, sizeof(http_ports) /
	    sizeof(http_ports[0])))
		return SVC_PROBE_HTTP;
	if (port_in(port, tls_ports, sizeof(tls_ports) /
	    sizeof(tls_ports[0])))
		return SVC_PROBE_TLS;
	if (port == 6379)
		return SVC_PROBE_REDIS;
	if (port == 5432)
		return SVC_PROBE_PGSQL;
	return SVC_PROBE_NULL;
}

/*
 * Byte helpers.  ctype's functions take the C locale's view of bytes
 * above 127 only by accident of the locale; these do not.
 */
static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* nmap's \w, and the [\w._-] its version captures are made of. */
static bool
is_word(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_vchar(int c)
{
	return is_word(c) || c == '.' || c == '-';
}

/* Whether b (n bytes) starts with the string p. */
static bool
starts(const uint8_t *b, size_t n, const char *p)
{
	size_t len = strlen(p);

	return n >= len && memcmp(b, p, len) == 0;
}

static bool
starts_ci(const uint8_t *b, size_t n, const char *p)
{
	size_t len = strlen(p);

	if (n < len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (lower(b[i]) != lower((unsigned char)p[i]))
			return false;
	return true;
}

/* The offset of p in b, case-insensitive, or n when it is not there. */
static size_t
find_ci(const uint8_t *b, size_t n, const char *p)
{
	size_t len = strlen(p);

	for (size_t i = 0; len <= n && i <= n - len; i++)
		if (starts_ci(b + i, n - i, p))
			return i;
	return n;
}

static bool
has_ci(const uint8_t *b, size_t n, const char *p)
{
	return find_ci(b, n, p) < n;
}

/*
 * Whether p is in b as a word of its own, case-insensitive: not "SMTP" in
 * "ESMTPX" nor in a host name, "smtp-gw.example.org".
 */
static bool
has_word_ci(const uint8_t *b, size_t n, const char *p)
{
	size_t len = strlen(p), at, from = 0;

	while ((at = find_ci(b + from, n - from, p)) < n - from) {
		at += from;
		if ((at == 0 || !is_vchar(b[at - 1])) &&
		    (at + len == n || !is_vchar(b[at + len])))
			return true;
		from = at + 1;
	}
	return false;
}

/* The length of the first line of b: up to its CR LF, LF or the end. */
static size_t
line_len(const uint8_t *b, size_t n)
{
	const uint8_t *nl = memchr(b, '\n', n);
	size_t len = nl != NULL ? (size_t)(nl - b) : n;

	if (len > 0 && b[len - 1] == '\r')
		len--;
	return len;
}

/* Where the line after the first one starts: n when there is none. */
static size_t
next_line(const uint8_t *b, size_t n)
{
	const uint8_t *nl = memchr(b, '\n', n);

	return nl != NULL ? (size_t)(nl - b) + 1 : n;
}

/*
 * Drop the bytes of a UTF-8 sequence that a cut at len left incomplete:
 * the outputs escape what is not UTF-8, and half a character the server
 * sent whole would read as a hostile byte.  Text that was not UTF-8 to
 * begin with is kept as it came.
 */
static size_t
utf8_cut(const char *s, size_t len)
{
	size_t i = len, need;

	while (i > 0 && len - i < 4 && ((unsigned char)s[i - 1] & 0xc0) ==
	    0x80)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return len;
	i--;
	if (((unsigned char)s[i] & 0xe0) == 0xc0)
		need = 2;
	else if (((unsigned char)s[i] & 0xf0) == 0xe0)
		need = 3;
	else if (((unsigned char)s[i] & 0xf8) == 0xf0)
		need = 4;
	else
		return len;
	return len - i < need ? i : len;
}

/*
 * Copy src (len bytes) to dst (size bytes): up to the first NUL, CR or LF,
 * cut to fit, always terminated.
 */
static void
field(char *dst, size_t size, const void *src, size_t len)
{
	const uint8_t *p = src;
	size_t i;
	bool cut = false;

	if (size == 0)
		return;
	for (i = 0; i < len && p[i] != '\0' && p[i] != '\r' &&
	    p[i] != '\n'; i++) {
		if (i == size - 1) {
			cut = true;
			break;
		}
		dst[i] = (char)p[i];
	}
	if (cut)
		i = utf8_cut(dst, i);
	dst[i] = '\0';
}

static void
field_str(char *dst, size_t size, const char *src)
{
	field(dst, size, src, strlen(src));
}

/*
 * What identify found, before it is copied into the caller's svc: a reply
 * that is recognised by none of the rules leaves the svc as it was.
 */
struct found {
	const char *name;
	char product[sizeof(((struct svc *)0)->product)];
	char version[sizeof(((struct svc *)0)->version)];
	char extrainfo[sizeof(((struct svc *)0)->extrainfo)];
};

static bool
found(struct found *f, const char *name, const char *product)
{
	f->name = name;
	field_str(f->product, sizeof(f->product), product);
	return true;
}

/* The run of version characters ([\w._-]) at b, as nmap's captures. */
static size_t
vrun(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && is_vchar(b[i]))
		i++;
	return i;
}

/* The run of bytes up to white space. */
static size_t
token(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && !is_space(b[i]) && b[i] != '\0')
		i++;
	return i;
}

/*
 * SSH: "SSH-protoversion-softwareversion comments".  nmap's OpenSSH rules
 * show a Debian or Ubuntu package revision after the version, its "-"
 * turned into a space ("9.2p1 Debian 2+deb12u10"); the protocol goes to
 * the extra information of every SSH server.
 */
static bool
id_ssh(const uint8_t *b, size_t n, struct found *f)
{
	size_t len = line_len(b, n), i, proto, sw, v, rest;
	char buf[sizeof(f->version)];

	if (!starts(b, len, "SSH-"))
		return false;
	f->name = "ssh";
	for (i = 4; i < len && (is_digit(b[i]) || b[i] == '.'); i++)
		;
	proto = i - 4;
	if (proto > 0)
		snprintf(f->extrainfo, sizeof(f->extrainfo), "protocol %.*s",
		    (int)proto, (const char *)b + 4);
	if (i >= len || b[i] != '-')
		return true;
	sw = ++i;
	if (starts_ci(b + sw, len - sw, "OpenSSH") &&
	    (len - sw == 7 || b[sw + 7] == '_' || b[sw + 7] == '-' ||
	    is_space(b[sw + 7]))) {
		field_str(f->product, sizeof(f->product), "OpenSSH");
		if (len - sw == 7 || is_space(b[sw + 7]))
			return true;
		i = sw + 8;
		/*
		 * The version is [\w.]+: nmap leaves a patch's suffix out
		 * ("7.4p1-hpn14v5" is 7.4p1), but shows a Debian or Ubuntu
		 * revision: "9.2p1 Debian-2+deb12u10" matches
		 * [ -]{1,2}Debian[ -_](.+).
		 */
		for (v = 0; i + v < len && (is_word(b[i + v]) ||
		    b[i + v] == '.'); v++)
			;
		rest = i + v;
		if (v > 0 && rest < len && (b[rest] == ' ' ||
		    b[rest] == '-')) {
			size_t d = rest + 1;
			const char *distro = NULL;

			if (d < len && (b[d] == ' ' || b[d] == '-'))
				d++;

			if (starts(b + d, len - d, "Debian"))
				distro = "Debian";
			else if (starts(b + d, len - d, "Ubuntu"))
				distro = "Ubuntu";
			else if (starts(b + d, len - d, "Raspbian"))
				distro = "Raspbian";
			if (distro != NULL && len - d > strlen(distro) + 1 &&
			    (b[d + strlen(distro)] == '-' ||
			    b[d + strlen(distro)] == ' ' ||
			    b[d + strlen(distro)] == '_')) {
				d += strlen(distro) + 1;
				snprintf(buf, sizeof(buf), "%.*s %s %.*s",
				    (int)v, (const char *)b + i, distro,
				    (int)(len - d), (const char *)b + d);
				field_str(f->version, sizeof(f->version),
				    buf);
				if ((strcmp(distro, "Ubuntu") == 0 ||
				    has_ci(b + d, len - d, "ubuntu")) &&
				    proto > 0)
					snprintf(f->extrainfo,
					    sizeof(f->extrainfo),
					    "Ubuntu Linux; protocol %.*s",
					    (int)proto, (const char *)b + 4);
				return true;
			}
		}
		field(f->version, sizeof(f->version), b + i, v);
		return true;
	}
	if (starts(b + sw, len - sw, "dropbear")) {
		field_str(f->product, sizeof(f->product), "Dropbear sshd");
		if (len - sw > 9 && b[sw + 8] == '_')
			field(f->version, sizeof(f->version), b + sw + 9,
			    vrun(b + sw + 9, len - sw - 9));
		return true;
	}
	if (starts(b + sw, len - sw, "libssh_") ||
	    starts(b + sw, len - sw, "libssh-")) {
		field_str(f->product, sizeof(f->product), "libssh");
		field(f->version, sizeof(f->version), b + sw + 7,
		    vrun(b + sw + 7, len - sw - 7));
		return true;
	}
	return true;
}

/*
 * A MySQL or MariaDB server's first packet: a 3-byte length, sequence
 * number 0, then protocol 10 and the server's version as a C string.
 * nmap names MariaDB's "5.5.5-10.11.6-MariaDB" product "MySQL" too.
 */
static size_t
mysql_len(const uint8_t *b, size_t n)
{
	if (n < 5 || b[3] != 0 || (b[4] != 0x0a && b[4] != 0xff))
		return 0;
	return (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16;
}

static bool
id_mysql(const uint8_t *b, size_t n, struct found *f)
{
	size_t len = mysql_len(b, n), v;

	if (len < 2)
		return false;
	if (n > 4 + len)
		n = 4 + len;
	if (b[4] == 0xff) {
		/* An error packet: code, then a message naming the server. */
		if (has_ci(b + 5, n - 5, "MariaDB"))
			return found(f, "mysql", "MariaDB");
		if (has_ci(b + 5, n - 5, "MySQL") ||
		    has_ci(b + 5, n - 5, "Too many connections") ||
		    has_ci(b + 5, n - 5, "is not allowed to connect"))
			return found(f, "mysql", "MySQL");
		return false;
	}
	for (v = 5; v < n && b[v] != '\0'; v++)
		if (!is_vchar(b[v]) && b[v] != '~' && b[v] != '+' &&
		    b[v] != ':')
			return false;
	if (v == 5 || !is_digit(b[5]))
		return false;
	found(f, "mysql", "MySQL");
	field(f->version, sizeof(f->version), b + 5, v - 5);
	return true;
}

/* "RFB 003.008\n": nmap shows the protocol, "3.8". */
static bool
id_vnc(const uint8_t *b, size_t n, struct found *f)
{
	int major, minor;

	if (n < 11 || !starts(b, n, "RFB "))
		return false;
	for (size_t i = 4; i < 11; i++)
		if (i == 7 ? b[i] != '.' : !is_digit(b[i]))
			return false;
	major = (b[4] - '0') * 100 + (b[5] - '0') * 10 + (b[6] - '0');
	minor = (b[8] - '0') * 100 + (b[9] - '0') * 10 + (b[10] - '0');
	f->name = "vnc";
	if (major == 3 && (minor == 889 || minor == 888))
		field_str(f->product, sizeof(f->product),
		    "Apple remote desktop vnc");
	else if (major == 4 && minor == 0)
		field_str(f->product, sizeof(f->product),
		    "RealVNC Personal");
	else if (major == 3 && minor < 10)
		field_str(f->product, sizeof(f->product), "VNC");
	snprintf(f->extrainfo, sizeof(f->extrainfo), "protocol %d.%d",
	    major, minor);
	return true;
}

/*
 * Redis: the INFO reply is a RESP bulk string whose "redis_version:"
 * line nmap reads; a server that wants a password, or any other probe,
 * gets one of Redis's own error lines.
 */
static bool
id_redis(const uint8_t *b, size_t n, struct found *f)
{
	static const char *errors[] = {
		"-NOAUTH ", "-DENIED ", "-ERR operation not permitted",
		"-ERR wrong number of arguments for 'get' command",
		"-ERR unknown command", "-WRONGPASS ",
	};
	size_t at, v;

	if (starts(b, n, "$") && n > 1 && is_digit(b[1])) {
		at = find_ci(b, n, "\nredis_version:");
		if (at == n)
			return false;
		found(f, "redis", "Redis key-value store");
		at += strlen("\nredis_version:");
		for (v = at; v < n && (is_digit(b[v]) || b[v] == '.'); v++)
			;
		field(f->version, sizeof(f->version), b + at, v - at);
		return true;
	}
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (starts(b, n, errors[i]))
			return found(f, "redis", "Redis key-value store");
	return false;
}

/*
 * The reply to PostgreSQL's SSLRequest is one byte, 'S' (go ahead with
 * TLS) or 'N'; an 'E' is an error message from an older server.  Only
 * after that probe does a lone 'S' mean anything.
 */
static bool
id_pgsql(const uint8_t *b, size_t n, struct found *f)
{
	if (n == 0)
		return false;
	if ((b[0] == 'S' || b[0] == 'N') && n == 1)
		return found(f, "postgresql", "PostgreSQL DB");
	if (b[0] == 'E' && (has_ci(b, n, "SFATAL") ||
	    has_ci(b, n, "startup packet") ||
	    has_ci(b, n, "unsupported frontend protocol")))
		return found(f, "postgresql", "PostgreSQL DB");
	return false;
}

/* Where what is in a line of b, and how much of that line is left there. */
static size_t
find_line(const uint8_t *b, size_t n, const char *what, size_t *lenp)
{
	for (size_t at = 0; at < n; at = next_line(b + at, n - at) + at) {
		size_t len = line_len(b + at, n - at), w;

		if ((w = find_ci(b + at, len, what)) < len) {
			*lenp = len - w;
			return at + w;
		}
	}
	return n;
}

/*
 * A "220" greeting is SMTP's or FTP's, and only its words tell which:
 * products first (a mail host named ftp.example.com runs Postfix), then
 * SMTP as a word, then FTP anywhere (FTPd, ftp server), then mail.
 */
static bool
id_220(const uint8_t *b, size_t n, struct found *f)
{
	size_t at, len, v;

	if (!starts(b, n, "220"))
		return false;
	if ((at = find_line(b, n, "OpenSMTPD", &len)) < n)
		return found(f, "smtp", "OpenSMTPD");
	if ((at = find_line(b, n, "ESMTP Postfix", &len)) < n)
		return found(f, "smtp", "Postfix smtpd");
	if ((at = find_line(b, n, "SMTP Exim ", &len)) < n) {
		found(f, "smtp", "Exim smtpd");
		at += strlen("SMTP Exim ");
		len -= strlen("SMTP Exim ");
		if (len > 0 && (is_digit(b[at]) || b[at] == 'V'))
			field(f->version, sizeof(f->version), b + at,
			    token(b + at, len));
		return true;
	}
	if ((at = find_line(b, n, "SMTP Sendmail ", &len)) < n) {
		found(f, "smtp", "Sendmail");
		at += strlen("SMTP Sendmail ");
		len -= strlen("SMTP Sendmail ");
		for (v = 0; v < len && b[at + v] != ';' && b[at + v] != ' ';
		    v++)
			;
		if (len > 0 && is_digit(b[at]))
			field(f->version, sizeof(f->version), b + at, v);
		return true;
	}
	if ((at = find_line(b, n, "(vsFTPd ", &len)) < n ||
	    (at = find_line(b, n, "vsFTPd ", &len)) < n) {
		size_t skip = b[at] == '(' ? 8 : 7;

		found(f, "ftp", "vsftpd");
		at += skip;
		len -= skip;
		field(f->version, sizeof(f->version), b + at,
		    vrun(b + at, len));
		return true;
	}
	if ((at = find_line(b, n, "ProFTPD", &len)) < n) {
		found(f, "ftp", "ProFTPD");
		at += 7;
		len -= 7;
		if (len > 1 && b[at] == ' ' && is_digit(b[at + 1]))
			field(f->version, sizeof(f->version), b + at + 1,
			    token(b + at + 1, len - 1));
		return true;
	}
	if (find_line(b, n, "Pure-FTPd", &len) < n ||
	    find_line(b, n, "PureFTPd", &len) < n)
		return found(f, "ftp", "Pure-FTPd");
	if ((at = find_line(b, n, "FileZilla Server version ", &len)) < n) {
		found(f, "ftp", "FileZilla ftpd");
		at += strlen("FileZilla Server version ");
		len -= strlen("FileZilla Server version ");
		field(f->version, sizeof(f->version), b + at,
		    token(b + at, len));
		return true;
	}
	len = line_len(b, n);
	if (has_word_ci(b, len, "ESMTP") || has_word_ci(b, len, "SMTP"))
		return found(f, "smtp", "");
	if (has_ci(b, len, "FTP"))
		return found(f, "ftp", "");
	if (has_ci(b, len, "mail"))
		return found(f, "smtp", "");
	return false;
}

/* POP3's "+OK" and IMAP's "* OK", Dovecot's named as nmap does. */
static bool
id_mail(const uint8_t *b, size_t n, struct found *f)
{
	static const struct {
		const char *vendor, *pop3, *imap;
	} vendors[] = {
		{ "Dovecot", "Dovecot pop3d", "Dovecot imapd" },
		{ "Cyrus", "Cyrus pop3d", "Cyrus imapd" },
		{ "Courier", "Courier pop3d", "Courier Imapd" },
	};
	size_t len = line_len(b, n);
	bool imap;

	if (starts(b, len, "+OK"))
		imap = false;
	else if (starts(b, len, "* OK") || starts(b, len, "* PREAUTH"))
		imap = true;
	else
		return false;
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (has_ci(b, len, vendors[i].vendor))
			return found(f, imap ? "imap" : "pop3",
			    imap ? vendors[i].imap : vendors[i].pop3);
	return found(f, imap ? "imap" : "pop3", "");
}

/*
 * The product of an HTTP server from its Server: header, as nmap's match
 * lines for the common servers have it; any other server is its first
 * token's name, without a version nmap would not claim.
 */
static void
http_product(const char *server, struct found *f)
{
	const uint8_t *s = (const uint8_t *)server;
	size_t n = strlen(server), name, v, rest;
	static const struct {
		const char *token, *product;
	} known[] = {
		{ "nginx", "nginx" },
		{ "Apache", "Apache httpd" },
		{ "lighttpd", "lighttpd" },
		{ "Microsoft-IIS", "Microsoft IIS httpd" },
		{ "openresty", "OpenResty web app server" },
		{ "Caddy", "Caddy httpd" },
	};

	for (name = 0; name < n && s[name] != '/' && !is_space(s[name]);
	    name++)
		;
	if (name == 0)
		return;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].token) != name ||
		    !starts_ci(s, name, known[i].token))
			continue;
		field_str(f->product, sizeof(f->product), known[i].product);
		/* server is a C string: s[name + 1] is at most its NUL. */
		if (s[name] != '/' || !is_digit(s[name + 1]))
			return;
		v = vrun(s + name + 1, n - name - 1);
		field(f->version, sizeof(f->version), s + name + 1, v);
		rest = name + 1 + v;
		/* "Apache/2.4.57 (Debian)": the rest is nmap's extra info. */
		if (rest + 1 < n && s[rest] == ' ') {
			if (strcmp(known[i].token, "nginx") == 0 &&
			    s[rest + 1] == '(' && s[n - 1] == ')')
				field(f->extrainfo, sizeof(f->extrainfo),
				    s + rest + 2, n - rest - 3);
			else if (strcmp(known[i].token, "Apache") == 0 ||
			    strcmp(known[i].token, "lighttpd") == 0)
				field(f->extrainfo, sizeof(f->extrainfo),
				    s + rest + 1, n - rest - 1);
		}
		return;
	}
	field(f->product, sizeof(f->product), s, name);
}

/* Whether the header line at b (len bytes) is name: and where its value is. */
static bool
header(const uint8_t *b, size_t len, const char *name, size_t *value)
{
	size_t i = strlen(name);

	if (!starts_ci(b, len, name) || i >= len || b[i] != ':')
		return false;
	for (i++; i < len && (b[i] == ' ' || b[i] == '\t'); i++)
		;
	*value = i;
	return true;
}

/*
 * Where the head of an HTTP reply ends (its empty line, CR LF or LF only):
 * the offset of the body, or 0 when the head is not whole yet.
 */
static size_t
http_head_end(const uint8_t *b, size_t n)
{
	for (size_t at = 0; at < n; ) {
		size_t next = next_line(b + at, n - at);

		if (next == n - at && b[n - 1] != '\n')
			return 0;	/* a line not ended yet */
		if (at > 0 && line_len(b + at, n - at) == 0)
			return at + next;
		at += next;
	}
	return 0;
}

/* "HTTP/1.1 200 OK": the status, or 0 when b is no status line. */
static int
http_status(const uint8_t *b, size_t n)
{
	size_t i = 5;

	if (!starts(b, n, "HTTP/"))
		return 0;
	while (i < n && (is_digit(b[i]) || b[i] == '.'))
		i++;
	if (i == 5 || i >= n || b[i] != ' ')
		return 0;
	while (i < n && b[i] == ' ')
		i++;
	/* Three digits, the first of them a class from 1 to 9. */
	if (n - i < 3 || b[i] < '1' || b[i] > '9' || !is_digit(b[i + 1]) ||
	    !is_digit(b[i + 2]) || (n - i > 3 && is_digit(b[i + 3])))
		return 0;
	return (b[i] - '0') * 100 + (b[i + 1] - '0') * 10 + (b[i + 2] - '0');
}

/*
 * The text of <title>: white space folded into single spaces and trimmed,
 * up to </title>, or to the end of what came when the reply was cut.
 */
static void
http_title(const uint8_t *b, size_t n, char *title, size_t size)
{
	size_t at = 0, out = 0;
	bool space = false, cut = false;

	for (;;) {
		at += find_ci(b + at, n - at, "<title");
		if (at == n)
			return;
		at += strlen("<title");
		if (at < n && (b[at] == '>' || is_space(b[at])))
			break;
	}
	while (at < n && b[at] != '>')
		at++;		/* <title lang="en"> */
	for (at++; at < n && b[at] != '\0' && !starts_ci(b + at, n - at,
	    "</title"); at++) {
		if (is_space(b[at])) {
			space = out > 0;
			continue;
		}
		if (out + (space ? 1 : 0) + 1 >= size) {
			cut = true;
			break;
		}
		if (space)
			title[out++] = ' ';
		space = false;
		title[out++] = (char)b[at];
	}
	if (cut)
		out = utf8_cut(title, out);
	title[out] = '\0';
}

bool
svcid_http(const uint8_t *b, size_t n, struct svc_http *h)
{
	size_t head, at, len, v;

	memset(h, 0, sizeof(*h));
	if ((h->status = http_status(b, line_len(b, n))) == 0)
		return false;
	head = http_head_end(b, n);
	for (at = next_line(b, n); at < (head > 0 ? head : n);
	    at += next_line(b + at, n - at)) {
		len = line_len(b + at, n - at);
		if (len == 0)
			break;
		if (header(b + at, len, "Server", &v))
			field(h->server, sizeof(h->server), b + at + v,
			    len - v);
		else if (header(b + at, len, "Location", &v))
			field(h->location, sizeof(h->location), b + at + v,
			    len - v);
	}
	if (head > 0)
		http_title(b + head, n - head, h->title, sizeof(h->title));
	return true;
}

/* The Content-Length of the head at b, or -1 when it has none. */
static long long
http_content_length(const uint8_t *b, size_t head)
{
	size_t at, len, v;
	long long cl;

	for (at = next_line(b, head); at < head;
	    at += next_line(b + at, head - at)) {
		len = line_len(b + at, head - at);
		if (!header(b + at, len, "Content-Length", &v))
			continue;
		if (v >= len || !is_digit(b[at + v]))
			return -1;
		for (cl = 0; v < len && is_digit(b[at + v]); v++) {
			if (cl > 100000000)
				return -1;	/* far more than is read */
			cl = cl * 10 + (b[at + v] - '0');
		}
		return cl;
	}
	return -1;
}

static bool
http_enough(const uint8_t *b, size_t n)
{
	size_t head = http_head_end(b, n);
	int status = http_status(b, line_len(b, n));
	long long cl;

	if (head == 0)
		return false;
	if (status < 200 || status == 204 || status == 304)
		return true;
	cl = http_content_length(b, head);
	if (cl == 0 || (cl > 0 && (unsigned long long)(n - head) >=
	    (unsigned long long)cl))
		return true;
	return has_ci(b + head, n - head, "</title");
}

/* A RESP reply whole: a bulk string with all its bytes, or one line. */
static bool
resp_enough(const uint8_t *b, size_t n)
{
	size_t i, len;
	unsigned long long want = 0;

	if (n == 0)
		return false;
	len = line_len(b, n);
	if (memchr(b, '\n', n) == NULL)
		return false;
	if (b[0] != '$')
		return true;
	if (len > 1 && b[1] == '-')
		return true;	/* $-1: nil */
	for (i = 1; i < len && is_digit(b[i]); i++) {
		if (want > 100000000)
			return true;	/* more than is ever read */
		want = want * 10 + (unsigned long long)(b[i] - '0');
	}
	return (unsigned long long)(n - next_line(b, n)) >= want;
}

/* A server's greeting: its first line, or a whole binary greeting. */
static bool
greeting_enough(const uint8_t *b, size_t n)
{
	size_t len;

	if ((len = mysql_len(b, n)) >= 2)
		return n >= 4 + len;
	/*
	 * The start of a MySQL packet header: a length's high bytes are
	 * zeros that no text greeting has, and its low byte may be a LF.
	 */
	if (n >= 2 && n < 5 && b[1] == 0)
		return false;
	/* Telnet's options (IAC WILL, DO...): they wait for answers. */
	if (n >= 3 && b[0] == 0xff && b[1] >= 0xfb && b[1] <= 0xfe)
		return true;
	return memchr(b, '\n', n) != NULL;
}

bool
svcid_enough(enum svc_probe probe, const uint8_t *b, size_t n)
{
	if (n == 0)
		return false;
	switch (probe) {
	case SVC_PROBE_PGSQL:
		return true;
	case SVC_PROBE_REDIS:
		if (b[0] == '$' || b[0] == '+' || b[0] == '-' ||
		    b[0] == ':' || b[0] == '*')
			return resp_enough(b, n);
		break;
	default:
		break;
	}
	if (n < 5 && memcmp(b, "HTTP/", n) == 0)
		return false;
	if (starts(b, n, "HTTP/"))
		return http_enough(b, n);
	return greeting_enough(b, n);
}

bool
svcid_identify(enum svc_probe probe, const uint8_t *b, size_t n,
    struct svc *s)
{
	struct found f;
	struct svc_http h;

	memset(&f, 0, sizeof(f));
	if (n == 0)
		return false;
	if (probe == SVC_PROBE_PGSQL && id_pgsql(b, n, &f))
		goto done;
	if (svcid_http(b, n, &h)) {
		f.name = "http";
		if (h.server[0] != '\0')
			http_product(h.server, &f);
		s->http = h;
		s->has_http = true;
		goto done;
	}
	if (id_ssh(b, n, &f) || id_mysql(b, n, &f) || id_vnc(b, n, &f) ||
	    id_redis(b, n, &f) || id_220(b, n, &f) || id_mail(b, n, &f))
		goto done;
	if (starts(b, n, "RTSP/1.") && n > 7) {
		f.name = "rtsp";
		goto done;
	}
	/* Telnet options first (IAC WILL/WONT/DO/DONT), as nmap's rules. */
	if (n >= 3 && b[0] == 0xff && b[1] >= 0xfb && b[1] <= 0xfe) {
		f.name = "telnet";
		goto done;
	}
	return false;
done:
	field_str(s->name, sizeof(s->name), f.name);
	field_str(s->product, sizeof(s->product), f.product);
	field_str(s->version, sizeof(s->version), f.version);
	field_str(s->extrainfo, sizeof(s->extrainfo), f.extrainfo);
	s->identified = true;
	return true;
}

/*
 * Whether host can go into a Host: header as it is: a name or an address
 * literal, nothing that would end the line or the header early.
 */
static bool
host_ok(const char *host)
{
	if (host == NULL || *host == '\0')
		return false;
	for (const char *p = host; *p != '\0'; p++)
		if (!is_word((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	return true;
}

/*
 * An IPv6 literal as it goes in brackets: without its zone ("%eth0"),
 * which means nothing to the server; false when host is no IPv6 address.
 */
static bool
host_v6(const char *host, char *out, size_t size)
{
	struct in6_addr a;
	size_t len;

	if (host == NULL || strchr(host, ':') == NULL)
		return false;
	len = strcspn(host, "%");
	if (len >= size)
		return false;
	memcpy(out, host, len);
	out[len] = '\0';
	return inet_pton(AF_INET6, out, &a) == 1;
}

size_t
svcid_request(enum svc_probe probe, const char *host, char *buf,
    size_t size)
{
	static const char redis[] = "*1\r\n$4\r\ninfo\r\n";
	static const uint8_t pgsql[] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	char v6[INET6_ADDRSTRLEN];
	int n;

	switch (probe) {
	case SVC_PROBE_HTTP:
		/*
		 * A host that does not fit a Host: header is left out rather
		 * than refused: the request is still worth its answer.
		 */
		if (host_v6(host, v6, sizeof(v6)))
			/* In brackets, as RFC 7230 5.4 has it. */
			n = snprintf(buf, size, "GET / HTTP/1.0\r\n"
			    "Host: [%s]\r\nUser-Agent: trawl/%s\r\n"
			    "Accept: */*\r\n\r\n", v6, TRAWL_VERSION);
		else if (host_ok(host))
			n = snprintf(buf, size, "GET / HTTP/1.0\r\n"
			    "Host: %s\r\nUser-Agent: trawl/%s\r\n"
			    "Accept: */*\r\n\r\n", host, TRAWL_VERSION);
		else
			n = snprintf(buf, size, "GET / HTTP/1.0\r\n"
			    "User-Agent: trawl/%s\r\nAccept: */*\r\n\r\n",
			    TRAWL_VERSION);
		return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
	case SVC_PROBE_REDIS:
		if (size < sizeof(redis))
			return 0;
		memcpy(buf, redis, sizeof(redis));
		return sizeof(redis) - 1;
	case SVC_PROBE_PGSQL:
		if (size < sizeof(pgsql))
			return 0;
		memcpy(buf, pgsql, sizeof(pgsql));
		return sizeof(pgsql);
	default:
		return 0;
	}
}
