# SPDX-License-Identifier: MIT
# make bench: xl create -> first table (FLASK, labelled), the smallest
# memory= the monitor lists domains in, and what the dom0 Linux doing the same
# job with `xl list` uses.
. /payload/lib.sh
for i in 1 2; do
    workload_cfg $i
    xl create -q /tmp/work$i.cfg >/dev/null 2>&1
done
for run in 1 2 3 4 5; do
    log=/var/log/xen/console/guest-sm$run.log
    t0=$(now_ms)
    xl create -q /etc/xen/stubmon.cfg "name=\"sm$run\"" 'extra="interval=2 console=ring"' >/dev/null 2>&1
    t1=$(now_ms)
    wait_log $log '^stubmon poll 1 end' 20 >/dev/null
    echo "bench: create_ms=$((t1 - t0)) first_table_ms=$(( $(now_ms) - t0 ))"
    xl destroy sm$run
done
# the smallest memory= for each guest type: PV (Xen's layout: 4 MiB) and PVH.
# policy/stubmon.te grants dom0 no HVM control over stubmon_t (least
# privilege: the shipped config is PV), so the PVH monitor runs as domU_t:
# it polls without listing ("domains not listed"), which is what is sized.
for type in pv pvh; do
    for mem in 1 2 3 4 5 6; do
        name=mem$type$mem
        log=/var/log/xen/console/guest-$name.log
        label=stubmon_t; poll2='^stubmon poll 2 end'; want=' 4 domains'
        [ $type = pvh ] && label=domU_t && poll2='^stubmon poll 2: ' && want='domains not listed'
        if xl create -q /etc/xen/stubmon.cfg "name=\"$name\"" "type=\"$type\"" "memory=$mem" \
                "seclabel=\"system_u:system_r:$label\"" 'extra="interval=1 console=ring"' >/tmp/out 2>&1 &&
            wait_log $log "$poll2" 8 >/dev/null && grep -q "$want" $log; then
            echo "bench: $type memory=$mem ok $(xl list $name | tail -1)"
            xl destroy $name
            break
        else
            # xl's first error says why (its last lines are the clean-up's)
            echo "bench: $type memory=$mem fails: $(grep -m1 -iE 'error|fail|panic' /tmp/out | cut -c1-160) $(tail -c 160 $log 2>/dev/null | tr '\n' ' ')"
        fi
        xl destroy $name 2>/dev/null
    done
done
xl list >/dev/null
echo "bench: dom0 $(xl list 0 | tail -1)"
awk '/^MemTotal|^MemFree|^MemAvailable|^Buffers|^Cached|^Shmem:|^Slab/ {printf "bench: dom0 meminfo %s %s kB\n", $1, $2}' /proc/meminfo
