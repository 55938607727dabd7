#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the xl-scenario dom0 (tools/dom0/mkinitramfs.py): start the Xen
# @XEN@ toolstack, run /payload/scenario.sh, power off. Every line it prints
# starts with "dom0:" or comes from the scenario.
/bin/busybox --install -s /bin
export PATH=/usr/lib/xen-@XEN@/bin:/usr/bin:/bin
export LD_LIBRARY_PATH=/lib/@TRIPLET@
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    insmod /lib/modules/xen/$m.ko || echo "dom0: insmod $m failed"
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid || echo "dom0: xenstored failed"
xen-init-dom0 >/dev/null || echo "dom0: xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console ||
    echo "dom0: xenconsoled failed"
echo "dom0: toolstack ready $(cut -d' ' -f1 /proc/uptime)"
if [ -x /payload/scenario.sh ]; then
    cd /payload && /bin/sh /payload/scenario.sh
    echo "dom0: scenario exit $?"
else
    echo "dom0: no /payload/scenario.sh"
fi
sync
poweroff -f
