# Decode one xen_domctl_getdomaininfo record (a getdomaininfolist entry or a
# domctl getdomaininfo payload) into a Domain, and name its state the way
# `xl list` does.
import struct
from collections import namedtuple

from . import abi

# xl's shutdown reason letters, indexed by SHUTDOWN_* (poweroff shows '-')
REASON_LETTERS = '-rscwS'
MAX_VCPU_ID_NONE = 0xffffffff   # XEN_INVALID_MAX_VCPU_ID: domain has no vCPUs
PAGE_SHIFT = 12


# A tuple with names: 1000 domains must fit a small heap (an instance with a
# dict costs about 3x as much under MicroPython).
Domain = namedtuple('Domain', ('domid', 'flags', 'tot_pages', 'max_pages', 'cpu_time',
                               'nr_online_vcpus', 'max_vcpu_id', 'ssidref', 'handle',
                               'cpupool'))


ZERO_HANDLE = bytes(abi.DI_HANDLE_LEN)


def decode(buf, off=0):
    def u(fmt, at):
        return struct.unpack_from(fmt, buf, off + at)[0]
    h = off + abi.DI_HANDLE
    handle = bytes(buf[h:h + abi.DI_HANDLE_LEN])
    if handle == ZERO_HANDLE:   # demo domains: share one object, not 1000
        handle = ZERO_HANDLE
    return Domain(u('<H', abi.DI_DOMAIN), u('<I', abi.DI_FLAGS), u('<Q', abi.DI_TOT_PAGES),
                  u('<Q', abi.DI_MAX_PAGES), u('<Q', abi.DI_CPU_TIME),
                  u('<I', abi.DI_NR_ONLINE_VCPUS), u('<I', abi.DI_MAX_VCPU_ID),
                  u('<I', abi.DI_SSIDREF), handle,
                  u('<I', abi.DI_CPUPOOL))


def shutdown_reason(flags):
    """SHUTDOWN_* code, or None when the domain is not shut down."""
    if not flags & abi.DOMINF_shutdown:
        return None
    return (flags >> abi.DOMINF_shutdownshift) & abi.DOMINF_shutdownmask


def state(flags):
    """Six letters like `xl list`: r b p s <reason> d, '-' for unset."""
    # the upper 16 bits hold the shutdown reason; test only the state bits
    bits = flags & 0xffff
    reason = shutdown_reason(flags)
    if reason is None:
        letter = '-'
    elif reason < len(REASON_LETTERS):
        letter = REASON_LETTERS[reason]
    else:
        letter = '?'
    return ''.join((
        'r' if bits & abi.DOMINF_running else '-',
        'b' if bits & abi.DOMINF_blocked else '-',
        'p' if bits & abi.DOMINF_paused else '-',
        's' if bits & abi.DOMINF_shutdown else '-',
        letter,
        'd' if bits & abi.DOMINF_dying else '-',
    ))


def pages_to_mib(pages):
    return (pages << PAGE_SHIFT) >> 20


def max_pages_unlimited(max_pages):
    # Xen reports "no limit" as ~0U (a u32 all-ones, 16 TiB) or bigger
    return max_pages >= 0xffffffff
