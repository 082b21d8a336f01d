"""The writer's shard bookkeeping when handlers are cancelled (a dropped connection).

In-memory fakes for the broker message and the applier: this is the writer's own counting,
which the chaos runner then proves on the real broker with restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from faststream.rabbit import RabbitQueue
from faststream.rabbit.annotations import RabbitMessage

import schemas
from services.scim_writer import Applier, MembershipEvent, Outcome
from services.scim_writer._app import Writer
from services.shared.topology import Topology
from tests.support import events
from tests.support.waiting import eventually

QUEUE = RabbitQueue("test.events.shard-0")


@dataclass
class _Channel:
    is_closed: bool = False


@dataclass
class _Raw:
    channel: _Channel
    routing_key: str = "shard-0"
    redelivered: bool = False


@dataclass
class _Message:
    body: bytes
    raw_message: _Raw
    message_id: str
    headers: dict[str, Any] = field(default_factory=dict)
    acked: bool = False

    async def ack(self) -> None:
        self.acked = True


def _message(event: schemas.CanonicalEvent, channel: _Channel) -> _Message:
    return _Message(schemas.encode(event), _Raw(channel), event.event_id)


@dataclass
class _SlowApplier:
    """Applies instantly, except while ``gate`` is closed."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    applied: list[str] = field(default_factory=list)

    async def apply(self, event: schemas.CanonicalEvent) -> Outcome:
        await self.gate.wait()
        self.applied.append(event.event_id)
        return Outcome.APPLIED

    async def apply_members(self, batch: Sequence[MembershipEvent]) -> list[Outcome]:
        await self.gate.wait()
        self.applied.extend(e.event_id for e in batch)
        return [Outcome.APPLIED for _ in batch]


def _writer(applier: _SlowApplier) -> Writer:
    return Writer(broker=None, topology=Topology(), applier=cast(Applier, applier))  # type: ignore[arg-type]


async def _handle(writer: Writer, message: _Message) -> None:
    await writer.handle(cast(RabbitMessage, message), QUEUE)


async def test_a_membership_after_cancelled_waiters_is_still_applied() -> None:
    applier = _SlowApplier()
    writer = _writer(applier)
    old, new = _Channel(), _Channel()
    busy = _message(events.user("00u1", 1), old)
    first = asyncio.create_task(_handle(writer, busy))
    waiters = [
        asyncio.create_task(_handle(writer, _message(events.user(f"00u{n}", n), old)))
        for n in range(2, 5)
    ]
    await eventually(lambda: _true(writer.shard(QUEUE.name).waiting == 3), what="3 waiting")
    old.is_closed = True  # the connection dropped: aiormq cancels the waiting handlers
    for task in [first, *waiters]:
        task.cancel()
    await asyncio.gather(first, *waiters, return_exceptions=True)

    applier.gate.set()
    added = _message(events.members(schemas.GroupMemberAdded, "00g1", 9, ["00u1"]), new)
    await asyncio.wait_for(_handle(writer, added), timeout=5)
    assert added.acked, "a lone membership change must be applied, not wait for a ghost"
    assert writer.shard(QUEUE.name).unfinished == {}


async def test_a_batch_left_by_a_cancelled_waiter_is_applied() -> None:
    applier = _SlowApplier()
    writer = _writer(applier)
    channel = _Channel()
    blocker = _message(events.user("00u1", 1), channel)
    adds = [
        _message(events.members(schemas.GroupMemberAdded, "00g1", n, [f"00u{n}"]), channel)
        for n in range(2, 4)
    ]
    running = asyncio.create_task(_handle(writer, blocker))
    await eventually(lambda: _true(writer.shard(QUEUE.name).lock.locked()), what="locked")
    queued = [asyncio.create_task(_handle(writer, m)) for m in adds]
    late = asyncio.create_task(_handle(writer, _message(events.user("00u9", 9), channel)))
    await eventually(lambda: _true(writer.shard(QUEUE.name).waiting == 3), what="3 waiting")
    late.cancel()  # the handler that would have flushed the batch is gone
    applier.gate.set()
    await asyncio.gather(running, *queued, late, return_exceptions=True)
    await eventually(lambda: _true(all(m.acked for m in adds)), within=5, what="batch applied")
    assert writer.shard(QUEUE.name).unfinished == {}


async def _true(value: bool) -> bool:
    return value
