# SPDX-License-Identifier: MIT
# The PV console ring fills: xenconsoled (the ring's only reader) is stopped
# for 10 s while stubmon polls every 0.5 s with stats=1. The monitor must keep
# its grid, drop whole lines, and say how many once the ring drains.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section create xl create /etc/xen/stubmon.cfg 'extra="interval=0.5 stats=1 console=ring"'
wait_log $log '^stubmon poll 4 end' 20 || { section guest-log cat $log; exit 1; }
pid=$(cat /run/xenconsoled.pid)
echo "scenario: xenconsoled $pid stopped after poll $(grep -c '^stubmon poll [0-9]* end' $log)"
kill -STOP $pid
sleep 10
kill -CONT $pid
echo "scenario: xenconsoled continued"
# the ring drains; then the monitor says what it dropped and polls on
wait_log $log '^stubmon: console: ' 10
n=$(grep -c '^stubmon poll [0-9]* end' $log)
i=0
while [ $(grep -c '^stubmon poll [0-9]* end' $log) -lt $((n + 6)) ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
section xl-list xl list
section xl-console timeout 2 xl console stubmon </dev/null
xl pause stubmon
section guest-log cat $log
