"""The writer's composition root: one consumer per shard, one active at a time.

Each message is applied (or skipped) and then acked; a retry is republished to the delay
tier that honours its wait, and acked only after the broker confirmed that; a dead letter
likewise. A shard's events are applied one at a time; membership events of one group that
are already delivered are combined into as few PATCHes as AWS allows. Order is best effort
by design: the state store's versions make a late older event a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
from faststream import AckPolicy, FastStream
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.schemas import Channel

import schemas
from services.shared.dead_letters import ATTEMPTS, dead_letter
from services.shared.fates import Fate
from services.shared.topology import Topology, declare

from ._applier import Applier, MembershipEvent, Outcome
from ._fate import decide

log = logging.getLogger("idp_sync.writer")

PREFETCH = 100
"""Per shard: deliveries waiting in the writer, the pool membership events are combined from."""


@dataclass
class _Shard:
    """One shard's consumer: handlers run one at a time, membership events of one group
    that are already delivered and waiting are applied together."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    """Delivered messages of this shard waiting for the lock."""
    members: list[tuple[RabbitMessage, MembershipEvent]] = field(default_factory=list)
    """Membership events of one group, unacked, to be applied in one go."""


@dataclass
class Writer:
    broker: RabbitBroker
    topology: Topology
    applier: Applier
    max_attempts: int = 8
    _shards: dict[str, _Shard] = field(default_factory=dict)

    async def handle(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        # aiormq runs a task per delivery, so with prefetch > 1 handlers would overlap:
        # the lock keeps one shard's events one at a time (and, in practice, in order).
        shard = self._shards.setdefault(queue.name, _Shard())
        shard.waiting += 1
        async with shard.lock:
            shard.waiting -= 1
            event = _decoded(message)
            if isinstance(event, MembershipEvent):
                if shard.members and shard.members[0][1].subject != event.subject:
                    await self._apply_members(shard, queue)
                shard.members.append((message, event))
                if shard.waiting == 0:  # nothing more to combine with
                    await self._apply_members(shard, queue)
                return
            await self._apply_members(shard, queue)
            await self._apply_one(message, queue)

    async def _apply_members(self, shard: _Shard, queue: RabbitQueue) -> None:
        batch, shard.members = shard.members, []
        if len(batch) <= 1:
            for message, _ in batch:
                await self._apply_one(message, queue)
            return
        try:
            outcomes = await self.applier.apply_members([event for _, event in batch])
        except Exception:  # noqa: BLE001 - one event's trouble must not hold back the rest
            for message, _ in batch:
                await self._apply_one(message, queue)
            return
        for (message, _), outcome in zip(batch, outcomes, strict=True):
            _log_outcome(message, outcome)
            await message.ack()

    async def _apply_one(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        attempts = int(str(message.headers.get(ATTEMPTS, 0))) + 1
        error: Exception | None = None
        try:
            _log_outcome(message, await self.applier.apply(schemas.decode(message.body)))
        except Exception as failure:  # noqa: BLE001 - decide() gives every failure its fate
            error = failure
        decision = decide(error, attempts, self.max_attempts)
        if decision.fate is Fate.RETRY:
            tier = self.topology.retry_tier(decision.wait)
            log.warning("retrying %s in %ss (attempt %d): %s", message.message_id, tier,
                        attempts, error)  # fmt: skip
            await self.broker.publish(
                message.body, exchange=self.topology.retry_exchange(tier),
                routing_key=message.raw_message.routing_key or "", persist=True,
                mandatory=True, message_id=message.message_id,
                content_type=message.content_type,
                headers={**message.headers, ATTEMPTS: attempts},
            )  # fmt: skip
        elif decision.fate is Fate.DEAD_LETTER and error is not None:
            log.warning("dead-lettering %s: %s", message.message_id, error)
            await dead_letter(self.broker, self.topology, message, queue, error, attempts=attempts)
        await message.ack()


def _decoded(message: RabbitMessage) -> schemas.CanonicalEvent | None:
    try:
        return schemas.decode(message.body)
    except msgspec.DecodeError:
        return None  # _apply_one dead-letters it with the reason


def _log_outcome(message: RabbitMessage, outcome: Outcome) -> None:
    log.info("%s %s: %s", message.headers.get("x-idp-sync-type"),
             message.headers.get("x-idp-sync-subject"), outcome.value)  # fmt: skip


def create_broker(
    amqp_url: str, topology: Topology, applier: Applier, max_attempts: int
) -> RabbitBroker:
    broker = RabbitBroker(
        amqp_url,
        default_channel=Channel(prefetch_count=PREFETCH, on_return_raises=True),
        logger=None,
    )
    writer = Writer(broker, topology, applier, max_attempts)
    for shard in range(topology.shards):
        queue = topology.shard_queue(shard)

        def consumer(queue: RabbitQueue = queue) -> Callable[[RabbitMessage], Awaitable[None]]:
            async def consume(message: RabbitMessage) -> None:
                await writer.handle(message, queue)

            return consume

        broker.subscriber(queue, topology.events_exchange, ack_policy=AckPolicy.MANUAL)(consumer())
    return broker


async def serve(amqp_url: str, topology: Topology, applier: Applier, max_attempts: int = 8) -> None:
    """Run until SIGINT/SIGTERM."""
    broker = create_broker(amqp_url, topology, applier, max_attempts)
    app = FastStream(broker, logger=None)

    @app.on_startup
    async def prepare() -> None:
        await applier.store.open()
        await broker.connect()
        await declare(broker, topology)

    @app.after_shutdown
    async def close() -> None:
        await applier.aws.aclose()
        await applier.store.close()

    await app.run()
