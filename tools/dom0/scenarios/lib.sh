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
# monitors_plain_and_labelled S: the monitor left with the stock guest label
# domU_t as "plain" (refused), then the labelled one from the shipped config
# (pause=1:1:0: it tries to pause work1, domid 1, which is not granted), both
# at interval S; after the labelled one's poll 3: xl list, xl list -Z, both
# paused (no more output on the serial port while their logs are dumped) and
# their logs. console=auto: the ring and, granted writeconsole, Xen's console.
monitors_plain_and_labelled() {
    section create-plain xl create /etc/xen/stubmon.cfg 'name="plain"' \
        'seclabel="system_u:system_r:domU_t"' "extra=\"interval=$1 console=ring\""
    t0=$(now_ms)
    section create xl create /etc/xen/stubmon.cfg "extra=\"interval=$1 pause=1:1:0\""
    wait_log $log '^stubmon poll 1: ' 20 || exit 1
    echo "scenario: first table $(( $(now_ms) - t0 )) ms after xl create"
    wait_log $log '^stubmon poll 3 end' 30 || exit 1
    section xl-list-after-poll-3 xl list
    section xl-list-Z xl list -Z
    xl pause stubmon
    xl pause plain
    section guest-log cat $log
    section guest-log-plain cat /var/log/xen/console/guest-plain.log
}
