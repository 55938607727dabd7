# SPDX-License-Identifier: MIT
# repl=1 in a plain domU (no FLASK): the REPL reads the input half of its
# PV console ring. Typed here by writing to the pty xenconsoled gives the
# domain (what `xl console` opens); read back from xenconsoled's log.
. /payload/lib.sh
log=/var/log/xen/console/guest-stubmon.log
section create xl create /etc/xen/stubmon.cfg 'extra="repl=1"'
wait_log $log '^>>> ' 30 || exit 1
domid=$(xl domid stubmon)
tty=$(xenstore-read /local/domain/$domid/console/tty)
echo "scenario: domain $domid console $tty"
type_line() {   # type_line TEXT EXPECT: one line, then wait for the answer
    printf '%s\r' "$1" > $tty
    wait_log $log "$2" 20 || { section guest-log cat $log; exit 1; }
}
type_line '1+2' '^3'
type_line 'xen.platform' "^'x86_64-pv'"
type_line 'sum(range(10))' '^45'
# Ctrl-C through the ring: a busy statement (an empty line ends the
# compound statement) is interrupted, the next statement runs
printf 'while True: pass\r\r' > $tty
sleep 1
printf '\003' > $tty
wait_log $log '^KeyboardInterrupt' 20 || { section guest-log cat $log; exit 1; }
type_line "'after the interrupt'" "^'after the interrupt'"
# a line past the REPL's bound (512 characters): the rest is dropped, said
type_line "s = '$(printf '%0600d' 0)'" '^stubmon: repl: input line longer than'
# the watchdog armed at the prompt: 8 s idle there with a 3 s timeout, and
# the domain is still alive and answers (waiting for input kicks it)
type_line 'xen.watchdog(3)' '^0'
sleep 8
type_line "'still here'" "^'still here'"
# Ctrl-D on an empty line: the REPL ends, the run ends (exit=shutdown)
printf '\004' > $tty
wait_log $log '^stubmon: repl: ended' 20 || exit 1
i=0
while xl domid stubmon >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
section xl-list xl list
section guest-log cat $log
