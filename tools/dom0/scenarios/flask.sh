# SPDX-License-Identifier: MIT
# Xen with FLASK enforcing and policy/stubmon.te loaded: two workload guests
# (the stubmon image as role=guest, labelled domU_t), then stubmon labelled
# stubmon_t by the shipped config (and one left domU_t, which is refused). It
# must list every domain; `xl list` right
# after one of its polls must agree; pausing a guest (not granted) must fail.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section getenforce xl getenforce
for i in 1 2; do
    workload_cfg $i
    section create-work$i xl create /tmp/work$i.cfg
done
# The same monitor left with the stock guest label domU_t: refused.
section create-plain xl create /etc/xen/stubmon.cfg 'name="plain"' \
    'seclabel="system_u:system_r:domU_t"' 'extra="interval=3 console=ring"'
# console=auto: output to the ring (what this script watches) and, since
# the policy grants writeconsole, to the Xen console too.
# pause=1:1:0: try to pause work1 (domid 1) after poll 1, never unpause.
t0=$(now_ms)
section create xl create /etc/xen/stubmon.cfg 'extra="interval=3 pause=1:1:0"'
wait_log $log '^stubmon poll 1: ' 20 || exit 1
echo "scenario: first table $(( $(now_ms) - t0 )) ms after xl create"
wait_log $log '^stubmon poll 3 end' 30 || exit 1
section xl-list-after-poll-3 xl list
section xl-list-Z xl list -Z
# stop it printing to the serial port while its log is dumped there
xl pause stubmon
xl pause plain
section guest-log cat $log
section guest-log-plain cat /var/log/xen/console/guest-plain.log
# Teardown as a user does it: every right dom0 needs for that (destroy, the
# rings' grant unmaps) comes from policy/stubmon.te.
section destroy xl destroy stubmon
section xl-list-after-destroy xl list
