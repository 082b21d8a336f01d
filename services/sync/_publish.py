"""Publishing a sync's events, phase by phase, confirmed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from faststream.rabbit import RabbitBroker

import schemas
from services.shared.canonical_publishing import publish_event
from services.shared.topology import Topology

BATCH = 64
"""Events in flight at once: confirms awaited together, not one round trip each."""


async def publish_all(
    broker: RabbitBroker, topology: Topology, events: Sequence[schemas.CanonicalEvent],
    progress: Callable[[int], None] = lambda _: None,
) -> None:  # fmt: skip
    """Publish every event (persistent, mandatory, confirmed); order within one subject
    is kept because a subject's events of one phase are never in one batch twice."""
    for start in range(0, len(events), BATCH):
        batch = events[start : start + BATCH]
        await asyncio.gather(*(publish_event(broker, topology, e) for e in batch))
        progress(len(batch))
