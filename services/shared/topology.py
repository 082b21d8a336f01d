"""Every broker object idp-sync uses, named under one namespace, declared idempotently.

    {ns}.raw            direct exchange; routing key = source ("okta", "generic", ...)
      {ns}.raw.<source>         quorum queue per source, read by the normalizer
    {ns}.events         direct exchange; routing key = "shard-<n>"
      {ns}.events.shard-<n>     quorum queue per shard, single active consumer (the writer)
    {ns}.dead-letter    direct exchange; routing key = the queue a message died in
      <queue>.dlq               quorum queue per work queue: what was refused, with why
    {ns}.held                   quorum queue: deletions the deletion guard holds for review
    {ns}.retry-<s>s     fanout exchange per delay tier (1, 2, 4 ... 64, 300 s)
      {ns}.retry-<s>s           quorum queue with that TTL, dead-lettering back to
                                {ns}.events under the message's own routing key (its shard)

Work queues dead-letter at least once (``x-dead-letter-strategy``) and cap redeliveries
(``x-delivery-limit``): RabbitMQ 3.10 has no default limit, so a poison message that
crashes its consumer would otherwise loop forever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas.queue import QuorumQueueArgs

DEFAULT_SOURCES = ("okta", "generic", "entra", "keycloak", "authentik", "google")
RETRY_TIERS = (1, 2, 4, 8, 16, 32, 64, 300)
"""Delay tiers in seconds: one TTL per queue, since RabbitMQ expires only at the head.

They are the powers of two the backoff asks for, so no wait is rounded up to a longer
tier: with 5, 15, 60 the fifth failure waited 60 s where it asked for 16, which alone
kept a chaos run from converging within a minute of its last webhook."""


@dataclass(frozen=True)
class Topology:
    """The names and arguments of every exchange and queue of one deployment."""

    namespace: str = "idp-sync"
    sources: tuple[str, ...] = DEFAULT_SOURCES
    shards: int = 4
    delivery_limit: int = 20

    @property
    def raw_exchange(self) -> RabbitExchange:
        return RabbitExchange(f"{self.namespace}.raw", ExchangeType.DIRECT, durable=True)

    @property
    def events_exchange(self) -> RabbitExchange:
        return RabbitExchange(f"{self.namespace}.events", ExchangeType.DIRECT, durable=True)

    @property
    def dead_letter_exchange(self) -> RabbitExchange:
        return RabbitExchange(f"{self.namespace}.dead-letter", ExchangeType.DIRECT, durable=True)

    def _work_arguments(self, name: str) -> QuorumQueueArgs:
        return {
            "x-dead-letter-exchange": self.dead_letter_exchange.name,
            "x-dead-letter-routing-key": name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-delivery-limit": self.delivery_limit,
        }

    def raw_queue(self, source: str) -> RabbitQueue:
        """Where the gateway's accepted webhooks for ``source`` wait for the normalizer."""
        name = f"{self.namespace}.raw.{source}"
        return RabbitQueue(
            name, QueueType.QUORUM, durable=True, arguments=self._work_arguments(name),
            routing_key=source,
        )  # fmt: skip

    def shard_queue(self, shard: int) -> RabbitQueue:
        """One shard of canonical events; one consumer at a time keeps per-subject order."""
        name = f"{self.namespace}.events.shard-{shard}"
        arguments = self._work_arguments(name)
        arguments["x-single-active-consumer"] = True
        return RabbitQueue(
            name, QueueType.QUORUM, durable=True, arguments=arguments,
            routing_key=f"shard-{shard}",
        )  # fmt: skip

    def dead_letter_queue(self, work_queue: RabbitQueue) -> RabbitQueue:
        return RabbitQueue(
            f"{work_queue.name}.dlq", QueueType.QUORUM, durable=True,
            routing_key=work_queue.name,
        )  # fmt: skip

    @property
    def held_queue(self) -> RabbitQueue:
        """Deactivations and deletions the deletion guard parked for a person to review;
        reached through the default exchange by its name."""
        return RabbitQueue(f"{self.namespace}.held", QueueType.QUORUM, durable=True)

    def retry_exchange(self, seconds: int) -> RabbitExchange:
        return RabbitExchange(
            f"{self.namespace}.retry-{seconds}s", ExchangeType.FANOUT, durable=True
        )

    def retry_queue(self, seconds: int) -> RabbitQueue:
        """Holds a message ``seconds``, then hands it back to its shard."""
        arguments: QuorumQueueArgs = {
            "x-message-ttl": seconds * 1000,
            "x-dead-letter-exchange": self.events_exchange.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        return RabbitQueue(
            f"{self.namespace}.retry-{seconds}s", QueueType.QUORUM, durable=True,
            arguments=arguments,
        )  # fmt: skip

    def retry_tier(self, wait: float) -> int:
        """The shortest tier that waits at least ``wait`` seconds (the longest if none)."""
        return next((t for t in RETRY_TIERS if t >= wait), RETRY_TIERS[-1])

    @property
    def work_queues(self) -> list[tuple[RabbitExchange, RabbitQueue]]:
        raw = [(self.raw_exchange, self.raw_queue(source)) for source in self.sources]
        shards = [(self.events_exchange, self.shard_queue(n)) for n in range(self.shards)]
        return raw + shards

    def shard_of(self, shard_key: str) -> int:
        """A stable hash (Python's ``hash`` is salted per process) of the subject."""
        digest = hashlib.sha256(shard_key.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.shards

    def shard_routing_key(self, shard_key: str) -> str:
        return f"shard-{self.shard_of(shard_key)}"

    def all_queues(self) -> list[RabbitQueue]:
        work = [queue for _, queue in self.work_queues]
        retries = [self.retry_queue(t) for t in RETRY_TIERS]
        dead = [self.dead_letter_queue(queue) for queue in work]
        return [*work, *dead, self.held_queue, *retries]

    def all_exchanges(self) -> list[RabbitExchange]:
        retries = [self.retry_exchange(t) for t in RETRY_TIERS]
        return [self.raw_exchange, self.events_exchange, self.dead_letter_exchange, *retries]


async def declare(broker: RabbitBroker, topology: Topology) -> None:
    """Declare every exchange, queue and binding; safe to run at every start."""
    dead_letter = await broker.declare_exchange(topology.dead_letter_exchange)
    for exchange, queue in topology.work_queues:
        declared_exchange = await broker.declare_exchange(exchange)
        declared = await broker.declare_queue(queue)
        await declared.bind(declared_exchange, routing_key=queue.routing_key)
        dlq = topology.dead_letter_queue(queue)
        declared_dlq = await broker.declare_queue(dlq)
        await declared_dlq.bind(dead_letter, routing_key=dlq.routing_key)
    await broker.declare_queue(topology.held_queue)
    for seconds in RETRY_TIERS:
        delay_exchange = await broker.declare_exchange(topology.retry_exchange(seconds))
        delay_queue = await broker.declare_queue(topology.retry_queue(seconds))
        await delay_queue.bind(delay_exchange)


async def delete(amqp_url: str, topology: Topology) -> None:
    """Delete every queue (with its messages) and exchange of ``topology``'s namespace:
    for throwaway namespaces (the demo, tests), never for a namespace in use."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in topology.all_queues():
            await channel.queue_delete(queue.name)
        for exchange in topology.all_exchanges():
            await channel.exchange_delete(exchange.name)
