#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Xen 4.17 x86_64 hypervisor with FLASK, built from Debian's `xen` source
# package (Debian's amd64 build has no XSM), and the FLASK policy sources of
# the SAME point release. Cached: .deps/xen-flask-4.17/{xen,policy-src,.version}.
# A policy built from another point release's sources can make even dom0 fail,
# so both come from the one source tree.
#
# The newest 4.17 source that downloads is used. (bookworm-security's 4.17.7
# source has answered 404 here while its binaries download; bookworm's 4.17.5
# is then taken; .version records which.)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/dom0/aptroot.sh"
major=${1:-4.17}
out=$deps/xen-flask-$major
[ -e "$out/.version" ] && exit 0

for t in gcc make flex bison m4 checkpolicy python3 dpkg-source; do
    command -v $t >/dev/null || { echo "dom0: $t missing (tools/deps.sh installs it)" >&2; exit 1; }
done
work=$deps/src/xen-$major
rm -rf "$work"; mkdir -p "$work"
ver=""
for v in $(pkg_versions xen "$major." src); do
    log "fetching xen source $v"
    if (cd "$work" && apt-get "${APT[@]}" source --download-only -qq "xen=$v" >/dev/null 2>&1); then
        ver=$v; break
    fi
    log "xen source $v did not download; trying an older one"
    rm -f "$work"/*
done
[ -n "$ver" ] || { echo "dom0: no xen $major source could be fetched" >&2; exit 1; }
(cd "$work" && dpkg-source -q -x xen_*.dsc tree >/dev/null)
tree=$work/tree
bld=$work/build
mkdir -p "$bld"
# The hypervisor only, configured as debian/rules does, plus FLASK. No
# built-in policy: the policy always comes as a boot module (ours).
cp "$tree/debian/xen-kconfig" "$bld/.config" 2>/dev/null || cp "$tree/debian/xen.config" "$bld/.config"
printf 'CONFIG_XSM=y\nCONFIG_XSM_FLASK=y\nCONFIG_XSM_FLASK_POLICY=n\n' >> "$bld/.config"
log "building the hypervisor with FLASK (about a minute)"
make -s -C "$tree/xen" XEN_TARGET_ARCH=x86_64 O="$bld" olddefconfig >/dev/null
make -s -C "$tree/xen" XEN_TARGET_ARCH=x86_64 O="$bld" -j"$(nproc)" > "$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; exit 1; }
grep -q '^CONFIG_XSM_FLASK=y' "$bld/.config" || { echo "dom0: FLASK did not stay enabled" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"
cp "$bld/xen" "$out/xen"
cp "$bld/.config" "$out/xen.config"
# the policy build wants both directories at their places in the tree
mkdir -p "$out/policy-src/tools/flask" "$out/policy-src/xen/xsm/flask"
cp -r "$tree/tools/flask/policy" "$out/policy-src/tools/flask/"
cp -r "$tree/xen/xsm/flask/policy" "$out/policy-src/xen/xsm/flask/"
echo "xen-source $ver (hypervisor with FLASK, policy sources)" > "$out/.version"
rm -rf "$work"
log "FLASK hypervisor: $out/xen ($ver)"
