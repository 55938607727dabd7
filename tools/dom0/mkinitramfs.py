#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the Linux dom0 for the xl scenarios from the packages tools/dom0/fetch.sh
unpacked: an uncompressed kernel (x86_64: the vmlinux ELF Xen loads, saving
~3 s of decompression under TCG; arm64: Debian's Image, already
uncompressed) and a busybox initramfs holding xl, xenstored,
xenconsoled, xen-init-dom0, the xenstore tools, every shared library they load
(DT_NEEDED, resolved here; plus libgcc_s, which glibc loads at run time) and
the xen kernel modules. Its /init starts the toolstack, runs
/payload/scenario.sh (from a second cpio appended at boot) and powers off.

    tools/dom0/mkinitramfs.py [--xen 4.17]   -> build/dom0/dom0-4.17/{vmlinux,dom0.cpio.gz}
    tools/dom0/mkinitramfs.py --xen 4.20     -> build/dom0/dom0-4.20/{vmlinux,dom0.cpio.gz}
    tools/dom0/mkinitramfs.py --xen 4.20 --arch arm64
                                             -> build/dom0/dom0-4.20-arm64/{Image,dom0.cpio.gz}

(bookworm's amd64 kernel payload is xz, trixie's zstd: unpacked with the
system's libzstd through ctypes, or the zstd program.)

The packages are read from .deps/dom0-*/root; what is built goes to this
checkout's build/ (worktrees sharing .deps would otherwise rebuild it in
turn, each stamp saying the other's is stale).

Also: `payload(files, out)` writes the appended cpio (used by tools/dom0/xlboot.py).
"""

import argparse
import ctypes
import ctypes.util
import glob
import gzip
import hashlib
import io
import lzma
import os
import stat
import struct
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPS = os.environ.get("DEPS", os.path.join(REPO, ".deps"))
HERE = os.path.dirname(os.path.abspath(__file__))

# flask-get-bool/flask-set-bool: the policy booleans (docs/policy.md) in the
# FLASK scenarios
TOOLS = [
    "xl",
    "xenstored",
    "xenconsoled",
    "xen-init-dom0",
    "xenconsole",
    "flask-get-bool",
    "flask-set-bool",
]
XENSTORE_TOOLS = ["xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-list", "xenstore-rm"]
MODULES = ["xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs"]  # load order
# Per Debian architecture: the multiarch triplet, the dynamic loader and
# where programs look for it, the kernel file made from /boot/vmlinuz-*.
ARCHES = {
    "amd64": {
        "triplet": "x86_64-linux-gnu",
        "ld": "ld-linux-x86-64.so.2",
        "ld_link": "lib64/ld-linux-x86-64.so.2",
        "kernel": "vmlinux",
    },
    "arm64": {
        "triplet": "aarch64-linux-gnu",
        "ld": "ld-linux-aarch64.so.1",
        "ld_link": "lib/ld-linux-aarch64.so.1",
        "kernel": "Image",
    },
}


def libdirs(arch):
    t = ARCHES[arch]["triplet"]
    return ["lib/" + t, "usr/lib/" + t, "lib64", "usr/lib"]


def name(xen, arch="amd64"):
    """The directory name of a dom0: dom0-4.17 (amd64), dom0-4.20-arm64."""
    return "dom0-" + xen + ("" if arch == "amd64" else "-" + arch)


def fetched(xen, arch="amd64"):
    return os.path.join(DEPS, name(xen, arch))


def built(xen, arch="amd64"):
    return os.path.join(REPO, "build", "dom0", name(xen, arch))


# --- cpio (newc) ---------------------------------------------------------------
class Cpio:
    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        name = name.lstrip("/")
        hdr = "070701" + "".join(
            "%08x" % v
            for v in (self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
        )
        self.ino += 1
        self.out.write(hdr.encode() + name.encode() + b"\0")
        self.out.write(b"\0" * (-self.out.tell() % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def dir(self, name):
        name = name.strip("/")
        if not name or name in self.seen:
            return
        self.dir(os.path.dirname(name))
        self.seen.add(name)
        self._entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, mode=0o755):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        self.seen.add(name)
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        self.seen.add(name)
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def bytes(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def payload(files, out):
    """files: {path in dom0: bytes, or a host path (str)}. Writes an uncompressed
    cpio, to be appended to dom0.cpio.gz (whose size is a multiple of 4)."""
    c = Cpio()
    for name in sorted(files):
        v = files[name]
        if isinstance(v, str):
            with open(v, "rb") as f:
                v = f.read()
        c.file(name, v, 0o755 if name.endswith(".sh") else 0o644)
    with open(out, "wb") as f:
        f.write(c.bytes())


# --- picking files -------------------------------------------------------------
def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return [l.split("[")[1].split("]")[0] for l in out.splitlines() if "(NEEDED)" in l]


def find_lib(root, soname, arch="amd64"):
    for d in libdirs(arch):
        p = os.path.join(root, d, soname)
        if os.path.lexists(p):
            return p
    return None


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def unzstd(data, size):
    """One zstd frame (no content size in its header, as Linux's
    `zstd22_with_size` writes it) decompressed to exactly `size` bytes, by
    the system's libzstd through ctypes (libzstd1: dpkg itself depends on
    it, so every Debian has it), else the `zstd` program."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
    except OSError:
        lib = None
    if lib is None:
        try:
            out = subprocess.run(
                ["zstd", "-dc"], input=data, capture_output=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise SystemExit(
                "dom0: the kernel's payload is zstd-compressed and neither libzstd.so.1 "
                "nor the zstd program could unpack it (%s): apt-get install zstd" % e
            )
    else:
        lib.ZSTD_decompress.restype = ctypes.c_size_t
        lib.ZSTD_decompress.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_size_t,
        ]
        lib.ZSTD_isError.restype = ctypes.c_uint
        lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        lib.ZSTD_getErrorName.restype = ctypes.c_char_p
        lib.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
        buf = ctypes.create_string_buffer(size)
        n = lib.ZSTD_decompress(buf, size, data, len(data))
        if lib.ZSTD_isError(n):
            raise SystemExit("dom0: zstd payload: %s" % lib.ZSTD_getErrorName(n).decode())
        out = buf.raw[:n]
    if len(out) != size:
        raise SystemExit(
            "dom0: zstd payload unpacked to %d bytes, its trailer says %d" % (len(out), size)
        )
    return out


def vmlinux_from_bzimage(path):
    """The ELF vmlinux inside a bzImage (its payload, xz, gzip or zstd
    compressed: bookworm's kernels are xz, trixie's amd64 ones zstd)."""
    with open(path, "rb") as f:
        bz = f.read()
    setup_sects = bz[0x1F1] or 4
    off, length = struct.unpack_from("<II", bz, 0x248)
    data = bz[(setup_sects + 1) * 512 + off :][:length]
    if data[:6] == b"\xfd7zXZ\0":
        out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    elif data[:2] == b"\x1f\x8b":
        out = gzip.GzipFile(fileobj=io.BytesIO(data)).read()
    elif data[:4] == ZSTD_MAGIC:
        # Linux appends the uncompressed size (le32) after the zstd frame
        (size,) = struct.unpack_from("<I", data, len(data) - 4)
        out = unzstd(data[:-4], size)
    else:
        raise SystemExit("dom0: kernel payload compression not handled: %r" % data[:6])
    assert out[:4] == b"\x7fELF", "not an ELF vmlinux"
    return out


def in_root(root, rel):
    """rel under root, or under root/usr (trixie's packages ship merged /usr)."""
    p = os.path.join(root, rel)
    return p if os.path.lexists(p) else os.path.join(root, "usr", rel)


def kernel_image(path, arch):
    if arch == "amd64":
        return vmlinux_from_bzimage(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    # the arm64 Image header: "ARM\x64" at 0x38
    assert data[0x38:0x3C] == b"ARM\x64", "not an arm64 Image"
    return data


def build(xen, arch="amd64"):
    src = fetched(xen, arch)
    base = built(xen, arch)
    os.makedirs(base, exist_ok=True)
    root = os.path.join(src, "root")
    A = ARCHES[arch]
    if not os.path.exists(os.path.join(src, ".versions")):
        raise SystemExit("dom0: run tools/dom0/fetch.sh %s %s first" % (xen, arch))
    c = Cpio()
    bindir = "usr/lib/xen-%s/bin" % xen
    files = []  # paths relative to root
    for t in TOOLS:
        files.append(os.path.join(bindir, t))
    for t in XENSTORE_TOOLS:
        p = os.path.join("usr/bin", t)
        if os.path.lexists(os.path.join(root, p)):
            files.append(p)
    # shared libraries, transitively
    todo = [os.path.join(root, f) for f in files]
    libs = {}
    for extra in ("libgcc_s.so.1", A["ld"]):
        libs[extra] = find_lib(root, extra, arch)
        todo.append(libs[extra])
    missing = set()
    while todo:
        p = todo.pop()
        real = os.path.realpath(p)
        for so in needed(real):
            if so in libs:
                continue
            lp = find_lib(root, so, arch)
            if lp is None:
                missing.add(so)
                continue
            libs[so] = lp
            todo.append(lp)
    if missing:
        raise SystemExit(
            "dom0: shared libraries not in the fetched packages: %s "
            "(add their packages to tools/dom0/fetch.sh)" % ", ".join(sorted(missing))
        )
    for f in files:
        c.file(f, open(os.path.realpath(os.path.join(root, f)), "rb").read())
    for so, p in sorted(libs.items()):
        # every library at /lib/<triplet> under its soname
        c.file("lib/%s/%s" % (A["triplet"], so), open(os.path.realpath(p), "rb").read())
    c.symlink(A["ld_link"], "/lib/%s/%s" % (A["triplet"], A["ld"]))
    # kernel modules
    moddir = in_root(root, "lib/modules")
    kver = os.listdir(moddir)[0]
    for m in MODULES:
        hits = glob.glob(
            os.path.join(moddir, kver, "kernel/drivers/xen/**", m + ".ko*"), recursive=True
        )
        if not hits:
            raise SystemExit("dom0: no kernel module %s in %s" % (m, kver))
        ko = open(hits[0], "rb").read()
        if hits[0].endswith(".xz"):
            ko = lzma.decompress(ko)  # busybox insmod hands the kernel the bytes as they are
        c.file("lib/modules/xen/%s.ko" % m, ko, 0o644)
    # busybox and the rest
    c.file("bin/busybox", open(in_root(root, "bin/busybox"), "rb").read())
    c.symlink("bin/sh", "busybox")
    for d in (
        "proc",
        "sys",
        "dev",
        "run",
        "tmp",
        "var/lib/xen",
        "var/log/xen/console",
        "var/lib/xenstored",
        "var/lock",
        "etc/xen",
        "root",
        "payload",
    ):
        c.dir(d)
    c.symlink("var/run", "/run")
    for f in ("etc/xen/xl.conf",):
        c.file(f, open(os.path.join(root, f), "rb").read(), 0o644)
    c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
    c.file("etc/group", b"root:x:0:\n", 0o644)
    init = (
        open(os.path.join(HERE, "init.sh"))
        .read()
        .replace("@XEN@", xen)
        .replace("@TRIPLET@", A["triplet"])
    )
    c.file("init", init.encode())
    data = c.bytes()
    gz = gzip.compress(data, 6, mtime=0)
    gz += b"\0" * (-len(gz) % 4)
    with open(os.path.join(base, "dom0.cpio.gz.new"), "wb") as f:
        f.write(gz)
    os.replace(os.path.join(base, "dom0.cpio.gz.new"), os.path.join(base, "dom0.cpio.gz"))
    kernel = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))[0]
    kout = os.path.join(base, A["kernel"])
    with open(kout + ".new", "wb") as f:
        f.write(kernel_image(kernel, arch))
    os.replace(kout + ".new", kout)
    return len(gz), len(libs), kver


def stamp_text(xen, arch="amd64"):
    """What the cached dom0 was built from: this script, init.sh, the packages."""
    h = hashlib.sha256()
    for p in (
        os.path.abspath(__file__),
        os.path.join(HERE, "init.sh"),
        os.path.join(fetched(xen, arch), ".versions"),
    ):
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def kernel(base, arch="amd64"):
    """The kernel file in a built dom0 directory."""
    return os.path.join(base, ARCHES[arch]["kernel"])


def ensure(xen, arch="amd64"):
    """Build unless the cached image matches its inputs. Returns the dir."""
    base = built(xen, arch)
    stamp = os.path.join(base, ".built")
    want = stamp_text(xen, arch)
    if os.path.exists(stamp) and open(stamp).read() == want and os.path.exists(kernel(base, arch)):
        return base
    size, nlibs, kver = build(xen, arch)
    print(
        "dom0: built %s/dom0.cpio.gz (%d KiB, %d libraries, kernel %s)"
        % (base, size // 1024, nlibs, kver),
        file=sys.stderr,
    )
    with open(stamp, "w") as f:
        f.write(want)
    return base


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--xen", default="4.17")
    ap.add_argument("--arch", default="amd64", choices=sorted(ARCHES))
    o = ap.parse_args()
    ensure(o.xen, o.arch)
