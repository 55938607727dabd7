# SPDX-License-Identifier: MIT
"""stubmon-exporter: stubmon's console stream as Prometheus metrics.

consolelog parses what the monitor prints (tables, JSON, events, alerts);
the rest of the package follows a stream and serves /metrics."""
