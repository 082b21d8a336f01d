"""What ``idp-sync status`` reports: every queue's depth and consumers, what is parked, and
how old the oldest unprocessed event is."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aio_pika

from services.scim_writer import QueueLag, StateStore
from services.shared.topology import Topology

from ._filters import Filters
from ._lot import ParkingLot

STALE_REPORT = 30.0
"""A writer report older than this means the writer is not running (or is stuck)."""


@dataclass(frozen=True)
class QueueStatus:
    name: str
    kind: str
    """raw, shard, dead-letter, held or retry."""
    declared: bool
    messages: int = 0
    consumers: int = 0
    oldest_age: float | None = None
    """Seconds since the oldest message waiting here was received or parked, when known."""
    note: str = ""


@dataclass
class Status:
    queues: list[QueueStatus] = field(default_factory=list)
    store_error: str = ""
    max_age: float = 120.0
    """An unprocessed event older than this (seconds) needs a person."""

    @property
    def held(self) -> int:
        return sum(q.messages for q in self.queues if q.kind == "held")

    @property
    def dead_lettered(self) -> int:
        return sum(q.messages for q in self.queues if q.kind == "dead-letter")

    @property
    def oldest_unprocessed(self) -> float | None:
        ages = [q.oldest_age for q in self.queues if q.kind in {"raw", "shard"} and q.oldest_age]
        return max(ages, default=None)

    @property
    def stalled(self) -> list[QueueStatus]:
        """Work queues with messages and nobody to take them."""
        return [q for q in self.queues
                if q.kind in {"raw", "shard"} and q.messages and not q.consumers]  # fmt: skip

    @property
    def too_old(self) -> bool:
        """The oldest unprocessed event has waited longer than ``max_age``."""
        return (self.oldest_unprocessed or 0.0) > self.max_age

    @property
    def needs_attention(self) -> bool:
        return bool(self.held or self.dead_lettered or self.stalled or self.too_old)


def _kinds(topology: Topology) -> list[tuple[str, str]]:
    raw = [(topology.raw_queue(s).name, "raw") for s in topology.sources]
    shards = [(topology.shard_queue(n).name, "shard") for n in range(topology.shards)]
    dead = [(topology.dead_letter_queue(q).name, "dead-letter") for _, q in topology.work_queues]
    retries = [(q.name, "retry") for q in topology.all_queues() if ".retry-" in q.name]
    return [*raw, *shards, *dead, (topology.held_queue.name, "held"), *retries]


async def _depth(connection: aio_pika.abc.AbstractConnection, name: str) -> tuple[int, int] | None:
    channel = await connection.channel()
    try:
        declared = await channel.declare_queue(name, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return None
    result = declared.declaration_result
    await channel.close()
    return int(result.message_count or 0), int(result.consumer_count or 0)


def _lag_of(lag: QueueLag | None, now: float) -> tuple[float | None, str]:
    if lag is None:
        return None, "no writer report"
    if now - lag.reported_at > STALE_REPORT:
        return None, f"writer silent for {now - lag.reported_at:.0f} s"
    return (None if lag.oldest_waiting is None else now - lag.oldest_waiting), ""


async def gather(
    amqp_url: str, topology: Topology, store: StateStore | None, *, max_age: float = 120.0
) -> Status:
    """Read the broker (raises when it cannot be reached) and, if given, the writer's reports;
    an unprocessed event older than ``max_age`` seconds needs attention."""
    status, lags, now = Status(max_age=max_age), {}, time.time()
    if store is not None:
        try:
            await store.open()
            lags = await store.lags()
            await store.close()
        except Exception as error:  # noqa: BLE001 - status reports, it does not fail on it
            status.store_error = str(error)
    lot = ParkingLot(amqp_url, topology)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for name, kind in _kinds(topology):
            depth = await _depth(connection, name)
            if depth is None:
                status.queues.append(QueueStatus(name, kind, declared=False))
                continue
            oldest, note = None, ""
            if kind == "shard":
                oldest, note = _lag_of(lags.get(name), now)
            elif kind in {"dead-letter", "held"} and depth[0]:
                parked = await lot.browse([name], Filters())
                whens = [m.when.timestamp() for m in parked if m.when]
                oldest = now - min(whens) if whens else None
            status.queues.append(
                QueueStatus(
                    name,
                    kind,
                    declared=True,
                    messages=depth[0],
                    consumers=depth[1],
                    oldest_age=oldest,
                    note=note,
                )
            )
    return status
