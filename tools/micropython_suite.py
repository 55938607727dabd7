#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MicroPython's own test suite on the Xen guest, as ports/qemu's `make
test` runs it: MicroPython's tests/run-tests.py (unmodified, from the
source under .deps) drives the image's raw REPL through
tools/suite_target.py, for basics/, micropython/ and extmod/.

Two runs, each on a fresh boot:
  main      every test not in tests/micropython-exclude.txt; each must pass
  excluded  the listed ones, to show that none of them passes here (a
            listed test that passes is a stale entry)

    tools/micropython_suite.py [--board x86_64] [--xen 4.20] [--mode pv]

prints per directory what passed, was skipped and failed, and the time.
"""

import argparse
import collections
import fnmatch
import os
import re
import shlex
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_TESTS = os.path.join(REPO, ".deps", "micropython", "tests")
EXCLUDE_FILE = os.path.join(REPO, "tests", "micropython-exclude.txt")
DIRS = ("basics", "micropython", "extmod")
VERDICT = re.compile(r"^(pass|skip|FAIL) +(\S+)")


def load_exclusions(path=EXCLUDE_FILE):
    """[(pattern, reason)] in file order; a malformed line is an error."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) < 2 or not parts[0].endswith(".py"):
                raise SystemExit("%s:%d: want 'PATTERN.py  reason', got %r" % (path, n, line))
            out.append((parts[0], parts[1].strip()))
    return out


def all_tests(dirs=DIRS):
    return sorted(
        "%s/%s" % (d, name)
        for d in dirs
        for name in os.listdir(os.path.join(MPY_TESTS, d))
        if name.endswith(".py")
    )


def reason_for(test, exclusions):
    for pattern, reason in exclusions:
        if fnmatch.fnmatchcase(test, pattern):
            return reason
    return None


class Run:
    def __init__(self, name, output, status, seconds, log):
        self.name, self.output, self.status, self.seconds, self.log = (
            name,
            output,
            status,
            seconds,
            log,
        )
        self.verdicts = {}  # test path -> "pass" / "skip" / "FAIL"
        for line in output.splitlines():
            m = VERDICT.match(line)
            if m:
                self.verdicts[m.group(2)] = m.group(1)

    def having(self, verdict):
        return sorted(t for t, v in self.verdicts.items() if v == verdict)

    def per_dir(self):
        counts = collections.OrderedDict((d, collections.Counter()) for d in DIRS)
        for t, v in self.verdicts.items():
            counts.setdefault(t.split("/")[0], collections.Counter())[v] += 1
        return counts

    def boots(self):
        with open(self.log, "rb") as f:
            return len(re.findall(rb"\[suite_target: boot \d+\]", f.read()))

    def xen_lines(self):
        """Xen's own lines on the serial line once the first REPL was up."""
        with open(self.log, "rb") as f:
            data = f.read()
        start = data.find(b">>> ")
        return [l.decode("utf-8", "replace") for l in data[start:].splitlines() if b"(XEN)" in l]


def run_tests(name, args, board, xen, mode, out_dir, timeout):
    """One run-tests.py run against one boot; its output, parsed."""
    os.makedirs(out_dir, exist_ok=True)
    log = os.path.join(out_dir, name + "-serial.log")
    target = [
        sys.executable,
        os.path.join(REPO, "tools", "suite_target.py"),
        "--board",
        board,
        "--xen",
        xen,
        "--log",
        log,
    ] + (["--mode", mode] if mode else [])
    cmd = [
        sys.executable,
        "run-tests.py",
        "-t",
        "exec:" + " ".join(shlex.quote(a) for a in target),
        "-r",
        os.path.join(out_dir, name + "-results"),
    ] + args
    # run-tests.py imports ../tools/pyboard.py and runs CPython on tests that
    # have no .exp: nothing may be written into the (shared) source tree.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    start = time.monotonic()
    try:
        p = subprocess.run(
            cmd,
            cwd=MPY_TESTS,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
        output, status = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        output, status = (e.stdout or b"").decode("utf-8", "replace") + "\nTIMEOUT\n", None
    with open(os.path.join(out_dir, name + ".txt"), "w") as f:
        f.write(output)
    return Run(name, output, status, time.monotonic() - start, log)


def run_suite(board="x86_64", xen="4.20", mode=None, out_dir=None, timeout=600):
    """Both runs; returns (main, excluded, exclusions, tests)."""
    out_dir = out_dir or os.path.join(REPO, "build", "micropython-suite", "%s-%s" % (board, xen))
    exclusions = load_exclusions()
    tests = all_tests()
    left_out = [t for t in tests if reason_for(t, exclusions)]
    # -e takes a regex searched in the test's path: anchor each name
    main_args = ["-d"] + list(DIRS)
    for t in left_out:
        main_args += ["-e", "^%s$" % re.escape(t)]
    main = run_tests("main", main_args, board, xen, mode, out_dir, timeout)
    excluded = run_tests("excluded", left_out, board, xen, mode, out_dir, timeout)
    return main, excluded, exclusions, tests


def some(names, n=10):
    """A list of test names for one line: the first n and how many more."""
    more = len(names) - n
    return " ".join(names[:n]) + (" and %d more" % more if more > 0 else "")


def problems(main, excluded, exclusions, tests):
    """What is wrong with a suite run, one line each (empty: all good)."""
    out = []
    listed = {t for t in tests if reason_for(t, exclusions)}
    for run in (main, excluded):
        if run.status is None:
            out.append("%s run: run-tests.py timed out" % run.name)
    for pattern, _ in exclusions:
        if not any(fnmatch.fnmatchcase(t, pattern) for t in tests):
            out.append("exclusion %s matches no test" % pattern)
    ran = set(main.verdicts)
    missing = sorted(set(tests) - listed - ran)
    if missing:
        out.append("main run: %d tests gave no verdict: %s" % (len(missing), some(missing)))
    for verdict, what in (
        ("FAIL", "failed"),
        ("skip", "were skipped but are not in the exclusion list"),
    ):
        bad = main.having(verdict)
        if bad:
            out.append("main run: %d tests %s: %s" % (len(bad), what, some(bad)))
    if main.status not in (0, None) and not main.having("FAIL"):
        out.append("main run: run-tests.py ended with status %s" % main.status)
    stale = excluded.having("pass")
    if stale:
        out.append(
            "excluded tests that pass here (remove them from %s): %s"
            % (os.path.relpath(EXCLUDE_FILE, REPO), some(stale))
        )
    unseen = sorted(listed - set(excluded.verdicts))
    if unseen:
        out.append("excluded run: %d tests gave no verdict: %s" % (len(unseen), some(unseen)))
    for run in (main, excluded):
        if run.boots() != 1:
            out.append(
                "%s run: the guest was booted %d times (it died; see %s)"
                % (run.name, run.boots(), run.log)
            )
        xl = run.xen_lines()
        if xl:
            out.append("%s run: Xen spoke on the serial line: %s" % (run.name, xl[0]))
    return out


def summary(main, excluded):
    lines = [
        "%-12s %6s %6s %6s   %s"
        % ("", "passed", "skip", "fail", "(skip and fail: the excluded run)")
    ]
    m, e = main.per_dir(), excluded.per_dir()
    for d in DIRS:
        lines.append("%-12s %6d %6d %6d" % (d, m[d]["pass"], e[d]["skip"], e[d]["FAIL"]))
    lines.append(
        "%-12s %6d %6d %6d"
        % (
            "total",
            len(main.having("pass")),
            len(excluded.having("skip")),
            len(excluded.having("FAIL")),
        )
    )
    lines.append("main run %.0f s, excluded run %.0f s" % (main.seconds, excluded.seconds))
    return lines


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--board", default="x86_64")
    ap.add_argument("--xen", default="4.20")
    ap.add_argument("--mode")
    ap.add_argument(
        "--out", help="directory for logs and results (default build/micropython-suite/BOARD-XEN)"
    )
    opts = ap.parse_args()
    if not os.path.isfile(os.path.join(MPY_TESTS, "run-tests.py")):
        raise SystemExit(
            "micropython_suite: no %s/run-tests.py (tools/deps.sh fetches it)" % MPY_TESTS
        )
    main_run, excluded, exclusions, tests = run_suite(opts.board, opts.xen, opts.mode, opts.out)
    print("\n".join(summary(main_run, excluded)))
    bad = problems(main_run, excluded, exclusions, tests)
    for line in bad:
        print("micropython_suite: " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
