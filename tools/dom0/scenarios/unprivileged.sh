# stubmon started with the shipped config on a Xen without FLASK: a plain
# domU. Its PV console ring must carry the diagnostic and then a status line
# every poll; it must keep running (not crash, not spin).
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section getenforce xl getenforce
t0=$(now_ms)
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1"'
wait_log $log '^stubmon poll 1: ' 20 || exit 1
echo "scenario: first status line $(( $(now_ms) - t0 )) ms after xl create"
wait_log $log '^stubmon poll 4 end' 30 || exit 1
section xl-console timeout 2 xl console stubmon </dev/null
section guest-log cat $log
section xl-list xl list
