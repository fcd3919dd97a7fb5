#!/usr/bin/env python3
"""The shell completions: they list every option of trawl --help (so they
cannot drift from it silently), and bash and zsh really complete with them.

usage: completion.py options TRAWL BASH_FILE ZSH_FILE
       completion.py bash BASH_FILE
       completion.py zsh ZSH_FILE ZSH_DRIVER
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

# In the completions before trawl --help has them; each must land in --help
# or leave the completions.
UPCOMING = {"config", "baseline", "fail-on-change"}

OPT = r"(?<![\w-])--([a-z][a-z0-9-]*)"


def help_options(trawl):
    out = subprocess.run([trawl, "--help"], check=True, capture_output=True,
                         text=True).stdout
    longs = set(re.findall(OPT, out))
    shorts = set(re.findall(r"^\s+-([A-Za-z0-9])\b", out, re.M))
    shorts |= set(re.findall(r"^\s+-([A-Za-z0-9]),", out, re.M))
    return longs, shorts


def bash_options(path):
    """The words of the _trawl_opts_* and _trawl_shorts lists."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    longs, shorts = set(), set()
    for name, body in re.findall(r"^(_trawl_\w+)='([^']*)'", text, re.M):
        if name.startswith("_trawl_opts_"):
            longs |= set(re.findall(OPT, body))
        elif name == "_trawl_shorts":
            shorts |= set(re.findall(r"-([A-Za-z0-9])\b", body))
    return longs, shorts


def zsh_options(path):
    """Options named in the _arguments specs."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    specs = text[text.index("_arguments"):]
    longs = set(re.findall(OPT, specs))
    shorts = set(re.findall(r"(?<![\w-])-([A-Za-z0-9])(?=[+,\[])", specs))
    return longs, shorts


def help_formats(trawl):
    """The formats -f takes, as --help lists them."""
    out = subprocess.run([trawl, "--help"], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"--format FORMAT\s+([a-z, ]+?) \(default", out)
    return set(m.group(1).split(", ")) if m else set()


def completion_formats(bash, zsh):
    """The format lists of the completions: (where, set of formats)."""
    with open(bash, encoding="utf-8") as f:
        b = f.read()
    with open(zsh, encoding="utf-8") as f:
        z = f.read()
    lists = [("bash _trawl_formats",
              re.findall(r"^_trawl_formats='([^']*)'", b, re.M))]
    lists.append(("zsh formats=()", re.findall(r"formats=\(([^)]*)\)", z)))
    lists.append(("zsh compset -P",
                  [m.replace("|", " ") for m in
                   re.findall(r"compset -P '\(([^)]*)\):'", z)]))
    lists.append(("zsh -f spec", re.findall(r":format:\(([^)]*)\)", z)))
    return [(where, set(found[0].split()) if len(found) == 1 else None)
            for where, found in lists]


def check_options(trawl, bash, zsh):
    hl, hs = help_options(trawl)
    bad = []
    hf = help_formats(trawl)
    if not hf:
        bad.append("found no formats in --help: the parser is broken")
    for where, got in completion_formats(bash, zsh):
        if got != hf:
            bad.append(f"formats of the {where}: {sorted(got or [])}, "
                       f"--help says {sorted(hf)}")
    if not hl or not hs:
        bad.append("found no options in --help: the parser is broken")
    for shell, (cl, cs) in (("bash", bash_options(bash)),
                            ("zsh", zsh_options(zsh))):
        for o in sorted(hl - cl):
            bad.append(f"--{o} is in --help but not in the {shell} "
                       "completion")
        for o in sorted(hs - cs):
            bad.append(f"-{o} is in --help but not in the {shell} "
                       "completion")
        for o in sorted(cl - hl - UPCOMING):
            bad.append(f"--{o} is in the {shell} completion but not in "
                       "--help")
        for o in sorted(cs - hs):
            bad.append(f"-{o} is in the {shell} completion but not in "
                       "--help")
    for b in bad:
        print(b)
    waiting = sorted(UPCOMING - hl)
    if waiting:
        print("not in --help yet: " + " ".join("--" + o for o in waiting))
    print(f"{len(hl)} long and {len(hs)} short options checked")
    return 1 if bad else 0


# (words as readline splits them, with '=' and ':' words of their own;
#  the completions wanted, in any order)
BASH_CASES = [
    (["trawl", "--thr"], ["--threads"]),
    (["trawl", "--fail"], ["--fail-on-change"]),
    (["trawl", "--conf"], ["--config"]),
    (["trawl", "-f", ""], ["text", "ndjson", "xml", "csv", "grep",
                           "changes"]),
    (["trawl", "--format", "=", "nd"], ["ndjson"]),
    (["trawl", "--format", "="], ["text", "ndjson", "xml", "csv", "grep",
                                  "changes"]),
    (["trawl", "--order", "s"], ["sequential"]),
    (["trawl", "--states", "open,cl"], ["open,closed"]),
    (["trawl", "-o", "nd"], ["ndjson:"]),
    (["trawl", "-o", "ch"], ["changes:"]),
    (["trawl", "-o", "ndjson", ":", "d/f"], ["d/file.conf"]),
    (["trawl", "--output", "=", "csv", ":", "d/f"], ["d/file.conf"]),
    (["trawl", "--config", "d/f"], ["d/file.conf"]),
    (["trawl", "--baseline", "=", "d/f"], ["d/file.conf"]),
    (["trawl", "-T", ""], []),
    (["trawl", "--", "--thr"], []),
]


def check_bash(path):
    bash = shutil.which("bash")
    if bash is None:
        print("bash not found: bash completion not tested")
        return SKIP
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "d"))
        open(os.path.join(tmp, "d", "file.conf"), "w").close()
        for words, want in BASH_CASES:
            line = " ".join(words)
            script = (
                'source "$1" || exit 1\n'
                'shift\n'
                'COMP_WORDS=("$@")\n'
                'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n'
                'COMP_LINE="${COMP_WORDS[*]}"\n'
                'COMP_POINT=${#COMP_LINE}\n'
                '_trawl\n'
                'printf "%s\\n" "${COMPREPLY[@]}"\n')
            r = subprocess.run([bash, "--norc", "--noprofile", "-c", script,
                                "bash", path] + words,
                               capture_output=True, text=True, cwd=tmp,
                               env=dict(os.environ, HOSTFILE="/dev/null"))
            got = [w.rstrip(" ") for w in r.stdout.splitlines() if w]
            if r.returncode != 0 or sorted(got) != sorted(want):
                bad.append(f"'{line}': got {got} (exit {r.returncode}, "
                           f"{r.stderr.strip()!r}), want {want}")
    for b in bad:
        print(b)
    print(f"{len(BASH_CASES)} bash completions checked")
    return 1 if bad else 0


ZSH_CASES = [
    ("trawl --thr", "trawl --threads"),
    ("trawl --fail-on", "trawl --fail-on-change"),
    ("trawl --order s", "trawl --order sequential"),
    ("trawl -o nd", "trawl -o ndjson:"),
    ("trawl -o ch", "trawl -o changes:"),
]


def check_zsh(path, driver):
    zsh = shutil.which("zsh")
    if zsh is None:
        print("zsh not found: zsh completion not tested")
        return SKIP
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        # fpath wants a directory holding _trawl and nothing else of ours.
        shutil.copy(path, os.path.join(tmp, "_trawl"))
        for line, want in ZSH_CASES:
            out = os.path.join(tmp, "buffer")
            if os.path.exists(out):
                os.unlink(out)
            r = subprocess.run([zsh, "-f", driver, tmp, out, line],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, HOME=tmp))
            if r.returncode == SKIP:
                print("zsh has no zsh/zpty module: zsh completion not "
                      "tested")
                return SKIP
            try:
                with open(out, encoding="utf-8") as f:
                    got = f.read().rstrip("\n")
            except FileNotFoundError:
                got = None
            if got is None or not got.startswith(want):
                bad.append(f"'{line}': got {got!r}, want {want!r}... "
                           f"({r.stderr.strip()!r})")
    for b in bad:
        print(b)
    print(f"{len(ZSH_CASES)} zsh completions checked")
    return 1 if bad else 0


def main():
    mode, args = sys.argv[1], [os.path.abspath(a) for a in sys.argv[2:]]
    if mode == "options":
        return check_options(*args[:3])
    if mode == "bash":
        return check_bash(args[0])
    if mode == "zsh":
        return check_zsh(args[0], args[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
