# SPDX-License-Identifier: MIT
# Sourced by the tools/dom0 scripts: apt options for the project-local apt
# root that tools/deps.sh writes (its sources.list names the machine's own
# Debian mirror; nothing here names a host). Defines APT=(...) and pkg_newest.
top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
deps=${DEPS:-$top/.deps}
aptroot=$deps/apt
[ -e "$aptroot/sources.list" ] || { echo "dom0: run tools/deps.sh first (no $aptroot/sources.list)" >&2; exit 1; }
APT=(-o Dir::Etc::SourceList="$aptroot/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$aptroot/lists" -o Dir::Cache="$aptroot/cache"
     -o Dir::State::Status=/dev/null -o APT::Architectures=amd64
     -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
log() { printf 'dom0: %s\n' "$*" >&2; }

# Versions of binary package $1 (or source package with $3=src) starting
# with $2, newest first.
pkg_versions() {
    apt-cache "${APT[@]}" madison "$1" | awk -F'|' -v v="$2" -v src="${3:-}" '
        {gsub(/ /,"",$2)}
        index($2, v) == 1 && ((src != "") == ($3 ~ /Sources/)) {print $2}' |
        sort -uV -r
}
