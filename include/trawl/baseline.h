/*
 * Baselines (--baseline): the open ports of a run, kept in a file so that
 * the next run can say what changed.  A baseline is a set of (address,
 * port) pairs, the names each address was reached by (only to report
 * changes in words people know), what answered on each port when that
 * was asked (--banners: the service and the TLS certificate) and a
 * fingerprint of the scan that made it.
 */
#ifndef TRAWL_BASELINE_H
#define TRAWL_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "trawl/output.h"
#include "trawl/target.h"

struct baseline;

/* The longest name kept, in bytes; DNS stops at 253. */
#define BASELINE_NAME_MAX 1024

/*
 * An empty baseline.  fingerprint says which scan it belongs to: the
 * caller's choice, typically space_fingerprint() (mixed with the shard, if
 * any).  Nothing here compares fingerprints: runs of different scans are
 * still compared, and the caller decides whether to warn (see
 * baseline_fingerprint()).  NULL with errno ENOMEM.
 */
struct baseline *baseline_new(uint64_t fingerprint);
void baseline_free(struct baseline *b);
uint64_t baseline_fingerprint(const struct baseline *b);

/*
 * Record that port is open on addr, which was reached by names (copied;
 * nnames may be 0).  Adding a pair again is harmless, and so are names
 * given again: they are made distinct and sorted when the baseline is
 * compared or saved.  Empty names and names longer than BASELINE_NAME_MAX
 * are left out.  IPv4 addresses live in the low 32 bits, as in target.h.
 * Returns 0, or -1 with errno: EINVAL (family, port 0, an IPv4 address
 * above 2^32 - 1), ENOMEM, EOVERFLOW (2^32 - 1 addresses or pairs).
 */
int baseline_add(struct baseline *b, int family, target_u128 addr,
    uint16_t port, const char *const *names, size_t nnames);

/*
 * What answered on a port added before: the halves of a that it has (a
 * service when a->service is set, a certificate when a->sha256 is), each
 * replacing that half, the strings copied; empty strings count as none.
 * Returns 0, or -1 with errno: ENOENT (port not open on addr), EINVAL (a
 * string longer than BASELINE_NAME_MAX, a SHA-256 that is not 64
 * lower-case hex digits), ENOMEM.
 */
int baseline_set_answer(struct baseline *b, int family, target_u128 addr,
    uint16_t port, const struct out_answer *a);
/*
 * For each port open in both, the halves of what answered that now lacks
 * and old has, from old: a run without --banners, or whose grab learned
 * nothing this time, keeps what the last run that learned it saw, for
 * the next run to compare with.  After baseline_diff() (the carried
 * halves are no news) and before saving now.  0, or -1 with errno ENOMEM.
 */
int baseline_carry(struct baseline *now, const struct baseline *old);

/* Distinct addresses, and distinct (address, port) pairs. */
size_t baseline_hosts(const struct baseline *b);
size_t baseline_ports(const struct baseline *b);

/*
 * Load path into *out.  Returns 1 when loaded, 0 when path does not exist
 * (*out untouched), -1 with a message in err: unreadable, or malformed
 * ("FILE:LINE: bad baseline file: ...").
 */
int baseline_load(const char *path, struct baseline **out, char *err,
    size_t errlen);
/*
 * The same for len bytes of buf, name standing for the file in messages.
 * Returns 0 with the baseline in *out, or -1 with a message in err.
 */
int baseline_parse_buf(const char *buf, size_t len, const char *name,
    struct baseline **out, char *err, size_t errlen);

/*
 * Replace path with b atomically: a temporary file in the same directory
 * ("path.tmp-" and random hex), fsync, rename, fsync of the directory.  A
 * crash leaves the old file or the new one, never a mix (at worst a stray
 * temporary file).  The new file keeps the mode of the one it replaces;
 * a first one gets 0666 less the umask, as -o files do.  A symbolic link
 * at path is replaced, not followed.  Returns 0, or -1 with a message in
 * err; on failure path is untouched and the temporary file removed.
 */
int baseline_save(const struct baseline *b, const char *path, char *err,
    size_t errlen);

/*
 * One change: out as the outputs take it (output.h), and the address as a
 * number too.  out.port is 0 for host changes.  out.names, sorted and
 * distinct: for a host that came up (and its ports) this run's, for one
 * that went down the baseline's; for an address open in both, this run's,
 * or the baseline's when this run has none (reached by address this
 * time).  Valid only during the call.
 */
struct baseline_change {
	struct out_change out;
	target_u128 addr;
};

typedef void baseline_change_fn(void *ctx, const struct baseline_change *c);

/*
 * Compare a baseline with this run and call fn (unless NULL) for each
 * change, in (family, address, port) order: IPv4 first, a host change
 * before the port changes of its address.  A host that came up also has
 * each of its ports reported as opened, and one that went down each of its
 * ports as closed, so that the port changes alone are the full difference.
 * "Closed" means only "no longer open": the port may be closed, filtered
 * or unreachable now, or not scanned at all this time (a caller that knows
 * what it scanned can drop those in fn, and count for itself).  A port
 * open in both whose service or certificate differs, in what both runs
 * saw (baseline_set_answer()), is a service or certificate change, in that
 * order; a product or a version only one run learned is none.  Returns
 * the number of changes, or -1 with errno ENOMEM (fn not called).
 */
ssize_t baseline_diff(const struct baseline *old, const struct baseline *now,
    baseline_change_fn *fn, void *ctx);
/*
 * The certificates of b that expire within days of t (or have expired),
 * as OUT_CERT_EXPIRING changes in the order of baseline_diff(); one with
 * no expiry known is left out.  The number, or -1 with errno ENOMEM.
 */
ssize_t baseline_expiring(const struct baseline *b, time_t t, unsigned days,
    baseline_change_fn *fn, void *ctx);

#endif
