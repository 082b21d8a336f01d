"""The broker topology on the real RabbitMQ: declared twice, routed, dead-lettered, ordered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage as IncomingMessage
from faststream.rabbit import RabbitBroker

from services.shared.topology import Topology, declare

pytestmark = pytest.mark.rabbit


async def _get(
    channel: aio_pika.abc.AbstractChannel, queue: str
) -> aio_pika.abc.AbstractIncomingMessage:
    """The next message, by consuming: quorum queues with a single active consumer refuse
    ``basic.get``."""
    declared = await channel.get_queue(queue, ensure=False)
    async with declared.iterator() as messages:
        return await asyncio.wait_for(anext(messages), timeout=10)


async def _publish(
    channel: aio_pika.abc.AbstractChannel, exchange: str, routing_key: str, body: bytes
) -> None:
    target = await channel.get_exchange(exchange, ensure=False)
    message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    await target.publish(message, routing_key=routing_key, mandatory=True)


async def test_declaring_twice_is_harmless_and_every_name_is_namespaced(
    amqp_url: str, topology: Topology
) -> None:
    async with RabbitBroker(amqp_url) as broker:
        await declare(broker, topology)
        await declare(broker, topology)
    names = [q.name for q in topology.all_queues()] + [e.name for e in topology.all_exchanges()]
    assert all(name.startswith(f"{topology.namespace}.") for name in names)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in topology.all_queues():
            await channel.declare_queue(queue.name, passive=True)


async def test_raw_events_route_by_source_and_rejects_land_in_the_dlq(
    amqp_url: str, topology: Topology
) -> None:
    async with RabbitBroker(amqp_url) as broker:
        await declare(broker, topology)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await _publish(channel, topology.raw_exchange.name, "okta", b"an okta batch")
        message = await _get(channel, topology.raw_queue("okta").name)
        assert message.body == b"an okta batch"
        await message.reject(requeue=False)
        dead = await _get(channel, f"{topology.raw_queue('okta').name}.dlq")
        assert dead.body == b"an okta batch"
        deaths: Any = dead.headers["x-death"]
        assert deaths[0]["reason"] == "rejected"
        await dead.ack()


async def test_a_subject_always_goes_to_the_same_shard(amqp_url: str, topology: Topology) -> None:
    key = "user:00u1"
    shard = topology.shard_of(key)
    assert {topology.shard_of(key) for _ in range(10)} == {shard}
    assert {topology.shard_of(f"user:{i}") for i in range(100)} == set(range(topology.shards))
    async with RabbitBroker(amqp_url) as broker:
        await declare(broker, topology)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await _publish(
            channel, topology.events_exchange.name, topology.shard_routing_key(key), b"e"
        )
        message = await _get(channel, topology.shard_queue(shard).name)
        await message.ack()


async def test_a_shard_has_one_active_consumer(amqp_url: str, topology: Topology) -> None:
    """Single active consumer: a second consumer is a standby and gets nothing."""
    async with RabbitBroker(amqp_url) as broker:
        await declare(broker, topology)
    received: dict[str, list[bytes]] = {"first": [], "second": []}
    done = asyncio.Event()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=1)
        queue = await channel.get_queue(topology.shard_queue(0).name, ensure=False)

        def consumer(name: str) -> Callable[[IncomingMessage], Awaitable[None]]:
            async def on_message(message: IncomingMessage) -> None:
                received[name].append(message.body)
                await message.ack()
                if sum(map(len, received.values())) == 20:
                    done.set()

            return on_message

        await queue.consume(consumer("first"))
        await queue.consume(consumer("second"))
        for i in range(20):
            await _publish(channel, topology.events_exchange.name, "shard-0", str(i).encode())
        await asyncio.wait_for(done.wait(), timeout=10)
    assert received["first"] == [str(i).encode() for i in range(20)]
    assert received["second"] == []


async def test_a_retried_message_comes_back_to_its_own_shard_after_the_delay(
    amqp_url: str, topology: Topology
) -> None:
    async with RabbitBroker(amqp_url) as broker:
        await declare(broker, topology)
    assert [topology.retry_tier(w) for w in (0, 1, 2, 3, 14, 16, 61, 65, 999)] == [
        1,
        1,
        2,
        4,
        16,
        16,
        64,
        300,
        300,
    ]
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await _publish(channel, topology.retry_exchange(1).name, "shard-1", b"try again")
        message = await _get(channel, topology.shard_queue(1).name)
        assert message.body == b"try again"
        deaths: Any = message.headers["x-death"]
        assert deaths[0]["reason"] == "expired"
        await message.ack()
