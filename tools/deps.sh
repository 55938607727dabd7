#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetch what stubmon builds and tests with. Idempotent: a step whose
# stamp exists is skipped. `deps.sh run BOARD XEN` fetches only what
# `make run` needs for that board and release (its QEMU and compiler, that
# one hypervisor, every release's public headers for the layouts,
# MicroPython, lark), stamped in .deps/run-BOARD-XEN.txt; `deps.sh` (all)
# also every other board and release and what the tests need (pytest,
# jsonschema, stubmon-exporter, Prometheus, setools, the Linux dom0 and the FLASK Xen built from source),
# stamped in .deps/versions.txt. Nothing here changes the machine's apt config:
# Debian packages we only unpack come through a project-local apt root whose
# mirror is read from the machine's own apt sources.
set -euo pipefail

profile=${1:-all}
case "$profile" in
    run|all) ;;
    *) echo "deps: unknown profile '$profile' (want run or all); nothing fetched" >&2; exit 2 ;;
esac
# run: one board and one release (default x86_64 and 4.20, as make run's)
run_board=${2:-x86_64}
run_xen=${3:-4.20}
if [ "$profile" = run ]; then
    case "$run_board" in
        x86_64|arm64) ;;
        *) echo "deps: unknown board '$run_board' (want x86_64 or arm64); nothing fetched" >&2; exit 2 ;;
    esac
    case "$run_xen" in
        4.17|4.20) ;;
        *) echo "deps: Xen '$run_xen' is not a Debian release here (want 4.17 or 4.20; 4.21 and 4.22 come from ../shared/xen); nothing fetched" >&2; exit 2 ;;
    esac
fi
top=$(cd "$(dirname "$0")/.." && pwd)
deps=${DEPS:-$top/.deps}
mkdir -p "$deps"
versions=$deps/versions.txt
log() { printf 'deps: %s\n' "$*" >&2; }

# --- host tools (real installs: emulator and compilers) -------------------
base_pkgs="gcc make python3 python3-venv xz-utils binutils"
x86_pkgs="qemu-system-x86"
arm_pkgs="qemu-system-arm device-tree-compiler gcc-aarch64-linux-gnu"
if [ "$profile" = run ] && [ "$run_board" = x86_64 ]; then
    host_pkgs="$base_pkgs $x86_pkgs"
elif [ "$profile" = run ]; then
    host_pkgs="$base_pkgs $arm_pkgs"
else
    host_pkgs="$base_pkgs $x86_pkgs $arm_pkgs"
fi
if [ "$profile" = all ]; then
    host_pkgs="$host_pkgs flex bison m4 checkpolicy"   # Xen with FLASK and its policy (tools/dom0)
    host_pkgs="$host_pkgs setools"   # sesearch: tests/unit/test_policy.py queries the compiled FLASK policy
    host_pkgs="$host_pkgs uncrustify"   # tools/lint.sh: MicroPython's C format (its codeformat.py)
fi
missing=""
for p in $host_pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    log "installing host packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || apt-get update
    apt-get install -y -qq --no-install-recommends $missing
fi

# --- project-local apt root -----------------------------------------------
# The Debian mirror is whatever the machine already uses; never a literal host.
mirror_of() {   # $1: suite pattern matched in the machine's sources
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk -v want="$1" '
        /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i ~ want) s=1}
        /^$/ {if (s && u) {print u; exit} u=""; s=0}'
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v want="$1" '$3 ~ want {print ($2 ~ /^\[/ ? $3 : $2); exit}' || true
}
aptroot=$deps/apt
main_uri=$(mirror_of '^(bookworm|trixie|stable)$' | head -n1)
sec_uri=$(mirror_of 'security' | head -n1)
[ -n "$main_uri" ] || { echo "deps: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
[ -n "$sec_uri" ] || sec_uri=${main_uri%/debian}/debian-security
key=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$aptroot/lists/partial" "$aptroot/cache/archives/partial" "$aptroot/dl"
srclist=$aptroot/sources.list
# run: the indexes of one architecture and MicroPython's source suite only
# (a later `all` adds the rest; apt keeps the indexes it has)
arches=amd64,arm64
src_suites="bookworm bookworm-security trixie"   # bookworm's xen source: the FLASK Xen
# (not once `all` has fetched: a later `make run` must not take away the
# indexes the tests' fetches need, nor force an apt update each way)
if [ "$profile" = run ] && [ ! -e "$versions" ]; then
    if [ "$run_board" = x86_64 ]; then arches=amd64; fi
    src_suites="trixie"
fi
{
    echo "# apt architectures: $arches (a change here forces apt update)"
    echo "deb [signed-by=$key] $main_uri bookworm main"
    echo "deb [signed-by=$key] $sec_uri bookworm-security main"
    echo "deb [signed-by=$key] $main_uri trixie main"
    for suite in $src_suites; do
        case "$suite" in
            *-security) echo "deb-src [signed-by=$key] $sec_uri $suite main" ;;
            *) echo "deb-src [signed-by=$key] $main_uri $suite main" ;;
        esac
    done
} > "$srclist.new"
if ! cmp -s "$srclist.new" "$srclist"; then mv "$srclist.new" "$srclist"; rm -f "$aptroot/updated"; else rm "$srclist.new"; fi
APT=(-o Dir::Etc::SourceList="$srclist" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$aptroot/lists" -o Dir::Cache="$aptroot/cache"
     -o Dir::State::Status=/dev/null -o APT::Architectures=$arches
     -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
if [ ! -e "$aptroot/updated" ] || [ -n "$(find "$aptroot/updated" -mmin +1440)" ]; then
    log "apt update (project-local root)"
    apt-get "${APT[@]}" update -qq
    touch "$aptroot/updated"
fi

# Newest version of $1 whose version starts with $2 (a major release).
newest() {
    apt-cache "${APT[@]}" madison "$1" | awk -F'|' -v v="$2" '
        {gsub(/ /,"",$2)} index($2, v) == 1 && $3 !~ /Sources/ {print $2}' |
        sort -V | tail -n1
}

# Download + extract a binary package into $deps/pkg/<name>-<major>.
unpack() {   # $1 package, $2 major, $3 directory name
    local dir=$deps/pkg/$3 ver
    if [ -e "$dir/.version" ]; then return; fi
    ver=$(newest "$1" "$2")
    [ -n "$ver" ] || { echo "deps: no $1 $2.x in bookworm/trixie" >&2; exit 1; }
    log "fetching $1 $ver"
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$aptroot/dl" && rm -f "$1"_*.deb && apt-get "${APT[@]}" download -qq "$1=$ver")
    dpkg-deb -x "$aptroot/dl/$1"_*.deb "$dir"
    echo "$1 $ver" > "$dir/.version"
}

# Every release's public headers (one image carries every release's layouts);
# the hypervisors make run boots: one, or (all) every release on both arches.
for x in 4.17 4.20; do
    unpack libxen-dev "$x" "libxen-dev-$x"
    if [ "$profile" = all ] || { [ "$x" = "$run_xen" ] && [ "$run_board" = x86_64 ]; }; then
        unpack "xen-hypervisor-$x-amd64" "$x" "xen-$x-amd64"
        d=$deps/pkg/xen-$x-amd64
        # QEMU's -kernel needs the plain multiboot ELF, not the gzip.
        if [ ! -e "$deps/xen-$x-amd64" ]; then
            gz=$(ls "$d"/boot/xen-*.gz | head -n1)
            gunzip -c "$gz" > "$deps/xen-$x-amd64"
        fi
    fi
    if [ "$profile" = all ] || { [ "$x" = "$run_xen" ] && [ "$run_board" = arm64 ]; }; then
        # arm64: the hypervisor is a plain Image (boot/xen-X.Y-arm64 ...), as
        # QEMU's -kernel takes it; gunzip if a release ever ships it compressed.
        unpack "xen-hypervisor-$x-arm64" "$x" "xen-$x-arm64"
        d=$deps/pkg/xen-$x-arm64
        if [ ! -e "$deps/xen-$x-arm64" ]; then
            f=$(ls "$d"/boot/xen-* | grep -v -e '\.config' -e '\.map' -e '\.efi' | head -n1)
            case "$f" in
                *.gz) gunzip -c "$f" > "$deps/xen-$x-arm64" ;;
                *) cp "$f" "$deps/xen-$x-arm64" ;;
            esac
        fi
    fi
done

# --- MicroPython 1.25 source (upstream tarball, unmodified) ----------------
mp=$deps/micropython
if [ ! -e "$mp/.version" ]; then
    ver=$(apt-cache "${APT[@]}" showsrc micropython | awk '/^Version:/ {print $2}' | grep '^1\.25\.' | sort -V | tail -n1)
    [ -n "$ver" ] || { echo "deps: no micropython 1.25 source in trixie" >&2; exit 1; }
    log "fetching micropython source $ver"
    rm -rf "$aptroot/src"; mkdir -p "$aptroot/src"
    (cd "$aptroot/src" && apt-get "${APT[@]}" source --download-only -qq "micropython=$ver")
    rm -rf "$mp"; mkdir -p "$mp"
    tar -xf "$aptroot"/src/micropython_*.orig.tar.* -C "$mp" --strip-components=1
    echo "micropython-source $ver" > "$mp/.version"
fi

# --- Python tools from PyPI --------------------------------------------------
venv=$deps/venv
if [ ! -e "$venv/.lark" ]; then
    log "creating venv with lark (the layout generator's parser)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q lark
    touch "$venv/.lark"
fi
if [ "$profile" = run ]; then
    stamp=$deps/run-$run_board-$run_xen.txt
    {
        cat "$deps"/pkg/libxen-dev-*/.version "$mp/.version"
        if [ "$run_board" = x86_64 ]; then
            cat "$deps/pkg/xen-$run_xen-amd64/.version"
            echo "qemu-system-x86 $(dpkg-query -W -f='${Version}' qemu-system-x86)"
        else
            cat "$deps/pkg/xen-$run_xen-arm64/.version"
            echo "qemu-system-arm $(dpkg-query -W -f='${Version}' qemu-system-arm)"
            echo "gcc-aarch64-linux-gnu $(dpkg-query -W -f='${Version}' gcc-aarch64-linux-gnu)"
        fi
        echo "gcc $(gcc -dumpfullversion)"
        "$venv/bin/python" -c 'import importlib.metadata as m; print("lark", m.version("lark"))'
    } > "$stamp.new"
    mv "$stamp.new" "$stamp"
    log "fetched what make run needs for $run_board on Xen $run_xen (make test fetches the rest)"
    exit 0
fi
if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
    log "installing pytest into the venv"
    "$venv/bin/pip" install -q pytest
fi
# jsonschema: the format=json boot test validates every line against
# docs/stubmon-1.schema.json (added after the venv above: install it into
# an existing one too)
if ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
    log "installing jsonschema into the venv"
    "$venv/bin/pip" install -q jsonschema
fi
# pytest-xdist: make test runs the suite on two workers (-n 2 --dist
# loadfile, docs/tests.md); into an existing venv too
if ! "$venv/bin/python" -c 'import xdist' 2>/dev/null; then
    log "installing pytest-xdist into the venv"
    "$venv/bin/pip" install -q pytest-xdist
fi
# ruff: tools/lint.sh (make test) checks and formats the Python as
# MicroPython's pyproject.toml does; pinned, as formatters change their output
if ! "$venv/bin/ruff" --version 2>/dev/null | grep -qx 'ruff 0.17.6'; then
    log "installing ruff into the venv"
    "$venv/bin/pip" install -q ruff==0.17.6
fi

# stubmon-exporter (exporter/, its own package) with prometheus_client, as
# a user installs it; editable, so the tests run the tree's code. The end-to-
# end test scrapes it with Debian's real Prometheus server, only unpacked.
if ! "$venv/bin/python" -c 'import prometheus_client, stubmon_exporter' 2>/dev/null; then
    log "installing stubmon-exporter (and prometheus_client) into the venv"
    "$venv/bin/pip" install -q -e "$top/exporter"
fi
unpack prometheus 2. prometheus

# --- Linux dom0s for the xl scenarios (tools/dom0/) ---------------------------
# x86_64: bookworm, Xen 4.17, with FLASK; x86_64 and arm64: trixie, Xen 4.20
# (the FLASK scenarios of 4.20; its x86_64 FLASK hypervisor and policy
# sources come from ../shared/xen/flask-4.20.4, not fetched). About half a
# minute each once. Cached under .deps/ (dom0-4.17/, xen-flask-4.17/,
# dom0-4.20/, dom0-4.20-arm64/).
bash "$top/tools/dom0/fetch.sh" 4.17
bash "$top/tools/dom0/xen-flask.sh" 4.17
bash "$top/tools/dom0/fetch.sh" 4.20
bash "$top/tools/dom0/fetch.sh" 4.20 arm64

# --- record what was fetched ---------------------------------------------------
{
    cat "$deps"/pkg/*/.version "$mp/.version"
    grep -E '^(linux-image|busybox-static|xen-utils-4)' "$deps/dom0-4.17/.versions" | sed 's/^/dom0 /'
    grep -E '^(linux-image|busybox-static|xen-utils-4)' "$deps/dom0-4.20/.versions" | sed 's/^/dom0-4.20 /'
    grep -E '^(linux-image|busybox-static|xen-utils-4)' "$deps/dom0-4.20-arm64/.versions" | sed 's/^/dom0-arm64 /'
    cat "$deps/xen-flask-4.17/.version"
    # FLASK 4.20 (tests/boot/test_xl_flask_420.py): from ../shared, if there
    fl=${XEN_SHARED:-$top/../shared/xen}/flask-4.20.4
    if [ -e "$fl/COMMIT" ]; then echo "xen-flask-4.20 4.20.4 $(cat "$fl/COMMIT") ($fl)"; else echo "xen-flask-4.20 none (no $fl)"; fi
    echo "qemu-system-x86 $(dpkg-query -W -f='${Version}' qemu-system-x86)"
    echo "qemu-system-arm $(dpkg-query -W -f='${Version}' qemu-system-arm)"
    echo "device-tree-compiler $(dpkg-query -W -f='${Version}' device-tree-compiler)"
    echo "gcc $(gcc -dumpfullversion)"
    echo "gcc-aarch64-linux-gnu $(dpkg-query -W -f='${Version}' gcc-aarch64-linux-gnu)"
    echo "uncrustify $(dpkg-query -W -f='${Version}' uncrustify)"
    "$venv/bin/python" -c 'import importlib.metadata as m; print("pytest", m.version("pytest")); print("lark", m.version("lark")); print("jsonschema", m.version("jsonschema")); print("prometheus_client", m.version("prometheus_client")); print("pytest-xdist", m.version("pytest-xdist")); print("ruff", m.version("ruff"))'
} > "$versions.new"
mv "$versions.new" "$versions"
