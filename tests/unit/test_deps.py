# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs tools/deps.sh)
# tools/deps.sh fetches by need: `run` for make run, nothing named for
# everything. A profile it does not know is refused before anything is
# fetched or installed.
import os
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_an_unknown_profile_is_refused_in_one_line(tmp_path):
    r = subprocess.run(
        ['bash', os.path.join(TOP, 'tools', 'deps.sh'), 'everything'],
        capture_output=True,
        text=True,
        env=dict(os.environ, DEPS=str(tmp_path)),
    )
    assert r.returncode == 2
    assert r.stderr == "deps: unknown profile 'everything' (want run or all); nothing fetched\n"
    assert os.listdir(tmp_path) == []


def test_make_run_needs_only_the_run_profile():
    mk = open(os.path.join(TOP, 'Makefile')).read()
    assert 'image: $(RUN_STAMP)' in mk and 'test: $(DEPS_STAMP)' in mk
    assert '\tbash tools/deps.sh run $(BOARD) $(XEN)\n' in mk
    assert 'RUN_STAMP := .deps/run-$(BOARD)-$(XEN).txt' in mk


def test_run_refuses_an_unknown_board_or_release(tmp_path):
    for args, msg in (
        (
            ['arm32', '4.20'],
            "deps: unknown board 'arm32' (want x86_64 or arm64); nothing fetched\n",
        ),
        (
            ['x86_64', '4.22'],
            "deps: Xen '4.22' is not a Debian release here (want "
            "4.17 or 4.20; 4.21 and 4.22 come from ../shared/xen); "
            "nothing fetched\n",
        ),
    ):
        r = subprocess.run(
            ['bash', os.path.join(TOP, 'tools', 'deps.sh'), 'run'] + args,
            capture_output=True,
            text=True,
            env=dict(os.environ, DEPS=str(tmp_path)),
        )
        assert r.returncode == 2 and r.stderr == msg, r.stderr
        assert os.listdir(tmp_path) == []
