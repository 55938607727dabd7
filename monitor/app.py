# stubmon's run: banner, options, interface probe, demo domains, then the
# poll loop on fixed deadlines. `xen` is the image's C module (or the unit
# tests' fake); `say` prints one line (print() reaches the Xen console).
import abi
import alerts
import events
import guest
import hypervisor as hv
import jsonout
import options
import table
from cpuload import CpuLoad

MAX_EARLY_WAKES = 1000   # domain events per interval before we stop waiting


def fatal_line(e):
    if isinstance(e, hv.HypercallError):
        return hv.explain(e) + ' [fatal]'
    text = str(e)
    if text:
        return 'stubmon: fatal error: %s: %s' % (type(e).__name__, text)
    return 'stubmon: fatal error: %s' % type(e).__name__


class Reporter:
    """Say an error once, not on every poll while it lasts; say when the
    operation works again so a later recurrence is reported anew."""

    def __init__(self, say):
        self.say = say
        self.active = {}   # operation -> line said

    def failed(self, what, err):
        line = hv.explain(err)
        if self.active.get(what) != line:
            self.say(line)
            self.active[what] = line

    def ok(self, what):
        if what in self.active:
            del self.active[what]
            self.say('stubmon: %s works again' % what)


class Monitor:
    def __init__(self, xen, say=print):
        self.xen = xen
        self.say = say
        self.opts = options.Options()   # defaults until the command line is read
        self.hyp = None
        self.demo_ids = []
        self.errors = Reporter(say)
        self.cpu = CpuLoad()
        self.events = events.Tracker()
        self.alerts = alerts.Alerts([])
        self.host = None            # the last physinfo (hypervisor.PhysInfo)
        self.physinfo_denied = False   # refused for good: not asked again

    def run(self):
        xen, say = self.xen, self.say
        self.hyp = hv.Hypervisor(xen)
        self.version = self.hyp.version_text()
        say('stubmon: %s on xen %s' % (xen.platform, self.version))
        self.opts, msgs = options.parse(xen.cmdline())
        for m in msgs:
            say(m)
        self.alerts = alerts.Alerts(self.opts.alerts)
        self.choose_console()
        if self.opts.role == 'guest':
            guest.run(xen, self.opts, say)   # ends the domain itself
            return
        for m in self.hyp.probe():
            say(m)
        say('stubmon: interfaces ' + self.hyp.interfaces_text())
        say('stubmon: ' + self.hyp.layouts_text())   # which generated layouts
        if self.opts.demo:
            self.create_demo()
        if self.opts.repl:
            self.repl()
        else:
            self.loop()
        if self.demo_ids and self.opts.demo_keep:
            self.destroy_demo()   # count ran out before demo_keep

    def choose_console(self):
        """Apply console= and say once where the output goes."""
        xen, want = self.xen, self.opts.console
        if want != 'auto' and not xen.console_use(want):
            self.say("stubmon: console '%s' is not available here; using %s"
                     % (want, xen.console_channels()))
        self.say('stubmon: console %s' % xen.console_channels())

    # --- demo domains ---------------------------------------------------------
    def create_demo(self):
        n, mib = self.opts.demo, self.opts.demo_mem
        for _ in range(n):
            try:
                self.demo_ids.append(self.hyp.create_empty_domain(mib))
            except hv.HypercallError as e:
                self.say(hv.explain(e))
                break
        ids = self.demo_ids
        if ids:
            self.say('stubmon: demo created %d of %d domains, ids %d..%d, paused, '
                     'max memory %d MiB each' % (len(ids), n, ids[0], ids[-1], mib))
        else:
            self.say('stubmon: demo created 0 of %d domains' % n)

    def destroy_demo(self):
        gone = 0
        for domid in self.demo_ids:
            try:
                self.hyp.destroy_domain(domid)
                gone += 1
            except hv.HypercallError as e:
                self.errors.failed('destroydomain', e)
        self.say('stubmon: demo destroyed %d domains' % gone)
        self.demo_ids = []

    # --- polling --------------------------------------------------------------
    def physinfo(self):
        """The host's figures, or None. A refusal (EPERM: not privileged;
        EACCES: FLASK) is said once and not asked again: under FLASK every
        refused call would log an avc denial."""
        if self.physinfo_denied:
            return None
        try:
            self.host = self.hyp.physinfo()
            self.errors.ok('physinfo')
        except hv.HypercallError as e:
            self.errors.failed('physinfo', e)
            self.host = None
            if e.errno() in (abi.EPERM, abi.EACCES):
                self.physinfo_denied = True
        return self.host

    def shown(self, doms):
        """domains=: the domains the rows, events and alerts are about."""
        r = self.opts.domains
        if r is None:
            return doms
        return [d for d in doms if options.wanted(r, d.domid)]

    def report_changes(self, doms, now, poll, cpu=None):
        """Event and alert lines for this listing (doms already filtered)."""
        fmt = self.opts.format
        lines = self.events.update(doms, now)
        if fmt != 'json':
            for line in lines:
                self.say(line)
        if fmt != 'table':
            for domid, was, state in self.events.changes:
                self.say(jsonout.event_line(now, domid, was, state))
        for domid, rule, status, detail in self.alerts.update(doms, poll, cpu):
            if fmt != 'json':
                self.say(alerts.alert_line(now, domid, rule, status, detail))
            if fmt != 'table':
                self.say(jsonout.alert_line(now, domid, rule, status, detail))

    def say_pieces(self, pieces):
        """One line given in pieces: print()ed piece by piece on the image
        (the console buffers to the newline), joined for any other say."""
        if self.say is print:
            for p in pieces:
                print(p, end='')
            print()
        else:
            self.say(''.join(pieces))

    def poll(self, n):
        now = self.xen.time_ns()
        fmt = self.opts.format
        host = self.physinfo()
        try:
            every = self.hyp.list_domains()
            self.errors.ok('getdomaininfolist')
        except hv.HypercallError as e:
            self.errors.failed('getdomaininfolist', e)
            # not privileged (a plain domU): what it may report, no table
            if fmt != 'json':
                for line in table.format_unlisted(n, self.version, now, e.errno_name(),
                                                  self.xen.cpu_ns()):
                    self.say(line)
            if fmt != 'table':
                self.say(jsonout.unlisted_line(n, self.version, now, e.errno_name(),
                                               self.xen.cpu_ns(), host))
            every = None
        if every is not None:
            doms = table.in_id_order(self.shown(every))
            cpu = self.cpu.update(doms, now)
            self.report_changes(doms, now, True, cpu)
            if fmt != 'json':
                for line in table.format_poll(n, self.version, now, doms, cpu, host, every):
                    self.say(line)
            if fmt != 'table':
                self.say_pieces(jsonout.poll_parts(n, self.version, now, doms, cpu, host, every))
        if self.opts.stats:
            # what `make bench` reads: when, how long the poll took, and the
            # CPU time this monitor has used so far (its own vCPU runstate)
            self.say('stubmon: stats poll=%d now_us=%d poll_us=%d cpu_us=%d'
                     % (n, now // 1000, (self.xen.time_ns() - now) // 1000, self.xen.cpu_ns() // 1000))

    def loop(self):
        xen, opts = self.xen, self.opts
        step = opts.interval_ms * 1000000
        deadline = xen.time_ns()
        n = 0
        while True:
            n += 1
            self.poll(n)
            if self.demo_ids and n == opts.demo_keep:
                self.destroy_demo()
            if opts.pause:
                self.pause_step(n)
            if opts.destroy and n == opts.destroy[1]:
                self.destroy_step(n)
            if opts.count and n >= opts.count:
                return
            # deadlines advance from the fixed start: no drift; after a
            # stall skip the missed ones instead of polling in a burst
            deadline += step
            now = xen.time_ns()
            if deadline <= now:
                deadline += ((now - deadline) // step + 1) * step
            self.sleep(deadline)

    def repl(self):
        """repl=1: one table, then MicroPython's REPL on the console in
        place of the poll loop (nothing polls while it waits for input);
        Ctrl-D on an empty line leaves it and the run ends as exit= says."""
        import stubmon
        if not self.xen.repl(None):
            self.say('stubmon: repl: this domain has no console input; polling instead')
            self.loop()
            return
        stubmon.use(self.hyp)
        self.poll(1)
        self.say('stubmon: repl: the poll loop is off; try stubmon.domains(), '
                 'stubmon.physinfo(), xen.time_ns(); Ctrl-D ends the run')
        ns = {'__name__': '__main__', 'xen': self.xen, 'stubmon': stubmon}
        self.xen.repl(ns)
        self.say('stubmon: repl: ended')

    def sleep(self, deadline):
        # An early wake (VIRQ_DOM_EXC: a domain changed state) means: list
        # the domains, say what changed, sleep on to the same deadline.
        # A False return is Xen's timer saying the deadline has come: trust
        # it over our own clock reading, or a small skew would make us spin.
        for _ in range(MAX_EARLY_WAKES):
            if not self.xen.sleep_until(deadline):
                return
            self.check_events()

    def check_events(self):
        """List the domains now and print the event lines (no table)."""
        now = self.xen.time_ns()
        try:
            doms = self.hyp.list_domains()
            self.errors.ok('getdomaininfolist')
        except hv.HypercallError as e:
            self.errors.failed('getdomaininfolist', e)
            return
        self.report_changes(self.shown(doms), now, False)

    def destroy_step(self, n):
        """destroy=ID:P test option: destroy that domain after poll P (a
        crashed dom0less domU has no toolstack to do it), then list."""
        domid = self.opts.destroy[0]
        try:
            self.hyp.destroy_domain(domid)
        except hv.HypercallError as e:
            self.say(hv.explain(e))
            return
        self.say('stubmon: destroyed %d after poll %d' % (domid, n))
        self.check_events()

    # --- pause= test option: a domain cannot pause itself -------------------
    def pause_step(self, n):
        domid, pause_after, unpause_after = self.opts.pause
        if n == pause_after:
            what, call = 'pausedomain', self.hyp.pause_domain
        elif n == unpause_after:
            what, call = 'unpausedomain', self.hyp.unpause_domain
        else:
            return
        try:
            call(domid)
        except hv.HypercallError as e:
            self.say(hv.explain(e))
            return
        self.say('stubmon: %s %d after poll %d' % (what[:-6] + 'd', domid, n))
        self.check_events()


def finish(xen, opts, ok):
    """Leave the way the command line asked; never returns on a real Xen."""
    if opts.exit == 'qemu':
        xen.qemu_exit(0 if ok else 1)
    else:
        xen.shutdown(abi.SHUTDOWN_poweroff if ok else abi.SHUTDOWN_crash)


def start(xen, say=print):
    m = Monitor(xen, say)
    try:
        m.run()
        ok = True
    except Exception as e:   # never die silently: one line naming it
        say(fatal_line(e))
        ok = False
    finish(xen, m.opts, ok)
