# SPDX-License-Identifier: MIT
"""The example scripts (examples/watchdog, examples/csvlog) built as images
of their own (make EXAMPLE=...) and booted as the x86_64 PV dom0 of Xen 4.20
under QEMU, with demo domains they create paused."""

import csv
import os
import re
import subprocess

import pytest

import boot
import buildlock

BOARD = "x86_64"
DOM0_MEM_KIB = boot.load_board(BOARD).DOM0_MEM_MIB * 1024


def build(example, board=BOARD):
    with buildlock.locked():  # build/mpy-cross, build/xenabi: shared with every port-xen build
        subprocess.run(
            [
                "make",
                "-s",
                "image",
                "BOARD=" + board,
                "EXAMPLE=" + example,
                "VARIANT=" + boot.VARIANT,
            ],
            cwd=boot.REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    path = boot.build_dir(board, example)
    assert os.path.exists(os.path.join(path, "stubmon.elf"))
    return path  # the build directory: boot.boot takes the board's file from it


@pytest.fixture(scope="module")
def watchdog():
    return boot.boot(
        BOARD,
        "4.20",
        "stuck=3 interval=1 count=6 demo=2 exit=qemu",
        timeout=120,
        image=build("watchdog"),
    )


@pytest.fixture(scope="module")
def csvlog():
    return boot.boot(
        BOARD, "4.20", "interval=1 count=3 demo=2 exit=qemu", timeout=120, image=build("csvlog")
    )


def test_monitor_image_is_left_alone():
    # the examples build elsewhere: build/x86_64 keeps the monitor
    frozen = os.path.join(boot.build_dir(BOARD), "frozen_content.c")
    if os.path.exists(frozen):
        with open(frozen) as f:
            text = f.read()
        assert "watchdog.py" not in text and "csvlog.py" not in text


def test_watchdog_reports_demo_domains_stuck_after_threshold(watchdog):
    res = watchdog
    assert res.guest_exit == 0, res.text[-3000:]
    lines = [l for l in res.lines if l.startswith("watchdog:")]
    assert lines[0].startswith("watchdog: xen 4.20.")
    assert lines[0].endswith("reports domains paused over 3 s, checks every 1 s")
    assert lines[1] == "watchdog: created 2 paused demo domains: 1 2"
    stuck = [
        re.match(
            r"^watchdog: domain (\d+) stuck paused \(--p---\) for (\d+)s \(threshold 3 s\)$", l
        )
        for l in lines[2:-1]
    ]
    assert all(stuck), lines
    assert sorted(int(m.group(1)) for m in stuck) == [1, 2]
    assert all(3 <= int(m.group(2)) <= 5 for m in stuck)
    assert lines[-1] == "watchdog: done after 6 checks; 2 domains stuck now"
    # not before the threshold: the stuck lines come after check 4 at the
    # earliest, i.e. at least 3 s of Xen time after the start
    assert not any("fatal" in l or "failed" in l for l in res.lines)


def test_csvlog_lines_parse_as_csv(csvlog):
    res = csvlog
    assert res.guest_exit == 0, res.text[-3000:]
    start = res.lines.index("time_ms,domid,state,status,mem_kib,max_mem_kib,vcpus,cpu_ns")
    body = [l for l in res.lines[start:] if re.match(r"^\d+,\d+,", l)]
    rows = list(csv.DictReader([res.lines[start]] + body))
    assert len(rows) == 9
    assert all(None not in r and len(r) == 8 for r in rows)
    times = sorted({int(r["time_ms"]) for r in rows})
    assert len(times) == 3
    assert all(900 <= b - a <= 1500 for a, b in zip(times, times[1:])), times
    for t in times:
        sample = [r for r in rows if int(r["time_ms"]) == t]
        assert [int(r["domid"]) for r in sample] == [0, 1, 2]
        dom0, demo = sample[0], sample[1:]
        assert dom0["state"].startswith("r") and dom0["status"] == "running"
        assert int(dom0["max_mem_kib"]) == DOM0_MEM_KIB
        assert DOM0_MEM_KIB - 1024 <= int(dom0["mem_kib"]) <= DOM0_MEM_KIB
        assert int(dom0["vcpus"]) == 1 and int(dom0["cpu_ns"]) > 0
        for r in demo:
            assert (
                r["state"],
                r["status"],
                r["mem_kib"],
                r["max_mem_kib"],
                r["vcpus"],
                r["cpu_ns"],
            ) == ("--p---", "paused", "0", "16384", "0", "0")
    cpu0 = [int(r["cpu_ns"]) for r in rows if r["domid"] == "0"]
    assert cpu0 == sorted(cpu0)


def test_watchdog_on_arm64_dom0():
    """The same script image built for arm64 (make BOARD=arm64
    EXAMPLE=watchdog), as dom0 of Xen 4.20 alone."""
    res = boot.boot(
        "arm64",
        "4.20",
        "stuck=2 interval=1 count=4 demo=1 exit=qemu",
        timeout=120,
        image=build("watchdog", "arm64"),
        mode="dom0",
    )
    assert res.guest_exit == 0, res.text[-3000:]
    lines = [l for l in res.lines if l.startswith("watchdog:")]
    assert lines[1] == "watchdog: created 1 paused demo domains: 1"
    assert re.match(
        r"^watchdog: domain 1 stuck paused \(--p---\) for [234]s \(threshold 2 s\)$", lines[2]
    ), lines
    assert lines[-1] == "watchdog: done after 4 checks; 1 domains stuck now"


def test_a_script_that_raises_is_said_and_started_again():
    res = boot.boot(
        BOARD,
        "4.20",
        "interval=1 count=2 demo=1 fault=raise:1 exit=qemu",
        timeout=120,
        image=build("csvlog"),
    )
    assert res.guest_exit == 0, res.text[-3000:]  # run 2 ran to its count
    lines = res.lines
    i = lines.index("csvlog: error in run 1: RuntimeError: test fault (fault=raise:1)")
    assert lines[i + 1] == "Traceback (most recent call last):", lines[i : i + 5]
    assert (
        lines[i + 2 + [l.startswith("RuntimeError") for l in lines[i + 2 : i + 8]].index(True)]
        == "RuntimeError: test fault (fault=raise:1)"
    )
    assert "csvlog: starting again in 1000 ms (1 errors so far)" in lines
    rows = [l for l in lines if re.match(r"^\d+,\d+,", l)]
    assert len(rows) >= 4, lines[-30:]  # two polls of dom0 and the demo domain
