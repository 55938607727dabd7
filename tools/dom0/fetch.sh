#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetch the Debian (bookworm, amd64) packages a small Linux dom0 needs to run
# xl: Debian's kernel, busybox, the Xen 4.17 toolstack and its libraries.
# Downloaded through the project-local apt root and unpacked (no maintainer
# scripts) into .deps/dom0/root; tools/dom0/mkinitramfs.py picks the files.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/dom0/aptroot.sh"
major=${1:-4.17}
out=$deps/dom0-$major
[ -e "$out/.versions" ] && exit 0

# Newest version of $1 in bookworm (main or security), never trixie.
bookworm_newest() {
    apt-cache "${APT[@]}" madison "$1" | awk -F'|' '
        {gsub(/ /,"",$2)} $3 ~ /bookworm/ && $3 !~ /Sources/ {print $2}' | sort -V | tail -n1
}
kmeta=$(bookworm_newest linux-image-amd64)
kpkg=$(apt-cache "${APT[@]}" depends "linux-image-amd64=$kmeta" | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "dom0: cannot tell which kernel linux-image-amd64 $kmeta means" >&2; exit 1; }
# The toolstack of the same Xen release as the hypervisor, the libraries xl,
# xenstored and xenconsoled load (mkinitramfs.py checks every DT_NEEDED).
pkgs="$kpkg busybox-static xen-utils-$major xen-utils-common xenstore-utils
 libxenmisc$major libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
 libxenstore4 libxentoollog1 libxendevicemodel1 libxenhypfs1 libxentoolcore1
 libyajl2 libncurses6 libtinfo6 libc6 libgcc-s1 libext2fs2 libcom-err2 liblzma5
 libuuid1 libzstd1 zlib1g libbz2-1.0 libblkid1 libnl-3-200 libnl-route-3-200"
rm -rf "$out"; mkdir -p "$out/debs" "$out/root"
: > "$out/.versions.new"
for p in $pkgs; do
    v=$(bookworm_newest "$p")
    [ -n "$v" ] || { echo "dom0: no bookworm package $p" >&2; exit 1; }
    (cd "$out/debs" && apt-get "${APT[@]}" download -qq "$p=$v" >/dev/null)
    echo "$p $v" >> "$out/.versions.new"
done
log "unpacking $(ls "$out/debs" | wc -l) packages"
for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out/root"; done
rm -rf "$out/debs"
mv "$out/.versions.new" "$out/.versions"
