# SPDX-License-Identifier: MIT
# Xen hypercall layouts and constants for stubmon, decoded from what
# tools/xenabi/gen.py generates from each release's public headers
# (build/xenabi/<arch>/xenabi_<arch>.py: one bytes object a release, and
# the names and uctypes types every release shares, declared once; frozen
# into the image, rebuilt by `make`, not committed). No offset or size is
# written here: every number comes from the generated module.
#
# Two kinds of names:
# - the module's own: what every release shares (errno numbers, DOMINF_*
#   flags, SHUTDOWN_* reasons, DOMID_*, command numbers), read once at import
#   from the newest generated release (a unit test checks they all agree);
# - an Abi object's: the layouts of one release (sizes, offsets, the domain
#   record's format), chosen at run time by select() from the running Xen's
#   version and refined by confirm() from the probed interface versions.
from array import array

# uctypes' descriptor encoding, which the generated layouts use: a scalar's
# offset is in the low 17 bits
_OFFSET = 0x1FFFF

# Commands the generated layouts may not carry (stable since Xen 3); the
# monitor's pause= test option uses them.
DOMCTL_pausedomain = 3
DOMCTL_unpausedomain = 4

# The getdomaininfo fields a record carries, in record order, with their
# struct codes (their types are the same in every release; offsets move).
DI_FIELDS = (
    ('domain', 'H'),
    ('flags', 'I'),
    ('tot_pages', 'Q'),
    ('max_pages', 'Q'),
    ('cpu_time', 'Q'),
    ('nr_online_vcpus', 'I'),
    ('max_vcpu_id', 'I'),
    ('ssidref', 'I'),
    ('handle', 's'),
    ('cpupool', 'I'),
)
_SIZES = {'H': 2, 'I': 4, 'Q': 8}


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


def _numbers(b, p, n, w):
    """n little-endian numbers of w bytes (1, 2 or 4) at b[p]."""
    if w == 1:
        return b[p : p + n]
    return array('H' if w == 2 else 'I', b[p : p + n * w])


def _table(b, p, names, swap=False):
    """(dict, position past it) of the table at b[p] (the format:
    tools/xenabi/gen.py): n, w, n names, n values; swap: value -> name."""
    n, w = b[p], b[p + 1]
    p += 2
    k, v = b[p : p + n], _numbers(b, p + n, n, w)
    d = {}
    if swap:
        for i in range(n):
            d[v[i]] = names[k[i]]
    else:
        for i in range(n):
            d[names[k[i]]] = v[i]
    return d, p + n + n * w


def _record(b, p, w, names, shapes):
    """(uctypes descriptor, position past it) of the record at b[p]: n, s,
    g, n member names, n offsets, g groups (shape, how many members; the
    first s scalars), then the records of the members whose shape ends
    in None."""
    n, s, g = b[p], b[p + 1], b[p + 2]
    p += 3
    k, offs = b[p : p + n], _numbers(b, p + n, n, w)
    q = p + n + n * w  # the groups
    r = q + 2 * g  # the nested records
    d = {}
    i = 0
    for q in range(q, r, 2):
        t, e = shapes[b[q]], i + b[q + 1]
        if s:  # scalars: type and offset in one int
            s -= 1
            for i in range(i, e):
                d[names[k[i]]] = offs[i] | t
        else:
            for i in range(i, e):
                o = offs[i] | t[0]
                if t[-1] is None:  # a struct, or an array of them: its record follows
                    sub, r = _record(b, r, w, names, shapes)
                    d[names[k[i]]] = (o,) + t[1:-1] + (sub,)
                else:  # an array of scalars
                    d[names[k[i]]] = (o, t[1])
        i = e
    return d, r


class Layouts:
    """One release's layouts for one arch, from its bytes in the generated
    index: RELEASE, ARCH, SIZE (sizeof of each struct and typedef), CONST,
    ERRNO, and one uctypes descriptor (LITTLE_ENDIAN) per struct, as an
    attribute of its name: what a generated module of literals held. The
    descriptors are decoded together on first use of any of them (the abi
    module's own names need only the tables)."""

    def __init__(self, idx, release, arch):
        self._b = None
        b = idx.LAYOUTS[idx.RELEASES.index(release)]
        # ours, from the build: checked, not trusted
        assert len(b) > 4 and b[0] == 1 and b[1] == release[0] and b[2] == release[1]
        self.RELEASE, self.ARCH, self._idx = release, arch, idx
        self.SIZE, p = _table(b, 4, idx.NAMES)
        self.CONST, p = _table(b, p, idx.NAMES)
        errno, self._p = _table(b, p, idx.NAMES, True)
        self.ERRNO = errno or idx.ERRNO  # the index's: the same in every release
        self._b = b

    def __getattr__(self, name):
        b = self._b
        if b is None:  # decoded already, or never will be
            raise AttributeError(name)
        self._b = None
        p, names, shapes, put = self._p + 1, self._idx.NAMES, self._idx.SHAPES, setattr
        for _ in range(b[p - 1]):
            k = names[b[p]]
            d, p = _record(b, p + 1, b[3], names, shapes)
            put(self, k, d)
        assert p == len(b), 'xenabi: layouts of the wrong length'
        return getattr(self, name)


_LAYOUTS = {}


def layouts(release, arch):
    """The Layouts of a generated release (made on first use, then kept)."""
    key = (release, arch)
    m = _LAYOUTS.get(key)
    if m is None:
        m = _LAYOUTS[key] = Layouts(_index(arch), release, arch)
    return m


def off(desc, name):
    """Byte offset of a field in a generated descriptor."""
    v = desc[name]
    if isinstance(v, tuple):
        v = v[0]
    return v & _OFFSET


def _short(name):
    """XEN_DOMCTL_x -> DOMCTL_x, XEN_DOMINF_x -> DOMINF_x; SHUTDOWN_*,
    XENVER_*, DOMID_* keep their names."""
    return name[4:] if name.startswith('XEN_') else name


def stable_constants(module, index):
    """{name: value} of what every release shares, from one release."""
    out = {}
    for name, v in module.CONST.items():
        short = _short(name)
        if short.endswith('INTERFACE_VERSION'):
            continue  # per release: an Abi's
        out[short] = v
        if short.startswith('DOMCTL_CDF_'):
            out[short[7:]] = v
    errno = getattr(module, 'ERRNO', None) or index.ERRNO
    for n, name in errno.items():
        out[name] = n
    return out, errno


def record_format(offsets, handle_len, size):
    """One struct format for the whole record: DI_FIELDS at their offsets,
    padding between and after them."""
    fmt, at = ['<'], 0
    for name, code in sorted(DI_FIELDS, key=lambda f: offsets[f[0]]):
        o = offsets[name]
        if o < at:
            raise ValueError('getdomaininfo field %s overlaps the one before it' % name)
        if o > at:
            fmt.append('%dx' % (o - at))
        n = handle_len if code == 's' else _SIZES[code]
        fmt.append('%ds' % n if code == 's' else code)
        at = o + n
    if size > at:
        fmt.append('%dx' % (size - at))
    return ''.join(fmt)


class Abi:
    """The layouts of one release for one arch: every size and offset the
    hypercalls need, and the domain record's one format string."""

    def __init__(self, release, arch, exact=True, wanted=None):
        m = layouts(release, arch)
        self.release, self.arch, self.module = release, arch, m
        self.exact = exact  # generated for exactly the running Xen
        self.wanted = wanted or release  # the running Xen's (major, minor)
        idx = _index(arch)
        self.versions = idx.VERSIONS  # (major, minor): (sysctl, domctl)
        size = m.SIZE
        sc, dc = m.xen_sysctl, m.xen_domctl
        self.SYSCTL_SIZE, self.SYSCTL_CMD = size['xen_sysctl'], off(sc, 'cmd')
        self.SYSCTL_VERSION, self.SYSCTL_PAYLOAD = off(sc, 'interface_version'), off(sc, 'u')
        self.DOMCTL_SIZE, self.DOMCTL_CMD = size['xen_domctl'], off(dc, 'cmd')
        self.DOMCTL_VERSION, self.DOMCTL_DOMAIN = off(dc, 'interface_version'), off(dc, 'domain')
        self.DOMCTL_PAYLOAD = off(dc, 'u')
        gl = m.xen_sysctl_getdomaininfolist
        self.GDIL = dict(
            [(f, off(gl, f)) for f in ('first_domain', 'max_domains', 'buffer', 'num_domains')]
        )
        self.GDIL_SIZE = size['xen_sysctl_getdomaininfolist']
        pi = m.xen_sysctl_physinfo
        self.PI = dict(
            [
                (f, off(pi, f))
                for f in (
                    'threads_per_core',
                    'cores_per_socket',
                    'nr_cpus',
                    'max_cpu_id',
                    'nr_nodes',
                    'cpu_khz',
                    'capabilities',
                    'total_pages',
                    'free_pages',
                    'scrub_pages',
                    'outstanding_pages',
                )
            ]
        )
        self.PI_SIZE = size['xen_sysctl_physinfo']
        gc = m.xen_sysctl_getcpuinfo
        self.GCI = dict([(f, off(gc, f)) for f in ('max_cpus', 'info', 'nr_cpus')])
        self.CPUINFO_SIZE = size['xen_sysctl_cpuinfo']  # one pCPU's idletime
        self.CPUINFO_IDLE = off(m.xen_sysctl_cpuinfo, 'idletime')
        vi = m.xen_domctl_getvcpuinfo
        self.VI = dict(
            [(f, off(vi, f)) for f in ('vcpu', 'online', 'blocked', 'running', 'cpu_time', 'cpu')]
        )
        rc = m.xen_sysctl_readconsole
        self.RC = dict(
            [(f, off(rc, f)) for f in ('clear', 'incremental', 'index', 'buffer', 'count')]
        )
        di = m.xen_domctl_getdomaininfo
        self.DI = dict([(f, off(di, f)) for f, _ in DI_FIELDS])
        self.DI_HANDLE_LEN = size['xen_domain_handle_t']
        self.DI_SIZE = size['xen_domctl_getdomaininfo']
        self.DI_FORMAT = record_format(self.DI, self.DI_HANDLE_LEN, self.DI_SIZE)
        cd = m.xen_domctl_createdomain
        self.CD = {}
        for f in (
            'ssidref',
            'handle',
            'flags',
            'iommu_opts',
            'max_vcpus',
            'max_evtchn_port',
            'max_grant_frames',
            'max_maptrack_frames',
            'grant_opts',
            # past grant_opts the fields move between releases (4.20
            # inserted altp2m_opts): None where a release has none
            'altp2m_opts',
            'vmtrace_size',
            'cpupool_id',
            'arch',
        ):
            self.CD[f] = off(cd, f) if f in cd else None
        self.CD_SIZE = size['xen_domctl_createdomain']
        self.MM_MAX_MEMKB = off(m.xen_domctl_max_mem, 'max_memkb')
        self.XENVER_EXTRAVERSION_LEN = size['xen_extraversion_t']
        c = m.CONST
        # Flags for an empty domain: PV on x86; Arm only has HVM+HAP guests.
        self.CDF_EMPTY = (
            0 if arch == 'x86_64' else c['XEN_DOMCTL_CDF_hvm'] | c['XEN_DOMCTL_CDF_hap']
        )

    def text(self):
        return 'layouts xen %d.%d (%s)' % (self.release[0], self.release[1], self.arch)

    def assumed_line(self, why):
        idx = _index(self.arch)
        same = [r for r in idx.RELEASES if idx.GDI_LAYOUT[r] == idx.GDI_LAYOUT[self.release]]
        return (
            'stubmon: xen %d.%d: %s; assuming the layouts of xen %d.%d (its getdomaininfo '
            'layout is the one of %s)'
            % (
                self.wanted[0],
                self.wanted[1],
                why,
                self.release[0],
                self.release[1],
                ', '.join(['%d.%d' % r for r in same]),
            )
        )

    def confirm(self, sysctl, domctl):
        """After the probe: the interface versions Xen accepted. For a Xen
        without generated layouts, prefer the newest release whose headers
        declare exactly these versions. Returns (Abi to use, a line for the
        user or None)."""
        if sysctl is None or domctl is None:
            return self, None
        if self.exact:
            if self.versions[self.release] != (sysctl, domctl):
                return self, (
                    'stubmon: xen %d.%d accepted interfaces sysctl 0x%02x domctl 0x%02x, '
                    'its headers say 0x%02x 0x%02x: layouts may not match'
                    % (self.release + (sysctl, domctl) + self.versions[self.release])
                )
            return self, None
        match = [r for r in _index(self.arch).RELEASES if self.versions[r] == (sysctl, domctl)]
        if match and match[-1] != self.release:
            a = Abi(match[-1], self.arch, False, self.wanted)
            return a, a.assumed_line(
                'interfaces 0x%02x/0x%02x as in xen %d.%d' % ((sysctl, domctl) + match[-1])
            )
        return self, None


def choose(major, minor, arch):
    """(release whose layouts to use, True if generated for exactly this
    Xen). A release without generated layouts takes the newest older one
    (or the oldest, for an older Xen); Abi.confirm may move it after probing."""
    rels = _index(arch).RELEASES
    want = (major, minor)
    if want in rels:
        return want, True
    older = [r for r in rels if r < want]
    return (older[-1] if older else rels[0]), False


def select(major, minor, arch):
    """(the Abi for this Xen, a line for the user when its layouts are
    not generated for exactly this release, else None)."""
    release, exact = choose(major, minor, arch)
    a = Abi(release, arch, exact, (major, minor))
    return a, (None if exact else a.assumed_line('no layouts generated for it'))


def _versions(rels):
    s = [v[0] for v in rels.values()]
    d = [v[1] for v in rels.values()]
    # newest first, a little past both ends of what the headers know
    return tuple(range(max(s) + 2, min(s) - 3, -1)), tuple(range(max(d) + 2, min(d) - 3, -1))


def _load(arch):
    idx = _index(arch)
    m = layouts(idx.RELEASES[-1], arch)
    consts, errno = stable_constants(m, idx)
    g = globals()
    # read before a release is chosen (the version call tells which)
    g['XENVER_EXTRAVERSION_LEN'] = m.SIZE['xen_extraversion_t']
    for k, v in consts.items():
        g.setdefault(k, v)
    g['ERRNO_NAMES'] = errno
    g['RELEASE_VERSIONS'] = idx.VERSIONS
    g['SYSCTL_VERSIONS'], g['DOMCTL_VERSIONS'] = _versions(idx.VERSIONS)


_load(_arch_default())
