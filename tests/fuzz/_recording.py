"""A publisher that records what the gateway asked of the broker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.gateway import BrokerUnavailable, RawEvent
from services.gateway._publisher import RawEventPublisher


@dataclass
class RecordingPublisher:
    """Records what the gateway asked to publish, then hands it to ``inner`` (the real
    broker) if there is one; ``down`` refuses as a broker that does not confirm."""

    inner: RawEventPublisher | None = None
    down: bool = False
    attempts: int = 0
    published: list[tuple[str, str, list[RawEvent]]] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    """Events published per source, over all cases (what the raw queues should hold)."""

    async def publish(self, source: str, tenant: str, events: Sequence[RawEvent]) -> None:
        self.attempts += 1
        if self.down:
            raise BrokerUnavailable("fuzzing: the broker is down")
        if self.inner is not None:
            await self.inner.publish(source, tenant, events)
        self.published.append((source, tenant, list(events)))
        self.accepted[source] += len(events)

    async def ready(self) -> bool:
        return not self.down
