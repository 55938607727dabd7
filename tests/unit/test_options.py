# SPDX-License-Identifier: MIT
# Command line parsing: defaults, each key, and one clear line per problem.
from stubmon import options
from stubmon import testopts

KNOWN = '(known: alert, baud, console, count, domains, end, format, heap, interval, pcpus, repl, role, run, sort, spin, stats, vcpus, view, watchdog, xenlog)'


def parse(line):
    return options.parse(line)


def hooks_of(o):
    """The test-only options of a parse: testopts.Hooks (its defaults when
    none was given)."""
    return o.test or testopts.Hooks()


def test_defaults():
    for line in ('', '   ', None):
        o, msgs = parse(line)
        assert msgs == [] and o.test is None  # no test hooks unless a test option is given
        t = hooks_of(o)
        assert (o.interval_ms, o.count, t.demo, t.demo_keep, t.demo_mem, t.exit) == (
            3000,
            0,
            0,
            2,
            16,
            'shutdown',
        )


def test_every_key():
    o, msgs = parse('interval=2 count=5 demo=10 demo_keep=3 demo_mem=64 exit=qemu stats=1')
    assert msgs == []
    t = o.test
    assert (o.interval_ms, o.count, t.demo, t.demo_keep, t.demo_mem, t.exit, o.stats) == (
        2000,
        5,
        10,
        3,
        64,
        'qemu',
        1,
    )


def test_interval_decimals():
    for text, ms in (
        ('0.5', 500),
        ('1.25', 1250),
        ('.5', 500),
        ('2.', 2000),
        ('0.1', 100),
        ('0.1009', 100),
        ('10.000', 10000),
    ):
        o, msgs = parse('interval=' + text)
        assert msgs == [] and o.interval_ms == ms, (text, o.interval_ms, msgs)


def test_interval_bad_values():
    for text in ('abc', '', '0.05', '0', '-1', '1e3', '1.2.3', '.', '99999999999'):
        o, msgs = parse('interval=' + text)
        assert o.interval_ms == 3000
        assert msgs == [
            "stubmon: bad value 'interval=%s' (want seconds, e.g. 2 or 0.5, "
            "at least 0.1); using 3" % text
        ], msgs


def test_bad_value_keeps_earlier_good_one():
    o, msgs = parse('interval=0.5 interval=x')
    assert o.interval_ms == 500
    assert msgs[0].endswith('; using 0.5')


def test_integer_keys_bad_values():
    o, msgs = parse('count=-1 demo=1001 demo_keep=x demo_mem=0 exit=reboot')
    t = o.test
    assert (o.count, t.demo, t.demo_keep, t.demo_mem, t.exit) == (0, 0, 2, 16, 'shutdown')
    assert msgs == [
        "stubmon: bad value 'count=-1' (want a number of polls, 0 = forever); using 0",
        "stubmon: bad value 'demo=1001' (want a number of domains, 0 to 1000); using 0",
        "stubmon: bad value 'demo_keep=x' (want the poll after which demo domains go, "
        "0 = keep them); using 2",
        "stubmon: bad value 'demo_mem=0' (want MiB, 1 to 1048576); using 16",
        "stubmon: bad value 'exit=reboot' (want shutdown or qemu); using shutdown",
    ], msgs


def test_limits_accepted():
    o, msgs = parse('demo=1000 demo_keep=0 count=0')
    assert msgs == [] and o.test.demo == 1000 and o.test.demo_keep == 0


def test_unknown_key_and_bare_word():
    o, msgs = parse('foo=1 count=2 verbose')
    assert o.count == 2
    assert msgs == [
        "stubmon: unknown option 'foo=1' ignored " + KNOWN,
        "stubmon: unknown word 'verbose' ignored (options are key=value; " + KNOWN[1:],
    ], msgs


def test_other_whitespace_and_bytes():
    o, msgs = parse(b'count=3\tinterval=1\n')
    assert msgs == [] and o.count == 3 and o.interval_ms == 1000


def test_very_long_line():
    line = ' '.join(['junk%d=1' % i for i in range(2000)]) + ' count=7 ' + 'x' * 5000
    o, msgs = parse(line)
    assert o.count == 7
    assert len(msgs) == options.MAX_MESSAGES + 1
    assert msgs[-1] == 'stubmon: %d more command line problems not shown' % (
        2001 - options.MAX_MESSAGES
    )
    for m in msgs:
        assert len(m) < len(', '.join(options.KNOWN)) + 80, (
            m
        )  # the junk is cut, the known list is not


def test_long_word_is_shortened_in_message():
    o, msgs = parse('interval=' + '9' * 500)
    assert len(msgs) == 1 and '...' in msgs[0] and len(msgs[0]) < 200


def test_seconds_text():
    assert options.seconds_text(3000) == '3'
    assert options.seconds_text(500) == '0.5'
    assert options.seconds_text(1250) == '1.25'
    assert options.seconds_text(100) == '0.1'
    assert options.seconds_text(1005) == '1.005'


def test_stats_bad_value():
    o, msgs = parse('stats=yes')
    assert o.stats == 0
    assert msgs == [
        "stubmon: bad value 'stats=yes' (want 0 to 3 (2: the heap measured after "
        "a collection too; 3: at polls 1, 2 and the last only)); using 0"
    ]


def test_console_values():
    for value in ('auto', 'xen', 'ring', 'e9', 'ring+e9', 'xen+ring+e9'):
        o, msgs = parse('console=' + value)
        assert msgs == [] and o.console == value, (value, msgs)
    for value in ('', 'serial', 'ring+', 'ring+ring', 'auto+xen'):
        o, msgs = parse('console=' + value)
        assert o.console == 'auto'
        assert msgs == [
            "stubmon: bad value 'console=%s' (want auto, or some of xen, ring, e9 "
            "joined by +); using auto" % value
        ], msgs


def test_guest_role_keys():
    o, msgs = parse('role=guest run=2.5 end=crash')
    assert msgs == [] and (o.role, o.run_ms, o.end) == ('guest', 2500, 'crash')
    o, msgs = parse('')
    assert (o.role, o.run_ms, o.end, hooks_of(o).pause) == ('monitor', 3000, 'poweroff', None)
    for end in ('stay', 'poweroff', 'reboot', 'crash'):
        assert parse('end=' + end)[0].end == end
    o, msgs = parse('role=domu run=x end=halt run=0')
    assert (o.role, o.run_ms, o.end) == ('monitor', 0, 'poweroff')
    assert msgs == [
        "stubmon: bad value 'role=domu' (want monitor or guest); using monitor",
        "stubmon: bad value 'run=x' (want seconds, e.g. 2 or 0.5); using 3",
        "stubmon: bad value 'end=halt' (want stay, poweroff, reboot, crash); using poweroff",
    ], msgs


def test_pause_key():
    assert parse('pause=2:1:3')[0].test.pause == (2, 1, 3)
    assert parse('pause=7:4:0')[0].test.pause == (7, 4, 0)
    for bad in ('2', '2:1', '0:1:2', '2:0:3', '2:3:3', '2:3:1', 'a:1:2', '2:1:2:3', '32752:1:2'):
        o, msgs = parse('pause=2:1:3 pause=' + bad)
        assert o.test.pause == (2, 1, 3), bad
        assert msgs == [
            "stubmon: bad value 'pause=%s' (want DOMID:A:B, pause after poll A, "
            "unpause after poll B (0 = never)); using 2:1:3" % bad
        ], msgs


def test_view_sort_baud_quiet():
    o, msgs = parse('view=top:5 sort=mem baud=9600 quiet=1')
    assert msgs == [] and (o.view, o.top, o.sort, o.baud, o.test.quiet) == (
        'top',
        5,
        'mem',
        9600,
        1,
    )
    o, msgs = parse('')
    assert (o.view, o.top, o.sort, o.baud, hooks_of(o).quiet) == ('auto', 0, None, 115200, 0)
    assert parse('baud=0')[0].baud == 0  # no row budget


def test_bad_view_sort_baud():
    want = "(want auto, all, changes, top:N (N: 1 to 1000)); using auto"
    for bad in ('view=top', 'view=top:0', 'view=top:1001', 'view=changes:3', 'view=most'):
        o, msgs = parse(bad)
        assert msgs == ["stubmon: bad value '%s' %s" % (bad, want)] and o.view == 'auto', msgs
    o, msgs = parse('view=top:4 view=bogus')
    assert (
        msgs
        == [
            "stubmon: bad value 'view=bogus' (want auto, all, changes, top:N "
            "(N: 1 to 1000)); using top:4"
        ]
        and o.top == 4
    )
    assert parse('sort=size')[1] == [
        "stubmon: bad value 'sort=size' (want id, cpu, mem); using id (cpu for view=top)"
    ]
    assert parse('baud=fast')[1] == [
        "stubmon: bad value 'baud=fast' (want the console's bits "
        "a second, e.g. 115200, 0 = no row budget); using 115200"
    ]


def test_heap_is_read_by_the_boot_code_and_only_checked_here():
    # port-xen/main.c applies heap=; the parser accepts what it can use
    # and names what it cannot, once
    for good in ('heap=512K', 'heap=4M'):
        assert parse(good)[1] == [], good
    for bad in ('heap=512', 'heap=4G', 'heap=K', 'heap=-1M', 'heap=0K'):
        o, msgs = parse(bad)
        assert msgs == [
            "stubmon: bad value '%s' (want a size like 512K or 4M); using all free memory" % bad
        ], msgs


def test_a_production_image_refuses_each_test_option_in_one_line():
    # the production image does not freeze testopts (port-xen/variants)
    real = options.test_hooks
    options.test_hooks = lambda: None
    try:
        o, msgs = parse(
            'demo=3 count=2 destroy=1:2 exit=qemu fault=hang:1 pause=1:1:0 quiet=1 raw=1'
        )
    finally:
        options.test_hooks = real
    assert o.test is None and o.count == 2
    assert msgs == [
        "stubmon: '%s' is a test-only option, not in this image (only the test image "
        "has it: make VARIANT=test); ignored" % w
        for w in (
            'demo=3',
            'destroy=1:2',
            'exit=qemu',
            'fault=hang:1',
            'pause=1:1:0',
            'quiet=1',
            'raw=1',
        )
    ], msgs


def test_test_only_keys_are_the_ones_testopts_parses():
    t = testopts.Hooks()
    parsed = set(testopts.NUMBERS) | set(testopts.WORDS) | {'pause', 'fault', 'destroy'}
    assert parsed == set(options.TEST_ONLY)
    assert not set(options.TEST_ONLY) & set(options.KNOWN)
    for key in options.TEST_ONLY:
        assert t.set(key, '!bad!') is not None, key  # each has a check of its own
