# SPDX-License-Identifier: MIT
# make bench: the time to decode 1000 getdomaininfo records, run under the
# MicroPython unix port (the image's VM, from the same source) with
#   MICROPYPATH=monitor:build/xenabi/x86_64:tests/unit/fake micropython tools/bench_decode.py
# (the fake `xen` module only lets the package import; no hypercall is made)
# record.decode (one struct.unpack_from in the release's format, plus the
# derived fields) against the field-by-field decode it replaced (9
# unpack_from calls and a slice per record), on the same buffer.
import struct
import time

from stubmon import abi
from stubmon import jsonout
from stubmon import record
from stubmon import table
from stubmon.snapshot import Snapshot

N = 1000
ROUNDS = 5


def field_by_field(lay, buf, off):
    """The decode before the one record (kept here only to compare)."""

    def u(fmt, name):
        return struct.unpack_from(fmt, buf, off + lay.DI[name])[0]

    h = off + lay.DI['handle']
    return (
        u('<H', 'domain'),
        u('<I', 'flags'),
        u('<Q', 'tot_pages'),
        u('<Q', 'max_pages'),
        u('<Q', 'cpu_time'),
        u('<I', 'nr_online_vcpus'),
        u('<I', 'max_vcpu_id'),
        u('<I', 'ssidref'),
        bytes(buf[h : h + lay.DI_HANDLE_LEN]),
        u('<I', 'cpupool'),
    )


def timed(fn):
    best = None
    for _ in range(ROUNDS):
        t = time.ticks_us()
        fn()
        us = time.ticks_diff(time.ticks_us(), t)
        best = us if best is None or us < best else best
    return best


def main():
    lay = abi.Abi((4, 20), 'x86_64')
    size = lay.DI_SIZE
    buf = bytearray(N * size)
    for i in range(N):
        o = i * size
        struct.pack_into('<H', buf, o + lay.DI['domain'], i)
        struct.pack_into('<I', buf, o + lay.DI['flags'], abi.DOMINF_paused)
        struct.pack_into('<Q', buf, o + lay.DI['cpu_time'], i * 1000)
    fig = record.Figures()

    def one_step():
        fig.begin(1000000000, 1048576)
        fig.end(record.decode_into([], lay, buf, N, 0, fig))

    def old():
        for i in range(N):
            field_by_field(lay, buf, i * size)

    new_us, old_us = timed(one_step), timed(old)
    assert record.decode(lay, buf, 5 * size).domid == 5
    doms = record.decode_into([], lay, buf, N, 0, fig)

    def rows():
        for _ in table.format_poll(Snapshot(2, '4.20', 0, doms)):
            pass

    def json_line():
        for _ in jsonout.poll_parts(Snapshot(2, '4.20', 0, doms)):
            pass

    table_us, json_us = timed(rows), timed(json_line)
    print(
        '  format %d domains (MicroPython unix port, best of %d): table %d us (%.1f us a row), '
        'JSON %d us (%.1f us a domain)' % (N, ROUNDS, table_us, table_us / N, json_us, json_us / N)
    )
    print(
        '  decode %d records (MicroPython unix port, best of %d): one unpack_from + derived '
        'fields %d us (%.1f us each); field by field, no derived fields %d us (%.1f us each): '
        '%.1fx' % (N, ROUNDS, new_us, new_us / N, old_us, old_us / N, old_us / new_us)
    )


main()
