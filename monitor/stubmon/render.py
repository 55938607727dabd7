# SPDX-License-Identifier: MIT
# How a poll's snapshot, its events, alerts, Xen's log lines and errors
# become console lines: one renderer per format (the table, JSON), chosen
# once from format= (format=table+json: both, the table's line first).
# The poll collects (app.py, snapshot.Snapshot) and prints nothing; this
# is the only place that knows what each format prints.
from . import events
from . import table

# what marks a log line, and an alert fired on one, that Xen logged before
# this monitor started (JSON: "earlier": true)
EARLIER = '(logged before this monitor started) '


class Table:
    """The text lines: the table, `stubmon event`, `stubmon ALERT`,
    `stubmon xenlog:` (docs/table.md)."""

    def __init__(self, out, stamp=None):
        self.out = out
        self.stamp = stamp  # the test image's stamp of poll 1's first row (lines -> lines)

    def log_line(self, now, line, lost, earlier=False):
        self.out('stubmon xenlog: ' + (EARLIER + line if earlier else line))

    def alert(self, now, domid, rule, status, detail, earlier=False):
        from . import alerts  # loaded already: an alert fired

        if earlier:
            detail = EARLIER + detail
        self.out(alerts.alert_line(now, domid, rule, status, detail))

    def events(self, now, lines, moves, cap):
        out = self.out
        for i in range(cap):
            out(lines[i])

    def poll(self, snap):
        lines = table.format_poll(snap)
        if self.stamp:
            lines = self.stamp(lines)
        out = self.out
        for text in lines:
            out(text)

    def unlisted(self, snap):
        for line in table.format_unlisted(
            snap.n, snap.version, snap.now, snap.refused, snap.own_cpu_ns
        ):
            self.out(line)

    def error(self, now, where, text, errors):
        pass  # the text error line and its traceback are health.py's


class Json:
    """One JSON object per line (docs/json-schema.md, stubmon/2)."""

    def __init__(self, out, say_pieces):
        from . import jsonout  # only when format= asks for JSON

        self.j = jsonout
        self.out = out
        self.say_pieces = say_pieces  # a 1000-domain poll line goes out in pieces

    def log_line(self, now, line, lost, earlier=False):
        self.out(self.j.log_line(now, line, lost, earlier))

    def alert(self, now, domid, rule, status, detail, earlier=False):
        self.out(self.j.alert_line(now, domid, rule, status, detail, earlier))

    def events(self, now, lines, moves, cap):
        out = self.out
        for i in range(cap):
            domid, was, state = moves[i]
            out(self.j.event_line(now, domid, was, state))

    def poll(self, snap):
        self.say_pieces(self.j.poll_parts(snap))

    def unlisted(self, snap):
        self.out(
            self.j.unlisted_line(
                snap.n, snap.version, snap.now, snap.refused, snap.own_cpu_ns, snap.host
            )
        )

    def error(self, now, where, text, errors):
        self.out(self.j.error_line(now, where, text, errors))


class Output:
    """The renderers of format=, in the order their lines go out, and the
    one place a snapshot, an event batch, an alert or a log line is handed
    to each."""

    def __init__(self, fmt, out, say, say_pieces, stamp=None):
        self.renderers = []
        if fmt != 'json':
            self.renderers.append(Table(out, stamp))
        if fmt != 'table':
            self.renderers.append(Json(out, say_pieces))
        self.out, self.say = out, say

    def log(self, now, lines, lost, earlier=False):
        """earlier: Xen logged them before this monitor started."""
        for i in range(len(lines)):
            for r in self.renderers:
                r.log_line(now, lines[i], lost if i == 0 else 0, earlier)

    def alerts(self, now, fired, earlier=False):
        for domid, rule, status, detail in fired:
            for r in self.renderers:
                r.alert(now, domid, rule, status, detail, earlier)

    def events(self, now, lines, moves, cap):
        """The first cap of an event batch; the rest counted on one line (a
        mass change is held to the console's row budget like the table)."""
        for r in self.renderers:
            r.events(now, lines, moves, cap)
        if cap < len(moves):
            self.out(
                'stubmon: events: %d more domain changes at %ss not shown (the console '
                'carries about %d lines a poll; baud=0 shows every one)'
                % (len(moves) - cap, events.stamp(now), cap)
            )

    def error(self, now, where, text, errors):
        for r in self.renderers:
            r.error(now, where, text, errors)

    def snapshot(self, snap):
        """A poll as collected (snapshot.Snapshot), in the order a reader
        meets it: the notes said while collecting, Xen's new log lines,
        the host's alerts, the domains' events and alerts, then the poll."""
        say = self.say
        for line in snap.notes:
            say(line)
        self.log(snap.now, snap.log_lines, snap.log_lost)
        self.alerts(snap.now, snap.host_alerts)
        if snap.moves is not None:
            self.events(snap.now, snap.event_lines, snap.moves, snap.event_cap)
            self.alerts(snap.now, snap.domain_alerts)
            for line in snap.alert_notes:
                say(line)
        if snap.refused is not None:
            for r in self.renderers:
                r.unlisted(snap)
        elif snap.rows is not None:
            for r in self.renderers:
                r.poll(snap)
