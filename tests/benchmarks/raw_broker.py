"""The ceiling the pipeline is measured against: one quorum queue, aio-pika alone."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika

IN_FLIGHT = 100


async def raw_ceiling(amqp_url: str, messages: int = 20_000) -> float:
    """Messages/s through one quorum queue: persistent, publisher-confirmed with
    ``IN_FLIGHT`` confirms outstanding, consumed and acked with prefetch ``IN_FLIGHT``,
    from the first publish to the last ack."""
    body = b"x" * 300  # about a canonical event's size
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=IN_FLIGHT)
        queue = await channel.declare_queue(
            f"idp-sync-bench-raw-{uuid.uuid4().hex[:8]}", durable=True,
            arguments={"x-queue-type": "quorum"},
        )  # fmt: skip
        done = asyncio.Event()
        consumed = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal consumed
            await message.ack()
            consumed += 1
            if consumed == messages:
                done.set()

        await queue.consume(on_message)
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def publish() -> None:
            async with slots:
                await channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue.name, mandatory=True,
                )  # fmt: skip

        started = time.perf_counter()
        await asyncio.gather(*(publish() for _ in range(messages)))
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
    return messages / elapsed
