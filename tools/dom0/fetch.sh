#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetch the Debian packages a small Linux dom0 needs to run xl: Debian's
# kernel, busybox, the Xen toolstack of release MAJOR and its libraries.
#   fetch.sh 4.17         bookworm amd64 -> .deps/dom0-4.17
#   fetch.sh 4.20 arm64   trixie arm64   -> .deps/dom0-4.20-arm64
# Downloaded through the project-local apt root and unpacked (no maintainer
# scripts) into .deps/dom0-*/root; tools/dom0/mkinitramfs.py picks the files.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/dom0/aptroot.sh"
major=${1:-4.17}
arch=${2:-amd64}
# The suite that ships this Xen release's toolstack.
case $major in
    4.17) suite=bookworm ;;
    4.20) suite=trixie ;;
    *) echo "dom0: no Debian suite known for Xen $major" >&2; exit 1 ;;
esac
if [ "$arch" = amd64 ]; then
    out=$deps/dom0-$major
    q=
else
    # aptroot.sh lists amd64 only; tools/deps.sh fetched the arm64 indexes too
    out=$deps/dom0-$major-$arch
    APT+=(-o APT::Architectures=amd64,$arch)
    q=:$arch
fi
[ -e "$out/.versions" ] && exit 0

# Newest version of $1 in $suite (main or security), never another suite.
suite_newest() {
    apt-cache "${APT[@]}" madison "$1$q" | awk -F'|' -v s="$suite" -v a="$arch" '
        {gsub(/ /,"",$2)} $3 ~ s && $3 ~ a && $3 !~ /Sources/ {print $2}' | sort -V | tail -n1
}
kmeta=$(suite_newest linux-image-$arch)
kpkg=$(apt-cache "${APT[@]}" depends "linux-image-$arch$q=$kmeta" | awk '/Depends: linux-image-/ {sub(/:.*/, "", $2); print $2; exit}')
[ -n "$kpkg" ] || { echo "dom0: cannot tell which kernel linux-image-$arch $kmeta means" >&2; exit 1; }
# The toolstack of the same Xen release as the hypervisor, the libraries xl,
# xenstored and xenconsoled load (mkinitramfs.py checks every DT_NEEDED).
# trixie renamed libext2fs2 (64-bit time_t); libxenguest links libfdt on Arm.
pkgs="$kpkg busybox-static xen-utils-$major xen-utils-common xenstore-utils
 libxenmisc$major libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
 libxenstore4 libxentoollog1 libxendevicemodel1 libxenhypfs1 libxentoolcore1
 libyajl2 libncurses6 libtinfo6 libc6 libgcc-s1 libext2fs2 libcom-err2 liblzma5
 libuuid1 libzstd1 zlib1g libbz2-1.0 libblkid1 libnl-3-200 libnl-route-3-200"
if [ "$suite" = trixie ]; then
    pkgs=$(echo $pkgs | sed 's/\blibext2fs2\b/libext2fs2t64/')
    [ "$arch" = amd64 ] || pkgs="$pkgs libfdt1"
fi
rm -rf "$out"; mkdir -p "$out/debs" "$out/root"
# One apt-cache and one apt-get for all of them: apt's own start-up per
# package (large index files, two architectures) cost minutes.
apt-cache "${APT[@]}" madison $(for p in $pkgs; do printf '%s%s ' "$p" "$q"; done) |
    awk -F'|' -v s="$suite" -v a="$arch" '
        {gsub(/ /,"",$1); sub(/:.*/,"",$1); gsub(/ /,"",$2)} $3 ~ s && $3 ~ a && $3 !~ /Sources/ {print $1, $2}' |
    sort -k1,1 -k2,2V | awk '{v[$1]=$2} END {for (p in v) print p, v[p]}' > "$out/.newest"
: > "$out/.versions.new"
want=()
for p in $pkgs; do
    v=$(awk -v p="$p" '$1 == p {print $2}' "$out/.newest")
    [ -n "$v" ] || { echo "dom0: no $suite $arch package $p" >&2; exit 1; }
    want+=("$p$q=$v")
    echo "$p $v" >> "$out/.versions.new"
done
rm "$out/.newest"
(cd "$out/debs" && apt-get "${APT[@]}" download -qq "${want[@]}" >/dev/null)
log "unpacking $(ls "$out/debs" | wc -l) packages"
for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out/root"; done
rm -rf "$out/debs"
mv "$out/.versions.new" "$out/.versions"
