# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (runs the stubmon-exporter command and fetches /metrics)
"""The stubmon-exporter command: its arguments, --once --print, and a
running exporter following a growing log and serving both formats."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGS = os.path.join(TOP, "tests", "unit", "consolelogs")
ENV = dict(os.environ, PYTHONPATH=os.path.join(TOP, "exporter"))


def exporter(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "stubmon_exporter.cli"] + list(args),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "args,said",
    [
        (["--listen", "nowhere", "-"], "'nowhere' is not ADDR:PORT (for example 127.0.0.1:9469)"),
        (["--host", "a", "--host", "b", "-"], "2 --host names for 1 streams"),
        (["--print", "-"], "--print needs --once"),
        (["/no/such/console.log"], "no such stream: /no/such/console.log"),
        (
            [os.path.join(LOGS, "x86_64-demo-changes.log")] * 2,
            "two streams have the same host name",
        ),
    ],
)
def test_bad_arguments_say_what_was_wrong(args, said):
    r = exporter(*args)
    assert r.returncode == 2
    assert said in r.stderr.strip().splitlines()[-1]


def test_once_print_serves_a_recorded_log():
    r = exporter(
        "--once", "--print", "--host", "lab1", os.path.join(LOGS, "x86_64-demo-changes.log")
    )
    assert r.returncode == 0, r.stderr
    assert 'stubmon_polls_total{host="lab1"} 6.0' in r.stdout
    assert 'xen_domain_memory_bytes{domid="0",host="lab1",' in r.stdout


def fetch(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.headers.get("Content-Type"), resp.read().decode()


def test_running_exporter_follows_a_growing_log(tmp_path):
    with open(os.path.join(LOGS, "x86_64-demo-changes.log"), "rb") as f:
        log = f.read()
    cut = log.index(b"stubmon poll 3 end")
    path = tmp_path / "console.log"
    path.write_bytes(log[:cut])
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stubmon_exporter.cli",
            "--listen",
            "127.0.0.1:%d" % port,
            "--host",
            "lab1",
            str(path),
        ],
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = "http://127.0.0.1:%d/metrics" % port
        for _ in range(100):
            try:
                ctype, text = fetch(url)
                break
            except OSError:
                time.sleep(0.1)
        assert ctype.startswith("text/plain")
        assert 'stubmon_last_poll_number{host="lab1"} 2.0' in text
        with open(path, "ab") as f:
            f.write(log[cut:])
        for _ in range(50):
            ctype, text = fetch(url, "application/openmetrics-text; version=1.0.0")
            if 'stubmon_last_poll_number{host="lab1"} 6.0' in text:
                break
            time.sleep(0.1)
        assert ctype.startswith("application/openmetrics-text")
        assert 'stubmon_last_poll_number{host="lab1"} 6.0' in text
        assert text.endswith("# EOF\n")
    finally:
        proc.terminate()
        proc.wait(10)
    said = proc.stderr.read()
    assert "serving /metrics on http://127.0.0.1:%d/metrics for lab1" % port in said
    assert "warning" not in said  # one address: nothing to warn of


def serve_briefly(listen, port, path):
    """Start the exporter on `listen`, wait for /metrics on loopback,
    stop it; what it said on standard error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stubmon_exporter.cli", "--listen", listen, "--host", "lab1", path],
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                fetch("http://127.0.0.1:%d/metrics" % port)
                break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
    return proc.stderr.read().splitlines()


@pytest.mark.parametrize("listen", [":%d", "0.0.0.0:%d"])
def test_a_wildcard_listen_address_is_warned_of(listen):
    """--listen :PORT binds every address: said at start in one line, with
    what /metrics shows to whoever reaches the port."""
    port = free_port()
    said = serve_briefly(listen % port, port, os.path.join(LOGS, "x86_64-demo-changes.log"))
    warned = [l for l in said if "warning" in l]
    assert warned == [
        "stubmon-exporter: warning: listening on every address (0.0.0.0:%d): "
        "/metrics has no authentication and shows every domain's id, UUID, "
        "state and FLASK label (ssid) and the host's name to anyone who can "
        "reach port %d; give --listen one address (default 127.0.0.1:9469) or "
        "firewall the port" % (port, port)
    ], said


@pytest.mark.parametrize(
    "addr,every",
    [
        ("0.0.0.0", True),
        ("::", True),
        ("::0", True),
        ("0", True),
        ("", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("192.0.2.1", False),
    ],
)
def test_which_listen_addresses_are_every_address(addr, every):
    from stubmon_exporter import cli

    assert cli.wildcard(addr) is every
