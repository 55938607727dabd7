# SPDX-License-Identifier: MIT
# xenlog=1 and alert=log:TEXT: Xen's own log lines (its console ring,
# XEN_SYSCTL_readconsole), read incrementally from the index last read, so
# no line is read twice. Xen keeps a fixed ring: when it wrapped past the
# index since the last read, the read starts at the oldest byte left and
# the gap is counted (bytes: what was overwritten cannot be counted in
# lines) and said. Only Xen's own lines are taken ("(XEN) ..."), not other
# domains' "(dN)" lines that share the ring, nor this monitor's own output
# (as dom0 it lands in the ring too: forwarding it would loop). The lines
# are given without their "(XEN) ": that mark inside one of the monitor's
# lines would read as a foreign line cutting it (consolelog.Mender).

BUF = 4096  # bytes a read
READS_MAX = 16  # reads a poll at most (64 KiB); the rest waits for the next
LINE_MAX = 512  # a longer line is cut (Xen's lines are far shorter)
MASK = 0xFFFFFFFF  # Xen's ring indices are u32 and wrap
# At start, what the ring holds already (Xen's boot, or what it logged while
# a restarted monitor was down: `Watchdog timer fired for domain N`) is read
# once: its last BACKLOG bytes become lines that alert=log: rules see and
# xenlog=1 shows, marked as older; the rest is left to `xl dmesg`.
BACKLOG = 8192


def is_xen_line(line):
    """bytes: Xen's own line, not one it prints for a domain."""
    if not line.startswith(b'(XEN) '):
        return False
    rest = line[6:]
    if rest.startswith(b'['):  # console_timestamps
        end = rest.find(b'] ')
        if end >= 0:
            rest = rest[end + 2 :]
    return not rest.startswith(b'(d')


def text(line):
    """Printable ASCII (another byte becomes '?'), without the line end."""
    line = line.rstrip(b'\r')
    for c in line:
        if c < 32 or c > 126:
            return ''.join([chr(c) if 32 <= c <= 126 else '?' for c in line])
    return line.decode()


class XenLog:
    def __init__(self):
        self.buf = bytearray(BUF)
        self.index = None  # the ring index after the last byte read
        self.rest = b''  # an unfinished line, kept for the next read
        self.skip_partial = False  # after a gap: the first line is a fragment
        self.lost = 0  # bytes overwritten before they were read, since start

    def start(self, hyp):
        """The first read: the whole ring, to its end, from which on read()
        goes. Returns (bytes it held, Xen's lines among its last BACKLOG
        bytes): what was logged before this monitor started."""
        n, idx = hyp.read_console(self.buf, None)
        held, tail, whole = n, bytes(self.buf[:n]), True
        for _ in range(4096):  # a ring of up to 16 MiB
            if n < len(self.buf):
                break
            n, idx = hyp.read_console(self.buf, idx)
            held += n
            tail = (tail + bytes(self.buf[:n]))[-BACKLOG:]
            whole = False
        self.index = idx
        parts = tail.split(b'\n')
        if not whole or len(tail) == BACKLOG:
            parts.pop(0)  # cut: the first is a fragment
        parts.pop()  # unfinished (or empty): read() takes it whole next time
        return held, [text(p[6:LINE_MAX]) for p in parts if is_xen_line(p)]

    def read(self, hyp):
        """Xen's lines new since the last read: ([text], bytes lost now)."""
        out, lost = [], 0
        for _ in range(READS_MAX):
            n, end = hyp.read_console(self.buf, self.index)
            gap = ((end - n) - self.index) & MASK
            if gap and gap < 0x80000000:  # the ring wrapped past our index
                lost += gap
                self.rest = b''
                self.skip_partial = True
            self.index = end
            if not n:
                break
            parts = (self.rest + bytes(self.buf[:n])).split(b'\n')
            self.rest = parts.pop()
            if len(self.rest) > LINE_MAX:
                parts.append(self.rest[:LINE_MAX])
                self.rest = b''
            if self.skip_partial and parts:
                parts.pop(0)
                self.skip_partial = False
            for p in parts:
                if is_xen_line(p):  # without "(XEN) ": every line here is Xen's
                    out.append(text(p[6:LINE_MAX]))
            if n < len(self.buf):
                break
        self.lost += lost
        return out, lost
