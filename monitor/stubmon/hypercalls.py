# SPDX-License-Identifier: MIT
# The monitor's view of Xen: wraps the image's `xen` C module (passed in, so
# unit tests can hand in a fake) with the few hypercalls stubmon makes.
# Every layout detail comes from abi.py, i.e. from the layouts generated from
# Xen's headers; the running Xen's version picks which release's.
import struct

from . import abi
from . import record

BATCH = 64  # getdomaininfolist records per sysctl: 7 KiB of buffer on x86
# Xen writes getdomaininfolist records of its own sysctl interface
# version's size. Only a version whose record size a generated layout
# gives (the index's RECORD_SIZE, the table C checks against too) lists in
# batches; any other (newer or older than every layout) may have another
# record: one record per call, into a buffer this large (the stable fields
# at its start still decode). C requires at least this much then
# (port-xen/modxen.h MODXEN_UNKNOWN_RECORD_ROOM).
UNKNOWN_RECORD_ROOM = 4096
ERESTART = 85  # Xen-internal continuation errno, not in the public errno.h
# createdomain's "pick a domid for me": 0 up to Xen 4.21; from 4.22 Xen
# takes the domid literally (0 is dom0: EEXIST) and DOMID_ANY asks. The
# value of 4.22's public xen.h, used when no generated release defines it.
DOMID_ANY = getattr(abi, 'DOMID_ANY', 0x7FF5)
DOMID_ANY_SINCE = (4, 22)
# XEN_DOMCTL_get_domain_state (4.21, a stable domctl: interface_version 0).
# With DOMID_INVALID it names the next domain whose state changed, for the
# domain holding VIRQ_DOM_EXC; -ENOENT when there is none left.
DOMCTL_get_domain_state = getattr(abi, 'DOMCTL_get_domain_state', 90)
DOMID_INVALID = getattr(abi, 'DOMID_INVALID', 0x7FF4)
GET_DOMAIN_STATE_SINCE = (4, 21)
# A control domain without dom0 (Xen 4.21+, Arm dom0less `capabilities =
# <0x1>`, docs/control-domain.md): get_domain_state of one domain tells its
# capabilities; XEN_DOMCTL_set_virq_handler (struct
# xen_domctl_set_virq_handler { uint32_t virq; }, public/domctl.h) names
# the domain Xen sends a global VIRQ to; VIRQ_DOM_EXC is 3 (public/xen.h).
DOMCTL_set_virq_handler = getattr(abi, 'DOMCTL_set_virq_handler', 66)
VIRQ_DOM_EXC = 3
CAP_CONTROL = getattr(abi, 'DOMCTL_GETDOMSTATE_CAP_CONTROL', 0x1)
CAP_HARDWARE = getattr(abi, 'DOMCTL_GETDOMSTATE_CAP_HARDWARE', 0x2)
CAP_XENSTORE = getattr(abi, 'DOMCTL_GETDOMSTATE_CAP_XENSTORE', 0x4)
DOMINF_xs_domain = getattr(abi, 'DOMINF_xs_domain', 0x80)
CAPS_SINCE = (4, 21)  # the dom0less capabilities property and get_domain_state
PCPUS_MAX = 512  # pCPUs read by getcpuinfo at most (8 bytes each)
STATE_CHANGES_MAX = 1024  # changed domains read per wake at most (then: a full listing)


class HypercallError(Exception):
    """args: (operation name, positive Xen errno). Exceptions take no
    attributes under MicroPython, hence the accessor methods."""

    def op(self):
        return self.args[0]

    def errno(self):
        return self.args[1]

    def errno_name(self):
        return abi.ERRNO_NAMES.get(self.args[1], 'errno %d' % self.args[1])

    def __str__(self):
        return '%s failed: %s' % (self.args[0], self.errno_name())


class DomainsHidden(HypercallError):
    """getdomaininfolist answered but listed no domain, not even the caller:
    the XSM/FLASK policy filtered every one out (Xen before XSA-499 filters
    the list where later releases refuse it with EACCES). args: (op, 0)."""

    def errno_name(self):
        return 'none visible'

    def __str__(self):
        return '%s listed no domains, not even this one' % self.args[0]


# What an errno means to someone running stubmon, per operation where it
# differs. Keys: (op, errno) first, then errno alone.
_LIST_DENIED = (
    'this domain is not privileged to list domains: boot Xen with FLASK '
    '(flask=enforcing) and a policy that includes stubmon\'s policy/stubmon.te, '
    'start stubmon with seclabel=\'system_u:system_r:stubmon_t\' '
    '(boards/{board}/stubmon.cfg){control}, or run it as dom0; see README'
)
# Where the running Xen offers it (arm64, 4.21+), {control} names the other
# way: a dom0less domain node with capabilities = <0x1>, no dom0 needed.
_CONTROL_WAY = (
    ', boot it as a dom0less domain whose node has capabilities = <0x1> (a control '
    'domain, docs/control-domain.md)'
)
# The running Xen's (major, minor), set when Hypervisor asks: the hints that
# depend on the release read it.
running = None


def _flask(why):
    return 'denied by the XSM/FLASK policy (%s)' % why


# Per operation, errno -> what it means here (0: answered but empty).
_OP_HINTS = {
    'getdomaininfolist': {
        abi.EPERM: _LIST_DENIED,
        0: (
            'the XSM/FLASK policy hides them (Xen before XSA-499 filters the '
            'list instead of refusing it): give this domain\'s label '
            'getdomaininfo on domains and domxen_t, e.g. '
            'seclabel=\'system_u:system_r:stubmon_t\' with policy/stubmon.te, '
            'see README'
        ),
        abi.EACCES: (
            'denied by the XSM/FLASK policy (or an unknown '
            'sysctl interface version): give this domain\'s label '
            'getdomaininfo on domains and domxen_t, see README'
        ),
    },
    'getdomaininfo': {
        abi.EPERM: (
            'this domain is not privileged to read other domains: '
            'run stubmon as dom0 or give its FLASK label getdomaininfo'
        ),
        abi.ESRCH: 'no such domain (it went away)',
    },
    'createdomain': {
        abi.EPERM: 'only a privileged domain (dom0) can create domains',
        abi.EACCES: _flask('under FLASK an ssidref of 0 is unlabeled_t and refused'),
        abi.EINVAL: (
            'Xen rejected the domain configuration (wrong createdomain layout for this '
            'Xen release?)'
        ),
        abi.ENOMEM: 'Xen is out of memory for another domain',
    },
    'max_mem': {abi.EPERM: 'not privileged to set a domain\'s memory limit'},
    'destroydomain': {
        abi.EPERM: 'not privileged to destroy domains',
        abi.ESRCH: 'the domain is already gone',
    },
    'pausedomain': {abi.ESRCH: 'no such domain', abi.EINVAL: 'a domain cannot pause itself'},
    'unpausedomain': {abi.ESRCH: 'no such domain'},
    'set_virq_handler': {
        abi.EBUSY: 'the domain Xen sends it to now has it bound',
        abi.EPERM: 'only a control domain may name the handler',
        abi.EACCES: _flask('the label needs `domain set_virq_handler` on itself'),
    },
    'get_domain_state': {
        abi.EACCES: _flask('the label needs `domain2 get_domain_state` on the domains')
    },
}
# Whatever the operation.
_ERRNO_HINTS = {
    abi.EPERM: 'operation not permitted for this domain',
    abi.EACCES: 'access denied (XSM/FLASK policy, or a wrong interface version)',
    abi.ENOSYS: 'this Xen does not implement the call',
    abi.EOPNOTSUPP: 'not supported by this Xen build',
    abi.EINVAL: 'Xen rejected the arguments',
    abi.ENOMEM: 'Xen is out of memory',
    abi.EFAULT: 'Xen could not access the buffer (bad guest address)',
    abi.EBUSY: 'busy, try again',
}


# The optional calls: each is one feature of the monitor that a domain may
# be refused (not privileged: EPERM; FLASK: EACCES) while the listing goes
# on. op -> (what it reads, its FLASK permission, what a refusal drops,
# the policy boolean that grants it or None). The refusal hints come from
# here, and features.Features drops a refused one after saying it once.
FEATURES = {
    'physinfo': (
        "the host's CPUs and memory",
        'xen physinfo',
        'the host lines are left out',
        None,
    ),
    'getcpuinfo': (
        "the pCPUs' idle time",
        'xen getcpuinfo',
        'host busy % and pcpus=1 are left out',
        None,
    ),
    'getvcpuinfo': ("other domains' vCPUs", 'domain getvcpuinfo', 'vcpus=1 is dropped', None),
    'readconsole': (
        "Xen's console log",
        'xen readconsole',
        'xenlog=1 and alert=log: are dropped',
        'stubmon_readconsole',
    ),
}


def _feature_hints():
    for op in FEATURES:
        reads, perm, drops, boolean = FEATURES[op]
        grant = '`%s`%s (policy/stubmon.te' % (
            perm,
            ' on the domains' if perm.startswith('domain ') else '',
        )
        grant += ', boolean %s)' % boolean if boolean else ')'
        hints = _OP_HINTS[op] = {}
        hints[abi.EPERM] = (
            'this domain may not read %s: %s; run as dom0 or give its '
            'FLASK label %s' % (reads, drops, grant)
        )
        how = ''
        if boolean:
            how = ': it is off by default, turn it on in dom0 with `flask-set-bool %s 1`' % boolean
        hints[abi.EACCES] = "denied by the XSM/FLASK policy: %s; give this domain's label %s%s" % (
            drops,
            grant,
            how,
        )


_feature_hints()


def explain(err):
    """One line for the user, e.g. 'stubmon: getdomaininfolist failed:
    EPERM (this domain is not privileged ...)'."""
    hint = _OP_HINTS.get(err.op(), {}).get(err.errno()) or _ERRNO_HINTS.get(err.errno())
    line = 'stubmon: %s' % err
    if hint:
        # the shipped xl config of the architecture it runs on
        board = 'arm64' if abi._arch_default() in ('aarch64', 'arm64') else 'x86_64'
        control = (
            _CONTROL_WAY
            if board == 'arm64' and running is not None and running >= CAPS_SINCE
            else ''
        )
        line += ' (%s)' % hint.replace('{board}', board).replace('{control}', control)
    return line


class PhysInfo:
    """The host's CPUs and memory from XEN_SYSCTL_physinfo. Memory in
    pages of 4 KiB (Xen's page size on x86_64 and arm64); *_kib and
    cpu_mhz are derived (integer math)."""

    U32 = tuple(
        'nr_cpus max_cpu_id threads_per_core cores_per_socket nr_nodes cpu_khz '
        'capabilities'.split()
    )
    U64 = ('total_pages', 'free_pages', 'scrub_pages', 'outstanding_pages')
    FIELDS = U32 + U64
    # set by the monitor from getcpuinfo (pcpus.py): the host's busy
    # tenths, and with pcpus=1 [(pCPU, busy tenths, idle ns)]; None: unknown
    busy = None
    pcpus = None
    cpu_rows = None  # the same rows whatever pcpus= says (alert=pcpu>P)

    _unpack = None  # (layout, struct format, field names) of the last layout read

    def __init__(self, buf, p, lay):
        u = PhysInfo._unpack
        if u is None or u[0] is not lay:
            u = PhysInfo._unpack = (lay,) + self.unpack_format(lay)
        for f, v in zip(u[2], struct.unpack_from(u[1], buf, p)):
            setattr(self, f, v)
        self.cpu_mhz = self.cpu_khz // 1000
        self.total_kib = record.pages_to_kib(self.total_pages)
        self.free_kib = record.pages_to_kib(self.free_pages)

    @classmethod
    def unpack_format(cls, lay):
        """One struct format for every field of a layout (in offset order,
        padding between): a poll reads the host with one unpack."""
        fields = sorted(
            [(lay.PI[f], f, 'I', 4) for f in cls.U32] + [(lay.PI[f], f, 'Q', 8) for f in cls.U64]
        )
        fmt, at = '<', 0
        for off, _, code, size in fields:
            if off < at:
                raise ValueError('physinfo fields overlap at %d' % off)
            fmt += ('%dx' % (off - at) if off > at else '') + code
            at = off + size
        return fmt, tuple([f[1] for f in fields])

    def as_dict(self):
        d = {}
        for f in self.FIELDS:
            d[f] = getattr(self, f)
        d['cpu_mhz'] = self.cpu_mhz
        d['total_kib'] = self.total_kib
        d['free_kib'] = self.free_kib
        return d


class Hypervisor:
    def __init__(self, xen):
        self.xen = xen
        self.arch = xen.arch
        self._version = None
        # the layouts of this Xen release (or the closest generated one):
        # every size and offset below comes from them
        major, minor, _ = self.version()
        self.abi, self.layout_note = abi.select(major, minor, self.arch)
        self.sysctl_version = None  # None until probe() confirms one
        self.domctl_version = None
        self._cpus = None  # getcpuinfo's array, made at its first call
        self._rc_buf = None  # readconsole's buffer (xenlog.py's)
        self._one_per_call_said = False
        self._alloc()

    def _alloc(self, record_known=True):
        """Buffers for the layouts in force. The listing buffer holds
        self.batch records of the size in force; with an unknown record
        size (record_known False) one record of up to UNKNOWN_RECORD_ROOM."""
        lay = self.abi
        self.di_size = lay.DI_SIZE
        self._sysctl = bytearray(lay.SYSCTL_SIZE)
        self._domctl = bytearray(lay.DOMCTL_SIZE)
        # slice assignment from these zeroes a buffer in one step
        self._sysctl_zero = bytes(lay.SYSCTL_SIZE)
        self._domctl_zero = bytes(lay.DOMCTL_SIZE)
        self.batch = BATCH if record_known else 1
        # handed to xen.sysctl as an object: C fills the guest handle
        # after checking that the records Xen writes fit it
        self._list = bytearray(BATCH * self.di_size if record_known else UNKNOWN_RECORD_ROOM)

    # --- version --------------------------------------------------------
    def version(self):
        """(major, minor, extraversion string), asked once"""
        global running
        if self._version is None:
            self._version = self._ask_version()
            running = self._version[:2]
        return self._version

    def _ask_version(self):
        v = self.xen.xen_version(abi.XENVER_version)
        extra = bytearray(abi.XENVER_EXTRAVERSION_LEN)
        if self.xen.xen_version(abi.XENVER_extraversion, extra) < 0:
            extra = bytearray()
        text = bytes(extra).split(b'\x00')[0]
        # extraversion is ASCII from Xen's build; never die on odd bytes
        text = ''.join([chr(c) if 32 <= c < 127 else '?' for c in text])
        return (v >> 16) & 0xFFFF, v & 0xFFFF, text

    def version_text(self):
        major, minor, extra = self.version()
        return '%d.%d%s' % (major, minor, extra)

    # --- interface version probe ----------------------------------------
    def _candidates(self, known, which):
        major, minor, _ = self.version()
        first = abi.RELEASE_VERSIONS.get((major, minor))
        order = []
        if first is not None:
            order.append(first[which])
        for v in known:
            if v not in order:
                order.append(v)
        return order

    def _try_sysctl_version(self, v):
        # getdomaininfolist of 0 domains: harmless, and Xen checks the
        # interface version before anything else
        self._fill_sysctl_list(v, 0, 0)
        return self.xen.sysctl(self._sysctl)

    def _try_domctl_version(self, v):
        self._fill_domctl(v, abi.DOMCTL_getdomaininfo, 0)
        return self.xen.domctl(self._domctl)

    def probe(self):
        """Find the sysctl and domctl interface versions this Xen speaks.
        A wrong version answers -EACCES; any other answer (0, -EPERM ...)
        confirms it. Returns message lines for the user: also which layouts
        were assumed when none were generated for exactly this release."""
        msgs = [self.layout_note] if self.layout_note else []
        self.sysctl_version = None
        for v in self._candidates(abi.SYSCTL_VERSIONS, 0):
            if self._try_sysctl_version(v) != -abi.EACCES:
                self.sysctl_version = v
                break
        self.domctl_version = None
        for v in self._candidates(abi.DOMCTL_VERSIONS, 1):
            if self._try_domctl_version(v) != -abi.EACCES:
                self.domctl_version = v
                break
        exact = abi.RELEASE_VERSIONS.get(self.version()[:2])  # this release's headers
        for i, name, v, known in (
            (0, 'sysctl', self.sysctl_version, abi.SYSCTL_VERSIONS),
            (1, 'domctl', self.domctl_version, abi.DOMCTL_VERSIONS),
        ):
            if v is None:
                head = (
                    'stubmon: every %s interface version (0x%02x..0x%02x) was refused with '
                    'EACCES' % (name, min(known), max(known))
                )
                if exact:
                    # the headers of this very release name a version Xen
                    # refused: only a policy does that
                    msgs.append(
                        '%s, even 0x%02x of xen %d.%d\'s own headers: this is a denial '
                        'by the XSM/FLASK policy (since XSA-499 a denied getdomaininfo '
                        'answers EACCES), not an unknown release; give this domain\'s '
                        'label getdomaininfo on domains and domxen_t, see README'
                        % ((head, exact[i]) + self.version()[:2])
                    )
                else:
                    msgs.append(
                        '%s: since XSA-499 that is how a FLASK denial of getdomaininfo '
                        'looks (give this domain\'s label getdomaininfo, see README); '
                        'otherwise xen %s speaks an interface outside that range'
                        % (head, self.version_text())
                    )
        self.abi, note = self.abi.confirm(self.sysctl_version, self.domctl_version)
        if note:
            msgs.append(note)
        known, why = self._record_size_known()
        if not known and not self._one_per_call_said:
            self._one_per_call_said = True
            msgs.append(
                'stubmon: sysctl 0x%02x %s, so domains are listed one per call (slower, '
                'never past the buffer)' % (self.sysctl_version, why)
            )
        lay = self.abi
        if (
            not known
            or self.di_size != lay.DI_SIZE
            or len(self._sysctl) != lay.SYSCTL_SIZE
            or len(self._domctl) != lay.DOMCTL_SIZE
        ):
            self._alloc(known)
        return msgs

    def _record_size_known(self):
        """(True, None) when the domain records Xen writes for the sysctl
        interface version it accepted are the size of the layouts in force:
        a generated release with that version says so (abi's index,
        RECORD_SIZE; the image's C checks the same table). Else (False,
        why). Without a confirmed version nothing is listed at all."""
        v = self.sysctl_version
        if v is None:
            return True, None
        sizes = getattr(abi._index(self.abi.arch), 'RECORD_SIZE', None) or {}
        size = sizes.get(v)
        if size is None:
            return False, ('has no generated layout: the size of its domain record is unknown')
        if size != self.abi.DI_SIZE:
            return False, (
                'writes domain records of %d bytes, the layouts in force (xen %d.%d) '
                '%d' % ((size,) + self.abi.release + (self.abi.DI_SIZE,))
            )
        return True, None

    def layouts_text(self):
        '''e.g. 'layouts xen 4.17 (x86_64), interfaces sysctl 0x15 domctl 0x15' '''
        return '%s, interfaces %s' % (self.abi.text(), self.interfaces_text())

    def interfaces_text(self):
        def hx(v):
            return '?' if v is None else '0x%02x' % v

        return 'sysctl %s domctl %s' % (hx(self.sysctl_version), hx(self.domctl_version))

    # --- buffers ----------------------------------------------------------
    def _fill_sysctl_list(self, version, first, count):
        # the buffer handle stays 0: xen.sysctl(b, self._list) fills it in
        # C once the count of records fits the object (xen.list_raw too)
        b, lay = self._sysctl, self.abi
        b[:] = self._sysctl_zero
        p, g = lay.SYSCTL_PAYLOAD, lay.GDIL
        struct.pack_into('<II', b, 0, abi.SYSCTL_getdomaininfolist, version)
        struct.pack_into('<H', b, p + g['first_domain'], first)
        struct.pack_into('<I', b, p + g['max_domains'], count)

    def _fill_domctl(self, version, cmd, domid):
        b = self._domctl
        b[:] = self._domctl_zero
        struct.pack_into('<II', b, 0, cmd, version)
        struct.pack_into('<H', b, self.abi.DOMCTL_DOMAIN, domid)

    def _domctl_call(self, op):
        """Runs the prepared domctl; raises HypercallError on failure."""
        if self.domctl_version is None:
            raise HypercallError(op, abi.EACCES)
        rc = self.xen.domctl(self._domctl)
        if rc < 0:
            raise HypercallError(op, -rc)
        return rc

    # --- queries ------------------------------------------------------------
    def each_batch(self, take):
        """List every domain, in domid order, however many there are:
        batches of BATCH, each continuing after the last domid seen, until
        a short one. take(buf, n, done) gets each batch's n records at
        buf[0:] (done: records before it). Returns how many there were."""
        if self.sysctl_version is None:
            raise HypercallError('getdomaininfolist', abi.EACCES)
        lay = self.abi
        first = done = 0
        batch, size, buf = self.batch, self.di_size, self._list
        if len(buf) < batch * size:  # Xen would write past it
            raise ValueError(
                'listing buffer of %d bytes is too small for %d records of %d'
                % (len(buf), batch, size)
            )
        count_at = lay.SYSCTL_PAYLOAD + lay.GDIL['num_domains']
        domid_at = lay.DI['domain']
        while first < abi.DOMID_FIRST_RESERVED:
            self._fill_sysctl_list(self.sysctl_version, first, batch)
            rc = self.xen.sysctl(self._sysctl, buf)
            if rc < 0:
                raise HypercallError('getdomaininfolist', -rc)
            n = struct.unpack_from('<I', self._sysctl, count_at)[0]
            if n > batch:  # never trust a count past our buffer
                n = batch
            if n:
                take(buf, n, done)
                done += n
            if n < batch:
                break
            nxt = struct.unpack_from('<H', buf, (n - 1) * size + domid_at)[0] + 1
            if nxt <= first:  # no progress: stop rather than loop forever
                break
            first = nxt
        if not done:  # there is always at least this domain: a policy hid them
            raise DomainsHidden('getdomaininfolist', 0)
        return done

    def list_domains(self, figures=None):
        """Every domain as records (record.Domain), in domid order.
        figures: a record.Figures at a poll (the records get CPU and MEM %)."""
        doms = []
        lay = self.abi

        def take(buf, n, done):
            record.decode_into(doms, lay, buf, n, 0, figures)

        self.each_batch(take)
        return doms

    def physinfo(self):
        """XEN_SYSCTL_physinfo: the host, as xentop's header shows it. A
        PhysInfo (nr_cpus, cpu_khz, cpu_mhz, total_pages, free_pages, ...);
        raises HypercallError('physinfo', errno) when refused (a domU
        without the FLASK permission `xen physinfo`)."""
        if self.sysctl_version is None:
            raise HypercallError('physinfo', abi.EACCES)
        b = self._sysctl
        b[:] = self._sysctl_zero
        struct.pack_into('<II', b, 0, abi.SYSCTL_physinfo, self.sysctl_version)
        rc = self.xen.sysctl(b)
        if rc < 0:
            raise HypercallError('physinfo', -rc)
        return PhysInfo(b, self.abi.SYSCTL_PAYLOAD, self.abi)

    def cpu_idle(self, max_cpus):
        """XEN_SYSCTL_getcpuinfo: each pCPU's idle time (ns since boot),
        a list indexed by pCPU, for up to max_cpus of them (physinfo's
        max_cpu_id + 1). Raises HypercallError('getcpuinfo', errno) when
        refused (FLASK: `xen getcpuinfo`)."""
        if self.sysctl_version is None:
            raise HypercallError('getcpuinfo', abi.EACCES)
        lay = self.abi
        n = max(1, min(max_cpus, PCPUS_MAX))
        size = lay.CPUINFO_SIZE
        if self._cpus is None or len(self._cpus) < n * size:
            self._cpus = bytearray(n * size)  # kept: Xen writes it each poll
            self._cpus_addr = self.xen.addressof(self._cpus)
        b, p, g = self._sysctl, lay.SYSCTL_PAYLOAD, lay.GCI
        b[:] = self._sysctl_zero
        struct.pack_into('<II', b, 0, abi.SYSCTL_getcpuinfo, self.sysctl_version)
        struct.pack_into('<I', b, p + g['max_cpus'], n)
        struct.pack_into('<Q', b, p + g['info'], self._cpus_addr)
        rc = self.xen.sysctl(b)
        if rc < 0:
            raise HypercallError('getcpuinfo', -rc)
        got = min(struct.unpack_from('<I', b, p + g['nr_cpus'])[0], n)
        buf, at = self._cpus, lay.CPUINFO_IDLE
        return [struct.unpack_from('<Q', buf, i * size + at)[0] for i in range(got)]

    def vcpu_info(self, domid, vcpu):
        """XEN_DOMCTL_getvcpuinfo: (online, blocked, running, cpu_time ns,
        pCPU) of one vCPU. Raises HypercallError('getvcpuinfo', errno):
        ESRCH/EINVAL for a domain gone or a vCPU it does not have, EACCES
        under FLASK without `domain getvcpuinfo`."""
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_getvcpuinfo, domid)
        b, p, v = self._domctl, self.abi.DOMCTL_PAYLOAD, self.abi.VI
        struct.pack_into('<I', b, p + v['vcpu'], vcpu)
        self._domctl_call('getvcpuinfo')
        return (
            b[p + v['online']],
            b[p + v['blocked']],
            b[p + v['running']],
            struct.unpack_from('<Q', b, p + v['cpu_time'])[0],
            struct.unpack_from('<I', b, p + v['cpu'])[0],
        )

    def read_console(self, buf, index):
        """XEN_SYSCTL_readconsole into buf (a bytearray; its address is
        taken once): incremental from `index` (None: from the oldest byte
        Xen still holds), never clearing the ring. Returns (bytes written,
        the index after them). Raises HypercallError('readconsole', errno)."""
        if self.sysctl_version is None:
            raise HypercallError('readconsole', abi.EACCES)
        if self._rc_buf is not buf:
            self._rc_buf, self._rc_addr = buf, self.xen.addressof(buf)
        b, p, r = self._sysctl, self.abi.SYSCTL_PAYLOAD, self.abi.RC
        b[:] = self._sysctl_zero
        struct.pack_into('<II', b, 0, abi.SYSCTL_readconsole, self.sysctl_version)
        if index is not None:
            b[p + r['incremental']] = 1
            struct.pack_into('<I', b, p + r['index'], index)
        struct.pack_into('<Q', b, p + r['buffer'], self._rc_addr)
        struct.pack_into('<I', b, p + r['count'], len(buf))
        rc = self.xen.sysctl(b)
        if rc < 0:
            raise HypercallError('readconsole', -rc)
        n = min(struct.unpack_from('<I', b, p + r['count'])[0], len(buf))
        return n, struct.unpack_from('<I', b, p + r['index'])[0]

    def get_domain(self, domid):
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_getdomaininfo, domid)
        self._domctl_call('getdomaininfo')
        return record.decode(self.abi, self._domctl, self.abi.DOMCTL_PAYLOAD)

    # --- which domains changed (4.21+) -------------------------------------
    def has_domain_state(self):
        """Whether this Xen offers XEN_DOMCTL_get_domain_state."""
        return self.version()[:2] >= GET_DOMAIN_STATE_SINCE

    def changed_domains(self):
        """The domids whose state changed since last asked, from
        get_domain_state(DOMID_INVALID) until Xen says there are no more
        (ENOENT), in domid order; None when there were too many to read
        (then list them all). Raises HypercallError('get_domain_state',
        errno) on a refusal (EACCES: this domain does not hold VIRQ_DOM_EXC)."""
        out = []
        lay = self.abi
        b = self._domctl
        while len(out) < STATE_CHANGES_MAX:
            # a stable domctl: interface version 0 whatever the release
            self._fill_domctl(0, DOMCTL_get_domain_state, DOMID_INVALID)
            rc = self.xen.domctl(b)
            if rc == -abi.ENOENT:
                out.sort()
                return out
            if rc < 0:
                raise HypercallError('get_domain_state', -rc)
            out.append(struct.unpack_from('<H', b, lay.DOMCTL_DOMAIN)[0])
        return None

    # --- a control domain without dom0 (4.21+) -------------------------------
    def domain_caps(self, domid):
        """XEN_DOMCTL_get_domain_state of one domain (stable, interface
        version 0): its capabilities, CAP_CONTROL | CAP_HARDWARE |
        CAP_XENSTORE (4.21+). Raises HypercallError('get_domain_state',
        errno): ESRCH gone, EPERM/EACCES not allowed."""
        b, p = self._domctl, self.abi.DOMCTL_PAYLOAD
        self._fill_domctl(0, DOMCTL_get_domain_state, domid)
        rc = self.xen.domctl(b)
        if rc < 0:
            raise HypercallError('get_domain_state', -rc)
        gds = getattr(self.abi.module, 'xen_domctl_get_domain_state', None)
        at = abi.off(gds, 'caps') if gds else 2  # a stable layout: caps at +2
        return struct.unpack_from('<H', b, p + at)[0]

    def set_virq_handler(self, domid, virq=VIRQ_DOM_EXC):
        """XEN_DOMCTL_set_virq_handler: Xen sends the global `virq` to
        `domid` from now on (a control-domain operation; Xen 4.21+ answers
        EBUSY while the current handler has it bound)."""
        self._fill_domctl(self.domctl_version or 0, DOMCTL_set_virq_handler, domid)
        struct.pack_into('<I', self._domctl, self.abi.DOMCTL_PAYLOAD, virq)
        self._domctl_call('set_virq_handler')

    # --- demo domains ---------------------------------------------------------
    def any_domid(self):
        """The domid createdomain takes as "pick one" on this release."""
        return DOMID_ANY if self.version()[:2] >= DOMID_ANY_SINCE else 0

    def create_empty_domain(self, max_mem_mib):
        """An empty, paused domain (PV on x86, the only kind Arm has there):
        no memory populated, no vCPU started; costs Xen ~50-70 KiB. Returns
        its domid. max_vcpus goes in createdomain itself (Xen >= 4.12 has
        no separate max_vcpus step); then only max_mem is set."""
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_createdomain, self.any_domid())
        lay = self.abi
        b, p, cd = self._domctl, lay.DOMCTL_PAYLOAD, lay.CD
        struct.pack_into('<I', b, p + cd['ssidref'], 0)
        struct.pack_into('<I', b, p + cd['flags'], lay.CDF_EMPTY)
        struct.pack_into('<I', b, p + cd['max_vcpus'], 1)
        struct.pack_into('<I', b, p + cd['max_evtchn_port'], 1)
        struct.pack_into('<i', b, p + cd['max_grant_frames'], 1)
        struct.pack_into('<i', b, p + cd['max_maptrack_frames'], 1)
        struct.pack_into('<I', b, p + cd['grant_opts'], 1)  # grant table v1
        # the fields past grant_opts (altp2m, vmtrace, cpupool, the arch
        # config) stay 0, as _fill_domctl left them: no altp2m, no vmtrace,
        # cpupool 0, no emulation on x86 PV, native GIC and no TEE on Arm
        self._domctl_call('createdomain')
        domid = struct.unpack_from('<H', b, lay.DOMCTL_DOMAIN)[0]
        try:
            self.set_max_mem(domid, max_mem_mib * 1024)
        except HypercallError:
            try:
                self.destroy_domain(domid)
            except HypercallError:
                pass
            raise
        return domid

    def pause_domain(self, domid):
        """XEN_DOMCTL_pausedomain: a domain cannot pause itself; the
        monitor does it for tests (the pause= option)."""
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_pausedomain, domid)
        self._domctl_call('pausedomain')

    def unpause_domain(self, domid):
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_unpausedomain, domid)
        self._domctl_call('unpausedomain')

    def set_max_mem(self, domid, kib):
        self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_max_mem, domid)
        struct.pack_into('<Q', self._domctl, self.abi.DOMCTL_PAYLOAD + self.abi.MM_MAX_MEMKB, kib)
        self._domctl_call('max_mem')

    def destroy_domain(self, domid):
        # Xen restarts a long destroy as a hypercall continuation itself;
        # EAGAIN/ERESTART reaching us just means "call again"
        for _ in range(1000):
            self._fill_domctl(self.domctl_version or 0, abi.DOMCTL_destroydomain, domid)
            try:
                self._domctl_call('destroydomain')
                return
            except HypercallError as e:
                if e.errno() not in (abi.EAGAIN, ERESTART):
                    raise
        raise HypercallError('destroydomain', abi.EAGAIN)
