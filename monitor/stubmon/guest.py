# SPDX-License-Identifier: MIT
# role=guest: the same image as a tiny workload domain, so tests have real
# domains that change state. It says hello, spins for `spin` seconds if
# asked (a busy pCPU for the monitor's pcpus= test), stays blocked for `run`
# seconds (no busy wait), says bye and ends the way `end` asks: stay up
# (blocked for good), power off, reboot or crash (SCHEDOP_shutdown with the
# matching reason). Times are Xen's uptime, as in Xen's console stamps.
from . import abi
from . import events
from .options import seconds_text

REASONS = {
    'poweroff': abi.SHUTDOWN_poweroff,
    'reboot': abi.SHUTDOWN_reboot,
    'crash': abi.SHUTDOWN_crash,
}
FAR = 1 << 62  # "never" for a deadline, still a positive s64 for Xen


def run(xen, opts, say=print, forever=True):
    """Never returns on a real Xen. With forever=False (unit tests) a guest
    told to stay returns after its first long sleep."""
    start = xen.time_ns()
    say(
        'stubmon guest: hello at %ss, running %ss then %s'
        % (events.stamp(start), seconds_text(opts.run_ms), opts.end)
    )
    if opts.watchdog_s:
        # armed and never kicked: Xen shuts the guest down (reason watchdog)
        # and logs it, a hypervisor log line for the monitor's xenlog= test
        rc = xen.watchdog(opts.watchdog_s)
        say('stubmon guest: watchdog %d s, never kicked (rc %d)' % (opts.watchdog_s, rc))
    if opts.spin_ms:
        until = start + opts.spin_ms * 1000000
        while xen.time_ns() < until:  # busy on purpose: nothing else to do
            pass
        say('stubmon guest: spun until %ss' % events.stamp(xen.time_ns()))
    deadline = xen.time_ns() + opts.run_ms * 1000000
    # an early wake (an event channel) just means: sleep on
    while xen.sleep_until(deadline) and xen.time_ns() < deadline:
        pass
    now = xen.time_ns()
    if opts.end == 'stay':
        say('stubmon guest: staying up at %ss' % events.stamp(now))
        while True:
            xen.sleep_until(FAR)
            if not forever:
                return
    say('stubmon guest: bye at %ss (%s)' % (events.stamp(now), opts.end))
    xen.shutdown(REASONS[opts.end])
