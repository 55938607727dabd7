# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs tools/deps.sh)
# tools/deps.sh fetches by need: `run` for make run, nothing named for
# everything. A profile it does not know is refused before anything is
# fetched or installed.
import os
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_an_unknown_profile_is_refused_in_one_line(tmp_path):
    r = subprocess.run(['bash', os.path.join(TOP, 'tools', 'deps.sh'), 'everything'],
                       capture_output=True, text=True, env=dict(os.environ, DEPS=str(tmp_path)))
    assert r.returncode == 2
    assert r.stderr == "deps: unknown profile 'everything' (want run or all); nothing fetched\n"
    assert os.listdir(tmp_path) == []


def test_make_run_needs_only_the_run_profile():
    mk = open(os.path.join(TOP, 'Makefile')).read()
    assert 'image: $(RUN_STAMP)' in mk and 'test: $(DEPS_STAMP)' in mk
    assert '\tbash tools/deps.sh run\n' in mk
