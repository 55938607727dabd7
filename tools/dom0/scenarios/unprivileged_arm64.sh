# SPDX-License-Identifier: MIT
# arm64: stubmon started with the shipped config (boards/arm64/stubmon.cfg)
# on Debian's Xen 4.20 without FLASK, next to another guest (the same Image
# as role=guest). Its PV console ring must carry the diagnostic once and then
# a status line every poll; xl destroy must remove it.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section getenforce xl getenforce
section create-guest xl create /etc/xen/stubmon.cfg 'name="guest"' 'extra="role=guest run=1 end=stay"'
t0=$(now_ms)
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1"'
wait_log $log '^stubmon poll 1: ' 60 || { cat $log; exit 1; }
echo "scenario: first status line $(( $(now_ms) - t0 )) ms after xl create"
wait_log $log '^stubmon poll 4 end' 60 || { cat $log; exit 1; }
section xl-console timeout 2 xl console stubmon </dev/null
section xl-list xl list
section guest-log cat $log
section guest-log-guest cat /var/log/xen/console/guest-guest.log
section destroy xl destroy stubmon
section xl-list-after xl list
