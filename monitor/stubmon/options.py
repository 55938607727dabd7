# SPDX-License-Identifier: MIT
# Parse the kernel command line (what Xen or xl's `extra=` hands the image)
# into stubmon's options. Never raises on user input: every problem becomes
# one message line, the option keeps its previous value, parsing goes on.
# No floats anywhere (the image has none): interval is integer milliseconds.

# The test-only keys (docs/options.md#test-only-options): declared, parsed
# and acted on in testopts.py, which only the test image freezes
# (port-xen/variants/test). A production image refuses them in one line:
# there no command-line word creates, pauses or destroys a domain.
TEST_ONLY = ('demo', 'demo_keep', 'demo_mem', 'destroy', 'exit', 'fault', 'pause', 'quiet', 'raw')
MAX_MESSAGES = 8  # a garbage command line must not flood a 150 lines/s console

INTERVAL_MIN_MS = 100
INTERVAL_MAX_MS = 86400 * 1000  # a day; keeps deadlines far from overflow
# Console channels (port-xen/console.c); whether one exists here is only
# known at run time, by the image.
CONSOLE_CHANNELS = ('xen', 'ring', 'e9')
ROLES = ('monitor', 'guest')
# How a guest (role=guest) ends once its run time is up.
ENDS = ('stay', 'poweroff', 'reboot', 'crash')
DOMID_MAX = 0x7FEF  # below DOMID_FIRST_RESERVED
FORMATS = ('table', 'json', 'table+json')
# watchdog=S: Xen's domain watchdog timeout. Auto (no watchdog= given):
# WATCHDOG_INTERVALS intervals, at least WATCHDOG_MIN_S, so that one slow
# poll (1000 domains take seconds under emulation) never trips it.
WATCHDOG_MIN_S = 5
WATCHDOG_AUTO_MIN_S = 30
WATCHDOG_INTERVALS = 4
WATCHDOG_MAX_S = 7 * 86400
MAX_RANGES = 32  # domains=
# view= and sort= (view.py): which rows a poll prints, in which order.
VIEWS = ('auto', 'all', 'changes', 'top:N')
SORTS = ('id', 'cpu', 'mem')
TOP_MAX = 1000
BAUD_DEFAULT = 115200  # Xen's usual com1=115200,8n1
BAUD_MAX = 100000000


class Options:
    """The options in force: every OPTIONS attribute at its default until
    the command line sets it."""

    def __init__(self):
        for o in OPTIONS:
            if o.attr:
                v = o.default
                setattr(self, o.attr, list(v) if isinstance(v, list) else v)
        self.top = 0  # view=top:N: N
        self.test = None  # testopts.Hooks: the test-only options given (test image)

    def watchdog_seconds(self):
        """The watchdog timeout in force, whole seconds; 0 = off."""
        if self.watchdog_s is not None:
            return self.watchdog_s
        auto = (self.interval_ms * WATCHDOG_INTERVALS + 999) // 1000
        return max(auto, WATCHDOG_AUTO_MIN_S)


def seconds_text(ms):
    """3000 -> '3', 500 -> '0.5', 1250 -> '1.25' (integer math only)."""
    whole = str(ms // 1000)
    frac = ms % 1000
    if not frac:
        return whole
    digits = str(1000 + frac)[1:]  # zero-padded to 3
    while digits[-1] == '0':
        digits = digits[:-1]
    return whole + '.' + digits


def parse_seconds_ms(text):
    """'2' -> 2000, '0.5' -> 500; digits past milliseconds are dropped.
    None if not a plain non-negative decimal."""
    whole, dot, frac = text.partition('.')
    if whole == '' and frac == '':
        return None
    for part in (whole, frac):
        if part and not part.isdigit():
            return None
    if len(whole) > 9:  # far beyond the maximum anyway; keep ints small
        return None
    ms = int(whole or '0') * 1000
    frac = (frac + '000')[:3]
    return ms + int(frac)


def parse_int(text, lo, hi):
    if not text.isdigit() or len(text) > 9:
        return None
    v = int(text)
    if v < lo or v > hi:
        return None
    return v


def parse_ints(text, bounds):
    """'2:1:3' with bounds ((lo, hi), ...) -> (2, 1, 3): one whole number
    per bound, colon-separated, each within its bound. None if not."""
    parts = text.split(':')
    if len(parts) != len(bounds):
        return None
    out = []
    for part, (lo, hi) in zip(parts, bounds):
        v = parse_int(part, lo, hi)
        if v is None:
            return None
        out.append(v)
    return tuple(out)


def parse_ranges(text):
    """'0,3-7' -> [(0, 0), (3, 7)]; None if malformed."""
    out = []
    for part in text.split(','):
        lo, dash, hi = part.partition('-')
        a = parse_int(lo, 0, DOMID_MAX)
        b = parse_int(hi, 0, DOMID_MAX) if dash else a
        if a is None or b is None or b < a:
            return None
        out.append((a, b))
    if len(out) > MAX_RANGES:
        return None
    return out


def ranges_text(r):
    if r is None:
        return 'all'
    return ','.join(['%d' % a if a == b else '%d-%d' % (a, b) for a, b in r])


def wanted(ranges, domid):
    """Whether domains= shows this domain."""
    if ranges is None:
        return True
    for a, b in ranges:
        if a <= domid <= b:
            return True
    return False


def view_text(opts):
    return 'top:%d' % opts.top if opts.view == 'top' else opts.view


def _shown(word):
    # echo what the user wrote, but not a whole runaway line
    if len(word) > 60:
        return word[:57] + '...'
    return word


class Opt:
    """One option, declared once: its key, the Options attribute it sets
    (None: set by its own apply), the default, the parser (text, opts) ->
    value or None, the hint a bad value gets (or a function making it),
    what is shown as 'using ...' when it is bad, and the default as
    docs/options.md writes it
    (tests/unit/test_options.py checks that table against OPTIONS)."""

    def __init__(self, key, attr, default, parse, hint, shown=None, doc_default=None, apply=None):
        self.key, self.attr, self.default = key, attr, default
        self.parse, self.hint = parse, hint
        self.shown = shown or (lambda opts: str(getattr(opts, attr)))
        self.doc_default = doc_default if doc_default is not None else str(default)
        self.apply = apply or (lambda opts, v: setattr(opts, attr, v))


def int_in(lo, hi):
    return lambda text, opts: parse_int(text, lo, hi)


def word_in(words):
    return lambda text, opts: text if text in words else None


def seconds_in(lo_ms, hi_ms):
    def parse(text, opts):
        ms = parse_seconds_ms(text)
        return ms if ms is not None and lo_ms <= ms <= hi_ms else None

    return parse


def _console(text, opts):
    names = text.split('+')
    if text != 'auto' and (
        not text
        or [n for n in names if n not in CONSOLE_CHANNELS]
        or len(set(names)) != len(names)
    ):
        return None
    return text


def _watchdog(text, opts):
    v = parse_int(text, 0, WATCHDOG_MAX_S)
    return None if v is None or 0 < v < WATCHDOG_MIN_S else v


def _alert(text, opts):
    from . import alerts

    rules = alerts.parse_rules(text)
    if rules is None or len(opts.alerts) + len(rules) > alerts.MAX_RULES:
        return None
    return opts.alerts + rules  # several alert= add up


def _alert_hint():
    from . import alerts

    return (
        'want cpu>P, mem>P, crashed, gone:N, stuck:N, hostmem<P, pcpu>P or log:TEXT, '
        'comma-joined, at most %d' % alerts.MAX_RULES
    )


def _alerts_text(opts):
    from . import alerts

    return alerts.rules_text(opts.alerts)


def _heap(text, opts):
    # read by the boot code (port-xen/main.c) before Python starts;
    # checked here only to report a word it could not use
    num, unit = text[:-1], text[-1:]
    return None if unit not in ('K', 'M') or parse_int(num, 1, 1 << 30) is None else text


def _view(text, opts):
    mode, colon, n = text.partition(':')
    top = parse_int(n, 1, TOP_MAX) if mode == 'top' and colon else None
    if top is None and (text not in VIEWS or colon):
        return None
    return mode, top or 0


def _set_view(opts, v):
    opts.view, opts.top = v


def _ms_text(attr):
    return lambda opts: seconds_text(getattr(opts, attr))


WANT_01 = 'want 0 or 1'
# Every user's option, in the order the `known:` hint lists them.
OPTIONS = (
    Opt('alert', 'alerts', [], _alert, _alert_hint, _alerts_text, 'none'),
    Opt(
        'baud',
        'baud',
        BAUD_DEFAULT,
        int_in(0, BAUD_MAX),
        "want the console's bits a second, e.g. 115200, 0 = no row budget",
    ),
    Opt(
        'console',
        'console',
        'auto',
        _console,
        'want auto, or some of %s joined by +' % ', '.join(CONSOLE_CHANNELS),
    ),
    Opt('count', 'count', 0, int_in(0, 10**9), 'want a number of polls, 0 = forever'),
    Opt(
        'domains',
        'domains',
        None,
        lambda text, opts: parse_ranges(text),
        'want domain IDs or ranges, e.g. 0,3-7',
        lambda opts: ranges_text(opts.domains),
        'all',
    ),
    Opt('end', 'end', 'poweroff', word_in(ENDS), 'want ' + ', '.join(ENDS)),
    Opt('format', 'format', 'table', word_in(FORMATS), 'want ' + ', '.join(FORMATS)),
    Opt(
        'heap',
        None,
        None,
        _heap,
        'want a size like 512K or 4M',
        lambda opts: 'all free memory',
        'all free memory, at most 8 MiB',
        lambda opts, v: None,
    ),
    Opt(
        'interval',
        'interval_ms',
        3000,
        seconds_in(INTERVAL_MIN_MS, INTERVAL_MAX_MS),
        'want seconds, e.g. 2 or 0.5, at least %s' % seconds_text(INTERVAL_MIN_MS),
        _ms_text('interval_ms'),
        '3',
    ),
    Opt('pcpus', 'pcpus', 0, int_in(0, 1), WANT_01),
    Opt('repl', 'repl', 0, int_in(0, 1), WANT_01),
    Opt('role', 'role', 'monitor', word_in(ROLES), 'want monitor or guest'),
    Opt(
        'run',
        'run_ms',
        3000,
        seconds_in(0, INTERVAL_MAX_MS),
        'want seconds, e.g. 2 or 0.5',
        _ms_text('run_ms'),
        '3',
    ),
    Opt(
        'sort',
        'sort',
        None,
        word_in(SORTS),
        'want ' + ', '.join(SORTS),
        lambda opts: opts.sort or 'id (cpu for view=top)',
        'id (cpu for top:N)',
    ),
    Opt(
        'spin',
        'spin_ms',
        0,
        seconds_in(0, INTERVAL_MAX_MS),
        'want seconds, e.g. 2 or 0.5',
        _ms_text('spin_ms'),
        '0',
    ),
    Opt(
        'stats',
        'stats',
        0,
        int_in(0, 3),
        'want 0 to 3 (2: the heap measured after a collection too; 3: at polls 1, 2 and the last '
        'only)',
    ),
    Opt('vcpus', 'vcpus', 0, int_in(0, 1), WANT_01),
    Opt(
        'view',
        'view',
        'auto',
        _view,
        'want %s (N: 1 to %d)' % (', '.join(VIEWS), TOP_MAX),
        view_text,
        'auto',
        _set_view,
    ),
    Opt(
        'watchdog',
        'watchdog_s',
        None,
        _watchdog,
        'want seconds, %d to %d, or 0 for off' % (WATCHDOG_MIN_S, WATCHDOG_MAX_S),
        lambda opts: 'auto' if opts.watchdog_s is None else str(opts.watchdog_s),
        '4 intervals, at least 30',
    ),
    Opt('xenlog', 'xenlog', 0, int_in(0, 1), WANT_01),
)
BY_KEY = dict((o.key, o) for o in OPTIONS)
# Every user's key, as the one-line hint for an unknown one lists them.
KNOWN = tuple(o.key for o in OPTIONS)


def _set(opts, key, value):
    """Apply one key=value; returns the (hint, using) pair on a bad value."""
    o = BY_KEY[key]
    v = o.parse(value, opts)
    if v is None:
        return (o.hint() if callable(o.hint) else o.hint, o.shown(opts))
    o.apply(opts, v)
    return None


def test_hooks():
    """testopts, the test hooks, where this image has them (the test
    variant, and the unit tests); None in a production image."""
    try:
        from . import testopts
    except ImportError:
        return None
    return testopts


def _set_test(opts, key, value):
    """A test-only key: to testopts where the image has it. Returns
    (hint, using) as _set does, or the refusal line of a production image."""
    hooks = test_hooks()
    if hooks is None:
        return (
            "stubmon: '%s' is a test-only option, not in this image (only the test "
            "image has it: make VARIANT=test); ignored" % _shown(key + '=' + value)
        )
    if opts.test is None:
        opts.test = hooks.Hooks()
    return opts.test.set(key, value)


def cut_line(line, limit):
    """Xen keeps `limit` characters of a command line and drops the rest
    without a word: a line of that length was most likely cut. Returns
    the line saying so, or None."""
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).decode()
    if not limit or len(line) < limit:
        return None
    words = line.split()
    last = _shown(words[-1]) if words else ''
    return (
        "stubmon: the command line is %d characters, the most Xen passes on: it was "
        "probably cut; the last option read was '%s', anything after it was lost"
        % (len(line), last)
    )


def words(cmdline):
    """The command line as [(key, value or None, word)]: value None for a
    word without '='. The one splitter: the monitor's options and
    stubmon.args() both read it."""
    if cmdline is None:
        return []
    if isinstance(cmdline, (bytes, bytearray)):
        cmdline = bytes(cmdline).decode()
    out = []
    for word in cmdline.split():
        key, eq, value = word.partition('=')
        out.append((key, value if eq else None, word))
    return out


def parse(cmdline):
    """Returns (Options, [message lines]); the caller prints the lines."""
    opts = Options()
    msgs = []
    problems = 0
    for key, value, word in words(cmdline):
        if value is None:
            line = "stubmon: unknown word '%s' ignored (options are key=value; known: %s)" % (
                _shown(word),
                ', '.join(KNOWN),
            )
        else:
            if key in TEST_ONLY:
                bad = _set_test(opts, key, value)
            elif key in KNOWN:
                bad = _set(opts, key, value)
            else:
                bad = "stubmon: unknown option '%s' ignored (known: %s)" % (
                    _shown(word),
                    ', '.join(KNOWN),
                )
            if bad is None:
                continue
            line = (
                bad
                if isinstance(bad, str)
                else "stubmon: bad value '%s' (%s); using %s" % (_shown(word), bad[0], bad[1])
            )
        problems += 1
        if problems <= MAX_MESSAGES:
            msgs.append(line)
    if problems > MAX_MESSAGES:
        msgs.append('stubmon: %d more command line problems not shown' % (problems - MAX_MESSAGES))
    return opts, msgs
