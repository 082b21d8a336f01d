"""Real-RabbitMQ helpers: a reachable broker or a failed test (never a skip), and cleanup."""

from __future__ import annotations

import asyncio
import socket
import uuid
from urllib.parse import urlsplit

import aio_pika
import pytest

from services.shared import load_settings
from services.shared import topology as topology_module
from services.shared.topology import Topology


def amqp_url() -> str:
    """The broker the tests use: ``IDP_SYNC_AMQP_URL``, by default the local RabbitMQ."""
    url = load_settings().amqp_url.get_secret_value()
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 3).close()
    except OSError as error:
        pytest.fail(
            f"RabbitMQ is not reachable at {parts.hostname}:{parts.port} ({error}). "
            "Broker tests never skip: start it with `rabbitmq-server -detached`."
        )
    return url


def test_namespace() -> str:
    """A namespace of its own, so runs sharing the broker never see each other's messages."""
    return f"idp-sync-test-{uuid.uuid4().hex[:10]}"


async def delete_topology(url: str, topology: Topology) -> None:
    await topology_module.delete(url, topology)


async def queued(url: str, queue: str) -> int:
    """How many messages wait in ``queue`` (a passive declare changes nothing)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def take(
    url: str, queue: str, count: int, within: float = 10.0
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Consume and ack exactly ``count`` messages (by consuming: quorum SAC refuses get)."""
    taken: list[aio_pika.abc.AbstractIncomingMessage] = []
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.get_queue(queue, ensure=False)
        async with asyncio.timeout(within), declared.iterator() as messages:
            async for message in messages:
                await message.ack()
                taken.append(message)
                if len(taken) == count:
                    break
    return taken


async def purge(url: str, queue: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await (await channel.get_queue(queue, ensure=False)).purge()


async def consumers(url: str, queue: str) -> int:
    """How many consumers ``queue`` has (0 when it does not exist yet)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0
        return int(declared.declaration_result.consumer_count or 0)


POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_dsn() -> str:
    """The local PostgreSQL; the test fails (never skips) when it cannot be reached."""
    try:
        socket.create_connection(("127.0.0.1", 5432), 3).close()
    except OSError as error:
        pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({error}); start it.")
    return POSTGRES_DSN
