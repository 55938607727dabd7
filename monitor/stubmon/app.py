# SPDX-License-Identifier: MIT
# stubmon's run: banner, options, interface probe, then the poll loop on
# fixed deadlines; each poll collects a snapshot (snapshot.py) and
# render.Output prints it in the formats format= chose. `xen` is the image's C module (or the unit
# tests' fake); `say` prints one line (print() reaches the Xen console).
import gc

from . import abi
from . import events
from . import features
from . import health
from . import hypercalls as hv
from . import listing
from . import loop
from . import options
from . import pcpus
from . import record
from . import render
from . import snapshot
from . import view

EVENT_LISTINGS = 8  # event listings per interval at most (a storm waits for the poll)
# xenlog=1: the bytes of Xen's lines from before the start shown at most,
# as said (marks included: about 4 lines): a domU's console ring holds
# 2 KiB and waits 200 ms at most for xenconsoled (console.c), and the
# start-up lines, a FLASK hint and poll 1's table follow at once (1 KiB
# of them once cost poll 1 two rows under TCG; said and counted, but lost)
BACKLOG_BYTES = 512
BACKLOG_ALERTS = 4  # alert=log: firings on those lines said at most; the rest counted


def next_deadline(start, step, want, now):
    """The first point of the grid start + k * step at or after `want` that
    is still ahead of `now`: after a stall (or a storm) the missed points
    are skipped, never polled in a burst, and the grid never drifts."""
    if want > now:
        return want
    return start + ((now - start) // step + 1) * step


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
        self.active = {}  # operation -> line said

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
    """One run: run() reads the options and sets up, loop() polls on the
    grid, poll() collects a snapshot and has it rendered (render.Output)."""

    def __init__(self, xen, say=print):
        self.xen = xen
        self.say = say
        self.opts = options.Options()  # defaults until the command line is read
        self.hyp = None
        self.test = None  # testopts.Hooks: test-only options given (test image)
        self.notes = None  # a snapshot's notes while a poll collects
        self.errors = Reporter(self.note)
        self.features = features.Features(self.errors)  # optional calls, dropped when refused
        self.figures = record.Figures()  # CPU % and MEM % of each poll's records
        # the polls' listing, kept from poll to poll (listing.py; records_merge: C)
        self.listing = listing.Listing(xen.records_merge)
        self.view = None  # view.View, once the options are read
        self.out = say  # says a poll's lines; quiet=1: nothing
        self.output = None  # render.Output of format=, once the options are read
        self.listed_between = False  # an event listing since the last poll
        self.events = events.Tracker()
        # alerts.Alerts while alert= gives rules, vcpus.VCpus with vcpus=1
        # (each vCPU's CPU time at the last poll): without them their
        # modules are never imported (nothing loads before the first row
        # that it does not need)
        self.alerts = None
        self.pcpus = pcpus.PCpus()  # each pCPU's idle time at the last poll (getcpuinfo)
        self.vcpus = None
        self.xenlog = None  # xenlog.XenLog while xenlog=1 or alert=log: read Xen's log
        self.health = health.Health(say)
        self.health.on_error = self.error_json
        self.waker = loop.Waker(xen, EVENT_LISTINGS, self.kick_now)
        self.due = 0  # the grid point of the poll (stats)
        self.kicks = 0  # watchdog kicks so far (stats)
        self.last_listings = 0  # event listings in the interval before a poll (stats)
        self.state_changes = False  # early wakes read the changed domains (get_domain_state)
        self.last_doms = None  # the last listing: what a changed domain's record updates

    def note(self, line):
        """Said now, or while a poll collects, with its snapshot."""
        if self.notes is not None:
            self.notes.append(line)
        else:
            self.say(line)

    # --- the run, in the order it goes ----------------------------------------
    def run(self):
        xen, say = self.xen, self.say
        self.hyp = hv.Hypervisor(xen)
        self.version = self.hyp.version_text()
        say('stubmon: %s on xen %s' % (xen.platform, self.version))
        line = xen.cmdline()
        self.opts, msgs = options.parse(line)
        self.test = self.opts.test
        for m in msgs:
            say(m)
        cut = options.cut_line(line, xen.cmdline_max)
        if cut:
            say(cut)
        if self.opts.alerts:
            from . import alerts

            self.alerts = alerts.Alerts(self.opts.alerts)
        if self.opts.vcpus:
            from . import vcpus

            self.vcpus = vcpus.VCpus()
        self.view = view.View(self.opts, self.note)
        if self.test and self.test.quiet:
            self.out = _discard
        stamp = (lambda lines: self.test.table_lines(self, lines)) if self.test else None
        self.output = render.Output(self.opts.format, self.out, say, self.say_pieces, stamp)
        self.choose_console()
        if self.opts.role == 'guest':
            from . import guest

            guest.run(xen, self.opts, say)  # ends the domain itself
            return
        # From here on nothing ends the run: each step that fails is said
        # and the polls report what they can (a failed probe: no listing).
        for what, step in (
            ('the interface probe', self.probe),
            ('saying the interfaces', self.say_interfaces),
            ('arming the watchdog', self.arm_watchdog),
            ('binding domain events', lambda: say(self.choose_events())),
            ("reading Xen's log", self.start_xenlog),
        ):
            try:
                step()
            except Exception as e:
                self.health.failed(what, e)
        if self.test:
            self.test.start(self)
        if self.opts.repl:
            self.repl()
        else:
            self.loop()
        if self.test:
            self.test.finish(self)

    def probe(self):
        """Probe the interface versions; say what the probe found."""
        say = self.say
        for m in self.hyp.probe():
            say(m)

    def say_interfaces(self):
        """What the probe confirmed (or not) and the generated layouts in force."""
        self.say('stubmon: interfaces ' + self.hyp.interfaces_text())
        self.say('stubmon: ' + self.hyp.layouts_text())

    def choose_console(self):
        """Apply console= and say once where the output goes."""
        xen, want = self.xen, self.opts.console
        if want != 'auto' and not xen.console_use(want):
            self.say(
                "stubmon: console '%s' is not available here; using %s"
                % (want, xen.console_channels())
            )
        self.say('stubmon: console %s' % xen.console_channels())

    def loop(self):
        """Poll on the fixed grid start + k * interval, for ever (or count=
        polls). An error in a poll is said, counted and the loop goes on;
        while polls keep failing they are spaced out (health.Health)."""
        xen, opts = self.xen, self.opts
        step = opts.interval_ms * 1000000
        start = xen.time_ns()
        deadline = start
        n = 0
        while True:
            n += 1
            self.due = deadline  # the grid point this poll belongs to (stats)
            self.last_listings = self.waker.new_interval()
            try:
                self.poll(n)
                if self.test:
                    self.batched(self.test.after_poll, self, n)
                self.health.ok('poll %d' % n)
                wait = 1
            except Exception as e:  # never stop watching (health.py)
                wait = self.health.failed('poll %d' % n, e)
            self.kick(xen.time_ns(), deadline)
            if opts.count and n >= opts.count:
                return
            deadline = next_deadline(start, step, deadline + wait * step, xen.time_ns())
            self.sleep(deadline, n)

    def poll(self, n):
        """One poll: collect a snapshot, then render it, its output batched
        into as few console writes as fit (xen.console_batch: all of it
        leaves before the sleep)."""
        if self.test:
            self.test.before_poll(self)  # make bench: outside the poll's poll_us
        self.batched(self.poll_once, n)

    def poll_once(self, n):
        snap = snapshot.Snapshot(n, self.version, self.xen.time_ns())
        if self.test:
            self.test.in_poll(self, n)
        self.collecting(snap, self.collect, snap)
        self.output.snapshot(snap)
        st = self.opts.stats
        # stats=3: polls 1, 2 and the last only, so that the lines between
        # (~200 bytes a poll) do not add to the idle CPU they measure
        if st and (st != 3 or n <= 2 or n == self.opts.count):
            self.say(self.stats_line(n, snap.now))
            if self.test:
                self.test.after_stats(self, n)

    def collecting(self, snap, step, *args):
        """step(*args) with what it says kept in the snapshot's notes; said
        at once if it fails (what went wrong before the failure)."""
        self.notes = snap.notes
        try:
            step(*args)
        except Exception:
            self.notes = None
            for line in snap.notes:
                self.say(line)
            del snap.notes[:]
            raise
        self.notes = None

    # --- collecting ---------------------------------------------------------
    def collect(self, snap):
        """Everything one poll shows, read from Xen: the host, Xen's new log
        lines, the alerts, the listing and what changed in it, the rows the
        view picks and (vcpus=1) their vCPUs. Prints nothing."""
        host = snap.host = self.read_host()
        log = self.read_log(snap)
        if self.alerts is not None:
            snap.host_alerts = self.alerts.update_host(host) + self.alerts.log_lines(log)
        fig = self.figures
        total = host.total_kib if host is not None else None
        fig.begin(snap.now, total)
        try:
            every = self.listing.update(self.hyp, fig, total)
            self.last_doms = every
            self.errors.ok('getdomaininfolist')
        except hv.HypercallError as e:
            self.errors.failed('getdomaininfolist', e)
            # not privileged (a plain domU): what it may report, no table
            snap.refused, snap.own_cpu_ns = e.errno_name(), self.xen.cpu_ns()
            return
        changed = self.listing.changed
        if self.opts.domains is None:
            shown = every
        else:
            shown, changed = self.shown(every), self.shown(changed)
        # the trackers compare only the changed records, unless an event
        # listing came between (it compared against another listing)
        whole = self.listed_between or self.opts.domains is not None
        self.listed_between = False
        self.collect_changes(snap, shown, True, None if whole else changed)
        snap.rows, snap.view_line, snap.seen = self.view.pick(shown, changed)
        snap.counts = self.listing.counts
        if self.opts.vcpus:
            now = self.xen.time_ns()  # when the vCPUs are read
            snap.vcpus = self.features.call(
                'getvcpuinfo', self.vcpus.read, self.hyp, snap.rows, now
            )

    def read_host(self):
        """physinfo, with getcpuinfo's busy % (and pcpus=1's rows) on it;
        None when refused or failed. Not asked without a confirmed sysctl
        interface: the probe has said why (a FLASK denial of every version
        looks like that), and a physinfo "refusal" would be made up."""
        if self.hyp.sysctl_version is None:
            return None
        host = self.features.call('physinfo', self.hyp.physinfo)
        if host is None:
            return None
        idle = self.features.call('getcpuinfo', self.hyp.cpu_idle, host.max_cpu_id + 1)
        if idle is not None:
            host.busy = self.pcpus.update(self.xen.time_ns(), idle)  # when they were read
            host.cpu_rows = self.pcpus.rows()
            if self.opts.pcpus:
                host.pcpus = host.cpu_rows
        return host

    def start_xenlog(self):
        """xenlog=1 or alert=log:: where Xen's log is now; only what comes
        after is read (said once, with what was there already)."""
        if not (self.opts.xenlog or (self.alerts is not None and self.alerts.wants('log'))):
            return
        from . import xenlog

        xl = xenlog.XenLog()
        got = self.features.call('readconsole', xl.start, self.hyp)
        if got is None:
            return  # said once; both features dropped
        self.xenlog = xl
        held, older = got
        # what Xen logged before this start (its boot; a restarted monitor:
        # what happened while it was down): alert=log: rules see it once,
        # xenlog=1 shows its last lines, both marked as older
        shown = backlog(older) if self.opts.xenlog else []
        self.say(
            "stubmon: xenlog: reading Xen's log from index %d on; of the %d bytes before "
            "it, %d lines were read for alert=log: and %d are shown marked as logged "
            "before this monitor started (the rest: xl dmesg)"
            % (xl.index, held, len(older), len(shown))
        )
        now = self.xen.time_ns()
        self.output.log(now, shown, 0, True)
        if self.alerts is not None:
            fired = self.alerts.log_lines(older)
            if len(fired) > BACKLOG_ALERTS:
                self.say(
                    'stubmon: alert: %d log: firings on lines logged before this monitor '
                    'started; the last %d follow' % (len(fired), BACKLOG_ALERTS)
                )
                fired = fired[-BACKLOG_ALERTS:]
            self.output.alerts(now, fired, True)

    def read_log(self, snap):
        """Xen's new log lines since the last poll, for alert=log: rules;
        into the snapshot too with xenlog=1."""
        xl = self.xenlog
        got = self.features.call('readconsole', xl.read, self.hyp) if xl is not None else None
        if got is None:
            return []
        lines, lost = got
        if lost:
            self.note(
                "stubmon: xenlog: %d bytes of Xen's log lost (%d since start): its ring "
                "wrapped before they were read" % (lost, xl.lost)
            )
        if self.opts.xenlog:
            snap.log_lines, snap.log_lost = lines, lost
        return lines

    def shown(self, doms):
        """domains=: the domains the rows, events and alerts are about."""
        r = self.opts.domains
        if r is None:
            return doms
        return [d for d in doms if options.wanted(r, d.domid)]

    def collect_changes(self, snap, doms, poll, changed=None):
        """The event lines and alerts of this listing (doms already
        filtered; changed: those of them that differ from the last
        listing, or None), into the snapshot."""
        snap.event_lines = self.events.update(doms, snap.now, changed)
        moves = snap.moves = self.events.changes
        # a mass change (1000 demo domains destroyed) is held to the
        # console's row budget like the table; the rest are counted
        cap = self.view.budget if self.view is not None else None
        snap.event_cap = len(moves) if cap is None or len(moves) <= cap else cap
        if self.alerts is not None:
            snap.domain_alerts = self.alerts.update(doms, poll)
            snap.alert_notes = list(self.alerts.said)
            del self.alerts.said[:]

    # --- events between polls -------------------------------------------------
    def choose_events(self):
        """How domain changes reach the monitor between polls, as one line:
        VIRQ_DOM_EXC wakes it and, where Xen has get_domain_state (4.21+),
        it reads which domains changed instead of listing them all; a bind
        Xen refused (4.21+: EBUSY, this domain is not the event's handler)
        leaves the changes to the polls."""
        xen, hyp = self.xen, self.hyp
        rc = xen.dom_exc_rc()
        if rc == -abi.EBUSY and hyp.has_domain_state():
            rc = self.take_dom_exc(rc)
        if rc < 0:
            name = abi.ERRNO_NAMES.get(-rc, 'errno %d' % -rc)
            why = (
                ' (from xen 4.21 only the domain Xen sends domain changes to may bind it)'
                if -rc == abi.EBUSY
                else ''
            )
            return (
                'stubmon: events: binding VIRQ_DOM_EXC failed: %s%s; domain changes are seen '
                'at the polls, no early wake' % (name, why)
            )
        if not hyp.has_domain_state():
            return (
                'stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain (xen %d.%d has '
                'no get_domain_state)' % hyp.version()[:2]
            )
        try:
            hyp.changed_domains()  # Xen marks every domain changed at the bind: start afresh
        except hv.HypercallError as e:
            return (
                'stubmon: events: VIRQ_DOM_EXC wakes a listing of every domain '
                '(get_domain_state refused: %s)' % e.errno_name()
            )
        self.state_changes = True
        return (
            'stubmon: events: VIRQ_DOM_EXC wakes a read of the domains that changed '
            '(get_domain_state), not a listing of all'
        )

    def take_dom_exc(self, rc):
        """Xen 4.21+ refused the VIRQ_DOM_EXC bind (EBUSY): this domain is
        not the event's handler. A control domain without dom0 (Arm
        dom0less `capabilities = <0x1>`, docs/control-domain.md) where no
        domain is the handler, neither a hardware domain (Xen's default) nor
        a xenstore domain (Xen names it at boot), makes itself the handler
        (XEN_DOMCTL_set_virq_handler) and binds again; said in one line.
        It never takes the event from a xenstore domain. Says nothing
        where it may not list the domains (a plain domU) or dom0 is there.
        Returns the bind's answer now (0 or -errno)."""
        hyp, say = self.hyp, self.say
        try:
            doms = hyp.list_domains()
        except hv.HypercallError:
            return rc  # not privileged: the polls say so
        ids = [d.domid for d in doms]
        if 0 in ids:
            return rc  # dom0, the hardware domain: Xen's default handler
        xs = [d.domid for d in doms if d.flags & hv.DOMINF_xs_domain]
        caps = {}
        if not xs:
            try:
                for domid in ids:
                    caps[domid] = hyp.domain_caps(domid)
            except hv.HypercallError as e:
                if e.errno() != abi.ESRCH:  # one gone meanwhile: not a refusal
                    say(
                        'stubmon: control domain: the domains\' capabilities cannot be read (%s); '
                        'VIRQ_DOM_EXC left as it is' % hv.explain(e)[9:]
                    )
                    return rc
            xs = [i for i in ids if caps.get(i, 0) & hv.CAP_XENSTORE]
        # a xenstore domain, else a hardware domain, is the event's handler
        hw = [i for i in ids if caps.get(i, 0) & hv.CAP_HARDWARE]
        for kind, holders in (('xenstore', xs), ('hardware', hw)):
            if holders:
                say(
                    'stubmon: control domain: domain %d is the %s domain, VIRQ_DOM_EXC\'s '
                    'handler: left to it' % (holders[0], kind)
                )
                return rc
        ctl = [i for i in ids if caps.get(i, 0) & hv.CAP_CONTROL]
        if len(ctl) != 1:
            say(
                'stubmon: control domain: %d domains have the control capability (%s): cannot '
                'tell which is this one; VIRQ_DOM_EXC left as it is'
                % (len(ctl), ', '.join([str(i) for i in ctl]))
            )
            return rc
        try:
            hyp.set_virq_handler(ctl[0], hv.VIRQ_DOM_EXC)
        except hv.HypercallError as e:
            say(
                'stubmon: control domain: making domain %d the handler of VIRQ_DOM_EXC failed: %s'
                % (ctl[0], hv.explain(e)[len('stubmon: set_virq_handler failed: ') :])
            )
            return rc
        rc = self.xen.bind_dom_exc()
        say(
            'stubmon: control domain: no dom0, no xenstore domain: made this domain (%d) the '
            'handler of VIRQ_DOM_EXC (XEN_DOMCTL_set_virq_handler)' % ctl[0]
        )
        return rc

    def sleep(self, deadline, n):
        """Sleep to the deadline (loop.Waker): a domain event wakes it
        early to list the domains and say what changed, at most
        EVENT_LISTINGS per interval, spaced out evenly."""
        gap = self.opts.interval_ms * 1000000 // EVENT_LISTINGS

        def storm():
            self.say(
                'stubmon: event storm after poll %d: %d event listings in this interval, '
                'the most allowed; later domain events wait for the next poll, which '
                'shows what they changed' % (n, EVENT_LISTINGS)
            )

        def listing():
            try:
                self.batched(self.check_events, True)
            except Exception as e:
                self.health.failed('event listing after poll %d' % n, e)

        self.waker.sleep(deadline, gap, listing, storm)

    def check_events(self, woken=False):
        """List the domains now and print the event lines (no table).
        woken: VIRQ_DOM_EXC woke us; with get_domain_state only the domains
        that changed are re-read (a pause= test step changes a domain
        without the event: it lists them all)."""
        snap = snapshot.Snapshot(0, self.version, self.xen.time_ns())
        self.collecting(snap, self.collect_events, snap, woken)
        self.output.snapshot(snap)

    def collect_events(self, snap, woken):
        doms = self.changed_listing() if woken and self.state_changes else None
        if doms is None:
            try:
                doms = self.hyp.list_domains()
                self.errors.ok('getdomaininfolist')
            except hv.HypercallError as e:
                self.errors.failed('getdomaininfolist', e)
                return
        self.last_doms = doms
        self.listed_between = True
        self.collect_changes(snap, self.shown(doms), False)

    def changed_listing(self):
        """The last listing with the changed domains re-read (a gone one
        left out), in domid order; None: list them all instead (no listing
        yet, too many changes, or get_domain_state failed: said once)."""
        if self.last_doms is None:
            return None
        hyp = self.hyp
        try:
            ids = hyp.changed_domains()
            self.errors.ok('get_domain_state')
        except hv.HypercallError as e:
            self.errors.failed('get_domain_state', e)
            return None
        if ids is None:
            return None
        cur = {}
        for d in self.last_doms:
            cur[d.domid] = d
        for domid in ids:
            try:
                cur[domid] = hyp.get_domain(domid)
            except hv.HypercallError as e:
                if e.errno() != abi.ESRCH:
                    self.errors.failed('getdomaininfo', e)
                    return None
                if domid in cur:
                    del cur[domid]  # gone
        return [cur[k] for k in sorted(cur)]

    # --- output ---------------------------------------------------------------
    def batched(self, step, *args):
        """step(*args) with its console output gathered into few
        hypercalls (xen.console_batch), all sent when it ends, however."""
        batch = self.xen.console_batch
        batch(True)
        try:
            step(*args)
        finally:
            batch(False)

    def say_pieces(self, pieces):
        """One line given in pieces: print()ed piece by piece on the image
        (the console buffers to the newline), joined for any other say."""
        if self.out is _discard:
            for p in pieces:
                pass
        elif self.out is print:
            for p in pieces:
                print(p, end='')
            print()
        else:
            self.out(''.join(pieces))

    def error_json(self, where, text):
        if self.output is not None:
            self.output.error(self.xen.time_ns(), where, text, self.health.errors)

    def stats_line(self, n, now):
        """What `make bench` and the soak read: when, how long the poll
        took, the CPU time this monitor has used so far (its own vCPU
        runstate), errors and console lines lost so far, event listings
        in the interval before this poll, the heap (stats=2: after a collection),
        how many domains the change trackers hold and the Xen console
        hypercalls made so far (writes: a poll's lines go in few); then
        what sleeping has cost so far (xen.sleep_counts: sleeps, blocks,
        wakes by a domain event, early wakes), the watchdog kicks and when
        the last one was (or the arming): what an idle monitor does between
        polls (docs/benchmarks.md)."""
        xen = self.xen
        poll_us = (xen.time_ns() - now) // 1000
        cpu_us = xen.cpu_ns() // 1000
        if self.opts.stats == 2:
            gc.collect()
        heap = gc.mem_alloc() if hasattr(gc, 'mem_alloc') else 0
        return (
            'stubmon: stats poll=%d now_us=%d due_us=%d poll_us=%d cpu_us=%d errors=%d '
            'dropped=%d listings=%d heap=%d tracked=%d writes=%d '
            'sleeps=%d blocks=%d wakes=%d early=%d kicks=%d kicked_us=%d'
            % (
                (
                    n,
                    now // 1000,
                    self.due // 1000,
                    poll_us,
                    cpu_us,
                    self.health.errors,
                    xen.console_dropped(),
                    self.last_listings,
                    heap,
                    self.tracked(),
                    xen.console_writes(),
                )
                + xen.sleep_counts()
                + (self.kicks, self.waker.kicked // 1000)
            )
            + (self.test.stats_tail() if self.test else '')
        )

    def tracked(self):
        """Entries in every table kept from poll to poll (bounded: the soak
        checks they do not grow)."""
        n = self.events.size() + self.figures.size()
        return (
            n
            + (0 if self.alerts is None else self.alerts.size())
            + (0 if self.vcpus is None else self.vcpus.size())
        )

    # --- Xen's watchdog -----------------------------------------------------
    def arm_watchdog(self):
        """watchdog=S: Xen shuts this domain down (reason watchdog, xl's
        `w`; the xl config's on_watchdog restarts it) if it is not kicked
        for S seconds: kicked after a poll once the next poll's end would
        be half of S from the last kick, and by then in a long sleep
        (loop.Waker.kick_due)."""
        s = self.opts.watchdog_seconds()
        if not s:
            self.say('stubmon: watchdog off (watchdog=0)')
            return
        rc = self.xen.watchdog(s)
        if rc < 0:
            self.say('%s; running without it' % hv.explain(hv.HypercallError('watchdog', -rc)))
            return
        self.waker.watchdog_ns = s * 1000000000  # the sleep wakes to kick it
        self.waker.kicked = self.xen.time_ns()  # Xen's timer runs from here
        # Xen shuts the domain down (reason watchdog) after s seconds unkicked
        self.say('stubmon: watchdog %d s' % s)

    def kick(self, now, due):
        """After the poll of grid point `due`: kick the watchdog if the next
        poll's end (an interval on, the poll taking as long again) would
        come too late for it (loop.Waker.kick_due; a long sleep wakes to
        kick it)."""
        self.waker.kick_due(now, self.opts.interval_ms * 1000000 + (now - due))

    def kick_now(self):
        self.xen.watchdog()
        self.kicks += 1

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
        try:
            self.poll(1)
        except Exception as e:
            self.health.failed('poll 1', e)
        self.say(
            'stubmon: repl: the poll loop is off; try stubmon.domains(), '
            'stubmon.physinfo(), xen.time_ns(); Ctrl-D ends the run'
        )
        ns = {'__name__': '__main__', 'xen': self.xen, 'stubmon': stubmon}
        self.xen.repl(ns)
        self.say('stubmon: repl: ended')


def backlog(older):
    """The last of Xen's lines from before the start that xenlog=1 shows:
    BACKLOG_BYTES of them at most, as said (marks included)."""
    room, n = BACKLOG_BYTES, 0
    for line in reversed(older):
        room -= len(line) + len(render.EARLIER) + len('stubmon xenlog: \n')
        if room < 0:
            break
        n += 1
    return older[len(older) - n :]


def _discard(line):
    pass


def start(xen, say=print):
    m = Monitor(xen, say)
    try:
        m.run()
        ok = True
    except Exception as e:  # before the first poll: nothing to report
        say(fatal_line(e))
        health.print_traceback(e, say)
        ok = False
    if m.test:
        m.test.leave(xen, ok)  # exit=qemu
    xen.shutdown(abi.SHUTDOWN_poweroff if ok else abi.SHUTDOWN_crash)
