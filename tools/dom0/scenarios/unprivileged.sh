# SPDX-License-Identifier: MIT
# stubmon started with the shipped config on a Xen without FLASK: a plain
# domU. Its PV console ring must carry the diagnostic and then a status line
# every poll; it must keep running (not crash, not spin). The same config
# with type="pvh" (ring + port 0xE9) next to it, in memory=2: the smallest
# PVH domain (its heap is what the 2 MiB leave after the image).
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
pvhlog=/var/log/xen/console/guest-stubmon-pvh.log
section getenforce xl getenforce
t0=$(now_ms)
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1"'
wait_log $log '^stubmon poll 1: ' 20 || exit 1
echo "scenario: first status line $(( $(now_ms) - t0 )) ms after xl create"
section create-pvh xl create /etc/xen/stubmon.cfg 'name="stubmon-pvh"' 'type="pvh"' 'memory=2' 'extra="interval=1"'
wait_log $log '^stubmon poll 4 end' 30 || exit 1
wait_log $pvhlog '^stubmon poll 3 end' 30 || exit 1
section xl-console timeout 2 xl console stubmon </dev/null
section xl-list xl list
# quiet before the logs are dumped to the serial port (PVH also prints there)
xl pause stubmon-pvh
section guest-log cat $log
section guest-log-pvh cat $pvhlog
