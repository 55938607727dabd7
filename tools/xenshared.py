# SPDX-License-Identifier: MIT
"""The Xen releases Debian does not ship, from ../shared/xen beside the repo
(its README: one <major>.<minor>.<patch>/ directory per release, holding
xen-<ver>-amd64.gz, xen-<ver>-arm64.gz and include/xen/, the equivalent
of libxen-dev's /usr/include). Used by tools/xenabi/gen.py (headers), the
boards' boot.py (hypervisors) and the boot tests (skip reasons).

XEN_SHARED in the environment (make's XEN_SHARED= exports it) moves it."""

import gzip
import os
import re
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The releases expected there; any other X.Y.Z directory is used as well.
EXPECTED = ("4.21", "4.22")
ARCH_FILE = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def root():
    return os.path.abspath(
        os.environ.get("XEN_SHARED") or os.path.join(REPO, "..", "shared", "xen")
    )


def releases(where=None):
    """{'4.21': '/.../4.21.2', ...}: every <X.Y.Z> directory with headers
    (the newest patch level of a minor release wins)."""
    where = where or root()
    out = {}
    if not os.path.isdir(where):
        return out
    for d in sorted(os.listdir(where), key=_key):
        m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", d)
        path = os.path.join(where, d)
        if m and os.path.isdir(os.path.join(path, "include", "xen")):
            out["%s.%s" % m.groups()[:2]] = path
    return out


def _key(d):
    return [int(x) if x.isdigit() else 0 for x in d.split(".")]


def include_dir(version, where=None):
    """The release's /usr/include equivalent, or None."""
    path = releases(where).get(version)
    return os.path.join(path, "include") if path else None


def missing_reason(version, arch, where=None):
    """None if the hypervisor of `version` for `arch` is here, else one
    line saying what is missing and where it was looked for."""
    where = where or root()
    path = releases(where).get(version)
    if path is None:
        if not os.path.isdir(where):
            return "no %s (Xen %s comes from ../shared/xen; set XEN_SHARED= to move it)" % (
                where,
                version,
            )
        return "no Xen %s.N/ with include/xen/ under %s" % (version, where)
    gz = _gz(path, arch)
    return None if os.path.exists(gz) else "no %s" % gz


def available(arch, where=None):
    """The releases here whose hypervisor for `arch` is present, oldest first."""
    found = releases(where)
    return tuple(v for v in sorted(found, key=_key) if not missing_reason(v, arch, where))


def _gz(path, arch):
    return os.path.join(path, "xen-%s-%s.gz" % (os.path.basename(path), ARCH_FILE[arch]))


def hypervisor(version, arch, cache=None):
    """Path of the plain (gunzipped) hypervisor QEMU's -kernel takes,
    unpacked once into build/xen/; raises FileNotFoundError with the
    reason when it is missing."""
    why = missing_reason(version, arch)
    if why:
        raise FileNotFoundError(why)
    gz = _gz(releases()[version], arch)
    cache = cache or os.path.join(REPO, "build", "xen")
    out = os.path.join(cache, os.path.basename(gz)[:-3])
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(gz):
        os.makedirs(cache, exist_ok=True)
        tmp = "%s.%d.tmp" % (out, os.getpid())
        with gzip.open(gz, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, out)
    return out


def header_versions(include):
    """{'sysctl': v, 'domctl': v}: the interface versions the headers under
    `include` declare, read straight from their #define lines (the tests'
    check of the generator, which goes through the preprocessor)."""
    out = {}
    for name in ("sysctl", "domctl"):
        macro = "XEN_%s_INTERFACE_VERSION" % name.upper()
        with open(os.path.join(include, "xen", name + ".h")) as f:
            for line in f:
                parts = line.split()
                if parts[:2] == ["#define", macro]:
                    out[name] = int(parts[2], 16)
    return out
