"""Putting one canonical event on its shard: the same message, whoever sends it.

The normalizer (webhooks) and ``idp-sync sync`` (full reads) both publish through here, so
the writer cannot tell them apart: one body, one set of headers, one shard per subject.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from faststream.rabbit import RabbitBroker

import schemas

from .metrics import EVENTS_NORMALIZED
from .telemetry import annotate
from .topology import Topology


async def publish_event(
    broker: RabbitBroker, topology: Topology, event: schemas.CanonicalEvent,
    received_at: object = None,
) -> None:  # fmt: skip
    """Publish ``event`` persistent and mandatory; returns once the broker confirmed it."""
    shard_key = event.subject.shard_key
    headers: dict[str, Any] = {
        "x-idp-sync-source": event.source,
        "x-idp-sync-received-at": received_at or dt.datetime.now(dt.UTC).isoformat(),
        "x-idp-sync-type": schemas.event_type(type(event)),
        "x-idp-sync-subject": shard_key,
        "x-idp-sync-idempotency-key": event.idempotency_key,
    }
    await broker.publish(
        schemas.encode(event),
        exchange=topology.events_exchange,
        routing_key=topology.shard_routing_key(shard_key),
        mandatory=True,
        persist=True,
        message_id=event.event_id,
        content_type="application/json",
        headers=headers,
    )
    EVENTS_NORMALIZED.labels(event.source, headers["x-idp-sync-type"]).inc()
    annotate(event)
