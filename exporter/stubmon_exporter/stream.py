# SPDX-License-Identifier: MIT
"""Console streams, line by line: a file that grows (xenconsoled's
--log=guest file, a serial logger's, `make run > file`), a pipe or
standard input (`xl console`, `make run |`), or a serial device.

Each reader calls line(raw) with every complete line (bytes, newline
removed) and event(what) for rotated, truncated, reopened and ended.
A line is at most MAX_LINE bytes: a longer one is dropped (Lines)."""

import os
import stat
import termios
import time

CHUNK = 65536
MAX_LINE = 1 << 20  # bytes: a longer "line" is garbage (a serial BREAK, a wrong baud rate)
FOLLOW_EVERY_S = 0.2  # how often a file at its end is looked at again
BAUDS = {
    b: getattr(termios, "B%d" % b)
    for b in (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
    if hasattr(termios, "B%d" % b)
}


class Lines:
    """Bytes in, complete lines out; the unfinished rest is kept, at most
    `limit` bytes of it. Past that the line is garbage (noise without a
    newline would otherwise grow without bound): overlong(limit) is called
    once and its bytes are dropped up to the next newline."""

    def __init__(self, line, overlong=None, limit=MAX_LINE):
        self.line = line
        self.overlong = overlong or (lambda n: None)
        self.limit = limit
        self.rest = bytearray()
        self.skipping = False  # in an overlong line: dropped to its newline

    def feed(self, data):
        if self.skipping:
            nl = data.find(b"\n")
            if nl < 0:
                return
            self.skipping = False
            data = data[nl + 1 :]
        parts = data.split(b"\n")
        for p in parts[:-1]:
            self._end(p)
        self._keep(parts[-1])

    def _end(self, piece):
        """The rest and `piece` are a whole line."""
        if len(self.rest) + len(piece) > self.limit:
            self.rest = bytearray()
            self.overlong(self.limit)
            return
        line = b"".join((self.rest, piece)) if self.rest else piece
        self.rest = bytearray()
        self.line(line)

    def _keep(self, tail):
        if len(self.rest) + len(tail) <= self.limit:
            self.rest += tail
            return
        self.rest = bytearray()
        self.skipping = True
        self.overlong(self.limit)

    def drop(self):
        self.rest = bytearray()
        self.skipping = False

    def flush(self):
        """The end of the stream ends its last line too."""
        self.skipping = False
        if self.rest:
            rest, self.rest = bytes(self.rest), bytearray()
            self.line(rest)


def kind_of(path):
    """'stdin', 'file', 'device' (a tty or other character device) or 'pipe'."""
    if path == "-":
        return "stdin"
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode):
        return "device"
    return "pipe"


def read_fd(fd, lines, stop):
    """Until the end of a pipe or device (or stop is set)."""
    while not stop.is_set():
        data = os.read(fd, CHUNK)
        if not data:
            return
        lines.feed(data)


def serial_raw(fd, baud):
    """A serial line as a logger wants it: raw bytes at `baud`, no echo."""
    if not os.isatty(fd):
        return
    attrs = termios.tcgetattr(fd)
    attrs[0] = 0  # iflag: no CR/LF mangling, no flow control
    attrs[1] = 0  # oflag
    attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    attrs[3] = 0  # lflag: not canonical, no echo
    attrs[4] = attrs[5] = BAUDS[baud]
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def read_rest(f, lines):
    """To the end of an open file, a chunk at a time (the rest may be big)."""
    for data in iter(lambda: f.read(CHUNK), b""):
        lines.feed(data)


def follow_file(path, lines, event, stop, once=False, every=FOLLOW_EVERY_S):
    """Read a file from its start and, unless `once`, follow it as it
    grows: a file replaced at the same path (rotation) is read to its end,
    then the new one from its start; a file cut shorter (copytruncate) is
    read again from its start. Returns at the end with `once`, else when
    stop is set."""
    f = open(path, "rb")
    try:
        ident = os.fstat(f.fileno())
        while True:
            data = f.read(CHUNK)
            if data:
                lines.feed(data)
                continue
            if once or stop.is_set():
                lines.flush()
                return
            stop.wait(every)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                continue  # mid-rotation: the new file is not there yet
            if (now.st_ino, now.st_dev) != (ident.st_ino, ident.st_dev):
                read_rest(f, lines)  # what was written before the rename
                lines.flush()
                f.close()
                f = open(path, "rb")
                ident = os.fstat(f.fileno())
                event("rotated")
            elif now.st_size < f.tell():
                f.seek(0)
                lines.drop()  # its line was cut with the file
                event("truncated")
    finally:
        f.close()


def follow(path, line, event, stop, once=False, baud=115200, reopen_s=1.0, overlong=None):
    """Read the stream at `path` ('-': standard input) until its end (a
    pipe closed, `once` at a file's end) or stop. A device that goes away
    (a USB serial adapter unplugged) is opened again when it comes back.
    overlong(limit) is called for each line dropped for its length (Lines)."""
    lines = Lines(line, overlong)
    kind = kind_of(path)
    if kind == "file":
        follow_file(path, lines, event, stop, once=once)
    elif kind == "stdin":
        read_fd(0, lines, stop)
        lines.flush()
    else:
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
            except OSError:
                if once:
                    break
                stop.wait(reopen_s)
                continue
            try:
                if kind == "device":
                    serial_raw(fd, baud)
                read_fd(fd, lines, stop)
            except OSError:
                pass  # the device went away: opened again
            finally:
                os.close(fd)
            lines.flush()
            if once or kind == "pipe":
                break
            event("reopened")
            time.sleep(reopen_s)
    event("ended")
