"""Reading and settling parked messages on the broker.

A DLQ is read with ``basic.get`` and nothing is acked while reading: when the channel
closes, every message not settled goes back to its queue untouched (DLQs and the held
queue have no delivery limit, so reading them never costs a message). A message is acked
(removed) only after what replaces it was confirmed by the broker, so a command killed
half-way loses nothing; at worst one message is both re-published and still parked, and
its idempotency key makes the second copy a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from services.shared.topology import Topology

from ._filters import Filters
from ._message import ParkedMessage

Settle = Callable[[AbstractChannel, ParkedMessage], Awaitable[None]]
"""Whatever must happen, confirmed, before a parked message may be removed."""


def parked(queue: str, message: AbstractIncomingMessage) -> ParkedMessage:
    return ParkedMessage(queue, message.message_id or "", dict(message.headers), message.body)


@dataclass(frozen=True)
class ParkingLot:
    """The DLQs and the held queue of one namespace."""

    amqp_url: str
    topology: Topology

    @property
    def dead_letter_queues(self) -> list[str]:
        return [self.topology.dead_letter_queue(q).name for _, q in self.topology.work_queues]

    @property
    def held_queue(self) -> str:
        return self.topology.held_queue.name

    @contextlib.asynccontextmanager
    async def _reading(self, queue: str) -> AsyncIterator[AsyncIterator[AbstractIncomingMessage]]:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(queue, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                declared = None  # not declared yet: nothing parked there

            async def messages() -> AsyncIterator[AbstractIncomingMessage]:
                while declared is not None:
                    message = await declared.get(no_ack=False, fail=False)
                    if message is None:
                        return
                    yield message

            yield messages()

    async def browse(self, queues: Sequence[str], filters: Filters) -> list[ParkedMessage]:
        """The parked messages of ``queues`` that match, oldest first; none is removed."""
        found: list[ParkedMessage] = []
        for queue in queues:
            async with self._reading(queue) as messages:
                found += [m async for m in _parked_in(queue, messages) if filters.matches(m)]
        return sorted(found, key=lambda m: (m.when is None, m.when))

    async def settle(
        self, queues: Sequence[str], filters: Filters, settle: Settle, *, rate: float,
        progress: Callable[[ParkedMessage], None] = lambda _: None,
    ) -> int:  # fmt: skip
        """For each matching message: ``settle`` it (at most ``rate`` a second), then remove
        it from its queue. Returns how many were settled."""
        done, interval, next_at = 0, 1.0 / rate, time.monotonic()
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            publishing = await connection.channel(on_return_raises=True)
            for queue in queues:
                async with self._reading(queue) as messages:
                    async for raw in messages:
                        message = parked(queue, raw)
                        if not filters.matches(message):
                            continue
                        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                        next_at = max(next_at, time.monotonic()) + interval
                        await settle(publishing, message)
                        await raw.ack()
                        done += 1
                        progress(message)
        return done


async def _parked_in(
    queue: str, messages: AsyncIterator[AbstractIncomingMessage]
) -> AsyncIterator[ParkedMessage]:
    async for message in messages:
        yield parked(queue, message)
