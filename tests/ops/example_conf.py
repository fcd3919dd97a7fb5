#!/usr/bin/env python3
"""contrib/systemd/example.conf runs as it is installed: it names no file
(a file the user has not made yet would stop every run of it, as
'/etc/trawl/never scan.txt' once did), and trawl --config FILE --dry-run
TARGET counts the probes and exits 0.  tests/e2e/test_scheduled.py runs
the installed copy for real.

usage: example_conf.py TRAWL EXAMPLE_CONF
"""
import re
import subprocess
import sys

SKIP = 77


def main():
    trawl, example = sys.argv[1], sys.argv[2]
    out = subprocess.run([trawl, "--help"], check=True, capture_output=True,
                         text=True).stdout
    if "--config" not in out:
        print("trawl --help has no --config yet: example.conf not tried")
        return SKIP
    bad = 0
    with open(example, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'^\s*([a-z-]+)\s*=\s*"?(/[^"#]*)', line)
            if m:
                print(f"{example}:{n}: {m.group(1)} names "
                      f"{m.group(2).strip()!r}, which is not installed "
                      "with it: comment it out")
                bad += 1
    r = subprocess.run([trawl, "--config", example, "--dry-run",
                        "192.0.2.0/28"], capture_output=True, text=True,
                       timeout=60)
    print(r.stdout + r.stderr, end="")
    if r.returncode != 0 or "probes" not in r.stdout:
        print(f"trawl --config example.conf --dry-run 192.0.2.0/28: exit "
              f"{r.returncode}")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
