# SPDX-License-Identifier: MIT
# Issue 14 under FLASK enforcing with a policy/stubmon.te WITHOUT the issue
# 14 grants (getcpuinfo, getvcpuinfo; the test builds that module; readconsole
# is behind a boolean that is off): one workload guest, then stubmon labelled
# stubmon_t asked for every new feature. Each must be refused once and the
# table go on. Then the boolean is turned on and a second monitor reads
# Xen's log.
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
# readconsole is opt-in (the stubmon_readconsole boolean, off by default):
# turned on, the next monitor reads Xen's log.
section bool-default flask-get-bool stubmon_readconsole
section bool-on flask-set-bool stubmon_readconsole 1
log=/var/log/xen/console/guest-withlog.log
section create-withlog xl create /etc/xen/stubmon.cfg 'name="withlog"' \
    'extra="interval=1 xenlog=1 alert=log:Watchdog console=ring"'
wait_log $log '^stubmon poll 2 end' 40 || exit 1
xl pause withlog
section guest-log-withlog cat $log
