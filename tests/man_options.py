#!/usr/bin/env python3
"""Every option trawl --help lists is documented in the man page and in
the README's option table, and neither documents an option trawl does
not have.

usage: man_options.py TRAWL MANPAGE README
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


def readme_options(path):
    """The options named in the first column of the README's table."""
    longs, shorts = set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("| `-"):
                continue
            first = line.split("|")[1]
            longs |= set(re.findall(r"--([a-z][a-z0-9-]*)", first))
            shorts |= set(re.findall(r"`-([A-Za-z0-9])\b", first))
            shorts |= set(re.findall(r"[`\s]-([A-Za-z0-9]),", first))
    return longs, shorts


def compare(what, hl, hs, dl, ds):
    bad = []
    for o in sorted(hl - dl):
        bad.append(f"--{o} is in --help but not in {what}")
    for o in sorted(dl - hl):
        bad.append(f"--{o} is in {what} but not in --help")
    for o in sorted(hs - ds):
        bad.append(f"-{o} is in --help but not in {what}")
    for o in sorted(ds - hs):
        bad.append(f"-{o} is in {what} but not in --help")
    return bad


def main():
    trawl, man, readme = sys.argv[1], sys.argv[2], sys.argv[3]
    hl, hs = help_options(trawl)
    bad = compare("the man page", hl, hs, *man_options(man))
    bad += compare("the README's option table", hl, hs,
                   *readme_options(readme))
    if not hl or not hs:
        bad.append("found no options in --help: the parser is broken")
    for b in bad:
        print(b)
    print(f"{len(hl)} long and {len(hs)} short options checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
