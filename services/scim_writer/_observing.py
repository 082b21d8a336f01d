"""What the writer tells people about each event: a log line, span attributes that let
Jaeger find the user, and metrics; in one place so the three always agree."""

from __future__ import annotations

import datetime as dt
import logging
import time

from faststream.rabbit.annotations import RabbitMessage
from opentelemetry import trace

from services.shared import telemetry as tm
from services.shared.metrics import END_TO_END, EVENTS_SETTLED

log = logging.getLogger("idp_sync.writer")


def settled(message: RabbitMessage, outcome: str) -> None:
    """Record ``outcome`` (applied, duplicate, stale, held, retried, dead-lettered, ...)."""
    kind = str(message.headers.get("x-idp-sync-type", ""))
    log.info("%s %s: %s", kind, message.headers.get("x-idp-sync-subject"), outcome)
    trace.get_current_span().set_attribute(tm.OUTCOME, outcome)
    EVENTS_SETTLED.labels(str(message.headers.get("x-idp-sync-source", "")), kind, outcome).inc()
    if outcome == "applied":
        END_TO_END.observe(max(0.0, time.time() - received_at(message)))


def received_at(message: RabbitMessage) -> float:
    """When the gateway received the webhook this event came from (epoch seconds)."""
    received = str(message.headers.get("x-idp-sync-received-at"))
    try:
        return dt.datetime.fromisoformat(received).timestamp()
    except ValueError:
        return time.time()
