# SPDX-License-Identifier: MIT
# Helpers for the xl scenarios (sourced in dom0; busybox sh).
# wait_log FILE PATTERN SECONDS: until a line of FILE matches PATTERN (grep -E).
wait_log() {
    i=0
    while [ $i -lt $(($3 * 10)) ]; do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "scenario: timed out waiting for '$2' in $1"
    return 1
}
# section NAME CMD...: the output of CMD between marker lines the tests find.
section() {
    name=$1; shift
    echo "=== begin $name"
    "$@" 2>&1
    echo "=== end $name"
}
# now: dom0's uptime in ms (busybox has no date +%N)
now_ms() { awk '{ split($1, t, "."); print t[1] * 1000 + t[2] * 10 }' /proc/uptime; }
# workload_cfg N: /tmp/workN.cfg, a guest that stays up (the stubmon image as
# role=guest, PV, 8 MiB) for the monitor to list
workload_cfg() {
    cat > /tmp/work$1.cfg <<CFG
name = "work$1"
type = "pv"
kernel = "/usr/local/lib/stubmon/stubmon.elf"
memory = 8
vcpus = 1
extra = "role=guest run=3600 end=stay"
CFG
}
