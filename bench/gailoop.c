/*
 * The way most scanners resolve names: getaddrinfo(3), one name after the
 * other.  Reads names from standard input, prints "name addr..." or
 * "name -" for each, so that bench/dns can check its answers.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

int
main(void)
{
	char line[512], text[INET6_ADDRSTRLEN];
	struct addrinfo hints, *res, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		fputs(line, stdout);
		if (getaddrinfo(line, NULL, &hints, &res) != 0) {
			fputs(" -\n", stdout);
			continue;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			const void *a = ai->ai_family == AF_INET ?
			    (const void *)&((struct sockaddr_in *)
			    ai->ai_addr)->sin_addr :
			    (const void *)&((struct sockaddr_in6 *)
			    ai->ai_addr)->sin6_addr;

			printf(" %s", inet_ntop(ai->ai_family, a, text,
			    sizeof(text)));
		}
		putchar('\n');
		freeaddrinfo(res);
	}
	return ferror(stdout) ? 1 : 0;
}
