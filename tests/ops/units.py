#!/usr/bin/env python3
"""The systemd units, checked by systemd itself: systemd-analyze verify
finds nothing to say about them, and systemd-analyze security rates the
service's exposure at most MAX_EXPOSURE.

usage: units.py verify SERVICE TIMER
       units.py security SERVICE
       units.py rotate SERVICE

rotate runs the service's ExecStartPre= commands as systemd would
(tests/e2e/sdunit.py) in a temporary state directory: the last run's XML
becomes NAME.prev.xml only when that run ended in success, and the
ExecStart= writes results, changes and XML to files of their own there.

SERVICE is trawl@.service as configure_file() made it for the tests, its
ExecStart= pointing into the build directory: verify wants the program to
exist, and trawl needs not be installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
MAX_EXPOSURE = 2.0


def analyze():
    path = shutil.which("systemd-analyze")
    if path is None:
        print("systemd-analyze not found (Debian: apt install systemd): "
              "units not checked")
        sys.exit(SKIP)
    return path


def unit_dir(tmp, service, timer=None):
    """A directory of our units alone, so that systemd reads these."""
    shutil.copy(service, os.path.join(tmp, "trawl@.service"))
    if timer is not None:
        shutil.copy(timer, os.path.join(tmp, "trawl@.timer"))
    return tmp


def exec_start(service):
    with open(service, encoding="utf-8") as f:
        m = re.search(r"^ExecStart=(\S+)", f.read(), re.M)
    return m.group(1) if m else None


def verify(service, timer):
    sa = analyze()
    prog = exec_start(service)
    if prog is None or not os.access(prog, os.X_OK):
        print(f"ExecStart= program {prog!r} is not an executable: is "
              "trawl built?")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        d = unit_dir(tmp, service, timer)
        units = [os.path.join(d, u) for u in
                 ("trawl@.service", "trawl@.timer",
                  "trawl@test.service", "trawl@test.timer")]
        # --man=no: Documentation=man:trawl(1) need not be installed.
        r = subprocess.run([sa, "verify", "--man=no"] + units,
                           capture_output=True, text=True)
        # Warnings (an unknown key, a bad value) leave the exit status 0:
        # any line about our units is a failure too.
        ours = [ln for ln in (r.stdout + r.stderr).splitlines()
                if tmp in ln or "trawl@" in ln]
        for ln in (r.stdout + r.stderr).splitlines():
            print(ln)
        if r.returncode != 0 or ours:
            print(f"systemd-analyze verify: exit {r.returncode}, "
                  f"{len(ours)} complaints about our units")
            return 1
    print("systemd-analyze verify: no complaints")
    return 0


def security(service):
    sa = analyze()
    with tempfile.TemporaryDirectory() as tmp:
        d = unit_dir(tmp, service)
        r = subprocess.run([sa, "security", "--offline=true", "--no-pager",
                            os.path.join(d, "trawl@test.service")],
                           capture_output=True, text=True)
    out = r.stdout + r.stderr
    if "--offline" in r.stderr and ("unrecognized" in r.stderr or
                                    "unknown" in r.stderr):
        print("systemd-analyze has no --offline (systemd < 250): exposure "
              "not rated")
        return SKIP
    m = re.search(r"Overall exposure level for trawl@test\.service: "
                  r"([0-9]+\.[0-9])", out)
    if m is None:
        print(out)
        print(f"no exposure level in the output (exit {r.returncode})")
        return 1
    level = float(m.group(1))
    # What is left open, for whoever makes the number go up.
    for ln in out.splitlines():
        if ln.startswith("\u2717"):
            print(re.sub(r"\s{2,}", "  ", ln))
    print(f"exposure {level}, at most {MAX_EXPOSURE} wanted")
    return 0 if level <= MAX_EXPOSURE else 1


def rotate(service):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "e2e"))
    import sdunit
    with open(service, encoding="utf-8") as f:
        text = f.read()
    bad = []
    with tempfile.TemporaryDirectory() as state:
        cmds = sdunit.commands(text, "test", {"STATE_DIRECTORY": state})
        start = cmds[-1][0]
        outs = sorted(a for a in start if ":" + state + "/" in a)
        want = sorted("%s:%s/test.%s" % (fmt, state, ext) for fmt, ext in
                      (("ndjson", "ndjson"), ("changes", "changes.ndjson"),
                       ("xml", "xml")))
        if outs != want:
            bad.append(f"ExecStart= writes {outs}, want {want}")
        xml, prev = (os.path.join(state, "test" + x)
                     for x in (".xml", ".prev.xml"))
        done = '<runstats><finished time="1" exit="success"/></runstats>'
        stopped = ('<runstats><finished time="2" exit="error" '
                   'errormsg="interrupted"/></runstats>')
        # (what NAME.xml holds before, NAME.xml and NAME.prev.xml after)
        cases = [(None, None, None),
                 (done, None, done),
                 (stopped, stopped, done),
                 ("<nmaprun>", "<nmaprun>", done)]
        for before, after, after_prev in cases:
            if before is not None:
                with open(xml, "w") as f:
                    f.write(before)
            for argv, ignore in cmds[:-1]:
                r = subprocess.run(argv, cwd=state, capture_output=True,
                                   text=True)
                if r.returncode != 0 and not ignore:
                    bad.append(f"{argv}: exit {r.returncode}: {r.stderr}")
            got = []
            for p in (xml, prev):
                try:
                    with open(p) as f:
                        got.append(f.read())
                except FileNotFoundError:
                    got.append(None)
            if got != [after, after_prev]:
                bad.append(f"NAME.xml {before!r} before ExecStartPre=: "
                           f"NAME.xml, NAME.prev.xml {got!r} after, want "
                           f"{[after, after_prev]!r}")
    for b in bad:
        print(b)
    print(f"{len(cases)} states of the XML rotated")
    return 1 if bad else 0


def main():
    mode = sys.argv[1]
    if mode == "verify":
        return verify(sys.argv[2], sys.argv[3])
    if mode == "security":
        return security(sys.argv[2])
    if mode == "rotate":
        return rotate(sys.argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
