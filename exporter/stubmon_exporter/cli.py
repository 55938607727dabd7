# SPDX-License-Identifier: MIT
"""stubmon-exporter [--listen ADDR:PORT] [--host NAME]... STREAM...

Follows each STREAM (a file, a device, a pipe, or - for standard input)
and serves /metrics (Prometheus text, or OpenMetrics when the scraper asks
for it) on loopback unless told otherwise."""

import argparse
import ipaddress
import os
import signal
import socket
import sys
import threading

from prometheus_client import CollectorRegistry, generate_latest, start_http_server

from . import state, stream
from .metrics import Collector

DEFAULT_LISTEN = "127.0.0.1:9469"


def listen_address(text):
    addr, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            "'%s' is not ADDR:PORT (for example %s)" % (text, DEFAULT_LISTEN)
        )
    return addr.strip("[]") or "0.0.0.0", int(port)


def wildcard(addr):
    """Whether listening on `addr` means every address of the machine:
    empty (':9469'), or a name or number for 0.0.0.0 or :: ('0', '::0')."""
    if not addr:
        return True
    try:
        infos = socket.getaddrinfo(addr, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # not an address: the server says so itself
    return any(ipaddress.ip_address(i[4][0].split("%")[0]).is_unspecified for i in infos)


WILDCARD_WARNING = (
    "stubmon-exporter: warning: listening on every address (%s): /metrics has "
    "no authentication and shows every domain's id, UUID, state and FLASK "
    "label (ssid) and the host's name to anyone who can reach port %d; "
    "give --listen one address (default %s) or firewall the port"
)


def default_host(path):
    if path == "-":
        return "stdin"
    return os.path.splitext(os.path.basename(path))[0] or path


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="stubmon-exporter",
        description="Serve stubmon's console stream (tables, format=json, events, alerts) "
        "as Prometheus metrics.",
    )
    p.add_argument(
        "streams",
        metavar="STREAM",
        nargs="+",
        help="a console log file (followed as it grows), a serial device, a pipe, "
        "or - for standard input",
    )
    p.add_argument(
        "--listen",
        type=listen_address,
        default=listen_address(DEFAULT_LISTEN),
        metavar="ADDR:PORT",
        help="where /metrics is served (default %s)" % DEFAULT_LISTEN,
    )
    p.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME",
        help="the host label of each STREAM, in order (default: the file's name)",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="read each stream to its end (do not follow), then serve",
    )
    p.add_argument(
        "--print",
        dest="print_",
        action="store_true",
        help="with --once: print /metrics once on standard output and exit",
    )
    p.add_argument(
        "--baud",
        type=int,
        default=115200,
        choices=sorted(stream.BAUDS),
        help="a serial device's line rate (default 115200)",
    )
    args = p.parse_args(argv)
    if len(args.host) > len(args.streams):
        p.error("%d --host names for %d streams" % (len(args.host), len(args.streams)))
    args.hosts = args.host + [default_host(s) for s in args.streams[len(args.host) :]]
    if len(set(args.hosts)) != len(args.hosts):
        p.error(
            "two streams have the same host name (%s): give each its own --host"
            % ", ".join(args.hosts)
        )
    if args.print_ and not args.once:
        p.error("--print needs --once (it prints what the streams held, then exits)")
    if args.streams.count("-") > 1:
        p.error("standard input (-) can be one stream only")
    for s in args.streams:
        if s != "-" and not os.path.exists(s):
            p.error("no such stream: %s" % s)
    return args


def reader(path, mon, lock, stop, once, baud):
    def line(raw):
        with lock:
            mon.feed_bytes(raw)

    def event(what):
        with lock:
            mon.stream_event(what)
        if what != "ended" or not once:
            print("stubmon-exporter: %s: %s %s" % (mon.host, path, what), file=sys.stderr)

    def overlong(limit):
        with lock:
            mon.overlong(limit)

    try:
        stream.follow(path, line, event, stop, once=once, baud=baud, overlong=overlong)
    except OSError as e:
        # the stream cannot be read at all: say so; its host stays down, the others go on
        print("stubmon-exporter: %s: cannot read %s: %s" % (mon.host, path, e), file=sys.stderr)
        event("ended")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    lock = threading.Lock()
    stop = threading.Event()
    monitors = [state.Monitor(h) for h in args.hosts]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector(monitors, lock))
    threads = [
        threading.Thread(
            target=reader, args=(p, m, lock, stop, args.once, args.baud), daemon=True, name=m.host
        )
        for p, m in zip(args.streams, monitors)
    ]
    for t in threads:
        t.start()
    if args.once:
        for t in threads:
            t.join()
        if args.print_:
            sys.stdout.write(generate_latest(registry).decode())
            return 0
    addr, port = args.listen
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as e:
        print(
            "stubmon-exporter: cannot listen on %s:%d: %s" % (addr, port, e.strerror),
            file=sys.stderr,
        )
        return 1
    shown = addr if ":" not in addr else "[%s]" % addr
    print(
        "stubmon-exporter: serving /metrics on http://%s:%d/metrics for %s"
        % (shown, port, ", ".join(args.hosts)),
        file=sys.stderr,
    )
    if wildcard(addr):
        # an address left out reads as "here"; it is every interface, and
        # /metrics names the domains: said where the operator looks
        print(WILDCARD_WARNING % ("%s:%d" % (shown, port), port, DEFAULT_LISTEN), file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
