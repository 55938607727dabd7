# SPDX-License-Identifier: MIT
# A fake of the image's `xen` C module, good enough for unit tests only
# (CPython and MicroPython). It keeps a list of fake domains and answers the
# same buffers the real hypercalls take. Offsets below are written out from
# Xen's public headers on purpose, not imported from monitor/stubmon/abi.py, so a
# mistake there shows up here as a failing test.
import struct

ARCH_RECORD = {'x86_64': 112, 'aarch64': 120}  # sizeof(xen_domctl_getdomaininfo)
RELEASES = {  # (major, minor): (sysctl, domctl) interface versions
    (4, 17): (0x15, 0x15),
    (4, 20): (0x15, 0x17),
    (4, 21): (0x16, 0x17),
    (4, 22): (0x16, 0x18),
}
# Release differences modelled (Xen's own tags, ../shared/xen/README.md):
# 4.21 adds XEN_DOMCTL_get_domain_state and refuses VIRQ_DOM_EXC to a
# domain that is not its handler (EBUSY); 4.22's createdomain takes the
# domid literally, DOMID_ANY asking for any.
DOMID_ANY = 0x7FF5
DOMID_INVALID = 0x7FF4
GET_DOMAIN_STATE = 90
SET_VIRQ_HANDLER = 66  # XEN_DOMCTL_set_virq_handler, payload uint32 virq
VIRQ_DOM_EXC = 3
# get_domain_state's caps (4.21): the dom0less `capabilities` of a domain
CAP_CONTROL, CAP_HARDWARE, CAP_XENSTORE = 1, 2, 4

platform = 'x86_64-pv'
arch = 'x86_64'
# the image's xen.cmdline_max (port-xen/modxen.c __getattr__): the most
# characters of a command line Xen passes on; 0: no known limit
cmdline_max = 0

# port-xen/modxen.h MODXEN_UNKNOWN_RECORD_ROOM: what C requires for one
# getdomaininfolist record of a sysctl version without a generated layout
UNKNOWN_RECORD_ROOM = 4096


class Exited(BaseException):
    """shutdown() / qemu_exit() ended the 'guest'. args: (how, code)."""


class Overrun(BaseException):
    """'Xen' was about to write past the Python object it was handed: in
    the image, memory corruption. A BaseException, so that no handler of
    the monitor's can swallow it. args: (what, bytes it needed, bytes there)."""


class FakeDomain:
    def __init__(
        self,
        domid,
        flags=0x10,
        tot_pages=0,
        max_pages=0,
        cpu_time=0,
        vcpus=1,
        ssidref=0,
        handle=None,
        cpupool=0,
        cpu_permille=0,
        caps=0,
    ):
        self.domid = domid
        self.flags = flags
        self.tot_pages = tot_pages
        self.max_pages = max_pages
        self.cpu_time = cpu_time
        self.vcpus = vcpus
        self.max_vcpu_id = vcpus - 1 if vcpus else 0xFFFFFFFF
        self.ssidref = ssidref
        self.handle = handle if handle is not None else bytes([domid & 0xFF] * 16)
        self.cpupool = cpupool
        self.cpu_permille = cpu_permille  # CPU time gained per ns of wall time, x1000
        self.caps = caps  # CAP_* as get_domain_state reports them (dom0: control + hardware)


class State:
    def __init__(self):
        self.version = (4, 20)
        self.extraversion = b'.4'
        self.sysctl_version, self.domctl_version = RELEASES[(4, 20)]
        self.flask_deny = False  # every call -EACCES, as a FLASK denial since XSA-499
        # bytes of each getdomaininfolist record Xen writes (None: this
        # arch's, ARCH_RECORD); a release past every layout may grow it
        self.record_size = None
        self.list_calls = []  # max_domains of each getdomaininfolist that reached Xen
        self.fail = {}  # operation name -> positive errno to return
        self.domains = {}
        self.rover = 1
        self.now = 1000000000  # ns since "boot"
        self.tick = 0  # ns the clock moves on each time_ns()
        self.early_wakes = 0  # sleep_until calls that return True half way
        self.storm_ns = 0  # >0: VIRQ_DOM_EXC pending again every storm_ns
        self.storm_wakes = 0
        self.watchdog_s = 0  # armed timeout, 0 = off
        self.watchdog_kicks = 0
        self.watchdog_at = []  # Xen time of the arming and of each kick
        self.cmdline = ''
        self.console = []
        self.console_have = ('xen',)  # channels this fake guest has
        self.console_now = ['xen']
        self.console_dropped = 0  # lines a full PV ring had no room for
        self.console_batching = False  # console_batch(True) until console_batch(False)
        self.console_writes = 0  # CONSOLEIO_write calls: one per batch, else per write
        self.buffers = []  # [(address, bytearray)]
        self.calls = []  # ('sysctl'|'domctl', cmd, version), first 64 only
        self.ncalls = 0  # all hypercalls (sysctl + domctl)
        self.created = []  # parsed createdomain payloads, first 8 only
        self.dom_exc_rc = 0  # the VIRQ_DOM_EXC bind's answer (-16: EBUSY, a 4.21+ domU)
        self.changed = set()  # 4.21+: domids get_domain_state(DOMID_INVALID) has to tell
        # A control domain without dom0 (4.21+): which domain this fake
        # guest is, whether it is privileged (control), the domain
        # XEN_DOMCTL_set_virq_handler named for VIRQ_DOM_EXC (None: Xen's
        # default, the hardware domain) and whether that handler has the
        # VIRQ bound (then set_virq_handler answers EBUSY)
        self.self_domid = 0
        self.privileged = True
        self.virq_handler = None
        self.handler_bound = False
        self.bind_calls = 0  # bind_dom_exc() calls
        self.repl_input = None  # repl(): None = no console input; else lines exec'd in ns
        self.repl_calls = 0
        self.repl_output = []  # repr() of each expression's value
        # XEN_SYSCTL_physinfo: a 2-CPU, 2.4 GHz host with 1 GiB (262144 pages)
        self.physinfo = {
            'threads_per_core': 1,
            'cores_per_socket': 2,
            'nr_cpus': 2,
            'max_cpu_id': 1,
            'nr_nodes': 1,
            'cpu_khz': 2400000,
            'capabilities': 3,
            'total_pages': 262144,
            'free_pages': 131072,
            'scrub_pages': 0,
            'outstanding_pages': 0,
        }
        # XEN_SYSCTL_getcpuinfo: each pCPU's busy share (per mille of wall
        # time) and idle ns so far; _advance() adds the idle time
        self.pcpu_busy = [250, 0]
        self.pcpu_idle = [0, 0]
        # Xen's console ring (XEN_SYSCTL_readconsole): small, so tests wrap it
        self.conring = bytearray(1024)
        self.conring_p = 0  # producer index (u32 in Xen; never wraps here)
        self.conring_c = 0  # oldest byte still held
        self.sleep_hook = None  # called with the state at each sleep_until (tests)
        self.sleeps = [0, 0, 0, 0]  # sleep_counts(): sleeps, blocks, events, early
        # (both capped: a 1000-domain test must fit MicroPython's heap)
        self.boot = (500000000, 510000000)  # boot_ns(): image entry, first console line
        self.raw_calls = 0  # list_raw() calls
        self.raw_layouts = []  # the layouts list_raw() was handed


st = State()


def reset(version=(4, 20), arch_name='x86_64', extraversion=b'.4', cmdline=''):
    """Fresh hypervisor with dom0 running. Returns the State to poke at."""
    global st, arch, platform
    st = State()
    st.version = version
    st.extraversion = extraversion
    st.sysctl_version, st.domctl_version = RELEASES[version]
    st.cmdline = cmdline
    arch = arch_name
    platform = arch_name + ('-pv' if arch_name == 'x86_64' else '')
    add_domain(
        0,
        flags=0x20,
        tot_pages=16384,
        max_pages=16384,
        cpu_time=1200000000,
        caps=CAP_CONTROL | CAP_HARDWARE,
    )
    return st


def control_domain(version=(4, 21), arch_name='aarch64', cmdline='', guests=2, xenstore=None):
    """Fresh hypervisor as a dom0less control domain sees it (no dom0):
    this domain d1 (capabilities CONTROL), `guests` plain domUs d2, d3 ...
    and, with `xenstore` a domid, that one a xenstore domain (Xen made it
    VIRQ_DOM_EXC's handler at boot). From 4.21 the boot-time bind of
    VIRQ_DOM_EXC failed with EBUSY (no handler, or the xenstore domain)."""
    reset(version=version, arch_name=arch_name, cmdline=cmdline)
    del st.domains[0]
    st.changed.discard(0)
    st.self_domid = 1
    add_domain(1, flags=0x20, tot_pages=8192, max_pages=8192, caps=CAP_CONTROL)
    for i in range(guests):
        add_domain(2 + i, flags=0x10, tot_pages=4096, max_pages=4096)
    if xenstore is not None:
        d = st.domains[xenstore]
        d.caps |= CAP_XENSTORE
        d.flags |= 0x80  # XEN_DOMINF_xs_domain
        st.virq_handler = xenstore
        st.handler_bound = True
    if version >= (4, 21):
        st.dom_exc_rc = -16
    return st


def add_domain(domid, **kw):
    d = FakeDomain(domid, **kw)
    st.domains[domid] = d
    if domid >= st.rover:
        st.rover = domid + 1
    changed(domid)
    return d


def changed(domid):
    """Xen 4.21+ marks a domain whose state changed (created, shut down,
    dying, gone) for get_domain_state; tests call it after changing flags."""
    if st.version >= (4, 21):
        st.changed.add(domid)


def has_dom_exc():
    return st.dom_exc_rc == 0


def dom_exc_rc():
    return st.dom_exc_rc


def bind_dom_exc():
    """The image's xen.bind_dom_exc(): bind VIRQ_DOM_EXC again. From 4.21
    it works once this domain is the handler; the bind marks every domain
    changed (Xen's domain_init_states)."""
    st.bind_calls += 1
    if st.dom_exc_rc == 0:
        return 0
    if st.version >= (4, 21) and st.virq_handler == st.self_domid:
        st.dom_exc_rc = 0
        st.handler_bound = True
        for domid in st.domains:
            st.changed.add(domid)
    return st.dom_exc_rc


def _advance(ns):
    if ns <= 0:
        return
    st.now += ns
    for i in range(len(st.pcpu_idle)):
        st.pcpu_idle[i] += ns * (1000 - st.pcpu_busy[i]) // 1000
    for d in st.domains.values():
        d.cpu_time += ns * d.cpu_permille // 1000


# --- the module API ---------------------------------------------------------
def cmdline():
    return st.cmdline


def console_channels():
    return '+'.join(st.console_now)


def console_use(names):
    wanted = names.split('+')
    if [n for n in wanted if n not in st.console_have]:
        return False
    st.console_now = wanted
    return True


def console_dropped():
    return st.console_dropped


def console_write(b):
    st.console.append(bytes(b))
    if not st.console_batching:
        st.console_writes += 1


def console_batch(on):
    # port-xen/console.c: a batch's lines leave in one write when it ends
    if st.console_batching and not on:
        st.console_writes += 1
    st.console_batching = bool(on)


def console_writes():
    return st.console_writes


def records_merge(stored, at, batch, n, size):
    """port-xen/modxen_records.c: copy n records of `size` bytes from
    batch over stored's from index `at`; the indices whose bytes differed.
    Every bound checked by division first, as C does."""
    if (
        at < 0
        or n < 0
        or size <= 0
        or n > len(batch) // size
        or at > len(stored) // size
        or n > len(stored) // size - at
    ):
        raise ValueError("records_merge: records past a buffer's end")
    out = []
    for i in range(n):
        a, b = (at + i) * size, i * size
        if stored[a : a + size] != batch[b : b + size]:
            stored[a : a + size] = batch[b : b + size]
            out.append(at + i)
    return out


def time_ns():
    t = st.now
    _advance(st.tick)
    return t


def cpu_ns():
    # the monitor's own vCPU runtime: dom0's CPU time in this fake
    return st.domains[0].cpu_time if 0 in st.domains else 0


def sleep_until(deadline, events=True):
    # port-xen/clock.c's counts: one sleep, one poll made; a wake by an event
    st.sleeps[0] += 1
    st.sleeps[1] += 1
    if st.sleep_hook:
        st.sleep_hook(st)
    if events and st.storm_ns and deadline > st.now + st.storm_ns:
        st.storm_wakes += 1  # a domain event every storm_ns: wakes at once
        _advance(st.storm_ns)
        st.sleeps[2] += 1
        return True
    if events and st.early_wakes > 0 and deadline > st.now:
        st.early_wakes -= 1
        _advance((deadline - st.now) // 2)
        st.sleeps[2] += 1
        return True
    _advance(deadline - st.now)
    return False


def sleep_counts():
    """(sleeps, blocks, events, early) since reset, as port-xen/clock.c counts."""
    return tuple(st.sleeps)


def watchdog(seconds=None):
    """Arm (seconds > 0), disarm (0) or kick (no argument) the watchdog."""
    if seconds is None:
        st.watchdog_kicks += 1
    else:
        st.watchdog_s = seconds
    st.watchdog_at.append(st.now)
    return -st.fail['watchdog'] if 'watchdog' in st.fail else 0


def addressof(buf):
    for addr, b in st.buffers:
        if b is buf:
            return addr
    addr = 0x100000 + 0x10000 * len(st.buffers)
    st.buffers.append((addr, buf))
    return addr


def _buffer_at(addr):
    for a, b in st.buffers:
        if a == addr:
            return b
    return None


def xen_version(cmd, buf=None):
    # the size checks of port-xen/modxen.c (its table holds every XENVER_*)
    if cmd == 0:
        if buf is not None:
            raise ValueError('xen_version(0) takes no buffer')
        return (st.version[0] << 16) | st.version[1]
    if cmd == 1:
        if buf is None:
            raise ValueError('xen_version(1) writes 16 bytes; no buffer given')
        if len(buf) < 16:
            raise ValueError('xen_version(1) writes 16 bytes; the buffer has %d' % len(buf))
        for i in range(16):
            buf[i] = 0
        e = st.extraversion[:15]
        for i in range(len(e)):  # no slice assignment at MicroPython's CORE level
            buf[i] = e[i]
        return 0
    return -38


def repl(ns):
    """The REPL (port-xen/repl.c): runs st.repl_input's lines in `ns` as if
    typed, keeping each expression's value in st.repl_output; False if
    there is no input. repl(None): whether there is input."""
    if ns is None:
        return st.repl_input is not None
    st.repl_calls += 1
    if st.repl_input is None:
        return False
    for line in st.repl_input:
        try:
            v = eval(line, ns)
            if v is not None:
                st.repl_output.append(repr(v))
        except SyntaxError:
            exec(line, ns)
    return True


def shutdown(reason):
    raise Exited('shutdown', reason)


def qemu_exit(code):
    raise Exited('qemu_exit', code)


def _record(buf, off, d, size=None):
    size = size or ARCH_RECORD[arch]
    if off + size > len(buf):
        raise Overrun('getdomaininfo record', off + size, len(buf))
    for i in range(off, off + size):
        buf[i] = 0
    struct.pack_into('<HHI', buf, off, d.domid, 0, d.flags)
    struct.pack_into('<QQ', buf, off + 8, d.tot_pages, d.max_pages)
    struct.pack_into('<Q', buf, off + 56, d.cpu_time)
    struct.pack_into('<III', buf, off + 64, d.vcpus, d.max_vcpu_id, d.ssidref)
    for i in range(16):
        buf[off + 76 + i] = d.handle[i]
    struct.pack_into('<I', buf, off + 92, d.cpupool)


def _count(call):
    st.ncalls += 1
    if len(st.calls) < 64:
        st.calls.append(call)


def _c_record_size(version):
    """The record size the image's C knows for a sysctl interface version:
    its table is generated from the same layouts (xenabi_sizes.h, and
    RECORD_SIZE in the index abi.py reads); 0 when no layout gives one."""
    try:
        sizes = getattr(__import__('xenabi_' + arch), 'RECORD_SIZE', None) or {}
    except ImportError:
        sizes = {}
    return sizes.get(version, 0)


def _gdil_check(who, version, records, room):
    # port-xen/modxen.c modxen_gdil_check: what C refuses before Xen writes
    size = _c_record_size(version)
    if not size:
        if records > 1:
            raise ValueError(
                '%s: getdomaininfolist of %d records: sysctl interface 0x%x has no '
                'generated layout, its record size is unknown (one record per call)'
                % (who, records, version)
            )
        if records and room < UNKNOWN_RECORD_ROOM:
            raise ValueError(
                '%s: one getdomaininfolist record of unknown size needs %d bytes; '
                'the buffer has %d' % (who, UNKNOWN_RECORD_ROOM, room)
            )
        return 0
    if records > room // size:
        raise ValueError(
            '%s: getdomaininfolist of %d records of %d bytes; the buffer has %d'
            % (who, records, size, room)
        )
    return size


def sysctl(buf, records=None):
    """port-xen/modxen.c: buf a whole xen_sysctl; for getdomaininfolist
    the records buffer is an object whose guest handle C fills in, once
    max_domains records of the version's size fit it."""
    if len(buf) != 136:
        return -14
    cmd, version = struct.unpack_from('<II', buf, 0)
    if cmd == 6:
        maxn = struct.unpack_from('<I', buf, 12)[0]
        if records is None and maxn:
            raise ValueError(
                'sysctl: getdomaininfolist of %d records needs its records buffer: '
                'sysctl(buf, records)' % maxn
            )
        _gdil_check('sysctl', version, maxn, len(records) if records is not None else 0)
        struct.pack_into('<Q', buf, 16, addressof(records) if records is not None else 0)
    elif records is not None:
        raise ValueError('sysctl: a records buffer goes with getdomaininfolist only')
    _count(('sysctl', cmd, version))
    if st.flask_deny or version != st.sysctl_version:
        return -13
    if cmd == 3:
        return _physinfo(buf)
    if cmd == 8:
        return _getcpuinfo(buf)
    if cmd == 1:
        return _readconsole(buf)
    if cmd != 6:
        return -38
    if 'getdomaininfolist' in st.fail:
        return -st.fail['getdomaininfolist']
    first = struct.unpack_from('<H', buf, 8)[0]
    maxn = struct.unpack_from('<I', buf, 12)[0]
    addr = struct.unpack_from('<Q', buf, 16)[0]
    size = st.record_size or ARCH_RECORD[arch]  # Xen's record, whatever C was told
    out = _buffer_at(addr) if maxn else None
    if maxn and out is None:
        return -14
    if len(st.list_calls) < 64:
        st.list_calls.append(maxn)
    n = 0
    for domid in sorted(st.domains):
        if n >= maxn:
            break
        if domid >= first:
            _record(out, n * size, st.domains[domid], size)  # Overrun past `out`
            n += 1
    struct.pack_into('<I', buf, 24, n)
    return 0


def list_raw(sysctl_buf, records, layout):
    """port-xen/modxen_bench.c: every domain by getdomaininfolist batches,
    from the sysctl buffer as handed in, with first_domain, max_domains
    and the records handle set from `layout`; nothing decoded. Returns
    (domains, ns); OSError(errno) on a refusal. The fake takes 1 us."""
    off_first, off_max, off_num, off_buf, batch, rsize, off_dom, end = layout
    # port-xen/modxen_bench.c's checks: the generated offsets, and what Xen
    # writes for the sysctl's interface version fits `records`
    for i, (v, lo, hi) in enumerate(
        (
            (off_first, 8, 8),
            (off_max, 12, 12),
            (off_num, 24, 24),
            (off_buf, 16, 16),
            (batch, 1, 4096),
            (rsize, 2, 4096),
            (off_dom, 0, rsize - 2),
            (end, 1, 0xFFFF),
        )
    ):
        if not lo <= v <= hi:
            raise ValueError('list_raw: layout[%d] = %d out of range' % (i, v))
    cmd, version = struct.unpack_from('<II', sysctl_buf, 0)
    if cmd != 6:
        raise ValueError('list_raw: the sysctl is not a getdomaininfolist')
    known = _gdil_check('list_raw', version, batch, len(records))
    if known and rsize != known:
        raise ValueError(
            'list_raw: record size %d is not the generated layout\'s %d' % (rsize, known)
        )
    st.raw_calls += 1
    st.raw_layouts.append(tuple(layout))
    template = bytes(sysctl_buf)
    first = 0
    total = 0
    while first < end:
        for i in range(len(template)):  # no slice assignment at the CORE level
            sysctl_buf[i] = template[i]
        struct.pack_into('<H', sysctl_buf, off_first, first)
        struct.pack_into('<I', sysctl_buf, off_max, batch)
        rc = sysctl(sysctl_buf, records)
        if rc < 0:
            raise OSError(-rc)
        n = min(struct.unpack_from('<I', sysctl_buf, off_num)[0], batch)
        total += n
        if n < batch:
            break
        last = struct.unpack_from('<H', records, (n - 1) * rsize + off_dom)[0]
        if last + 1 <= first:
            break
        first = last + 1
    return total, 1000


def boot_ns():
    return st.boot


def xen_log(text):
    """Xen prints: text (bytes or str) goes into the console ring, the
    oldest bytes overwritten when it is full (console.c's conring_puts)."""
    if isinstance(text, str):
        text = text.encode()
    size = len(st.conring)
    for b in text:
        st.conring[st.conring_p % size] = b
        st.conring_p += 1
    if st.conring_p - st.conring_c > size:
        st.conring_c = st.conring_p - size


def _readconsole(buf):
    # struct xen_sysctl_readconsole at u (8): clear u8, incremental u8,
    # pad, index u32 @12, buffer handle @16, count u32 @24 (IN size, OUT
    # bytes). As read_console_ring(): an incremental index inside the held
    # bytes is where the read starts, any other the oldest byte held
    if 'readconsole' in st.fail:
        return -st.fail['readconsole']
    incremental = buf[9]
    index = struct.unpack_from('<I', buf, 12)[0]
    out = _buffer_at(struct.unpack_from('<Q', buf, 16)[0])
    maxn = struct.unpack_from('<I', buf, 24)[0]
    if out is None or len(out) < maxn:
        return -14
    c, p, size = st.conring_c, st.conring_p, len(st.conring)
    if incremental and c < index <= p:
        c = index
    n = 0
    while c < p and n < maxn:
        out[n] = st.conring[c % size]
        n += 1
        c += 1
    struct.pack_into('<I', buf, 12, c & 0xFFFFFFFF)
    struct.pack_into('<I', buf, 24, n)
    return 0


def _getcpuinfo(buf):
    # struct xen_sysctl_getcpuinfo at u: max_cpus u32 @8, info handle @16,
    # nr_cpus u32 @24; each xen_sysctl_cpuinfo one u64 idletime
    if 'getcpuinfo' in st.fail:
        return -st.fail['getcpuinfo']
    maxn = struct.unpack_from('<I', buf, 8)[0]
    out = _buffer_at(struct.unpack_from('<Q', buf, 16)[0])
    n = min(maxn, len(st.pcpu_idle))
    if out is None or len(out) < n * 8:
        return -14
    for i in range(n):
        struct.pack_into('<Q', out, i * 8, st.pcpu_idle[i])
    struct.pack_into('<I', buf, 24, n)
    return 0


def _physinfo(buf):
    # struct xen_sysctl_physinfo at u (offset 8), from sysctl.h (4.17 = 4.20)
    if 'physinfo' in st.fail:
        return -st.fail['physinfo']
    pi = st.physinfo
    for i in range(8, len(buf)):
        buf[i] = 0
    struct.pack_into(
        '<IIIIIIII',
        buf,
        8,
        pi['threads_per_core'],
        pi['cores_per_socket'],
        pi['nr_cpus'],
        pi['max_cpu_id'],
        pi['nr_nodes'],
        pi['nr_nodes'] - 1,
        pi['cpu_khz'],
        pi['capabilities'],
    )
    struct.pack_into(
        '<QQQQ',
        buf,
        8 + 40,
        pi['total_pages'],
        pi['free_pages'],
        pi['scrub_pages'],
        pi['outstanding_pages'],
    )
    return 0


def _createdomain(buf):
    p = 16
    cfg = {}
    (cfg['ssidref'],) = struct.unpack_from('<I', buf, p)
    cfg['flags'], cfg['iommu_opts'], cfg['max_vcpus'], cfg['max_evtchn_port'] = struct.unpack_from(
        '<IIII', buf, p + 20
    )
    cfg['max_grant_frames'], cfg['max_maptrack_frames'] = struct.unpack_from('<ii', buf, p + 36)
    (cfg['grant_opts'],) = struct.unpack_from('<I', buf, p + 44)
    tail = p + 48  # 4.17: vmtrace, cpupool, arch; 4.20: altp2m_opts first
    cfg['tail'] = bytes(buf[tail:144])
    if len(st.created) < 8:
        st.created.append(cfg)
    want_flags = 0 if arch == 'x86_64' else 3
    if (
        cfg['flags'] != want_flags
        or not 1 <= cfg['max_vcpus'] <= 128
        or cfg['grant_opts'] & 0xF not in (1, 2)
        or cfg['max_grant_frames'] == 0
        or cfg['tail'] != bytes(len(cfg['tail']))
    ):
        return -22
    domid = struct.unpack_from('<H', buf, 8)[0]
    # up to 4.21 0 means "any"; from 4.22 DOMID_ANY does, 0 is dom0 (EEXIST)
    if domid == (DOMID_ANY if st.version >= (4, 22) else 0):
        domid = st.rover
    elif domid >= 0x7FF0:
        return -22
    if domid in st.domains:
        return -17
    add_domain(domid, flags=0x8, vcpus=0)  # paused, no vCPUs, no memory
    struct.pack_into('<H', buf, 8, domid)
    return 0


def _getvcpuinfo(buf, d):
    # struct xen_domctl_getvcpuinfo at u (16): vcpu u32, online/blocked/
    # running u8 @+4..6, cpu_time u64 @+8, cpu u32 @+16. vCPU 0 carries the
    # domain's CPU time; vCPU i sits on pCPU i % 2; past max_vcpu_id: EINVAL
    i = struct.unpack_from('<I', buf, 16)[0]
    if d.vcpus == 0 or i > d.max_vcpu_id:
        return -22
    for k in range(20, 40):
        buf[k] = 0
    online = 1 if i < d.vcpus else 0
    buf[20] = online
    buf[21] = 1 if online and d.flags & 0x10 else 0
    buf[22] = 1 if online and i == 0 and d.flags & 0x20 else 0
    struct.pack_into('<QI', buf, 24, d.cpu_time if i == 0 else 0, i % 2)
    return 0


def _get_domain_state(buf, version):
    # a stable domctl: interface_version 0; DOMID_INVALID is for the
    # VIRQ_DOM_EXC handler only and names the lowest changed domain
    if st.flask_deny or version != 0:
        return -13
    if 'get_domain_state' in st.fail:
        return -st.fail['get_domain_state']
    domid = struct.unpack_from('<H', buf, 8)[0]
    if domid == DOMID_INVALID:
        if st.dom_exc_rc != 0:
            return -13
        if not st.changed:
            return -2  # ENOENT
        domid = min(st.changed)
        st.changed.discard(domid)
        struct.pack_into('<H', buf, 8, domid)
    elif not st.privileged:
        return -1  # XSM_XS_PRIV: a control or xenstore domain only
    elif domid not in st.domains:
        return -3
    d = st.domains.get(domid)
    state = 0 if d is None else 1 | (2 if d.flags & 0x4 else 0) | (4 if d.flags & 0x1 else 0)
    for i in range(16, 32):
        buf[i] = 0
    struct.pack_into('<HHIQ', buf, 16, state, 0 if d is None else d.caps, 0, domid + 1000)
    return 0


def _set_virq_handler(buf):
    # Xen 4.21's set_global_virq_handler: a control-domain operation; EBUSY
    # while the current handler has the VIRQ bound; only global VIRQs
    if not st.privileged:
        return -1
    domid = struct.unpack_from('<H', buf, 8)[0]
    if domid not in st.domains:
        return -3
    if struct.unpack_from('<I', buf, 16)[0] != VIRQ_DOM_EXC:
        return -22
    if st.virq_handler == domid:
        return 0
    if st.handler_bound:
        return -16
    st.virq_handler = domid
    return 0


def domctl(buf):
    if len(buf) != 144:
        return -14
    cmd, version = struct.unpack_from('<II', buf, 0)
    _count(('domctl', cmd, version))
    if cmd == GET_DOMAIN_STATE and st.version >= (4, 21):
        return _get_domain_state(buf, version)
    if st.flask_deny or version != st.domctl_version:
        return -13
    names = {
        1: 'createdomain',
        2: 'destroydomain',
        3: 'pausedomain',
        4: 'unpausedomain',
        5: 'getdomaininfo',
        11: 'max_mem',
        14: 'getvcpuinfo',
        SET_VIRQ_HANDLER: 'set_virq_handler',
    }
    if cmd not in names:
        return -38
    if names[cmd] in st.fail:
        return -st.fail[names[cmd]]
    if cmd == 1:
        return _createdomain(buf)
    if cmd == SET_VIRQ_HANDLER:
        return _set_virq_handler(buf)
    domid = struct.unpack_from('<H', buf, 8)[0]
    d = st.domains.get(domid)
    if d is None:
        return -3
    if cmd == 14:
        return _getvcpuinfo(buf, d)
    if cmd == 5:
        _record(buf, 16, d)
    elif cmd == 11:
        kib = struct.unpack_from('<Q', buf, 16)[0]
        d.max_pages = kib >> 2
    elif cmd == 2:
        del st.domains[domid]
        changed(domid)
    elif cmd in (3, 4):
        if domid == 0:
            return -22  # Xen: a domain cannot pause itself
        if cmd == 3:
            d.flags |= 0x8
        else:
            d.flags &= ~0x8
    return 0
