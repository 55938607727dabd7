# Xen hypercall layouts used by stubmon: every offset, size and command
# number lives here and nowhere else, so a later generator (from the public
# headers) can replace this one file. Hand-written baseline, checked against
# the 4.17 and 4.20 headers by tests/unit/test_abi_offsets.py (host gcc).
# Offsets of payload fields are relative to the start of the payload.

# --- struct xen_sysctl (sysctl.h): cmd u32 @0, interface_version u32 @4 ---
SYSCTL_SIZE = 136
SYSCTL_CMD = 0
SYSCTL_VERSION = 4
SYSCTL_PAYLOAD = 8
SYSCTL_getdomaininfolist = 6

# --- struct xen_domctl (domctl.h): cmd @0, version @4, domain u16 @8 ------
DOMCTL_SIZE = 144
DOMCTL_CMD = 0
DOMCTL_VERSION = 4
DOMCTL_DOMAIN = 8
DOMCTL_PAYLOAD = 16
DOMCTL_createdomain = 1
DOMCTL_destroydomain = 2
DOMCTL_getdomaininfo = 5
DOMCTL_max_mem = 11
DOMCTL_pausedomain = 3      # the monitor's pause= test option
DOMCTL_unpausedomain = 4

# Interface versions a wrong value of which Xen answers with -EACCES.
# Newest first: the probe tries them in this order.
SYSCTL_VERSIONS = (0x16, 0x15, 0x14, 0x13)
DOMCTL_VERSIONS = (0x18, 0x17, 0x16, 0x15, 0x14)
# What each release's headers say: the probe tries these first, so a known
# release costs one hypercall per interface.
RELEASE_VERSIONS = {   # (major, minor): (sysctl, domctl)
    (4, 16): (0x14, 0x14),
    (4, 17): (0x15, 0x15),
    (4, 18): (0x15, 0x16),
    (4, 19): (0x15, 0x17),
    (4, 20): (0x15, 0x17),
    (4, 21): (0x16, 0x17),
    (4, 22): (0x16, 0x18),
}

# --- struct xen_sysctl_getdomaininfolist ----------------------------------
GDIL_FIRST_DOMAIN = 0   # domid_t (u16), IN
GDIL_MAX_DOMAINS = 4    # u32, IN
GDIL_BUFFER = 8         # XEN_GUEST_HANDLE_64: u64 guest address, IN
GDIL_NUM_DOMAINS = 16   # u32, OUT
GDIL_SIZE = 24

# --- struct xen_domctl_getdomaininfo (one record of the list, too) --------
# Offsets 0..96 are the same on both arches; only the trailing
# xen_arch_domainconfig (8 bytes x86, 12 arm) changes the size.
DI_DOMAIN = 0             # u16
DI_FLAGS = 4              # u32
DI_TOT_PAGES = 8          # u64
DI_MAX_PAGES = 16         # u64
DI_OUTSTANDING_PAGES = 24
DI_SHR_PAGES = 32
DI_PAGED_PAGES = 40
DI_SHARED_INFO_FRAME = 48
DI_CPU_TIME = 56          # u64 ns
DI_NR_ONLINE_VCPUS = 64   # u32
DI_MAX_VCPU_ID = 68       # u32, ~0 if no vcpus
DI_SSIDREF = 72           # u32
DI_HANDLE = 76            # 16 bytes (uuid)
DI_HANDLE_LEN = 16
DI_CPUPOOL = 92           # u32
DI_GPADDR_BITS = 96       # u8
DI_SIZE = {'x86_64': 112, 'aarch64': 120}

# XEN_DOMINF_* bits of DI_FLAGS
DOMINF_dying = 1 << 0
DOMINF_hvm_guest = 1 << 1
DOMINF_shutdown = 1 << 2
DOMINF_paused = 1 << 3
DOMINF_blocked = 1 << 4
DOMINF_running = 1 << 5
DOMINF_debugged = 1 << 6
DOMINF_xs_domain = 1 << 7
DOMINF_hap = 1 << 8
DOMINF_shutdownshift = 16
DOMINF_shutdownmask = 0xff

# SHUTDOWN_* reasons (sched.h), index into xl's "-rscwS" letters
SHUTDOWN_poweroff = 0
SHUTDOWN_reboot = 1
SHUTDOWN_suspend = 2
SHUTDOWN_crash = 3
SHUTDOWN_watchdog = 4
SHUTDOWN_soft_reset = 5

DOMID_FIRST_RESERVED = 0x7ff0  # ids from here on are not real domains

# --- struct xen_domctl_createdomain ---------------------------------------
# Xen 4.20 inserted altp2m_opts after grant_opts; everything after it moved
# by 4. The two layouts, keyed by name; createdomain_layout() picks one.
CD_SSIDREF = 0
CD_HANDLE = 4
CD_FLAGS = 20
CD_IOMMU_OPTS = 24
CD_MAX_VCPUS = 28
CD_MAX_EVTCHN_PORT = 32
CD_MAX_GRANT_FRAMES = 36      # s32, < 0: Xen's default
CD_MAX_MAPTRACK_FRAMES = 40   # s32
CD_GRANT_OPTS = 44            # low 4 bits: grant table version
CD_LAYOUTS = {
    '4.17': {'altp2m_opts': None, 'vmtrace_size': 48, 'cpupool_id': 52,
             'arch': 56, 'size': {'x86_64': 64, 'aarch64': 68}},
    '4.20': {'altp2m_opts': 48, 'vmtrace_size': 52, 'cpupool_id': 56,
             'arch': 60, 'size': {'x86_64': 68, 'aarch64': 72}},
}
CDF_hvm = 1 << 0
CDF_hap = 1 << 1
# Flags for an empty domain: PV on x86; Arm only has HVM+HAP guests.
CDF_EMPTY = {'x86_64': 0, 'aarch64': CDF_hvm | CDF_hap}


def createdomain_layout(major, minor):
    # Verified: 4.17 and 4.20. altp2m_opts is assumed present from 4.19 on
    # (not verified against 4.18/4.19/4.21+ headers). For an empty domain
    # every field from grant_opts on is 0 except grant_opts itself, so a
    # wrong guess here only shifts zeros.
    if (major, minor) >= (4, 19):
        return CD_LAYOUTS['4.20']
    return CD_LAYOUTS['4.17']


# --- struct xen_domctl_max_mem ---------------------------------------------
MM_MAX_MEMKB = 0   # u64

# --- xen_version sub-commands ----------------------------------------------
XENVER_version = 0
XENVER_extraversion = 1
XENVER_EXTRAVERSION_LEN = 16

# --- Xen errno values (xen/errno.h; equal to Linux's for these) ------------
ERRNO_NAMES = {
    1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 7: 'E2BIG',
    9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT',
    16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC',
    34: 'ERANGE', 38: 'ENOSYS', 61: 'ENODATA', 75: 'EOVERFLOW',
    95: 'EOPNOTSUPP', 110: 'ETIMEDOUT',
}
EPERM = 1
ESRCH = 3
EINVAL = 22
EACCES = 13
ENOSYS = 38
EOPNOTSUPP = 95
