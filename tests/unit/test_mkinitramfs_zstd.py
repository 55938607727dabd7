# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (host tooling; mprun.py never runs this module)
"""tools/dom0/mkinitramfs.py: the vmlinux ELF out of a bzImage whose payload
is xz, gzip or (trixie's amd64 kernels) zstd. Linux writes the zstd payload
as one frame without its content size, then the size as a le32 trailer
(`zstd22_with_size`); the frames here are made the same way, with the
system's libzstd through ctypes."""

import ctypes
import ctypes.util
import glob
import gzip
import lzma
import os
import shutil
import struct
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, 'tools', 'dom0'))
import mkinitramfs  # noqa: E402

ELF = b'\x7fELF' + bytes(range(256)) * 300 + b'vmlinux end'
ZSTD_C_CONTENT_SIZE_FLAG = 200  # zstd.h: ZSTD_c_contentSizeFlag


def libzstd():
    name = ctypes.util.find_library('zstd')
    if not name:
        pytest.skip('no libzstd on this host (Debian: libzstd1, which dpkg depends on)')
    return ctypes.CDLL(name)


def zstd_frame(data):
    """One zstd frame of `data` without the content size in its header, as
    the `zstd` program writes from a pipe (Linux's build does)."""
    lib = libzstd()
    lib.ZSTD_createCCtx.restype = ctypes.c_void_p
    lib.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.ZSTD_CCtx_setParameter.restype = ctypes.c_size_t
    lib.ZSTD_compress2.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_char_p,
        ctypes.c_size_t,
    ]
    lib.ZSTD_compress2.restype = ctypes.c_size_t
    lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    lib.ZSTD_freeCCtx.argtypes = [ctypes.c_void_p]
    cctx = lib.ZSTD_createCCtx()
    assert not lib.ZSTD_isError(lib.ZSTD_CCtx_setParameter(cctx, ZSTD_C_CONTENT_SIZE_FLAG, 0))
    cap = lib.ZSTD_compressBound(len(data))
    out = ctypes.create_string_buffer(cap)
    n = lib.ZSTD_compress2(cctx, out, cap, data, len(data))
    lib.ZSTD_freeCCtx(cctx)
    assert not lib.ZSTD_isError(n)
    frame = out.raw[:n]
    lib.ZSTD_getFrameContentSize.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
    assert lib.ZSTD_getFrameContentSize(frame, n) == 2**64 - 1  # ZSTD_CONTENTSIZE_UNKNOWN
    return frame


def bzimage(tmp_path, payload, setup_sects=3):
    """A file laid out as a bzImage as far as vmlinux_from_bzimage reads it:
    setup_sects at 0x1f1, payload_offset and payload_length at 0x248, the
    payload after the setup sectors."""
    head = bytearray((setup_sects + 1) * 512)
    head[0x1F1] = setup_sects
    struct.pack_into('<II', head, 0x248, 16, len(payload))
    path = tmp_path / 'vmlinuz'
    path.write_bytes(bytes(head) + b'\0' * 16 + payload + b'\0' * 64)
    return str(path)


def with_size(frame, size):
    return frame + struct.pack('<I', size)


def test_zstd_payload(tmp_path):
    assert (
        mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, with_size(zstd_frame(ELF), len(ELF))))
        == ELF
    )


def test_xz_and_gzip_payloads_still(tmp_path):
    xz = lzma.compress(ELF, format=lzma.FORMAT_XZ) + struct.pack('<I', len(ELF))
    assert mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, xz)) == ELF
    gz = gzip.compress(ELF)
    assert mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, gz)) == ELF


def test_zstd_size_trailer_must_match(tmp_path):
    with pytest.raises(SystemExit) as e:
        mkinitramfs.vmlinux_from_bzimage(
            bzimage(tmp_path, with_size(zstd_frame(ELF), len(ELF) + 1))
        )
    assert 'zstd' in str(e.value)


def test_unknown_compression_is_named(tmp_path):
    with pytest.raises(SystemExit) as e:
        mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, b'BZh91AY&SY' + b'\0' * 100))
    assert 'not handled' in str(e.value)


def test_zstd_program_when_no_libzstd(tmp_path, monkeypatch):
    if not shutil.which('zstd'):
        pytest.skip('no zstd program on this host (Debian package zstd)')
    frame = with_size(zstd_frame(ELF), len(ELF))

    def no_lib(*a, **k):
        raise OSError('libzstd.so.1: cannot open shared object file')

    monkeypatch.setattr(mkinitramfs.ctypes, 'CDLL', no_lib)
    assert mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, frame)) == ELF


def test_neither_says_what_to_install(tmp_path, monkeypatch):
    frame = with_size(zstd_frame(ELF), len(ELF))

    def no_lib(*a, **k):
        raise OSError('libzstd.so.1: cannot open shared object file')

    monkeypatch.setattr(mkinitramfs.ctypes, 'CDLL', no_lib)
    monkeypatch.setenv('PATH', str(tmp_path))  # no zstd program either
    with pytest.raises(SystemExit) as e:
        mkinitramfs.vmlinux_from_bzimage(bzimage(tmp_path, frame))
    assert 'apt-get install zstd' in str(e.value)


def test_trixie_amd64_kernel():
    """The kernel tools/dom0/fetch.sh 4.20 unpacks (skipped until fetched)."""
    root = os.path.join(mkinitramfs.fetched('4.20'), 'root', 'boot')
    found = glob.glob(os.path.join(root, 'vmlinuz-*'))
    if not found:
        pytest.skip('no %s/vmlinuz-* (tools/dom0/fetch.sh 4.20 fetches it)' % root)
    with open(found[0], 'rb') as f:
        bz = f.read()
    setup_sects = bz[0x1F1] or 4
    off, length = struct.unpack_from('<II', bz, 0x248)
    payload = bz[(setup_sects + 1) * 512 + off :][:length]
    assert payload[:4] == mkinitramfs.ZSTD_MAGIC  # what made the new code necessary
    out = mkinitramfs.vmlinux_from_bzimage(found[0])
    assert out[:4] == b'\x7fELF' and out[4] == 2  # ELF64
    assert len(out) == struct.unpack_from('<I', payload, len(payload) - 4)[0]
