#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint and format checks, as the field runs them (make test runs this first):
#  - Python: ruff check and ruff format --check (pyproject.toml: MicroPython's
#    rules, 99 columns);
#  - C: MicroPython's own tools/codeformat.py (uncrustify with its
#    tools/uncrustify.cfg, then its fix-ups) run on a copy of port-xen's
#    sources and the copy compared: any difference fails, printed as a diff.
# `tools/lint.sh --fix` formats in place instead.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ruff=$top/.deps/venv/bin/ruff
mpy=$top/.deps/micropython
cd "$top"
# the port's C (its libc headers are stand-ins for the compiler's, and
# elfnote.h is assembler macros)
c_files() {
    find port-xen -name '*.[ch]' -not -path 'port-xen/libc/*' -not -name elfnote.h | sort
}
if [ "${1:-}" = --fix ]; then
    "$ruff" check --fix .
    "$ruff" format .
    python3 "$mpy/tools/codeformat.py" -c $(c_files)
    exit 0
fi
"$ruff" check .
"$ruff" format --check .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $(c_files); do
    mkdir -p "$tmp/$(dirname "$f")"
    cp "$f" "$tmp/$f"
done
(cd "$tmp" && python3 "$mpy/tools/codeformat.py" -c $(cd "$top" && c_files))
bad=0
for f in $(c_files); do
    diff -u --label "$f" --label "$f (formatted)" "$f" "$tmp/$f" || bad=1
done
if [ $bad != 0 ]; then
    echo "lint: the C above is not formatted as MicroPython's tools/codeformat.py formats it" \
         "(tools/lint.sh --fix formats it)" >&2
    exit 1
fi
echo "lint: ruff and uncrustify clean"
