# SPDX-License-Identifier: MIT
# Xen 4.20 with FLASK enforcing, the policy of 4.20.4's own sources plus
# policy/stubmon.te and the files of this architecture and release
# (stubmon_x86_64.te or stubmon_arm64.te, stubmon_xen420.te), on x86_64
# (Xen 4.20.4 built with FLASK) and arm64 (Debian's 4.20, xsm=flask), with
# trixie's toolstack. One boot:
#   - workload guests (the stubmon image as role=guest, domU_t);
#   - the shipped config left with the stock label domU_t ("plain"): refused,
#     says how to grant it (4.20.4 carries XSA-499: EACCES);
#   - the shipped config, labelled stubmon_t: lists every domain, `xl list`
#     right after one of its polls must agree; its pause of work1 (not
#     granted) must fail;
#   - if /payload/xenpolicy-no-xsa499 is there (the same modules without the
#     rule on domxen_t): loaded with `xl loadpolicy`, a second labelled
#     monitor ("noxsa") is refused the list with EACCES;
#   - if /payload/xenpolicy-no-llc is there (the modules without
#     stubmon_xen420.te): loaded, `xl create` of a labelled monitor fails
#     (libxl 4.20 sets LLC colours; dom0 may not on stubmon_t).
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section getenforce xl getenforce
# work1 (and on x86_64 work2): 8 MiB PV guests there; on arm64 the shipped
# config's Image as the guest (Arm's one guest type)
if [ "$(uname -m)" = aarch64 ]; then
    works=1
    section create-work1 xl create /etc/xen/stubmon.cfg 'name="work1"' \
        'seclabel="system_u:system_r:domU_t"' 'extra="role=guest run=3600 end=stay"'
else
    works="1 2"
    for i in $works; do
        workload_cfg $i
        section create-work$i xl create /tmp/work$i.cfg
    done
fi
monitors_plain_and_labelled 2
if [ -e /payload/xenpolicy-no-xsa499 ]; then
    section loadpolicy xl loadpolicy /payload/xenpolicy-no-xsa499
    section getenforce-after xl getenforce
    section create-noxsa xl create /etc/xen/stubmon.cfg 'name="noxsa"' 'extra="interval=1 console=ring"'
    wait_log /var/log/xen/console/guest-noxsa.log '^stubmon poll 2 end' 30 || exit 1
    xl pause noxsa
    section xl-list-Z-noxsa xl list -Z
    section guest-log-noxsa cat /var/log/xen/console/guest-noxsa.log
fi
if [ -e /payload/xenpolicy-no-llc ]; then
    section loadpolicy-no-llc xl loadpolicy /payload/xenpolicy-no-llc
    xl create /etc/xen/stubmon.cfg 'name="nollc"' > /tmp/nollc.out 2>&1
    echo "xl create: exit $?" >> /tmp/nollc.out
    section create-nollc cat /tmp/nollc.out
fi
section destroy xl destroy stubmon
section xl-list-after-destroy xl list
