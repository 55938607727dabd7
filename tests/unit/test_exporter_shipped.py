# SPDX-License-Identifier: MIT
# CPYTHON_ONLY = True  (reads the shipped dashboard and rules beside the exporter)
"""The Grafana dashboard and the Prometheus rules shipped with
stubmon-exporter query only metrics and labels it serves (a renamed metric
would leave a panel empty or a rule silent). The rules are also loaded by
a real Prometheus server in tests/boot/test_prometheus.py."""

import json
import os
import re

from test_exporter_metrics import feed_log, samples

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(TOP, "exporter", "grafana", "stubmon-dashboard.json")
RULES = os.path.join(TOP, "exporter", "prometheus", "stubmon-rules.yml")
NAME = re.compile(r"\b((?:xen|stubmon)_[a-z_]+)")
LABELS = re.compile(r"\b([a-z_]+)\s*(?:=~|!=|=)\s*\"")


def served():
    mon = feed_log("arm64-crash-table+json.log")
    mon.feed_bytes(b"\xff noise")  # parse errors are served once there are some
    names, labels = set(), set()
    for name, lab in samples(mon):
        names.add(name)
        labels.update(k for k, _ in lab)
    return names, labels


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    return dash, exprs


def rule_exprs():
    with open(RULES) as f:
        text = f.read()
    return [m.group(1) for m in re.finditer(r"^\s+expr: (.+)$", text, re.M)]


def check(exprs):
    names, labels = served()
    for e in exprs:
        for n in NAME.findall(e):
            assert n in names, "%r queries %s, which the exporter does not serve" % (e, n)
        for l in LABELS.findall(e):
            assert l in labels, "%r selects on label %s, which the exporter does not set" % (e, l)


def test_dashboard_queries_served_metrics():
    dash, exprs = dashboard_exprs()
    assert len(dash["panels"]) >= 6 and all(p["targets"] for p in dash["panels"])
    titles = " ".join(p["title"] for p in dash["panels"]).lower()
    for what in ("state", "cpu", "memory", "alerts"):
        assert what in titles
    check(exprs)


def test_rules_query_served_metrics():
    exprs = rule_exprs()
    assert len(exprs) >= 6
    check(exprs)
