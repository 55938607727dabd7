# SPDX-License-Identifier: MIT
# A monitor that hangs (test fault at poll 3) under the shipped config:
# Xen's watchdog (watchdog=5, kicked every poll) fires, xl restarts the
# domain (on_watchdog="restart") with a new domain ID, and the new one polls
# from poll 1 again, and alert=log:Watchdog fires on what Xen logged while it
# was down (FLASK: the labelled monitor, readconsole's boolean turned on).
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section bool-on flask-set-bool stubmon_readconsole 1
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1 watchdog=5 fault=hang:3 alert=log:Watchdog console=ring"'
first=$(xl domid stubmon)
echo "scenario: first domain $first"
wait_log $log 'hanging in poll 3' 20 || { section guest-log cat $log; exit 1; }
t0=$(now_ms)
section xl-list-hung xl list
# the watchdog fires 5 s after the last kick; xl then restarts it
i=0
while [ $i -lt 300 ]; do
    id=$(xl domid stubmon 2>/dev/null)
    [ -n "$id" ] && [ "$id" != "$first" ] && break
    sleep 0.1; i=$((i + 1))
done
echo "scenario: domain $first -> ${id:-none} after $(( $(now_ms) - t0 )) ms"
[ -n "$id" ] && [ "$id" != "$first" ] || exit 1
# the new domain's lines go to the same log (same name): wait for its
# second "poll 1" block
i=0
while [ $(grep -c '^stubmon poll 2 end' $log) -lt 2 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
section xl-list-restarted xl list
section xl-dmesg-watchdog sh -c 'xl dmesg | grep -i watchdog'
# stop it (it would hang again at its poll 3) before the log is dumped
xl pause stubmon
section guest-log cat $log
