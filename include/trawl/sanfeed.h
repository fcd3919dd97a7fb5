/*
 * Names from certificates (--subdomains with --banners): the subject
 * alternative names under a domain that the scan's TLS handshakes show
 * join the names being resolved (namefeed.h), once each, and so the scan
 * (grow.h).  The scan then ends only when nothing can bring a new name:
 * no name left to resolve, no probe or grab out (hub_quiescent()), no
 * certificate name waiting.
 *
 * Names are taken from events under the hub's lock, in any engine's
 * thread; they are handed to the feed in the feed's own reactor, by a
 * timer that also watches for the end.
 */
#ifndef TRAWL_SANFEED_H
#define TRAWL_SANFEED_H

#include <stddef.h>

struct hub;
struct names_set;
struct namefeed;
struct reactor;
struct scan_event;
struct sanfeed;

/*
 * domains: --subdomains; known: the names found already (not copied: it
 * must outlive the sanfeed).  NULL with errno ENOMEM.
 */
struct sanfeed *sanfeed_new(const char *const *domains, size_t ndomains,
    const struct names_set *known);
/* The certificate names of these events; under the hub's lock. */
void sanfeed_events(struct sanfeed *s, const struct scan_event *ev,
    size_t n);
/*
 * Start handing names to feed in r, hub's, and watching for the end,
 * instead of namefeed_input_done().  0, or -1 with errno.
 */
int sanfeed_start(struct sanfeed *s, struct hub *hub, struct reactor *r,
    struct namefeed *feed);
/* Names that came from certificates. */
size_t sanfeed_count(const struct sanfeed *s);
void sanfeed_free(struct sanfeed *s);

#endif
