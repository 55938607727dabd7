"""The command line as the PV start_info and the PVH hvm_start_info carry
it (empty, long, unknown keys), and the console channels, on real Xen."""
import pytest

import boot
import consolelog

BOARD = "x86_64"
MODES = ("pv", "pvh")
XEN = "4.20"


@pytest.mark.parametrize("mode", MODES)
def test_empty_command_line_runs_on_defaults(mode, image):
    image(BOARD)
    # With no options the monitor polls forever: stop QEMU after one table.
    res = boot.boot(BOARD, XEN, "", timeout=120, mode=mode,
                    until=lambda l: l == "stubmon poll 1 end")
    assert res.stopped, res.text[-2000:]
    said = [l for l in res.lines if l.startswith("stubmon:")]
    assert said[0].startswith("stubmon: x86_64-%s on xen " % mode)
    assert said[1:] == ["stubmon: console xen", "stubmon: interfaces sysctl 0x15 domctl 0x17",
                        "stubmon: layouts xen %s (x86_64), interfaces sysctl 0x15 domctl 0x17" % XEN,
                        "stubmon: watchdog 30 s"]
    (poll,) = consolelog.polls(res.lines)
    assert poll.complete and poll.ids() == [0]


@pytest.mark.parametrize("mode", MODES)
def test_long_command_line_is_read_to_its_end(mode, image):
    image(BOARD)
    junk = " ".join("key%02d=value%02d" % (i, i) for i in range(60))
    args = junk + " count=1 exit=qemu"
    assert 800 < len(args) < 1000        # Xen keeps up to 1023 characters
    res = boot.boot(BOARD, XEN, args, timeout=120, mode=mode)
    # count= and exit= come last: a clean exit after one poll proves the
    # whole line arrived.
    assert res.guest_exit == 0, res.text[-2000:]
    unknown = [l for l in res.lines if l.startswith("stubmon: unknown option 'key")]
    assert unknown == ["stubmon: unknown option 'key%02d=value%02d' ignored (known: alert, console, "
                       "count, demo, demo_keep, demo_mem, destroy, domains, end, exit, fault, format, "
                       "interval, pause, repl, role, run, stats, watchdog)" % (i, i)
                       for i in range(8)]
    assert "stubmon: 52 more command line problems not shown" in res.lines
    assert len(consolelog.polls(res.lines)) == 1


def test_pvh_console_on_debug_port(image):
    """console=e9 on PVH: Xen echoes port 0xE9 as "(d0) [time] text"."""
    image(BOARD)
    res = boot.boot(BOARD, XEN, "count=2 interval=0.5 console=e9 exit=qemu", timeout=120, mode="pvh")
    assert res.guest_exit == 0, res.text[-2000:]
    e9 = consolelog.guest_lines(res.lines, 0)
    assert e9[0] == "stubmon: console e9"
    assert [p.number for p in consolelog.polls(e9)] == [1, 2]
    # nothing after the switch went to the Xen console directly
    assert not [l for l in res.lines if l.startswith("stubmon poll")]


def test_pv_has_no_debug_port(image):
    image(BOARD)
    res = boot.boot(BOARD, XEN, "count=1 console=e9 exit=qemu", timeout=120, mode="pv")
    assert res.guest_exit == 0, res.text[-2000:]
    assert "stubmon: console 'e9' is not available here; using xen" in res.lines
    assert "stubmon: console xen" in res.lines
