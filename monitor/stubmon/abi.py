# Xen hypercall layouts and constants for stubmon: a thin facade over the
# modules tools/xenabi/gen.py generates from each release's public headers
# (build/xenabi/<arch>/xenabi_<major>_<minor>_<arch>.py, uctypes descriptors
# plus constants; frozen into the image, rebuilt by `make`, not committed).
# No offset or size is written here: every number below is read from the
# generated module of the release chosen at run time.
#
# On import the newest generated release of this arch is loaded, so every
# name exists at once. Hypervisor then calls select() with the running Xen's
# version (re-binding every name to that release's values) and confirm()
# with the probed interface versions. Offsets of payload fields are relative
# to the start of the payload.

_OFFSET = 0x1ffff   # uctypes keeps a field's offset in the low 17 bits

# Commands the generated modules may not carry (stable since Xen 3); the
# monitor's pause= test option uses them.
DOMCTL_pausedomain = 3
DOMCTL_unpausedomain = 4

# chosen layouts: (major, minor), arch, and the generated module
RELEASE = None
ARCH = None
MODULE = None
_wanted = None      # the running Xen's (major, minor)
_exact = False


def _arch_default():
    try:
        import xen
        return xen.arch
    except ImportError:
        return 'x86_64'


def _index(arch):
    try:
        return __import__('xenabi_' + arch)
    except ImportError:
        raise ImportError('no generated layouts for %s (build/xenabi: run make)' % arch)


def _module(release, arch):
    return __import__('xenabi_%d_%d_%s' % (release[0], release[1], arch))


def off(desc, name):
    """Byte offset of a field in a generated uctypes descriptor."""
    v = desc[name]
    if isinstance(v, tuple):
        v = v[0]
    return v & _OFFSET


def choose(major, minor, arch):
    """(release whose layouts to use, True if generated for exactly this
    Xen). A release without generated layouts takes the newest older one
    (or the oldest, for an older Xen); confirm() may move it after probing."""
    rels = _index(arch).RELEASES
    want = (major, minor)
    if want in rels:
        return want, True
    older = [r for r in rels if r < want]
    return (older[-1] if older else rels[0]), False


def _versions(rels):
    s = [v[0] for v in rels.values()]
    d = [v[1] for v in rels.values()]
    # newest first, a little past both ends of what the headers know
    return tuple(range(max(s) + 2, min(s) - 3, -1)), tuple(range(max(d) + 2, min(d) - 3, -1))


def _apply(release, arch):
    g = globals()
    m = _module(release, arch)
    idx = _index(arch)
    g['RELEASE'], g['ARCH'], g['MODULE'] = release, arch, m
    for name, v in m.CONST.items():
        # XEN_DOMCTL_x -> DOMCTL_x, XEN_DOMINF_x -> DOMINF_x, XEN_DOMCTL_CDF_x
        # -> CDF_x too; SHUTDOWN_*, XENVER_*, DOMID_* keep their names
        short = name[4:] if name.startswith('XEN_') else name
        g[short] = v
        if short.startswith('DOMCTL_CDF_'):
            g[short[7:]] = v
    errno = getattr(m, 'ERRNO', None) or idx.ERRNO   # in the index when all agree
    for n, name in errno.items():
        g[name] = n
    g['ERRNO_NAMES'] = errno
    size = m.SIZE
    sc, dc = m.xen_sysctl, m.xen_domctl
    g['SYSCTL_SIZE'], g['SYSCTL_CMD'] = size['xen_sysctl'], off(sc, 'cmd')
    g['SYSCTL_VERSION'], g['SYSCTL_PAYLOAD'] = off(sc, 'interface_version'), off(sc, 'u')
    g['DOMCTL_SIZE'], g['DOMCTL_CMD'] = size['xen_domctl'], off(dc, 'cmd')
    g['DOMCTL_VERSION'], g['DOMCTL_DOMAIN'] = off(dc, 'interface_version'), off(dc, 'domain')
    g['DOMCTL_PAYLOAD'] = off(dc, 'u')
    gl = m.xen_sysctl_getdomaininfolist
    for f in ('first_domain', 'max_domains', 'buffer', 'num_domains'):
        g['GDIL_' + f.upper()] = off(gl, f)
    g['GDIL_SIZE'] = size['xen_sysctl_getdomaininfolist']
    pi = m.xen_sysctl_physinfo
    for f in ('threads_per_core', 'cores_per_socket', 'nr_cpus', 'max_cpu_id', 'nr_nodes',
              'cpu_khz', 'capabilities', 'total_pages', 'free_pages', 'scrub_pages',
              'outstanding_pages'):
        g['PI_' + f.upper()] = off(pi, f)
    g['PI_SIZE'] = size['xen_sysctl_physinfo']
    di = m.xen_domctl_getdomaininfo
    for f in ('domain', 'flags', 'tot_pages', 'max_pages', 'outstanding_pages', 'shr_pages',
              'paged_pages', 'shared_info_frame', 'cpu_time', 'nr_online_vcpus',
              'max_vcpu_id', 'ssidref', 'handle', 'cpupool', 'gpaddr_bits'):
        g['DI_' + f.upper()] = off(di, f)
    g['DI_HANDLE_LEN'] = size['xen_domain_handle_t']
    # per arch (the image holds one arch's layouts, the unit tests both)
    g['DI_SIZE'] = {arch: size['xen_domctl_getdomaininfo']}
    for other in ('x86_64', 'aarch64'):
        if other != arch:
            try:
                g['DI_SIZE'][other] = _module(release, other).SIZE['xen_domctl_getdomaininfo']
            except ImportError:
                pass
    cd = m.xen_domctl_createdomain
    for f in ('ssidref', 'handle', 'flags', 'iommu_opts', 'max_vcpus', 'max_evtchn_port',
              'max_grant_frames', 'max_maptrack_frames', 'grant_opts'):
        g['CD_' + f.upper()] = off(cd, f)
    g['MM_MAX_MEMKB'] = off(m.xen_domctl_max_mem, 'max_memkb')
    g['XENVER_EXTRAVERSION_LEN'] = size['xen_extraversion_t']
    g['DOMINF_shutdownshift'] = m.CONST['XEN_DOMINF_shutdownshift']
    # Flags for an empty domain: PV on x86; Arm only has HVM+HAP guests.
    g['CDF_EMPTY'] = {'x86_64': 0, 'aarch64': m.CONST['XEN_DOMCTL_CDF_hvm'] | m.CONST['XEN_DOMCTL_CDF_hap']}
    g['RELEASE_VERSIONS'] = idx.VERSIONS   # (major, minor): (sysctl, domctl)
    g['SYSCTL_VERSIONS'], g['DOMCTL_VERSIONS'] = _versions(idx.VERSIONS)


def select(major, minor, arch):
    """Use the layouts for this Xen. Returns a line for the user when they
    are not generated for exactly this release, else None."""
    global _wanted, _exact
    release, _exact = choose(major, minor, arch)
    _wanted = (major, minor)
    _apply(release, arch)
    if _exact:
        return None
    return _assumed_line('no layouts generated for it')


def _assumed_line(why):
    idx = _index(ARCH)
    same = [r for r in idx.RELEASES if idx.GDI_LAYOUT[r] == idx.GDI_LAYOUT[RELEASE]]
    return ('stubmon: xen %d.%d: %s; assuming the layouts of xen %d.%d (its getdomaininfo '
            'layout is the one of %s)' % (_wanted[0], _wanted[1], why, RELEASE[0], RELEASE[1],
                                          ', '.join('%d.%d' % r for r in same)))


def confirm(sysctl, domctl):
    """After the probe: the interface versions Xen accepted. For a Xen
    without generated layouts, prefer the newest release whose headers
    declare exactly these versions. Returns a line for the user or None."""
    if sysctl is None or domctl is None:
        return None
    vers = _index(ARCH).VERSIONS
    if _exact:
        if vers[RELEASE] != (sysctl, domctl):
            return ('stubmon: xen %d.%d accepted interfaces sysctl 0x%02x domctl 0x%02x, its '
                    'headers say 0x%02x 0x%02x: layouts may not match'
                    % (RELEASE + (sysctl, domctl) + vers[RELEASE]))
        return None
    match = [r for r in _index(ARCH).RELEASES if vers[r] == (sysctl, domctl)]
    if match and match[-1] != RELEASE:
        _apply(match[-1], ARCH)
        return _assumed_line('interfaces 0x%02x/0x%02x as in xen %d.%d' % ((sysctl, domctl) + match[-1]))
    return None


def layouts_text():
    return 'layouts xen %d.%d (%s)' % (RELEASE[0], RELEASE[1], ARCH)


def createdomain_layout(major, minor, arch=None):
    """The fields of xen_domctl_createdomain past grant_opts, which move
    between releases (4.20 inserted altp2m_opts): name -> offset or None,
    and 'size': {arch: sizeof}."""
    arch = arch or ARCH
    m = _module(choose(major, minor, arch)[0], arch)
    cd = m.xen_domctl_createdomain
    lay = {'size': {arch: m.SIZE['xen_domctl_createdomain']}}
    for f in ('altp2m_opts', 'vmtrace_size', 'cpupool_id', 'arch'):
        lay[f] = off(cd, f) if f in cd else None
    return lay


_a = _arch_default()
_apply(_index(_a).RELEASES[-1], _a)
