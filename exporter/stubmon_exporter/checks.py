# SPDX-License-Identifier: MIT
"""What the exporter accepts of each value it reads, declared once.

The console is input like any other: whoever prints unprefixed on it
(docs/security.md) can put any text there. Every format=json object and
every table, event and alert line is checked here, field by field, before
any of it reaches the state the metrics are made from. One value outside
its rule rejects the whole object (Bad): a metric is never made from half
of one, and what was known before stands.

The rules follow docs/stubmon-2.schema.json. Where the schema sets no
bound, the width of the Xen field the value comes from is the bound: every
number then stays finite as a float (prometheus_client renders floats) and
every label value short. A key is required when the exporter reads it
without a default; a key it does not know is not looked at (it reaches no
metric, and a newer schema may add keys)."""

import re

from .consolelog import TITLE

DOMID_MAX = 0x7FEF  # DOMID_FIRST_RESERVED - 1: the last id Xen gives a domain
U32_MAX = (1 << 32) - 1  # vcpus, ssid, cpupool, CPU ids and counts, MHz: uint32_t in Xen
U64_MAX = (1 << 64) - 1  # ns, KiB, MiB, tenths of a second, bytes: uint64_t in Xen
EXACT_MAX = 1 << 53  # a count served as a gauge: exact as a float
MAX_CPUS = 1 << 16  # pCPU or vCPU objects in one poll or domain (Xen: NR_CPUS <= 16384)
MAX_TEXT = 4096  # a text the exporter only counts or says (error, detail, Xen's line)
SHOWN = 40  # characters of a bad value said on stderr


class Bad(ValueError):
    """A value outside its rule. The containers it was found in add their
    key on the way out (only then: the path of every value that is fine is
    never made), so str() says where: 'domains[1].uuid is 5, not a UUID'."""

    def __init__(self, value, what):
        super().__init__(value, what)
        self.value, self.what = value, what
        self.keys = []  # innermost first

    def inside(self, key):
        self.keys.append(key)
        return self

    def __str__(self):
        where = "".join(reversed(self.keys)).lstrip(".") or "the object"
        if self.value is _MISSING:
            return "%s is missing" % where
        return "%s is %s, not %s" % (where, _shown(self.value), self.what)


_MISSING = object()


def _shown(value):
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


class Rule:
    what = "?"

    def ok(self, value):
        raise NotImplementedError

    def check(self, value):
        if not self.ok(value):
            raise Bad(value, self.what)


class Int(Rule):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.what = "an integer in %d..%d" % (lo, hi)

    def ok(self, value):
        # type(): bool is an int subclass, and a float (1e400 is inf) is no count
        return type(value) is int and self.lo <= value <= self.hi


class Str(Rule):
    def __init__(self, max_len, pattern=None, what=None):
        self.max_len = max_len
        self.pattern = None if pattern is None else re.compile(pattern)
        self.what = what or "a string of at most %d characters" % max_len

    def ok(self, value):
        # the length first: a pattern never runs over a long string
        return (
            type(value) is str
            and len(value) <= self.max_len
            and (self.pattern is None or self.pattern.fullmatch(value) is not None)
        )


class Bool(Rule):
    what = "true or false"

    def ok(self, value):
        return type(value) is bool


class OneOf(Rule):
    def __init__(self, *values):
        self.values = values
        self.what = "one of %s" % ", ".join(values)

    def ok(self, value):
        return type(value) is str and value in self.values


class Null(Rule):
    """None, or what `rule` accepts."""

    def __init__(self, rule):
        self.rule = rule

    def check(self, value):
        if value is not None:
            self.rule.check(value)


class List(Rule):
    def __init__(self, item, max_items):
        self.item, self.max_items = item, max_items
        self.what = "a list of at most %d" % max_items

    def check(self, value):
        if type(value) is not list or len(value) > self.max_items:
            raise Bad(value, self.what)
        for i, v in enumerate(value):
            try:
                self.item.check(v)
            except Bad as e:
                raise e.inside("[%d]" % i)


class Map(Rule):
    """A dict the table reader made (vcpus=1: domid -> its vCPU lines)."""

    def __init__(self, key, value, max_items):
        self.key, self.value, self.max_items = key, value, max_items
        self.what = "a map of at most %d" % max_items

    def check(self, value):
        if type(value) is not dict or len(value) > self.max_items:
            raise Bad(value, self.what)
        for k, v in value.items():
            try:
                self.key.check(k)
                self.value.check(v)
            except Bad as e:
                raise e.inside("[%s]" % _shown(k))


class Obj(Rule):
    """A JSON object (or a dict the table reader made): `required` keys
    must be there, `optional` ones are checked when there."""

    what = "an object"

    def __init__(self, required, optional=None):
        self.required = required
        self.optional = optional or {}

    def check(self, value):
        if type(value) is not dict:
            raise Bad(value, self.what)
        key = None
        try:  # one try for the whole object: the key at hand is the one
            for key, rule in self.required.items():
                rule.check(value[key])
            for key, rule in self.optional.items():
                if key in value:
                    rule.check(value[key])
        except KeyError:
            raise Bad(_MISSING, "").inside("." + key) from None
        except Bad as e:
            raise e.inside("." + key)


# --- the values -------------------------------------------------------------
DOMID = Int(0, DOMID_MAX)
NDOMAINS = Int(0, DOMID_MAX + 1)  # a count of domains: at most every id
U32 = Int(0, U32_MAX)
U64 = Int(0, U64_MAX)
PERMILLE = Int(0, 1000)  # the schema's busy_pct_x10: 0 to 100.0 %
POLL_NUMBER = Int(1, EXACT_MAX)
UPTIME = Int(0, EXACT_MAX)  # ms (JSON) or tenths of a second (table)
UUID = Str(36, r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "a UUID")
LETTERS = Str(6, r"[r-][b-][p-][s-][-rscwS?][d-]", "xl's six state letters")
STATUS = Str(
    64,
    r"running|blocked|paused|crashed|dying|shutdown "
    r"\((?:poweroff|reboot|suspend|watchdog|soft_reset|reason [0-9]+)\)",
    "a domain status",
)
RULE = Str(
    256,
    r"(?:cpu>|mem>|hostmem<|pcpu>)[0-9]+(?:\.[0-9])?|crashed|gone:[0-9]+"
    r"|stuck:[0-9]+|log:.+",
    "an alert= rule of at most 256 characters",
)
XEN_VERSION = Str(64, r"[!-~]+", "Xen's version (printable, no space, at most 64)")
SCHEMA = Str(16, r"stubmon/[0-9]{1,3}", "stubmon/N")
TEXT = Str(MAX_TEXT)
VIEW_TEXT = Str(256)  # the table's 'stubmon view:' line, after it

# --- format=json (docs/json-schema.md) --------------------------------------
PCPU = Obj({"cpu": U32, "busy_pct_x10": Null(PERMILLE), "idle_ns": U64})
VCPU = Obj(
    {
        "vcpu": U32,
        "online": Bool(),
        "running": Bool(),
        "blocked": Bool(),
        "cpu_ns": U64,
        "pcpu": U32,
    },
    {"cpu_pct_x10": Null(U32)},
)
HOST = Obj(
    {"cpus": U32, "cpu_mhz": U32, "mem_total_k": U64, "mem_free_k": U64},
    {"mem_used_k": U64, "busy_pct_x10": Null(PERMILLE), "pcpus": List(PCPU, MAX_CPUS)},
)
SUMMARY = Obj(
    {
        k: NDOMAINS
        for k in ("domains", "running", "blocked", "paused", "crashed", "dying", "shutdown")
    }
)
DOMAIN = Obj(
    {"id": DOMID, "state": LETTERS, "cpu_ns": U64, "mem_k": U64, "vcpus": U32},
    {
        "maxmem_k": Null(U64),
        "ssid": U32,
        "cpupool": U32,
        "uuid": UUID,
        "status": STATUS,
        "cpu_sec": U64,
        "cpu_pct_x10": Null(U32),
        "mem_pct_x10": Null(U32),
        "vcpu_list": List(VCPU, MAX_CPUS),
    },
)
VIEW = Obj(
    {"mode": OneOf("all", "changes", "top")},
    {
        "sort": OneOf("id", "cpu", "mem"),
        "shown": NDOMAINS,
        "of": NDOMAINS,
        "changed": Null(NDOMAINS),
        "left_out": NDOMAINS,
    },
)
HEAD = {"schema": SCHEMA, "uptime_ms": UPTIME}
DOMAINS = List(DOMAIN, DOMID_MAX + 1)
JSON = {  # by "type"; a type not here is not read (a newer schema's)
    "poll": Obj(
        dict(HEAD, poll=POLL_NUMBER, xen=XEN_VERSION, domains=Null(DOMAINS)),
        {
            "host": Null(HOST),
            "summary": Null(SUMMARY),
            "view": Null(VIEW),
            "error": TEXT,
            "own_cpu_ns": U64,
        },
    ),
    "event": Obj(
        dict(HEAD, domain=DOMID, event=OneOf("appeared", "changed", "gone")),
        {"from": Null(STATUS), "to": Null(STATUS)},
    ),
    "alert": Obj(
        dict(HEAD, domain=Null(DOMID), rule=RULE, status=OneOf("firing", "cleared")),
        {"detail": TEXT},
    ),
    "error": Obj(dict(HEAD, where=TEXT), {"error": TEXT, "errors": Int(1, EXACT_MAX)}),
    "log": Obj(HEAD, {"line": TEXT, "lost": U64}),
}

# --- tables (consolelog.Poll: the header, host, pcpu, vcpu, summary lines, rows) ---
TABLE_PCPU = Obj({"cpu": U32, "busy": Null(PERMILLE), "idle_ds": U64})
TABLE_VCPU = Obj(
    {
        "vcpu": U32,
        "state": OneOf("offline", "running", "blocked", "runnable"),
        "pcpu": U32,
        "time_ds": U64,
    },
    {"cpu": Null(U32)},
)
TABLE_HOST = Obj(
    {"total_k": U64, "used_k": U64, "free_k": U64, "cpus": U32, "mhz": U32, "busy": Null(PERMILLE)}
)
# a row's values, each under the title of the column that shows its record
# field (the monitor's declaration: consolelog.TITLE)
ROW = Obj(
    {
        TITLE["domid"]: DOMID,
        TITLE["state"]: LETTERS,
        TITLE["tot_pages"]: U64,
        TITLE["max_pages"]: Null(U64),
        TITLE["nr_online_vcpus"]: U32,
        TITLE["cpu_time"]: U64,
        TITLE["cpu_pct"]: Null(U32),
        TITLE["mem_pct"]: Null(U32),
        TITLE["ssidref"]: U32,
        TITLE["cpupool"]: U32,
        TITLE["handle"]: UUID,
    }
)
TABLE_POLL = Obj(
    {
        "number": POLL_NUMBER,
        "xen": XEN_VERSION,
        "uptime_ds": UPTIME,
        "count": Null(NDOMAINS),
        "host": Null(TABLE_HOST),
        "pcpus": List(TABLE_PCPU, MAX_CPUS),
        "summary": Null(SUMMARY),
        "vcpus": Map(DOMID, List(TABLE_VCPU, MAX_CPUS), DOMID_MAX + 1),
        "view": Null(VIEW_TEXT),
        "rows": List(ROW, DOMID_MAX + 1),
    }
)


def json_object(obj):
    """The type of a format=json object the exporter reads, or None for
    one it does not (passed over); raises Bad unless the object holds what
    its type promises."""
    kind = obj.get("type")
    if type(kind) is not str:
        raise Bad(kind, "a string").inside(".type")
    rule = JSON.get(kind)
    if rule is not None:
        rule.check(obj)
        return kind
    return None


def table_poll(poll):
    """Raises Bad unless every value of a table poll (consolelog.Poll) is
    within its rule."""
    TABLE_POLL.check(vars(poll))
