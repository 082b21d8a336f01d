"""The writer's composition root: one consumer per shard, one active at a time.

Each message is applied (or skipped) and then acked; a retry is republished to the delay
tier that honours its wait, and acked only after the broker confirmed that; a dead letter
likewise. Prefetch 1 keeps one shard's events in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from faststream import AckPolicy, FastStream
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.schemas import Channel

import schemas
from services.shared.dead_letters import ATTEMPTS, dead_letter
from services.shared.fates import Fate
from services.shared.topology import Topology, declare

from ._applier import Applier
from ._fate import decide

log = logging.getLogger("idp_sync.writer")


@dataclass
class Writer:
    broker: RabbitBroker
    topology: Topology
    applier: Applier
    max_attempts: int = 8

    async def handle(self, message: RabbitMessage, queue: RabbitQueue) -> None:
        attempts = int(str(message.headers.get(ATTEMPTS, 0))) + 1
        error: Exception | None = None
        try:
            outcome = await self.applier.apply(schemas.decode(message.body))
            log.info("%s %s: %s", message.headers.get("x-idp-sync-type"),
                     message.headers.get("x-idp-sync-subject"), outcome.value)  # fmt: skip
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


def create_broker(
    amqp_url: str, topology: Topology, applier: Applier, max_attempts: int
) -> RabbitBroker:
    broker = RabbitBroker(
        amqp_url, default_channel=Channel(prefetch_count=1, on_return_raises=True), logger=None
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
