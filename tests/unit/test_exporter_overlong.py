# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (pipes, threads and a subprocess of the host-side exporter)
"""A console stream without a newline (a serial BREAK, a wrong baud rate,
a guest flooding a logger) must not grow the exporter's memory: the line
being read is held to stream.MAX_LINE bytes, past that dropped to its
newline and counted once as `overlong`, and the lines after it are read."""

import os
import subprocess
import sys
import threading

from stubmon_exporter import stream
from stubmon_exporter.state import Monitor
from test_exporter_metrics import Clock, feed_log

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGS = os.path.join(TOP, "tests", "unit", "consolelogs")
ENV = dict(os.environ, PYTHONPATH=os.path.join(TOP, "exporter"))
LOG = "x86_64-demo-changes.log"
GARBAGE = 64 << 20  # bytes without a newline
BLOCK = b"\xff\x00 noise at the wrong baud rate " * 2048


def garbage(write, n=GARBAGE):
    while n > 0:
        block = BLOCK[:n]
        write(block)
        n -= len(block)


def log_around_garbage():
    """The recorded log's start, the garbage, a newline, the log's rest."""
    with open(os.path.join(LOGS, LOG), "rb") as f:
        log = f.read()
    cut = log.index(b"stubmon poll 3: ")
    return log[:cut], log[cut:]


class Quiet:
    def write(self, text):
        pass


def test_lines_drop_an_overlong_line_to_its_newline_counted_once():
    got, over = [], []
    lines = stream.Lines(got.append, over.append, limit=10)
    lines.feed(b"short\n0123456789")  # exactly the limit: kept
    assert got == [b"short"] and len(lines.rest) == 10 and over == []
    lines.feed(b"x")  # one past it: dropped, said once
    lines.feed(b"more" * 1000)
    assert lines.rest == b"" and over == [10]
    lines.feed(b"still\nafter\n")  # to its newline, then read again
    assert got == [b"short", b"after"] and over == [10]
    lines.feed(b"y" * 11 + b"\n" + b"z" * 30 + b"\nok")  # whole ones in one read
    assert over == [10, 10, 10] and got[-1] == b"after" and lines.rest == b"ok"
    lines.feed(b"0123456789")
    lines.flush()
    assert over == [10, 10, 10, 10] and got[-1] == b"after"
    lines.feed(b"new\n")  # a flush ends the dropping too
    assert got[-1] == b"new"


def test_a_64_mib_line_from_a_pipe_keeps_the_reader_bounded(tmp_path, monkeypatch):
    """Through the real reader (stream.follow on a named pipe): the
    pending line never holds more than MAX_LINE bytes, and the polls
    after the garbage are read."""
    peak = [0]

    class Watched(stream.Lines):
        def feed(self, data):
            super().feed(data)
            peak[0] = max(peak[0], len(self.rest))

    monkeypatch.setattr(stream, "Lines", Watched)
    fifo = tmp_path / "console"
    os.mkfifo(fifo)
    head, tail = log_around_garbage()

    def writer():
        with open(fifo, "wb") as w:
            w.write(head)
            garbage(w.write)
            w.write(b"\n" + tail)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    mon = Monitor("h1", clock=Clock(), log=Quiet())
    stream.follow(
        str(fifo), mon.feed_bytes, mon.stream_event, threading.Event(), overlong=mon.overlong
    )
    t.join(30)
    assert 0 < peak[0] <= stream.MAX_LINE
    assert mon.parse_errors == {"overlong": 1}
    ref = feed_log(LOG)
    assert mon.polls == ref.polls and sorted(mon.domains) == sorted(ref.domains)


MAXRSS = (
    "import resource, sys\n"
    "from stubmon_exporter import cli\n"
    "rc = cli.main(sys.argv[1:])\n"
    "print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def exporter_maxrss(path):
    """The exporter's peak RSS (KiB) reading `path` with --once --print."""
    r = subprocess.run(
        [sys.executable, "-c", MAXRSS, "--once", "--print", str(path)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    said = r.stderr.strip().splitlines()
    return int(said[-1].split()[1]), r.stdout, said[:-1]


def test_the_exporter_reading_64_mib_without_a_newline_stays_small(tmp_path):
    """The review's case (64 MiB took it to 156 MiB of RSS): the whole
    exporter, on a file, grows by less than twice the line limit over the
    same log without the garbage."""
    head, tail = log_around_garbage()
    plain = tmp_path / "plain.log"
    plain.write_bytes(head + tail)
    noisy = tmp_path / "noisy.log"
    with open(noisy, "wb") as f:
        f.write(head)
        garbage(f.write)
        f.write(b"\n" + tail)
    base, _, _ = exporter_maxrss(plain)
    peak, out, said = exporter_maxrss(noisy)
    assert peak - base < 2 * stream.MAX_LINE // 1024, (base, peak)
    assert 'stubmon_exporter_parse_errors_total{host="noisy",kind="overlong"} 1.0' in out
    assert 'stubmon_polls_total{host="noisy"} %d.0' % feed_log(LOG).polls in out
    assert said == [
        "stubmon-exporter: noisy: skipped: a line of over %d bytes without a "
        "newline, dropped to its newline" % stream.MAX_LINE
    ]


def test_a_table_without_its_end_holds_no_more_rows_than_its_header():
    """A header, then rows that never end: the rows past the header's
    count are refused as they come (the poll dropped, counted as
    `table`), not kept until an end line that may never come."""
    mon = Monitor("h1", clock=Clock(), log=Quiet())
    mon.feed("stubmon poll 1: xen 4.20, uptime 1.0s, 2 domains")
    row = "    %d r-----  1  1  1  0.0  -  0.0  0  0 00000000-0000-0000-0000-000000000000"
    for n in range(100000):
        mon.feed(row % (n % 0x7FF0))
        reading = mon._tables.current
        assert reading is None or len(reading.rows) <= 2
    assert mon.parse_errors == {"table": 1} and mon.polls == 0
