# SPDX-License-Identifier: MIT
# csvlog: every domain's figures as CSV lines on the console, one line per
# domain per sample, after one header line. A script on the stubmon API;
# examples/csvlog/main.py starts it in the image (make EXAMPLE=csvlog).
#
# Command line: interval=S (default 5), count=N (samples, 0 = forever),
# demo=N (first create N empty paused domains; dom0), exit=qemu (tests).
#
#   time_ms,domid,state,status,mem_kib,max_mem_kib,vcpus,cpu_ns
#   1503,0,r-----,running,65536,65536,1,1184377042
#   1503,1,--p---,paused,0,16384,0,0
#
# time_ms is Xen's uptime; max_mem_kib is empty when unlimited; status is
# the word on_domain_change uses (running, blocked, paused, crashed, dying,
# shutdown (reason)). Take the lines from the console with, e.g.,
#   sed -n '/^time_ms,domid,/,$p' console.log | grep -E '^[0-9]+,[0-9]+,'
import stubmon

HEADER = 'time_ms,domid,state,status,mem_kib,max_mem_kib,vcpus,cpu_ns'


def rows(now_ns, doms):
    t = now_ns // 1000000
    out = []
    for d in doms:
        out.append(
            '%d,%d,%s,%s,%d,%s,%d,%d'
            % (
                t,
                d.domid,
                d.state,
                d.status,
                d.mem_kib,
                '' if d.max_mem_kib is None else str(d.max_mem_kib),
                d.vcpus,
                d.cpu_ns,
            )
        )
    return out


def run(say=print):
    interval_ms = stubmon.seconds_arg('interval', 5000, name='csvlog', say=say)
    count = stubmon.int_arg('count', 0, name='csvlog', say=say)
    demo = stubmon.int_arg('demo', 0, hi=1000, name='csvlog', say=say)
    if demo:
        stubmon.create_demo(demo)
    say(HEADER)
    deadline = stubmon.uptime_ns()
    n = 0
    while True:
        n += 1
        now = stubmon.uptime_ns()
        for line in rows(now, stubmon.domains()):
            say(line)
        if count and n >= count:
            break
        deadline += interval_ms * 1000000
        stubmon.sleep_until_ns(deadline)


def main(say=print):
    stubmon.run(run, 'csvlog', say)
