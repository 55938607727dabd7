# SPDX-License-Identifier: MIT
# stubmon as a plain domU (xl create without FLASK): listing domains is
# refused; it says so once with how to grant it, then keeps reporting what
# it may (Xen version, uptime, its own CPU time) every poll.
import xen  # the fake

import apprun
from stubmon import table


def run(cmdline, setup=None):
    return apprun.run(cmdline, setup, version=(4, 17), extraversion=b'.7')


def test_format_unlisted():
    lines = list(table.format_unlisted(4, '4.17.7', 13149999999, 'EPERM', 52999999))
    assert lines == [
        'stubmon poll 4: xen 4.17.7, uptime 13.1s, ? domains',
        'stubmon poll 4: domains not listed (EPERM, see above); own cpu 52 ms',
        'stubmon poll 4 end',
    ]


def test_plain_domu_says_how_to_grant_once_and_keeps_reporting():
    def setup(st):
        st.fail = {'getdomaininfolist': 1}  # EPERM, as Xen's dummy XSM answers a domU

    lines, how, st = run('count=4 interval=1 exit=qemu', setup)
    diag = [l for l in lines if 'getdomaininfolist failed' in l]
    assert len(diag) == 1, lines
    assert diag[0].startswith(
        'stubmon: getdomaininfolist failed: EPERM (this domain is not privileged to list domains: '
    )
    for needed in (
        'flask=enforcing',
        'policy/stubmon.te',
        "seclabel='system_u:system_r:stubmon_t'",
    ):
        assert needed in diag[0], needed
    status = [l for l in lines if 'domains not listed' in l]
    assert [int(l.split()[2][:-1]) for l in status] == [1, 2, 3, 4]
    assert all(l.startswith('stubmon poll ') and l.endswith(' ms') for l in status)
    # no empty tables: no column header at all
    assert not [l for l in lines if l.strip().startswith('ID ')]
    assert how == ('qemu_exit', 0)


def test_flask_denial_names_eacces():
    def setup(st):
        st.flask_deny = True

    lines, how, st = run('count=2 interval=1 exit=qemu', setup)
    status = [l for l in lines if 'domains not listed' in l]
    assert len(status) == 2 and '(EACCES, see above)' in status[0]
    assert how == ('qemu_exit', 0)


def test_policy_hiding_every_domain_is_said_not_shown_as_empty_tables():
    """FLASK before XSA-499 (e.g. 4.17.5) answers getdomaininfolist from an
    unprivileged label with 0 domains instead of EACCES: never print an
    empty table as if no domain existed."""

    def setup(st):
        st.domains.clear()

    lines, how, st = run('count=3 interval=1 exit=qemu', setup)
    diag = [l for l in lines if 'getdomaininfolist listed no domains' in l]
    assert len(diag) == 1, lines
    assert diag[0].startswith(
        'stubmon: getdomaininfolist listed no domains, not even this one '
        '(the XSM/FLASK policy hides them'
    )
    assert "seclabel='system_u:system_r:stubmon_t'" in diag[0]
    status = [l for l in lines if 'domains not listed (none visible, see above)' in l]
    assert len(status) == 3
    assert not [l for l in lines if l.endswith(' 0 domains')]
