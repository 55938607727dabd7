# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (files, pipes and threads of the host-side exporter)
"""stubmon-exporter's readers: a file followed as it grows, rotated and
truncated; a pipe; a torn last line completed by the next write."""

import os
import threading
import time

from stubmon_exporter import stream

LOGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "consolelogs")


class Sink:
    def __init__(self):
        self.lines = []
        self.events = []
        self.cond = threading.Condition()

    def line(self, raw):
        with self.cond:
            self.lines.append(raw)
            self.cond.notify_all()

    def event(self, what):
        with self.cond:
            self.events.append(what)
            self.cond.notify_all()

    def wait(self, pred, timeout=10):
        with self.cond:
            assert self.cond.wait_for(pred, timeout), (self.lines[-5:], self.events)


def start(path, sink, **kw):
    stop = threading.Event()
    t = threading.Thread(
        target=stream.follow, args=(path, sink.line, sink.event, stop), kwargs=kw, daemon=True
    )
    t.start()
    return stop, t


def test_lines_keep_the_unfinished_rest():
    got = []
    lines = stream.Lines(got.append)
    lines.feed(b"one\ntw")
    assert got == [b"one"]
    lines.feed(b"o\nthree")
    assert got == [b"one", b"two"]
    lines.flush()
    assert got == [b"one", b"two", b"three"]


def test_file_followed_through_growth_rotation_and_truncation(tmp_path):
    path = tmp_path / "guest-stubmon.log"
    path.write_bytes(b"first\nhalf of a li")
    sink = Sink()
    stop, t = start(str(path), sink)
    sink.wait(lambda: sink.lines == [b"first"])
    with open(path, "ab") as f:
        f.write(b"ne\nsecond\n")
    sink.wait(lambda: sink.lines[-2:] == [b"half of a line", b"second"])
    # logrotate's default: rename, then the writer opens a new file
    os.rename(path, tmp_path / "guest-stubmon.log.1")
    with open(tmp_path / "guest-stubmon.log.1", "ab") as f:
        f.write(b"last of the old file\n")
    path.write_bytes(b"new file\n")
    sink.wait(lambda: b"new file" in sink.lines)
    assert sink.lines.index(b"last of the old file") < sink.lines.index(b"new file")
    assert "rotated" in sink.events
    # copytruncate: the same file cut to nothing, then written again
    with open(path, "r+b") as f:
        f.truncate(0)
    time.sleep(3 * stream.FOLLOW_EVERY_S)
    with open(path, "ab") as f:
        f.write(b"after truncation\n")
    sink.wait(lambda: b"after truncation" in sink.lines)
    assert "truncated" in sink.events
    stop.set()
    t.join(5)
    assert not t.is_alive()


def test_once_reads_a_recorded_log_to_its_end():
    sink = Sink()
    path = os.path.join(LOGS, "x86_64-demo-changes.log")
    stream.follow(path, sink.line, sink.event, threading.Event(), once=True)
    with open(path, "rb") as f:
        want = f.read().split(b"\n")
    assert sink.lines == [l for l in want if l] or sink.lines == want[:-1]
    assert sink.events == ["ended"]


def test_named_pipe_ends_with_its_writer(tmp_path):
    fifo = tmp_path / "console"
    os.mkfifo(fifo)
    sink = Sink()
    stop, t = start(str(fifo), sink)
    with open(fifo, "wb") as w:
        w.write(b"stubmon poll 1 end\npartial")
    t.join(5)
    assert sink.lines == [b"stubmon poll 1 end", b"partial"]
    assert sink.events == ["ended"]


def test_serial_device_read_raw(tmp_path):
    """A pty stands in for a serial adapter: a character device and a tty,
    set raw at the baud rate asked (no CR/LF mangling, no echo)."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    assert stream.kind_of(path) == "device"
    sink = Sink()
    stop, t = start(path, sink, baud=115200)
    time.sleep(0.5)  # opened and set raw
    os.write(master, b"stubmon poll 1: xen\r\nrow\n")
    sink.wait(lambda: len(sink.lines) == 2)
    assert sink.lines == [b"stubmon poll 1: xen\r", b"row"]
    stop.set()
    os.write(master, b"bye\n")  # wakes the blocked read
    t.join(5)
    os.close(master)
    os.close(slave)
