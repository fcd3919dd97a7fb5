#!/usr/bin/env python3
"""Every option trawl --help lists is documented in the man page, and the
man page documents no option trawl does not have.

usage: man_options.py TRAWL MANPAGE
"""
import re
import subprocess
import sys


def help_options(trawl):
    out = subprocess.run([trawl, "--help"], check=True, capture_output=True,
                         text=True).stdout
    longs = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", out))
    shorts = set(re.findall(r"^\s+-([A-Za-z0-9])\b", out, re.M))
    shorts |= set(re.findall(r"^\s+-([A-Za-z0-9]),", out, re.M))
    return longs, shorts


def man_options(path):
    longs, shorts = set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith(".It Fl"):
                continue
            longs |= set(re.findall(r"Fl -([a-z][a-z0-9-]*)", line))
            shorts |= set(re.findall(r"Fl ([A-Za-z0-9])\b", line))
    return longs, shorts


def main():
    trawl, man = sys.argv[1], sys.argv[2]
    hl, hs = help_options(trawl)
    ml, ms = man_options(man)
    bad = []
    for o in sorted(hl - ml):
        bad.append(f"--{o} is in --help but not in the man page")
    for o in sorted(ml - hl):
        bad.append(f"--{o} is in the man page but not in --help")
    for o in sorted(hs - ms):
        bad.append(f"-{o} is in --help but not in the man page")
    for o in sorted(ms - hs):
        bad.append(f"-{o} is in the man page but not in --help")
    if not hl or not hs:
        bad.append("found no options in --help: the parser is broken")
    for b in bad:
        print(b)
    print(f"{len(hl)} long and {len(hs)} short options checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
