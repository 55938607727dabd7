# SPDX-License-Identifier: MIT
# A domain-event storm (FLASK Xen: the labelled monitor lists domains).
# dom0 hands VIRQ_DOM_EXC to the monitor (stormctl handler; no xl command
# does it), then creates and destroys empty domains as fast as it can for
# 15 s, each destroy raising VIRQ_DOM_EXC, then 5 s of quiet. The monitor's
# periodic table must stay on its grid, its event listings bounded.
# xenstored no longer hears of domain deaths after the swap: no xl
# teardown, init powers off.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
chmod +x /payload/stormctl
section create xl create /etc/xen/stubmon.cfg 'extra="interval=1 stats=1 console=ring"'
wait_log $log '^stubmon poll 3 end' 20 || { section guest-log cat $log; exit 1; }
id=$(xl domid stubmon)
# set_virq_handler on stubmon_t is opt-in (the stubmon_virq_handler boolean,
# off by default): refused first, then turned on.
section handler-off /payload/stormctl handler $id
section bool-on flask-set-bool stubmon_virq_handler 1
section handler /payload/stormctl handler $id
echo "scenario: storm starts after poll $(grep -c '^stubmon poll [0-9]* end' $log)"
section storm /payload/stormctl storm 15
echo "scenario: storm ended after poll $(grep -c '^stubmon poll [0-9]* end' $log)"
sleep 5
section xl-list xl list
xl pause stubmon
section guest-log cat $log
