"""Publishing accepted webhooks to the broker: persistent, mandatory, confirmed."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from faststream.rabbit import RabbitBroker

from services.shared.topology import Topology, declare

log = logging.getLogger("idp_sync.gateway")


class BrokerUnavailable(Exception):
    """The broker did not confirm in time (down, unreachable, refused, or unroutable)."""


@dataclass(frozen=True)
class RawEvent:
    """One IdP event as received: its bytes untouched, its id as the message id."""

    message_id: str
    body: bytes


class RawEventPublisher(Protocol):
    async def publish(self, source: str, tenant: str, events: Sequence[RawEvent]) -> None: ...
    async def ready(self) -> bool: ...


class BrokerPublisher:
    """Publishes to ``{ns}.raw`` and returns only once the broker confirmed every message."""

    def __init__(self, broker: RabbitBroker, topology: Topology, timeout: float) -> None:
        self.broker = broker
        self.topology = topology
        self.timeout = timeout
        self.connected = asyncio.Event()

    async def keep_connecting(self) -> None:
        """Connect and declare the topology, retrying until it works (runs in the background)."""
        delay = 0.2
        while True:
            try:
                await self.broker.connect()
                await declare(self.broker, self.topology)
            except (TimeoutError, OSError, ConnectionError) as error:
                log.warning("broker not reachable yet (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                self.connected.set()
                return

    async def ready(self) -> bool:
        return self.connected.is_set() and await self.broker.ping(timeout=1.0)

    async def _publish_one(self, source: str, tenant: str, event: RawEvent) -> None:
        await self.broker.publish(
            event.body,
            exchange=self.topology.raw_exchange,
            routing_key=source,
            mandatory=True,
            persist=True,
            message_id=event.message_id,
            content_type="application/json",
            headers={
                "x-idp-sync-source": source,
                "x-idp-sync-tenant": tenant,
                "x-idp-sync-received-at": dt.datetime.now(dt.UTC).isoformat(),
            },
            timeout=self.timeout,
        )

    async def publish(self, source: str, tenant: str, events: Sequence[RawEvent]) -> None:
        if not self.connected.is_set():
            raise BrokerUnavailable("not connected to the broker")
        failure: Exception | None = None
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    try:
                        await asyncio.gather(
                            *(self._publish_one(source, tenant, e) for e in events)
                        )
                    except Exception as error:  # noqa: BLE001 - retried within the budget
                        # Right after a reconnect the channel may still be restoring; a
                        # repeat within the time Okta waits is cheap, and a message sent
                        # twice keeps its id, so the copy is a no-op downstream.
                        failure = error
                        log.warning("publish failed (%s: %s); retrying", type(error).__name__,
                                    error)  # fmt: skip
                        await asyncio.sleep(0.1)
                    else:
                        return
        except TimeoutError as error:
            reason = failure or error
            raise BrokerUnavailable(f"{type(reason).__name__}: {reason}") from error
