#!/usr/bin/env python3
"""contrib/systemd/example.conf is a configuration trawl accepts: with its
/etc/trawl paths moved into a temporary directory, trawl --config FILE
--dry-run counts the probes and exits 0.

usage: example_conf.py TRAWL EXAMPLE_CONF
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    trawl, example = sys.argv[1], sys.argv[2]
    out = subprocess.run([trawl, "--help"], check=True, capture_output=True,
                         text=True).stdout
    if "--config" not in out:
        print("trawl --help has no --config yet: example.conf not tried")
        return SKIP
    with open(example, encoding="utf-8") as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "NAME.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace("/etc/trawl/", tmp + "/"))
        with open(os.path.join(tmp, "NAME.targets"), "w") as f:
            f.write("192.0.2.0/28\n")
        with open(os.path.join(tmp, "never scan.txt"), "w") as f:
            f.write("192.0.2.3\n")
        r = subprocess.run([trawl, "--config", conf, "--dry-run"],
                           capture_output=True, text=True, timeout=60)
    print(r.stdout + r.stderr, end="")
    if r.returncode != 0 or "probes" not in r.stdout:
        print(f"trawl --config example.conf --dry-run: exit {r.returncode}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
