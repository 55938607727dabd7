# SPDX-License-Identifier: MIT
# alert= rules: an ALERT line once when a rule starts to hold for a domain,
# once when it stops holding. Integer math only.
#
#   cpu>P     the domain's CPU(%) (the table's, since the previous poll) is
#             above P (P may have one decimal: cpu>12.5); checked at polls
#   mem>P     its memory is above P% of its own maximum (tot_pages over
#             max_pages; never for an unlimited maximum); checked at polls
#   crashed   its state is crashed (shut down with reason crash); checked
#             at every listing, so it fires as the crash event comes
#   gone:N    a domain that was listed is missing from N polls in a row
#             (0: from the first listing that misses it). It clears when it
#             comes back: a domain with the same UUID (xl's reboot makes a
#             new domain ID with the same UUID), or, for a domain without a
#             UUID (all zeros: dom0, dom0less, demo domains), the same ID.
#
#   stuck:N   (issue 14) a domain neither paused, shut down nor dying whose
#             CPU time did not advance at all for N polls in a row: hung
#             in a wait, or starved of a pCPU; checked at polls
#   hostmem<P the host's free memory is under P % of its total (host-wide:
#             `host` in the line, "domain":null in JSON); at polls
#   pcpu>P    a physical CPU was busier than P % since the previous poll
#             (getcpuinfo; host-wide, one alert per pCPU); at polls
#   log:TEXT  a line of Xen's own log contains TEXT (xenlog.py): fires once
#             per matching line, never clears; read at polls
#
# A cpu, mem, stuck or crashed alert of a domain that goes away clears ("gone").
#
#   stubmon ALERT 3.251s: domain 2 crashed firing (state ---sc-)
#   stubmon ALERT 5.310s: domain 2 crashed cleared (gone)
from . import events
from . import record
from . import table

MAX_RULES = 16
DOMAIN_KINDS = ('cpu', 'mem', 'crashed', 'stuck')  # judged per domain in update()
HOST_KINDS = ('hostmem', 'pcpu')  # judged in update_host()
MAX_MISSING = 1024  # vanished domains remembered for gone:N


def _tenths(text):
    """'90' -> 900, '12.5' -> 125; None if not a number with at most one
    decimal."""
    whole, dot, frac = text.partition('.')
    if not whole.isdigit() or len(whole) > 6 or (dot and (len(frac) != 1 or not frac.isdigit())):
        return None
    return int(whole) * 10 + (int(frac) if frac else 0)


def parse_rule(text):
    """'cpu>90' -> ('cpu>90', 'cpu', 900); 'mem>95' -> (.., 'mem', 950);
    'crashed' -> (.., 'crashed', 0); 'gone:5' -> (.., 'gone', 5). None if bad."""
    if text == 'crashed':
        return (text, 'crashed', 0)
    for kind in ('cpu', 'mem'):
        if text.startswith(kind + '>'):
            v = _tenths(text[4:])
            if v is None or (kind == 'mem' and v > 1000):
                return None
            return (text, kind, v)
    for kind in ('gone', 'stuck'):
        if text.startswith(kind + ':'):
            n = text[len(kind) + 1 :]
            if not n.isdigit() or len(n) > 6 or (kind == 'stuck' and int(n) < 1):
                return None
            return (text, kind, int(n))
    for kind, sep in (('hostmem', '<'), ('pcpu', '>')):
        if text.startswith(kind + sep):
            v = _tenths(text[len(kind) + 1 :])
            if v is None or v > 1000:
                return None
            return (text, kind, v)
    if text.startswith('log:') and len(text) > 4:
        if [c for c in text if ord(c) < 32 or ord(c) > 126]:
            return None
        return (text, 'log', text[4:])
    return None


def parse_rules(value):
    """'cpu>90,crashed' -> [rules]; None if any part is bad."""
    rules = []
    for part in value.split(','):
        r = parse_rule(part)
        if r is None:
            return None
        rules.append(r)
    return rules


def rules_text(rules):
    return ','.join([r[0] for r in rules]) if rules else 'none'


def ident(d):
    """What gone:N recognises a domain by: its UUID, else its ID."""
    if d.handle == record.ZERO_HANDLE or d.handle == bytes(len(d.handle)):
        return d.domid
    return d.handle


def _pct(tenths):
    return table.tenths_text(tenths)


class Alerts:
    def __init__(self, rules):
        self.rules = rules
        self.firing = {}  # (rule text, domid or ident) -> True
        self.seen = None  # {ident: (domid, state name)} of the last listing
        self.missing = {}  # ident -> [domid, polls missed, state name, since]
        self.seq = 0  # orders self.missing: the oldest is forgotten first
        self.forgotten = 0  # vanished domains dropped to keep missing bounded
        self.said = []  # lines about the alerts themselves, for the caller
        self.still = {}  # stuck:N: domid -> [CPU time at the last poll, polls unchanged]

    def size(self):
        return (
            len(self.firing)
            + len(self.missing)
            + (len(self.seen) if self.seen else 0)
            + len(self.still)
        )

    def wants(self, kind):
        for r in self.rules:
            if r[1] == kind:
                return True
        return False

    def update(self, doms, poll):
        """doms: the domains listed now (already filtered by domains=);
        poll: True at a poll (cpu and mem rules, gone:N counting), False at
        an event listing (the records carry CPU % at a poll only).
        Returns [(domid, rule text, 'firing'|'cleared', detail)]."""
        out = []
        if not self.rules:
            return out
        present = {}
        for d in doms:
            present[d.domid] = d
        # per-domain rules
        if poll and self.wants('stuck'):
            self._stuck_counts(doms)
        for text, kind, arg in self.rules:
            if kind not in DOMAIN_KINDS:
                continue
            for d in doms:
                key = (text, d.domid)
                if kind == 'crashed':
                    holds = d.status == 'crashed'
                    detail = 'state ' + d.state
                elif not poll:
                    continue  # cpu and mem: judged at polls only
                elif kind == 'stuck':
                    polls = self.still[d.domid][1]
                    holds = polls >= arg and d.status in ('running', 'blocked')
                    detail = 'CPU time %ss, unchanged for %d poll%s, %s' % (
                        table.ns_to_seconds_text(d.cpu_time),
                        polls,
                        '' if polls == 1 else 's',
                        d.status,
                    )
                elif kind == 'cpu':
                    t = d.cpu_pct
                    if t is None:
                        continue  # no figure yet: keep what holds
                    holds = t > arg
                    detail = 'CPU %s%%' % _pct(t)
                else:
                    if record.max_pages_unlimited(d.max_pages) or not d.max_pages:
                        holds, t = False, None
                        detail = 'no memory limit'
                    else:
                        t = (d.tot_pages * 1000 + d.max_pages // 2) // d.max_pages
                        holds = d.tot_pages * 1000 > arg * d.max_pages
                        detail = 'mem %s%% of max' % _pct(t)
                if holds and key not in self.firing:
                    self.firing[key] = True
                    out.append((d.domid, text, 'firing', detail))
                elif not holds and key in self.firing:
                    del self.firing[key]
                    out.append((d.domid, text, 'cleared', detail))
        for key in sorted(
            [
                k
                for k in self.firing
                if isinstance(k[1], int) and k[1] not in present and not k[0].startswith('gone:')
            ]
        ):
            del self.firing[key]
            out.append((key[1], key[0], 'cleared', 'gone'))
        self._gone(doms, poll, out)
        return out

    def _stuck_counts(self, doms):
        """At a poll: how many polls in a row each domain's CPU time stood
        still (kept for the domains listed now only)."""
        old, now = self.still, {}
        for d in doms:
            was = old.get(d.domid)
            if was is not None and was[0] == d.cpu_time:
                now[d.domid] = [d.cpu_time, was[1] + 1]
            else:
                now[d.domid] = [d.cpu_time, 0]
        self.still = now

    def update_host(self, host):
        """At a poll, the host-wide rules (hostmem<P, pcpu>P) on host (a
        hypercalls.PhysInfo with busy/pcpus from getcpuinfo, or None).
        Returns [(None, rule text, status, detail)]."""
        out = []
        if host is None:
            return out
        for text, kind, arg in self.rules:
            if kind == 'hostmem':
                total, free = host.total_kib, host.free_kib
                if not total:
                    continue
                t = (free * 1000 + total // 2) // total
                self._judge(
                    out,
                    (text, 'host'),
                    free * 1000 < arg * total,
                    'free %s%% of %dk' % (_pct(t), total),
                    text,
                )
            elif kind == 'pcpu':
                for cpu, busy, _ in host.cpu_rows or ():
                    if busy is not None:
                        self._judge(
                            out,
                            (text, 'pcpu%d' % cpu),
                            busy > arg,
                            'pCPU %d busy %s%%' % (cpu, _pct(busy)),
                            text,
                        )
        return out

    def _judge(self, out, key, holds, detail, text):
        if holds and key not in self.firing:
            self.firing[key] = True
            out.append((None, text, 'firing', detail))
        elif not holds and key in self.firing:
            del self.firing[key]
            out.append((None, text, 'cleared', detail))

    def log_lines(self, lines):
        """log:TEXT on Xen's new log lines: one firing per matching line."""
        out = []
        for text, kind, arg in self.rules:
            if kind == 'log':
                for line in lines:
                    if arg in line:
                        out.append((None, text, 'firing', line[:160]))
        return out

    def _gone(self, doms, poll, out):
        gone_rules = [r for r in self.rules if r[1] == 'gone']
        if not gone_rules:
            return
        now = {}
        for d in doms:
            now[ident(d)] = (d.domid, d.status)
        old = self.seen
        self.seen = now
        if old is not None:
            for i in old:
                if i not in now and i not in self.missing:
                    self.seq += 1
                    self.missing[i] = [old[i][0], 0, old[i][1], self.seq]
            self._bound()
        missing = self.missing
        for i in sorted(missing, key=lambda k: missing[k][0]):  # in domain ID order
            domid, missed, was = missing[i][:3]
            if i in now:  # back
                del self.missing[i]
                for text, _, _ in gone_rules:
                    if (text, i) in self.firing:
                        del self.firing[(text, i)]
                        out.append((domid, text, 'cleared', 'back as domain %d' % now[i][0]))
                continue
            if poll:
                missed += 1
                self.missing[i][1] = missed
            for text, _, n in gone_rules:
                if missed >= n and (text, i) not in self.firing:
                    self.firing[(text, i)] = True
                    out.append(
                        (
                            domid,
                            text,
                            'firing',
                            'missing from %d poll%s, was %s'
                            % (missed, '' if missed == 1 else 's', was),
                        )
                    )

    def _bound(self):
        """At most MAX_MISSING vanished domains are remembered for gone:N;
        past that the oldest are forgotten, and said (the caller prints
        self.said), with their firing alerts."""
        over = len(self.missing) - MAX_MISSING
        if over <= 0:
            return
        oldest = sorted(self.missing, key=lambda k: self.missing[k][3])[:over]
        for i in oldest:
            del self.missing[i]
            for key in [k for k in self.firing if k[1] == i and k[0].startswith('gone:')]:
                del self.firing[key]
        self.forgotten += over
        self.said.append(
            'stubmon: alert gone: more than %d vanished domains; forgot the %d that '
            'vanished first (%d forgotten since start), their gone: alerts too'
            % (MAX_MISSING, over, self.forgotten)
        )


def alert_line(now_ns, domid, rule, status, detail):
    """domid None: a host-wide rule (hostmem<, pcpu>, log:)."""
    who = 'host' if domid is None else 'domain %d' % domid
    return 'stubmon ALERT %ss: %s %s %s (%s)' % (events.stamp(now_ns), who, rule, status, detail)
