/*
 * The parsers of server replies.  The replies marked "captured" are what
 * the daemons installed on the build machine sent on localhost, inside a
 * private network namespace (OpenSSH 9.2p1, nginx 1.22.1, vsftpd 3.0.3,
 * OpenSMTPD 6.8.0p2, redis 7.0.15); the others are written from the
 * protocols' documents and nmap's match lines.  The expected names,
 * products and versions are what nmap 7.93 -sV shows for the same bytes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "trawl/svcid.h"

#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

/* Captured. */
static const char ssh_openssh[] =
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n";
static const char ftp_vsftpd[] = "220 (vsFTPd 3.0.3)\r\n";
static const char smtp_opensmtpd[] = "220 vm ESMTP OpenSMTPD\r\n";
static const char http_nginx[] =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Mon, 07 Dec 2026 02:58:40 GMT\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 615\r\n"
    "Last-Modified: Mon, 07 Dec 2026 02:54:07 GMT\r\n"
    "Connection: close\r\n"
    "ETag: \"6b161fcf-267\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "\r\n"
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head>\n"
    "<title>Welcome to nginx!</title>\n"
    "<style>\n"
    "html { color-scheme: light dark; }\n"
    "body { width: 35em; margin: 0 auto;\n"
    "font-family: Tahoma, Verdana, Arial, sans-serif; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Welcome to nginx!</h1>\n"
    "<p>If you see this page, the nginx web server is successfully"
    " installed and\n"
    "working. Further configuration is required.</p>\n"
    "\n"
    "<p>For online documentation and support please refer to\n"
    "<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\n"
    "Commercial support is available at\n"
    "<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n"
    "\n"
    "<p><em>Thank you for using nginx.</em></p>\n"
    "</body>\n"
    "</html>\n";
static const char http_nginx_404[] =
    "HTTP/1.1 404 Not Found\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Mon, 07 Dec 2026 02:58:40 GMT\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 153\r\n"
    "Connection: close\r\n"
    "\r\n"
    "<html>\r\n"
    "<head><title>404 Not Found</title></head>\r\n"
    "<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n"
    "<hr><center>nginx/1.22.1</center>\r\n"
    "</body>\r\n"
    "</html>\r\n";
/* The start of redis's 4879 bytes, as the grab's limit cuts them. */
static const char redis_info[] =
    "$4879\r\n"
    "# Server\r\n"
    "redis_version:7.0.15\r\n"
    "redis_git_sha1:00000000\r\n"
    "redis_git_dirty:0\r\n"
    "redis_build_id:ae4d7c971a948f0\r\n"
    "redis_mode:standalone\r\n"
    "os:Linux 6.18.44-fc-v1300 x86_64\r\n"
    "arch_bits:64\r\n";

/* Written by hand. */
static const char mysql_8[] =
    "\x4a\0\0\0\x0a" "8.0.36\0" "\x0b\0\0\0" "abcdefgh\0"
    "\xff\xff\xff\x02\0\xff\xdf\x15\0\0\0\0\0\0\0\0\0\0"
    "ijklmnopqrst\0" "caching_sha2_password\0";
static const char mariadb[] =
    "\x63\0\0\0\x0a" "5.5.5-10.11.6-MariaDB-0+deb12u1\0" "\x0c\0\0\0"
    "abcdefgh\0" "\xfe\xf7\x2d\x02\0\xff\x81\x15\0\0\0\0\0\0\x1d\0\0\0"
    "ijklmnopqrst\0" "mysql_native_password\0";

static const struct reply {
	enum svc_probe probe;
	const uint8_t *b;
	size_t n;
	const char *name, *product, *version, *extrainfo;
	bool enough;
} replies[] = {
	{ SVC_PROBE_NULL, LIT(ssh_openssh), "ssh", "OpenSSH",
	    "9.2p1 Debian 2+deb12u10", "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT(ftp_vsftpd), "ftp", "vsftpd", "3.0.3", "",
	    true },
	{ SVC_PROBE_NULL, LIT(smtp_opensmtpd), "smtp", "OpenSMTPD", "", "",
	    true },
	{ SVC_PROBE_HTTP, LIT(http_nginx), "http", "nginx", "1.22.1", "",
	    true },
	{ SVC_PROBE_HTTP, LIT(http_nginx_404), "http", "nginx", "1.22.1",
	    "", true },
	{ SVC_PROBE_REDIS, LIT(redis_info), "redis", "Redis key-value store",
	    "7.0.15", "", false },
	{ SVC_PROBE_NULL, LIT(mysql_8), "mysql", "MySQL", "8.0.36", "",
	    true },
	{ SVC_PROBE_NULL, LIT(mariadb), "mysql", "MySQL",
	    "5.5.5-10.11.6-MariaDB-0+deb12u1", "", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"),
	    "ssh", "OpenSSH", "8.9p1 Ubuntu 3ubuntu0.6",
	    "Ubuntu Linux; protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-OpenSSH_9.6\r\n"), "ssh", "OpenSSH",
	    "9.6", "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-OpenSSH_7.4p1-hpn14v5\r\n"), "ssh",
	    "OpenSSH", "7.4p1", "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-OpenSSH_7.9p1 Raspbian-10+deb10u2"
	    "\r\n"), "ssh", "OpenSSH", "7.9p1 Raspbian 10+deb10u2",
	    "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-dropbear_2022.83\r\n"), "ssh",
	    "Dropbear sshd", "2022.83", "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-2.0-dropbear\r\n"), "ssh",
	    "Dropbear sshd", "", "protocol 2.0", true },
	{ SVC_PROBE_NULL, LIT("SSH-1.99-Cisco-1.25\r\n"), "ssh", "", "",
	    "protocol 1.99", true },
	{ SVC_PROBE_NULL, LIT("220 mail.example.org ESMTP Postfix "
	    "(Debian/GNU)\r\n"), "smtp", "Postfix smtpd", "", "", true },
	{ SVC_PROBE_NULL, LIT("220 ftp.example.org ESMTP Postfix\r\n"),
	    "smtp", "Postfix smtpd", "", "", true },
	{ SVC_PROBE_NULL, LIT("220 mx.example.org ESMTP Exim 4.96 Mon, 01 "
	    "Jan 2024 00:00:00 +0000\r\n"), "smtp", "Exim smtpd", "4.96", "",
	    true },
	{ SVC_PROBE_NULL, LIT("220 mx.example.org ESMTP Sendmail "
	    "8.15.2/8.15.2; Mon, 1 Jan 2024\r\n"), "smtp", "Sendmail",
	    "8.15.2/8.15.2", "", true },
	{ SVC_PROBE_NULL, LIT("220 mail.example.com SMTP ready\r\n"), "smtp",
	    "", "", "", true },
	{ SVC_PROBE_NULL, LIT("220 ProFTPD 1.3.5e Server (Debian) "
	    "[::ffff:192.0.2.1]\r\n"), "ftp", "ProFTPD", "1.3.5e", "", true },
	{ SVC_PROBE_NULL, LIT("220 ProFTPD Server (Debian) "
	    "[::ffff:192.0.2.1]\r\n"), "ftp", "ProFTPD", "", "", true },
	{ SVC_PROBE_NULL, LIT("220---------- Welcome to Pure-FTPd [privsep] "
	    "[TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n"),
	    "ftp", "Pure-FTPd", "", "", true },
	{ SVC_PROBE_NULL, LIT("220 mail.example.com FTP server ready\r\n"),
	    "ftp", "", "", "", true },
	{ SVC_PROBE_NULL, LIT("+OK Dovecot (Debian) ready.\r\n"), "pop3",
	    "Dovecot pop3d", "", "", true },
	{ SVC_PROBE_NULL, LIT("+OK POP3 server ready\r\n"), "pop3", "", "",
	    "", true },
	{ SVC_PROBE_NULL, LIT("* OK [CAPABILITY IMAP4rev1 SASL-IR "
	    "LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] "
	    "Dovecot (Debian) ready.\r\n"), "imap", "Dovecot imapd", "", "",
	    true },
	{ SVC_PROBE_NULL, LIT("* OK IMAP4rev1 server ready\r\n"), "imap", "",
	    "", "", true },
	{ SVC_PROBE_NULL, LIT("RFB 003.008\n"), "vnc", "VNC", "",
	    "protocol 3.8", true },
	{ SVC_PROBE_NULL, LIT("RFB 003.889\n"), "vnc",
	    "Apple remote desktop vnc", "", "protocol 3.889", true },
	{ SVC_PROBE_REDIS, LIT("-NOAUTH Authentication required.\r\n"),
	    "redis", "Redis key-value store", "", "", true },
	{ SVC_PROBE_REDIS, LIT("-DENIED Redis is running in protected "
	    "mode\r\n"), "redis", "Redis key-value store", "", "", true },
	{ SVC_PROBE_NULL, LIT("-ERR wrong number of arguments for 'get' "
	    "command\r\n"), "redis", "Redis key-value store", "", "", true },
	{ SVC_PROBE_HTTP, LIT("-ERR unknown command 'GET', with args "
	    "beginning with: '/' 'HTTP/1.0' \r\n"), "redis",
	    "Redis key-value store", "", "", true },
	{ SVC_PROBE_PGSQL, LIT("S"), "postgresql", "PostgreSQL DB", "", "",
	    true },
	{ SVC_PROBE_PGSQL, LIT("N"), "postgresql", "PostgreSQL DB", "", "",
	    true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 "
	    "(Debian)\r\nContent-Length: 0\r\n\r\n"), "http", "Apache httpd",
	    "2.4.57", "(Debian)", true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.1 200 OK\r\nServer: Apache\r\n"
	    "Content-Length: 0\r\n\r\n"), "http", "Apache httpd", "", "",
	    true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.1 200 OK\r\nServer: nginx/1.18.0 "
	    "(Ubuntu)\r\nContent-Length: 0\r\n\r\n"), "http", "nginx",
	    "1.18.0", "Ubuntu", true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.0 200 OK\r\nServer: lighttpd/1.4.69"
	    "\r\nContent-Length: 0\r\n\r\n"), "http", "lighttpd", "1.4.69",
	    "", true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0"
	    "\r\nContent-Length: 0\r\n\r\n"), "http", "Microsoft IIS httpd",
	    "10.0", "", true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.0 200 OK\r\nServer: gunicorn/20.1.0"
	    "\r\nContent-Length: 0\r\n\r\n"), "http", "gunicorn", "", "",
	    true },
	{ SVC_PROBE_HTTP, LIT("HTTP/1.0 204 No Content\r\n\r\n"), "http", "",
	    "", "", true },
	{ SVC_PROBE_NULL, LIT("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"), "rtsp",
	    "", "", "", true },
	{ SVC_PROBE_NULL, LIT("\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23"),
	    "telnet", "", "", "", true },
};

static void
check_terminated(const struct svc *s)
{
	ck_assert_ptr_nonnull(memchr(s->name, '\0', sizeof(s->name)));
	ck_assert_ptr_nonnull(memchr(s->product, '\0', sizeof(s->product)));
	ck_assert_ptr_nonnull(memchr(s->version, '\0', sizeof(s->version)));
	ck_assert_ptr_nonnull(memchr(s->extrainfo, '\0',
	    sizeof(s->extrainfo)));
	ck_assert_ptr_nonnull(memchr(s->http.server, '\0',
	    sizeof(s->http.server)));
	ck_assert_ptr_nonnull(memchr(s->http.location, '\0',
	    sizeof(s->http.location)));
	ck_assert_ptr_nonnull(memchr(s->http.title, '\0',
	    sizeof(s->http.title)));
}

/* No NUL, CR or LF inside any string the parsers wrote. */
static void
check_clean(const char *str)
{
	ck_assert_ptr_null(strpbrk(str, "\r\n"));
}

/* A heap copy of exactly n bytes, so that ASan sees a read past them. */
static uint8_t *
exact(const void *b, size_t n)
{
	uint8_t *p = malloc(n > 0 ? n : 1);

	ck_assert_ptr_nonnull(p);
	if (n > 0)
		memcpy(p, b, n);
	return p;
}

START_TEST(identify_replies)
{
	const struct reply *r = &replies[_i];
	uint8_t *b = exact(r->b, r->n);
	struct svc *s = svc_new();

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(svcid_identify(r->probe, b, r->n, s),
	    "reply %d not identified", _i);
	ck_assert(s->identified);
	ck_assert_str_eq(s->name, r->name);
	ck_assert_str_eq(s->product, r->product);
	ck_assert_str_eq(s->version, r->version);
	ck_assert_str_eq(s->extrainfo, r->extrainfo);
	ck_assert_int_eq(svcid_enough(r->probe, b, r->n), r->enough);
	ck_assert_int_eq(s->has_http, strcmp(r->name, "http") == 0);
	check_terminated(s);
	svc_free(s);
	free(b);
}
END_TEST

START_TEST(http_nginx_fields)
{
	struct svc_http h;

	ck_assert(svcid_http(LIT(http_nginx), &h));
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.server, "nginx/1.22.1");
	ck_assert_str_eq(h.location, "");
	ck_assert_str_eq(h.title, "Welcome to nginx!");
	ck_assert(svcid_http(LIT(http_nginx_404), &h));
	ck_assert_int_eq(h.status, 404);
	ck_assert_str_eq(h.title, "404 Not Found");
}
END_TEST

/*
 * Every prefix of every reply, in a buffer of exactly its length: no
 * crash, nothing read past it (ASan), every string terminated and clean;
 * and the whole reply never identified as something else on the way.
 */
START_TEST(truncated)
{
	const struct reply *r = &replies[_i];

	for (size_t k = 0; k <= r->n; k++) {
		uint8_t *b = exact(r->b, k);
		struct svc *s = svc_new();
		struct svc_http h;

		ck_assert_ptr_nonnull(s);
		(void)svcid_enough(r->probe, b, k);
		if (svcid_identify(r->probe, b, k, s)) {
			ck_assert(s->identified);
			check_clean(s->product);
			check_clean(s->version);
			check_clean(s->extrainfo);
		}
		check_terminated(s);
		if (svcid_http(b, k, &h)) {
			ck_assert_int_gt(h.status, 99);
			check_clean(h.server);
			check_clean(h.location);
		}
		svc_free(s);
		free(b);
	}
}
END_TEST

/* Unknown text leaves the svc as the grab had it. */
START_TEST(unknown_untouched)
{
	static const char *texts[] = {
		"hello world\r\n", "", "\0\0\0\0", "220", "+", "* BYE\r\n",
		"HTTP/x 200\r\n", "HTTP/1.1 20\r\n", "SSH",
		"\x16\x03\x01\x00\x05hello",
	};
	struct svc *s = svc_new();

	ck_assert_ptr_nonnull(s);
	strcpy(s->name, "by-port");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t n = i == 2 ? 4 : strlen(texts[i]);

		ck_assert_msg(!svcid_identify(SVC_PROBE_NULL,
		    (const uint8_t *)texts[i], n, s), "text %zu", i);
		ck_assert_str_eq(s->name, "by-port");
		ck_assert(!s->identified && !s->has_http);
	}
	/* A lone S means PostgreSQL only after the SSLRequest. */
	ck_assert(!svcid_identify(SVC_PROBE_NULL, LIT("S"), s));
	svc_free(s);
}
END_TEST

/* The text of 220 decides, the host name does not. */
START_TEST(smtp_or_ftp)
{
	struct svc s;

	memset(&s, 0, sizeof(s));
	ck_assert(svcid_identify(SVC_PROBE_NULL,
	    LIT("220 ftp.example.org ESMTP\r\n"), &s));
	ck_assert_str_eq(s.name, "smtp");
	ck_assert(svcid_identify(SVC_PROBE_NULL,
	    LIT("220 smtp-gw.example.org FTP server ready\r\n"), &s));
	ck_assert_str_eq(s.name, "ftp");
	ck_assert_str_eq(s.product, "");
	ck_assert(svcid_identify(SVC_PROBE_NULL,
	    LIT("220 mail.example.org ready\r\n"), &s));
	ck_assert_str_eq(s.name, "smtp");
	memset(&s, 0, sizeof(s));
	ck_assert(!svcid_identify(SVC_PROBE_NULL,
	    LIT("220 welcome\r\n"), &s));
}
END_TEST

START_TEST(http_headers)
{
	struct svc_http h;

	/* LF only, names in any case, no space after the colon. */
	ck_assert(svcid_http(LIT("HTTP/1.0 302 Found\nSERVER:x/1\n"
	    "location:/login\n\n<TiTlE>a</tItLe>"), &h));
	ck_assert_int_eq(h.status, 302);
	ck_assert_str_eq(h.server, "x/1");
	ck_assert_str_eq(h.location, "/login");
	ck_assert_str_eq(h.title, "a");
	/* A folded line is no header of its own. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\nX-A: b\r\n"
	    " Server: fake\r\nServer: real\r\n\r\n"), &h));
	ck_assert_str_eq(h.server, "real");
	/* Headers without values, a NUL cutting one. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\nServer:\r\n"
	    "Location: /a\0/b\r\n\r\n"), &h));
	ck_assert_str_eq(h.server, "");
	ck_assert_str_eq(h.location, "/a");
	/* Only the status line. */
	ck_assert(svcid_http(LIT("HTTP/1.1 500 Oops"), &h));
	ck_assert_int_eq(h.status, 500);
	ck_assert_str_eq(h.server, "");
	/* A title in the head is not the page's. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\nX: <title>no</title>"
	    "\r\n"), &h));
	ck_assert_str_eq(h.title, "");
	ck_assert(!svcid_http(LIT("HTTP/1.1 2000 OK\r\n\r\n"), &h));
	ck_assert(!svcid_http(LIT("HTTP/1.1 020 OK\r\n\r\n"), &h));
	ck_assert_int_eq(h.status, 0);
	ck_assert(!svcid_http(LIT("GET / HTTP/1.1\r\n\r\n"), &h));
}
END_TEST

START_TEST(http_title)
{
	struct svc_http h;

	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<html><title "
	    "lang=\"en\">\n\t  Two\r\n\r\n words &amp; more \t</title>"), &h));
	ck_assert_str_eq(h.title, "Two words &amp; more");
	/* <titlebar> is no title; the title after it is. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<titlebar>x"
	    "</titlebar><title>y</title>"), &h));
	ck_assert_str_eq(h.title, "y");
	/* Without its end: what came. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<title>cut sh"),
	    &h));
	ck_assert_str_eq(h.title, "cut sh");
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<title"), &h));
	ck_assert_str_eq(h.title, "");
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<title>   "
	    "</title>"), &h));
	ck_assert_str_eq(h.title, "");
	/* A NUL ends it. */
	ck_assert(svcid_http(LIT("HTTP/1.1 200 OK\r\n\r\n<title>a\0b"
	    "</title>"), &h));
	ck_assert_str_eq(h.title, "a");
}
END_TEST

/* Hostile bytes are kept raw (the outputs escape them); nothing spills. */
START_TEST(hostile)
{
	static const char esc[] = "HTTP/1.1 200 OK\r\nServer: \x1b[31mevil"
	    "\x1b[0m/1.0\r\nLocation: \xff\xfe\xc3\r\n\r\n<title>\x1b]0;pwn"
	    "\x07\xc0\xaf</title>";
	struct svc *s = svc_new();
	size_t big = 10240;
	char *line = malloc(big + 64);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(line);
	ck_assert(svcid_identify(SVC_PROBE_HTTP, LIT(esc), s));
	ck_assert_str_eq(s->http.server, "\x1b[31mevil\x1b[0m/1.0");
	ck_assert_str_eq(s->http.location, "\xff\xfe\xc3");
	ck_assert_str_eq(s->http.title, "\x1b]0;pwn\x07\xc0\xaf");
	ck_assert_str_eq(s->product, "\x1b[31mevil\x1b[0m");

	/* A 10 KiB header line, then a 10 KiB title and Location. */
	strcpy(line, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(line + strlen(line), 'a', big);
	strcpy(line + 25 + big, "\r\n\r\n");
	ck_assert(svcid_http((uint8_t *)line, strlen(line), &s->http));
	ck_assert_int_eq(s->http.status, 200);
	strcpy(line, "HTTP/1.1 301 x\r\nLocation: ");
	memset(line + strlen(line), 'L', big);
	strcpy(line + 26 + big, "\r\n\r\n");
	ck_assert(svcid_http((uint8_t *)line, strlen(line), &s->http));
	ck_assert_uint_eq(strlen(s->http.location),
	    sizeof(s->http.location) - 1);
	strcpy(line, "HTTP/1.1 200 x\r\n\r\n<title>");
	memset(line + strlen(line), 'T', big);
	line[25 + big] = '\0';
	ck_assert(svcid_http((uint8_t *)line, strlen(line), &s->http));
	ck_assert_uint_eq(strlen(s->http.title), sizeof(s->http.title) - 1);

	/* A 10 KiB SSH version, cut to the array. */
	strcpy(line, "SSH-2.0-OpenSSH_");
	memset(line + 16, '9', big);
	strcpy(line + 16 + big, " Debian-1\r\n");
	ck_assert(svcid_identify(SVC_PROBE_NULL, (uint8_t *)line,
	    strlen(line), s));
	ck_assert_uint_eq(strlen(s->version), sizeof(s->version) - 1);
	svc_free(s);
	free(line);
}
END_TEST

/* A cut never leaves half a UTF-8 character behind. */
START_TEST(cut_utf8)
{
	char buf[200];
	struct svc_http h;
	size_t len;

	strcpy(buf, "HTTP/1.1 200 OK\r\n\r\n<title>");
	len = strlen(buf);
	for (size_t i = 0; i < 63; i++) {	/* é: 2 bytes, 126 in all */
		buf[len++] = (char)0xc3;
		buf[len++] = (char)0xa9;
	}
	buf[len++] = 'x';	/* 127: fits */
	buf[len++] = (char)0xc3;
	buf[len++] = (char)0xa9;
	ck_assert(svcid_http((uint8_t *)buf, len, &h));
	ck_assert_uint_eq(strlen(h.title), 127);
	buf[len - 3] = (char)0xc3;	/* now é at 126: cut before it */
	buf[len - 2] = (char)0xa9;
	buf[len - 1] = 'y';
	ck_assert(svcid_http((uint8_t *)buf, len, &h));
	ck_assert_uint_eq(strlen(h.title), 126);
}
END_TEST

START_TEST(enough)
{
	/* Greetings: a whole first line. */
	ck_assert(!svcid_enough(SVC_PROBE_NULL, NULL, 0));
	ck_assert(!svcid_enough(SVC_PROBE_NULL, LIT("SSH-2.0-Open")));
	ck_assert(svcid_enough(SVC_PROBE_NULL, LIT("220-first\r\n")));
	ck_assert(!svcid_enough(SVC_PROBE_NULL, LIT("RFB 003.008")));
	ck_assert(svcid_enough(SVC_PROBE_NULL, LIT("RFB 003.008\n")));
	/* MySQL: its announced length, a LF in it or not. */
	ck_assert(!svcid_enough(SVC_PROBE_NULL, (const uint8_t *)mysql_8,
	    20));
	ck_assert(!svcid_enough(SVC_PROBE_NULL, (const uint8_t *)mysql_8,
	    3));
	ck_assert(!svcid_enough(SVC_PROBE_NULL, LIT("\x0a\0\0")));
	ck_assert(svcid_enough(SVC_PROBE_NULL, LIT(mysql_8)));
	/* HTTP: the head, then the title or the body's end. */
	ck_assert(!svcid_enough(SVC_PROBE_HTTP, LIT("HTTP")));
	ck_assert(!svcid_enough(SVC_PROBE_HTTP, LIT("HTTP/1.1 200 OK\r\n")));
	ck_assert(!svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\r\nServer: x\r\n\r")));
	ck_assert(!svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\r\n\r\n<html><head>")));
	ck_assert(svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\r\n\r\n<title>x</title")));
	ck_assert(svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")));
	ck_assert(!svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc")));
	ck_assert(svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 200 OK\ncontent-length:0\n\n")));
	ck_assert(svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 304 Not Modified\r\n\r\n")));
	ck_assert(svcid_enough(SVC_PROBE_HTTP,
	    LIT("HTTP/1.1 100 Continue\r\n\r\n")));
	ck_assert(!svcid_enough(SVC_PROBE_HTTP, (const uint8_t *)http_nginx,
	    (size_t)(strstr(http_nginx, "</title>") - http_nginx)));
	ck_assert(svcid_enough(SVC_PROBE_HTTP, (const uint8_t *)http_nginx,
	    (size_t)(strstr(http_nginx, "</title>") - http_nginx) + 7));
	/* Not HTTP after all: a greeting's rule. */
	ck_assert(svcid_enough(SVC_PROBE_HTTP, LIT("SSH-2.0-x\r\n")));
	/* RESP. */
	ck_assert(!svcid_enough(SVC_PROBE_REDIS, LIT("$10\r\n12345")));
	ck_assert(svcid_enough(SVC_PROBE_REDIS, LIT("$5\r\n12345\r\n")));
	ck_assert(svcid_enough(SVC_PROBE_REDIS, LIT("$-1\r\n")));
	ck_assert(!svcid_enough(SVC_PROBE_REDIS, LIT("-NOAUTH Auth")));
	ck_assert(svcid_enough(SVC_PROBE_REDIS, LIT("-NOAUTH Auth\r\n")));
	ck_assert(svcid_enough(SVC_PROBE_REDIS, LIT("+OK\r\n")));
	/* PostgreSQL: its one byte. */
	ck_assert(svcid_enough(SVC_PROBE_PGSQL, LIT("N")));
}
END_TEST

START_TEST(first_probe)
{
	ck_assert_int_eq(svcid_first_probe(80), SVC_PROBE_HTTP);
	ck_assert_int_eq(svcid_first_probe(8080), SVC_PROBE_HTTP);
	ck_assert_int_eq(svcid_first_probe(9090), SVC_PROBE_HTTP);
	ck_assert_int_eq(svcid_first_probe(443), SVC_PROBE_TLS);
	ck_assert_int_eq(svcid_first_probe(993), SVC_PROBE_TLS);
	ck_assert_int_eq(svcid_first_probe(8443), SVC_PROBE_TLS);
	ck_assert_int_eq(svcid_first_probe(6379), SVC_PROBE_REDIS);
	ck_assert_int_eq(svcid_first_probe(5432), SVC_PROBE_PGSQL);
	ck_assert_int_eq(svcid_first_probe(22), SVC_PROBE_NULL);
	ck_assert_int_eq(svcid_first_probe(25), SVC_PROBE_NULL);
	ck_assert_int_eq(svcid_first_probe(3306), SVC_PROBE_NULL);
	ck_assert_int_eq(svcid_first_probe(0), SVC_PROBE_NULL);
	ck_assert_int_eq(svcid_first_probe(65535), SVC_PROBE_NULL);
}
END_TEST

#define UA "User-Agent: trawl/" TRAWL_VERSION "\r\nAccept: */*\r\n\r\n"

START_TEST(request)
{
	char buf[512];
	size_t n;

	n = svcid_request(SVC_PROBE_HTTP, "www.example.com", buf,
	    sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf, "GET / HTTP/1.0\r\nHost: www.example.com\r\n"
	    UA);
	svcid_request(SVC_PROBE_HTTP, "192.0.2.1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET / HTTP/1.0\r\nHost: 192.0.2.1\r\n" UA);
	svcid_request(SVC_PROBE_HTTP, "2001:db8::1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET / HTTP/1.0\r\nHost: [2001:db8::1]\r\n"
	    UA);
	svcid_request(SVC_PROBE_HTTP, "fe80::1%eth0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET / HTTP/1.0\r\nHost: [fe80::1]\r\n" UA);
	/* A host that would break the request goes unsaid. */
	static const char *bad[] = {
		"a\r\nX-Evil: 1", "a b", "a\tb", "", "host:80", "a/b", "\x1b",
		"a@b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = svcid_request(SVC_PROBE_HTTP, bad[i], buf, sizeof(buf));
		ck_assert_uint_gt(n, 0);
		ck_assert_str_eq(buf, "GET / HTTP/1.0\r\n" UA);
	}
	n = svcid_request(SVC_PROBE_HTTP, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET / HTTP/1.0\r\n" UA);
	/* Too small: nothing. */
	ck_assert_uint_eq(svcid_request(SVC_PROBE_HTTP, "x", buf, 20), 0);
	ck_assert_uint_eq(svcid_request(SVC_PROBE_REDIS, NULL, buf, 5), 0);

	n = svcid_request(SVC_PROBE_REDIS, NULL, buf, sizeof(buf));
	ck_assert_uint_eq(n, 14);
	ck_assert_mem_eq(buf, "*1\r\n$4\r\ninfo\r\n", 14);
	n = svcid_request(SVC_PROBE_PGSQL, NULL, buf, sizeof(buf));
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(buf, "\0\0\0\x08\x04\xd2\x16\x2f", 8);
	ck_assert_uint_eq(svcid_request(SVC_PROBE_NULL, "x", buf,
	    sizeof(buf)), 0);
	ck_assert_uint_eq(svcid_request(SVC_PROBE_TLS, "x", buf,
	    sizeof(buf)), 0);
}
END_TEST

static Suite *
svcid_suite(void)
{
	Suite *s = suite_create("svcid");
	TCase *tc = tcase_create("core");
	int nreplies = (int)(sizeof(replies) / sizeof(replies[0]));

	tcase_add_loop_test(tc, identify_replies, 0, nreplies);
	tcase_add_test(tc, http_nginx_fields);
	tcase_add_loop_test(tc, truncated, 0, nreplies);
	tcase_add_test(tc, unknown_untouched);
	tcase_add_test(tc, smtp_or_ftp);
	tcase_add_test(tc, http_headers);
	tcase_add_test(tc, http_title);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, cut_utf8);
	tcase_add_test(tc, enough);
	tcase_add_test(tc, first_probe);
	tcase_add_test(tc, request);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(svcid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
