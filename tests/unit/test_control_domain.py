# SPDX-License-Identifier: MIT
# A control domain without dom0 (docs/control-domain.md), against the fake
# hypervisor's model of Xen 4.21+: the monitor as a dom0less domU with the
# control capability makes itself VIRQ_DOM_EXC's handler when no domain is
# (no dom0, no hardware domain, no xenstore domain), binds the VIRQ again
# and reads the changes with get_domain_state; it leaves the event to a
# xenstore or hardware domain, says nothing more where it is not privileged
# or dom0 is there, and the EPERM hint names `capabilities = <0x1>` on Xen
# 4.21+ arm64 only. Portable: CPython and MicroPython.
import struct

import xen  # the fake

from stubmon import hypercalls as hv
from apprun import run

HANDLER = (
    'stubmon: control domain: no dom0, no xenstore domain: made this domain (1) the '
    'handler of VIRQ_DOM_EXC (XEN_DOMCTL_set_virq_handler)'
)
STATE = (
    'stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed '
    '(get_domain_state), not a listing of all'
)
EBUSY = (
    'stubmon: events: binding VIRQ_DOM_EXC failed: EBUSY (from xen 4.21 only the domain '
    'Xen sends domain changes to may bind it); domain changes are seen at the polls, no '
    'early wake'
)
CAPS_WAY = (
    ', boot it as a dom0less domain whose node has capabilities = <0x1> (a control '
    'domain, docs/control-domain.md)'
)
ARGS = 'count=2 interval=1 exit=qemu'


def control_run(setup=None, version=(4, 21), **kw):
    """The whole monitor as the fake's control domain d1 (xen.control_domain)."""

    def prepare(st):
        xen.control_domain(version=version, cmdline=ARGS, **kw)
        if setup:
            setup(xen.st)

    lines, how, _ = run(ARGS, prepare, version=version, arch_name='aarch64')
    return lines, how, xen.st


def said(lines, prefix):
    return [l for l in lines if l.startswith(prefix)]


def set_virq_calls(st):
    return [c for c in st.calls if c[:2] == ('domctl', xen.SET_VIRQ_HANDLER)]


def test_the_layout_of_set_virq_handler():
    # public/domctl.h: XEN_DOMCTL_set_virq_handler 66, payload { uint32 virq }
    # (the same in 4.17, 4.20, 4.21, 4.22); VIRQ_DOM_EXC 3 (public/xen.h)
    assert hv.DOMCTL_set_virq_handler == 66 and hv.VIRQ_DOM_EXC == 3
    assert (hv.CAP_CONTROL, hv.CAP_HARDWARE, hv.CAP_XENSTORE) == (1, 2, 4)
    xen.control_domain()
    h = hv.Hypervisor(xen)
    h.probe()
    seen = []
    real = xen.domctl

    def spy(buf):
        seen.append(bytes(buf))
        return real(buf)

    xen.domctl = spy
    try:
        h.set_virq_handler(1)
    finally:
        xen.domctl = real
    b = seen[-1]
    assert struct.unpack_from('<IIH', b, 0) == (66, 0x17, 1)
    assert struct.unpack_from('<I', b, h.abi.DOMCTL_PAYLOAD)[0] == 3
    assert xen.st.virq_handler == 1


def test_domain_caps_reads_get_domain_state():
    xen.control_domain(xenstore=3)
    h = hv.Hypervisor(xen)
    h.probe()
    assert h.domain_caps(1) == hv.CAP_CONTROL
    assert h.domain_caps(2) == 0
    assert h.domain_caps(3) == hv.CAP_XENSTORE
    assert [c for c in xen.st.calls if c[:2] == ('domctl', 90)][-1][2] == 0  # stable: version 0
    try:
        h.domain_caps(9)
        assert False, 'a domain that is not there'
    except hv.HypercallError as e:
        assert e.errno_name() == 'ESRCH'


def test_without_dom0_the_control_domain_becomes_the_handler():
    for v in ((4, 21), (4, 22)):
        lines, how, st = control_run(version=v)
        assert how == ('qemu_exit', 0), (v, lines)
        assert said(lines, 'stubmon: control domain:') == [HANDLER], (v, lines)
        assert said(lines, 'stubmon: events:') == [STATE], (v, lines)
        assert st.virq_handler == 1 and st.dom_exc_rc == 0 and st.bind_calls == 1
        assert len(set_virq_calls(st)) == 1
        # the handler line comes before the events line, after the watchdog's
        i = lines.index(HANDLER)
        assert lines[i + 1] == STATE and lines[i - 1].startswith('stubmon: watchdog')
        assert (
            said(lines, 'stubmon poll 1: xen %d.%d' % v)
            and 'stubmon domains: 3 domains: 1 running, 2 blocked, 0 paused, 0 crashed, 0 dying, '
            '0 shutdown'
            in lines
        )


def test_an_early_wake_then_reads_only_what_changed():
    calls = []

    def setup(st):
        real_sleep, real_domctl, real_sysctl = xen.sleep_until, xen.domctl, xen.sysctl
        state = {'woke': False}

        def sleep_until(deadline, events=True):
            if not state['woke'] and st.dom_exc_rc == 0:
                state['woke'] = True
                xen._advance((deadline - st.now) // 2)
                st.domains[2].flags = 0x4 | (3 << 16)  # crashed
                xen.changed(2)
                calls.append('wake')
                return True
            return real_sleep(deadline, events)

        def domctl(buf):
            if calls and calls[-1] != 'slept':
                calls.append(('domctl', buf[0]))
            return real_domctl(buf)

        def sysctl(buf, *records):
            if calls and calls[-1] != 'slept':
                calls.append(('sysctl', buf[0]))
            return real_sysctl(buf, *records)

        xen.sleep_until, xen.domctl, xen.sysctl = sleep_until, domctl, sysctl

    real = (xen.sleep_until, xen.domctl, xen.sysctl)
    try:
        lines, how, st = control_run(setup)
    finally:
        xen.sleep_until, xen.domctl, xen.sysctl = real
    assert 'stubmon event 1.500s: domain 2 blocked -> crashed' in lines, lines
    woke = calls[calls.index('wake') + 1 :]
    # get_domain_state until ENOENT and getdomaininfo of domain 2, no listing
    assert woke[:3] == [('domctl', 90), ('domctl', 90), ('domctl', 5)], woke
    assert ('sysctl', 6) not in woke[:3]


def test_a_xenstore_domain_keeps_the_handler():
    lines, how, st = control_run(xenstore=2)
    assert said(lines, 'stubmon: control domain:') == [
        "stubmon: control domain: domain 2 is the xenstore domain, VIRQ_DOM_EXC's handler: "
        'left to it'
    ]
    assert said(lines, 'stubmon: events:') == [EBUSY]
    assert set_virq_calls(st) == [] and st.virq_handler == 2 and st.bind_calls == 0
    # told by its getdomaininfo flag (XEN_DOMINF_xs_domain): no caps read
    assert not [c for c in st.calls if c[:2] == ('domctl', 90)]


def test_a_xenstore_domain_told_by_its_caps_alone():
    def setup(st):
        st.domains[3].caps = xen.CAP_XENSTORE  # not yet flagged in its record
        st.dom_exc_rc = -16

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == [
        "stubmon: control domain: domain 3 is the xenstore domain, VIRQ_DOM_EXC's handler: "
        'left to it'
    ]
    assert set_virq_calls(st) == []
    assert said(lines, 'stubmon: events:') == [EBUSY]


def test_a_hardware_domain_keeps_the_handler():
    def setup(st):
        st.domains[3].caps = xen.CAP_HARDWARE  # a late hardware domain, not dom0

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == [
        "stubmon: control domain: domain 3 is the hardware domain, VIRQ_DOM_EXC's handler: "
        'left to it'
    ]
    assert set_virq_calls(st) == []


def test_with_dom0_nothing_more_is_asked_or_said():
    # a domain that may list (FLASK-labelled, or a second control domain)
    # next to dom0: dom0 is the handler; not one extra hypercall
    def setup(st):
        st.dom_exc_rc = -16
        st.self_domid = 1
        xen.add_domain(1, flags=0x20, caps=xen.CAP_CONTROL)

    lines, how, st = run(ARGS, setup, version=(4, 21), arch_name='aarch64')
    assert said(lines, 'stubmon: control domain:') == []
    assert said(lines, 'stubmon: events:') == [EBUSY]
    assert set_virq_calls(st) == [] and not [c for c in st.calls if c[:2] == ('domctl', 90)]


def test_an_unprivileged_domain_says_only_the_ebusy_line():
    def setup(st):
        st.fail = {'getdomaininfolist': 1}
        st.privileged = False

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == []
    assert said(lines, 'stubmon: events:') == [EBUSY]
    assert set_virq_calls(st) == []


def test_two_control_domains_cannot_tell_which_is_this_one():
    def setup(st):
        st.domains[3].caps = xen.CAP_CONTROL

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == [
        'stubmon: control domain: 2 domains have the control capability (1, 3): cannot tell '
        'which is this one; VIRQ_DOM_EXC left as it is'
    ]
    assert set_virq_calls(st) == []
    assert said(lines, 'stubmon: events:') == [EBUSY]


def test_a_refused_set_virq_handler_is_said():
    def setup(st):
        st.handler_bound = True  # someone holds it bound (Xen: EBUSY)

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == [
        'stubmon: control domain: making domain 1 the handler of VIRQ_DOM_EXC failed: EBUSY '
        '(the domain Xen sends it to now has it bound)'
    ]
    assert said(lines, 'stubmon: events:') == [EBUSY]
    assert how == ('qemu_exit', 0)


def test_refused_caps_are_said_and_the_polls_go_on():
    def setup(st):
        st.fail = {'get_domain_state': 13}

    lines, how, st = control_run(setup)
    assert said(lines, 'stubmon: control domain:') == [
        "stubmon: control domain: the domains' capabilities cannot be read (get_domain_state "
        'failed: EACCES (denied by the XSM/FLASK policy (the label needs `domain2 '
        "get_domain_state` on the domains))); VIRQ_DOM_EXC left as it is"
    ]
    assert said(lines, 'stubmon: events:') == [EBUSY]
    assert len([l for l in lines if l.startswith('stubmon poll ') and l.endswith(' end')]) == 2


def test_before_4_21_nothing_changes():
    # Xen 4.20 ignores the property: a plain domU, whose bind Xen accepts
    lines, how, st = control_run(version=(4, 20))
    assert said(lines, 'stubmon: control domain:') == []
    assert set_virq_calls(st) == [] and st.bind_calls == 0


def eperm_line(version, arch):
    xen.reset(version=version, arch_name=arch)
    hv.Hypervisor(xen)  # the running release, which the hint depends on
    return hv.explain(hv.HypercallError('getdomaininfolist', 1))


def test_the_eperm_hint_names_the_capability_on_4_21_arm64_only():
    for version in ((4, 21), (4, 22)):
        line = eperm_line(version, 'aarch64')
        assert CAPS_WAY in line, line
        tail = '(boards/arm64/stubmon.cfg)' + CAPS_WAY + ', or run it as dom0; see README)'
        assert line.endswith(tail), line
    for version, arch in (
        ((4, 17), 'aarch64'),
        ((4, 20), 'aarch64'),
        ((4, 21), 'x86_64'),
        ((4, 22), 'x86_64'),
    ):
        line = eperm_line(version, arch)
        assert 'capabilities' not in line, (version, arch, line)
        assert line.endswith('stubmon.cfg), or run it as dom0; see README)'), line
    xen.reset()
