/*
 * dns_ptr_parse() and dns_ptr_name_clean(): a PTR answer as a resolver
 * sent it, read for the name the outputs would show.  The first byte picks
 * the address asked about (even: 192.0.2.1, odd: 2001:db8::1), the rest
 * is the message.  A name that comes back is a host name of the set the
 * outputs rely on, and clean of itself; so is anything the cleaner takes
 * from the input read as a string.
 */
#include <sys/socket.h>

#include "trawl/dns.h"
#include "trawl/target.h"

#include "fuzz.h"

/* Only what a host name has: no byte any format would have to escape. */
static void
check_name(const char *name)
{
	char again[DNS_NAME_BUFSIZE];
	size_t len = strlen(name);

	FUZZ_CHECK(len > 0 && len < DNS_NAME_BUFSIZE);
	FUZZ_CHECK(name[len - 1] != '.');
	for (const char *p = name; *p != '\0'; p++)
		FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.');
	FUZZ_CHECK(target_name_valid(name, len));
	FUZZ_CHECK(dns_ptr_name_clean(name, again, sizeof(again)));
	FUZZ_CHECK(strcmp(again, name) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char v4[4] = { 192, 0, 2, 1 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 1 };
	char out[DNS_NAME_BUFSIZE], *s = fuzz_string(data, size);
	unsigned char *msg;
	int family;
	target_u128 addr;

	if (dns_ptr_name_clean(s, out, sizeof(out)))
		check_name(out);
	free(s);
	if (size == 0)
		return 0;
	family = data[0] % 2 == 0 ? AF_INET : AF_INET6;
	addr = target_from_bytes(family, family == AF_INET ? v4 : v6);
	msg = (unsigned char *)fuzz_copy(data + 1, size - 1);
	if (dns_ptr_parse(msg, size - 1, family, addr, out, sizeof(out)) ==
	    DNS_RESOLVED)
		check_name(out);
	free(msg);
	return 0;
}
