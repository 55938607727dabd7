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
monitors_plain_and_labelled 3
# Teardown as a user does it: every right dom0 needs for that (destroy, the
# rings' grant unmaps) comes from policy/stubmon.te.
section destroy xl destroy stubmon
section xl-list-after-destroy xl list
