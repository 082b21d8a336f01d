"""The writer's composition root: one consumer per shard, one active at a time.

Each message is applied (or skipped) and then acked; a retry is republished to the delay
tier that honours its wait, and acked only after the broker confirmed that; a dead letter
likewise. A shard's events are applied one at a time; membership events of one group that
are already delivered are combined into as few PATCHes as AWS allows. Order is best effort
by design: the state store's versions make a late older event a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
from aio_pika.exceptions import ChannelInvalidStateError
from faststream import AckPolicy, FastStream
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.schemas import Channel

import schemas
from services.shared.dead_letters import (
    APPROVED,
    ATTEMPTS,
    HISTORY,
    dead_letter,
    with_failure,
)
from services.shared.fates import CRASHES_ALLOWED, Fate, PoisonMessage
from services.shared.startup import broker_address, until_reachable
from services.shared.telemetry import annotate
from services.shared.topology import Topology, declare

from ._applier import Applier, MemberNotYetProvisioned, MembershipEvent, Outcome
from ._deletion_guard import DeletionGuard, Retirement
from ._fate import Decision, decide
from ._holding import hold
from ._lag_report import report_lags_forever
from ._observing import received_at, settled
from ._shard import WAITING_SINCE, Shard, give_back, held, waited_for

log = logging.getLogger("idp_sync.writer")

PREFETCH = 100
"""Per shard: deliveries waiting in the writer, the pool membership events are combined from."""


@dataclass
class Writer:
    broker: RabbitBroker
    topology: Topology
    applier: Applier
    max_attempts: int = 8
    guard: DeletionGuard = field(default_factory=DeletionGuard)
    member_wait: float = 3600.0
    """Seconds a membership may wait for its user or group before it is dead-lettered."""
    process: str = field(default_factory=lambda: uuid.uuid4().hex)
    """This process's id in the state store's count of who began what."""
    _shards: dict[str, Shard] = field(default_factory=dict)
    _flushing: set[asyncio.Task[None]] = field(default_factory=set)

    def shard(self, queue: str) -> Shard:
        """The consumer state of one shard queue."""
        return self._shards.setdefault(queue, Shard())

    async def handle(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        # aiormq runs a task per delivery, so with prefetch > 1 handlers would overlap:
        # the lock keeps one shard's events one at a time (and, in practice, in order).
        shard = self.shard(queue.name)
        shard.unfinished[id(message)] = received_at(message)
        try:
            async with shard.turn():
                await self._take(shard, message, queue)
        finally:
            # A handler cancelled (the connection dropped) leaves its message to the broker,
            # which delivers it again; one still pending in a batch is finished with it.
            if not shard.pending(message):
                shard.unfinished.pop(id(message), None)
            if shard.orphaned():
                self._flush_later(shard, queue)

    async def _take(self, shard: Shard, message: RabbitMessage, queue: RabbitQueue) -> None:
        if message.raw_message.redelivered:
            # It may be what took the last process down: applied alone, its start noted.
            await self._apply_members(shard, queue)
            await self._apply_suspect(message, queue)
            return
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

    def _flush_later(self, shard: Shard, queue: RabbitQueue) -> None:
        """Apply a batch whose last waiting handler was cancelled: nobody else would."""

        async def flush() -> None:
            async with shard.turn():
                await self._apply_members(shard, queue)

        task = asyncio.create_task(flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _apply_members(self, shard: Shard, queue: RabbitQueue) -> None:
        batch, shard.members = shard.members, []
        for message, _ in batch:
            if not held(message):  # its channel is gone: the broker delivers it again
                shard.unfinished.pop(id(message), None)
        batch = [(message, event) for message, event in batch if held(message)]
        if len(batch) <= 1:
            for message, _ in batch:
                await self._apply_one(message, queue)
            return
        annotate(batch[-1][1])
        try:
            outcomes = await self.applier.apply_members([event for _, event in batch])
        except Exception:  # noqa: BLE001 - one event's trouble must not hold back the rest
            for message, _ in batch:
                await self._apply_one(message, queue)
            return
        for (message, _), outcome in zip(batch, outcomes, strict=True):
            settled(message, outcome.value)
            await self._finish(message, queue)

    async def _apply_suspect(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        """Apply a redelivered message, counting how often applying it ended with the
        process: past ``CRASHES_ALLOWED`` it is dead-lettered instead of applied again."""
        store, key = self.applier.store, message.message_id or ""
        try:
            began = await store.attempt_began(key, self.process)
        except Exception:  # noqa: BLE001 - without the count it is applied as any other
            began = 1
        try:
            # The processes before this one that began it never ended it: they died.
            await self._apply_one(message, queue, crashed=began - 1)
        finally:
            with contextlib.suppress(Exception):  # a count left behind only errs cautious
                await asyncio.shield(store.attempt_ended(key))

    async def _apply_one(
        self, message: RabbitMessage, queue: RabbitQueue, *, crashed: int = 0
    ) -> None:
        attempts = int(str(message.headers.get(ATTEMPTS, 0))) + 1
        error: Exception | None = None
        try:
            _refuse_poison(crashed)
            event = schemas.decode(message.body)
            annotate(event)
            outcome = await self._guarded(event, message) or await self.applier.apply(event)
            settled(message, outcome.value)
        except Exception as failure:  # noqa: BLE001 - decide() gives every failure its fate
            error = failure
        waited = waited_for(message)
        decision = decide(error, attempts, self.max_attempts, waited=waited,
                          max_wait=self.member_wait)  # fmt: skip
        try:
            if decision.fate is Fate.RETRY and error is not None:
                counted = attempts - 1 if decision.waiting else attempts
                await self._retry(message, error, counted, decision)
            elif decision.fate is Fate.DEAD_LETTER and error is not None:
                if decision.waiting or isinstance(error, MemberNotYetProvisioned):
                    error = MemberNotYetProvisioned(f"{error}; waited {waited:.0f} s for it, "
                                                    "more than IDP_SYNC_MEMBER_WAIT")  # fmt: skip
                log.warning("dead-lettering %s: %s", message.message_id, error)
                settled(message, "dead-lettered")
                await dead_letter(self.broker, self.topology, message, queue, error,
                                  attempts=attempts)  # fmt: skip
        except Exception as parking:  # noqa: BLE001 - unacked on a live channel, it would sit
            log.warning("could not park %s (%s); it goes back to its queue", message.message_id,
                        parking)  # fmt: skip
            await give_back(message)
            self.shard(queue.name).unfinished.pop(id(message), None)
            return
        await self._finish(message, queue)

    async def _finish(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        with contextlib.suppress(ChannelInvalidStateError):  # gone with its channel: the
            await message.ack()  # broker delivers it again, and it is then a duplicate
        self.shard(queue.name).unfinished.pop(id(message), None)

    async def report_lags_forever(self, every: float = 2.0) -> None:
        """Tell the state store, per shard, how old the oldest unfinished event is; keep
        the queue-depth and unfinished gauges current."""
        await report_lags_forever(self.broker, self.topology, self.applier.store,
                                  self.shard, every)  # fmt: skip

    async def _guarded(
        self, event: schemas.CanonicalEvent, message: RabbitMessage
    ) -> Outcome | None:
        """``HELD`` when the deletion guard parks ``event``; ``None`` to apply it."""
        if not isinstance(event, Retirement) or message.headers.get(APPROVED):
            return None
        skipped = await self.applier.skipped(event)
        if skipped is not None or self.guard.admits():
            return skipped
        await hold(self.broker, self.topology, self.guard, event, message)
        return Outcome.HELD

    async def _retry(
        self, message: RabbitMessage, error: Exception, attempts: int, decision: Decision
    ) -> None:
        settled(message, "retried")
        tier = self.topology.retry_tier(decision.wait)
        log.warning("retrying %s in %ss (attempt %d): %s", message.message_id, tier,
                    attempts, error)  # fmt: skip
        history = with_failure(dict(message.headers), error, attempts)
        headers = {**message.headers, ATTEMPTS: attempts, HISTORY: history}
        if decision.waiting:
            # Text, not a float: AMQP floats are 32 bits, a 128 s step at today's epoch.
            headers.setdefault(WAITING_SINCE, f"{time.time():.3f}")
        await self.broker.publish(
            message.body, exchange=self.topology.retry_exchange(tier),
            routing_key=message.raw_message.routing_key or "", persist=True,
            mandatory=True, message_id=message.message_id, content_type=message.content_type,
            headers=headers,
        )  # fmt: skip


def _refuse_poison(crashed: int) -> None:
    if crashed >= CRASHES_ALLOWED:
        raise PoisonMessage(f"applying it ended the writer's process {crashed} times; set "
                            "aside so it cannot crash-loop the writer")  # fmt: skip


def _decoded(message: RabbitMessage) -> schemas.CanonicalEvent | None:
    try:
        return schemas.decode(message.body)
    except msgspec.DecodeError:
        return None  # _apply_one dead-letters it with the reason


def create_writer(
    amqp_url: str, topology: Topology, applier: Applier, *, max_attempts: int = 8,
    guard: DeletionGuard | None = None, member_wait: float = 3600.0,
) -> Writer:  # fmt: skip
    """A writer whose broker has one consumer per shard queue, applying through ``applier``;
    start ``report_lags_forever`` beside it for ``idp-sync status``."""
    broker = RabbitBroker(
        amqp_url,
        middlewares=(RabbitTelemetryMiddleware(),),
        default_channel=Channel(prefetch_count=PREFETCH, on_return_raises=True),
        logger=None,
    )
    writer = Writer(broker, topology, applier, max_attempts, guard or DeletionGuard(), member_wait)
    for shard in range(topology.shards):
        queue = topology.shard_queue(shard)

        def consumer(queue: RabbitQueue = queue) -> Callable[[RabbitMessage], Awaitable[None]]:
            async def consume(message: RabbitMessage) -> None:
                await writer.handle(message, queue)

            return consume

        broker.subscriber(queue, topology.events_exchange, ack_policy=AckPolicy.MANUAL)(consumer())
    return writer


async def serve(
    amqp_url: str, topology: Topology, applier: Applier, *, max_attempts: int = 8,
    guard: DeletionGuard | None = None, member_wait: float = 3600.0,
    startup_timeout: float = 60.0,
) -> None:  # fmt: skip
    """Run until SIGINT/SIGTERM. Raises ``Unreachable`` (or ``Refused``) when the state store
    or the broker does not answer within ``startup_timeout`` seconds, having closed both."""
    writer = create_writer(amqp_url, topology, applier, max_attempts=max_attempts, guard=guard,
                           member_wait=member_wait)  # fmt: skip
    broker = writer.broker
    app = FastStream(broker, logger=None)
    reporting: list[asyncio.Task[None]] = []
    try:
        await until_reachable("the state store", applier.store.open, within=startup_timeout)
        await until_reachable(broker_address(amqp_url), broker.connect, within=startup_timeout)
        await declare(broker, topology)
    except BaseException:
        await _close(writer)
        raise

    @app.after_startup
    async def report() -> None:
        reporting.append(asyncio.create_task(writer.report_lags_forever()))
        log.info("writer consuming %d shards", topology.shards)

    @app.after_shutdown
    async def close() -> None:
        for task in reporting:
            task.cancel()
        await _close(writer)

    await app.run()


async def _close(writer: Writer) -> None:
    # The SQLite store runs a thread of its own: left open, the process could never exit.
    with contextlib.suppress(Exception):
        await writer.broker.stop()
    await writer.applier.aws.aclose()
    await writer.applier.store.close()
