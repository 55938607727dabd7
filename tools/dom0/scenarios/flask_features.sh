# SPDX-License-Identifier: MIT
# Issue 14 under FLASK enforcing with a policy/stubmon.te WITHOUT the issue
# 14 grants (getcpuinfo, readconsole, getvcpuinfo; the test builds that
# module): one workload guest, then stubmon labelled stubmon_t asked for
# every new feature. Each must be refused once and the table go on.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
workload_cfg 1
section create-work1 xl create /tmp/work1.cfg
section create xl create /etc/xen/stubmon.cfg \
    'extra="interval=1 pcpus=1 vcpus=1 xenlog=1 alert=log:Watchdog,pcpu>90 console=ring"'
wait_log $log '^stubmon poll 4 end' 40 || exit 1
xl pause stubmon
section guest-log cat $log
section destroy xl destroy stubmon
