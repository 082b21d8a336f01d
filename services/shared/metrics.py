"""Prometheus metrics of every service, in one place so their names stay consistent.

Served at ``/metrics``: by the gateway on its own port, by the normalizer and the writer on
``IDP_SYNC_METRICS_PORT`` (their commands' ``--metrics-port``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECEIVED = Counter(
    "idp_sync_events_received", "IdP events the gateway accepted (broker-confirmed).", ["source"]
)
EVENTS_NORMALIZED = Counter(
    "idp_sync_events_normalized", "Canonical events the normalizer published.", ["source", "type"]
)
EVENTS_SETTLED = Counter(
    "idp_sync_events",
    "Canonical events by what the writer did: applied, duplicate, stale, not-owned, "
    "nothing-to-do, held, retried, dead-lettered.",
    ["source", "type", "outcome"],
)
SCIM_REQUESTS = Counter(
    "idp_sync_scim_requests", "Calls to AWS SCIM by operation and HTTP status.",
    ["operation", "status"],
)  # fmt: skip
SCIM_SECONDS = Histogram(
    "idp_sync_scim_request_seconds", "Time of AWS SCIM calls.", ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
END_TO_END = Histogram(
    "idp_sync_end_to_end_seconds", "From webhook received by the gateway to AWS write done.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)  # fmt: skip
QUEUE_MESSAGES = Gauge(
    "idp_sync_queue_messages", "Messages waiting in each shard queue (the writer's view).",
    ["queue"],
)  # fmt: skip
UNFINISHED = Gauge(
    "idp_sync_writer_unfinished", "Events delivered to the writer and not finished, per shard.",
    ["queue"],
)  # fmt: skip


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped remotely
    """``/metrics`` on ``port`` in a background thread; 0 leaves it off."""
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, host)
