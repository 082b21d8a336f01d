"""The normalizer's composition root: one consumer per source, one decision per outcome.

Each raw event becomes zero or more canonical events published (confirmed) to the shard
of their subject; only then is the raw message acked. What cannot be mapped goes to the
source's DLQ at once with the reason; what failed for a passing reason is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aio_pika.exceptions import ChannelInvalidStateError
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.schemas import Channel

import schemas
from services.scim_writer import StateStore
from services.shared.canonical_publishing import publish_event
from services.shared.dead_letters import ATTEMPTS, HISTORY, dead_letter, with_failure
from services.shared.fates import CRASHES_ALLOWED, Fate, PoisonMessage
from services.shared.startup import broker_address, until_reachable
from services.shared.topology import Topology, declare
from services.sources.authentik.events import AuthentikNormalizer
from services.sources.entra.events import EntraNormalizer
from services.sources.errors import IdpUnavailable, Unmappable
from services.sources.generic import events as _generic
from services.sources.google.events import GoogleNormalizer
from services.sources.keycloak.events import KeycloakNormalizer
from services.sources.okta.events import OktaNormalizer

log = logging.getLogger("idp_sync.normalizer")
MAX_WAIT = 60.0
Normalize = Callable[[bytes, str], Awaitable[list[schemas.CanonicalEvent]]]
Confirmed = Callable[[list[schemas.CanonicalEvent]], Awaitable[None]]
"""Told which events the broker confirmed (a source that remembers what it saw)."""


def fate_of(error: Exception) -> Fate:
    """The one place that decides what a failure means for the raw message."""
    if isinstance(error, IdpUnavailable):
        return Fate.RETRY
    if isinstance(error, Unmappable | PoisonMessage):
        return Fate.DEAD_LETTER
    return Fate.RETRY  # unknown failures are retried; the delivery limit bounds them


@dataclass
class Normalizer:
    """Turns raw events of each source into canonical events on their shards."""

    broker: RabbitBroker
    topology: Topology
    okta: OktaNormalizer
    max_attempts: int = 8

    async def publish(self, event: schemas.CanonicalEvent, received_at: object = None) -> None:
        await publish_event(self.broker, self.topology, event, received_at)

    async def handle(
        self, message: RabbitMessage, queue: RabbitQueue, normalize: Normalize,
        confirmed: Confirmed | None = None,
    ) -> None:  # fmt: skip
        tenant = str(message.headers.get("x-idp-sync-tenant", ""))
        # One message at a time (prefetch 1): a message delivered again and again without an
        # outcome is the one that took the process down each time.
        crashed = int(str(message.headers.get("x-delivery-count", 0)))
        if crashed >= CRASHES_ALLOWED:
            poison = PoisonMessage(f"delivered {crashed + 1} times without an outcome: it "
                                   "ended the normalizer's process each time")  # fmt: skip
            await self._settle_or_give_back(message, queue, poison)
            return
        try:
            received_at = message.headers.get("x-idp-sync-received-at")
            events = await normalize(message.body, tenant)
            for event in events:
                await self.publish(event, received_at)
            if confirmed is not None:
                await confirmed(events)
        except Exception as error:  # noqa: BLE001 - every failure is given its fate
            await self._settle_or_give_back(message, queue, error)
        else:
            with contextlib.suppress(ChannelInvalidStateError):  # the broker has it back
                await message.ack()

    async def _settle_or_give_back(
        self, message: RabbitMessage, queue: RabbitQueue, error: Exception
    ) -> None:
        try:
            await self.settle_failure(message, queue, error)
        except Exception as parking:  # noqa: BLE001 - unacked on a live channel, it would sit
            log.warning("could not park %s (%s); it goes back to its queue", message.message_id,
                        parking)  # fmt: skip
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)

    async def settle_failure(
        self, message: RabbitMessage, queue: RabbitQueue, error: Exception
    ) -> None:
        attempts = int(str(message.headers.get(ATTEMPTS, 0))) + 1
        if fate_of(error) is Fate.DEAD_LETTER or attempts >= self.max_attempts:
            log.warning("dead-lettering %s: %s", message.message_id, error)
            await dead_letter(self.broker, self.topology, message, queue, error,
                              attempts=attempts)  # fmt: skip
            await message.ack()
            return
        wait = retry_wait(error, attempts)
        log.warning("retrying %s in %.0f s (attempt %d): %r", message.message_id, wait,
                    attempts, error)  # fmt: skip
        # The IdP asked for a pause (or is down): this source's queue pauses with it, rather
        # than hammering the IdP; other sources flow on their own queues.
        await asyncio.sleep(wait)
        await self.broker.publish(
            message.body, exchange=self.topology.raw_exchange,
            routing_key=message.raw_message.routing_key or "", persist=True, mandatory=True,
            message_id=message.message_id, content_type=message.content_type,
            headers={**message.headers, ATTEMPTS: attempts,
                     HISTORY: with_failure(dict(message.headers), error, attempts)},  # type: ignore[dict-item]
        )  # fmt: skip
        await message.ack()


def retry_wait(error: Exception, attempts: int) -> float:
    """Seconds before the next attempt: growing, at least what the IdP asked, at most 60."""
    asked = error.retry_after if isinstance(error, IdpUnavailable) else None
    return min(MAX_WAIT, max(asked or 0.0, float(2 ** (attempts - 1))))


def create_broker(
    amqp_url: str, topology: Topology, okta: OktaNormalizer, *,
    entra: EntraNormalizer | None = None, keycloak: KeycloakNormalizer | None = None,
    authentik: AuthentikNormalizer | None = None, google: GoogleNormalizer | None = None,
    max_attempts: int = 8,
) -> RabbitBroker:  # fmt: skip
    """A broker with a consumer on each source's raw queue."""
    broker = RabbitBroker(
        amqp_url,
        middlewares=(RabbitTelemetryMiddleware(),),
        # prefetch 1: events leave in the order they came, so shards see them in order
        default_channel=Channel(prefetch_count=1, on_return_raises=True),
        logger=None,
    )
    normalizer = Normalizer(broker, topology, okta, max_attempts)

    async def generic(raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        return _generic.normalize(raw, tenant)

    routes: dict[str, Normalize] = {
        "okta": okta.normalize, "generic": generic,
        "entra": (entra := entra or EntraNormalizer(None)).normalize,
        "keycloak": (keycloak or KeycloakNormalizer(None)).normalize,
        "authentik": (authentik := authentik or AuthentikNormalizer(None, None)).normalize,
        "google": (google or GoogleNormalizer(None)).normalize,
    }  # fmt: skip
    after: dict[str, Confirmed] = {"authentik": authentik.confirmed, "entra": entra.confirmed}
    for source, normalize in routes.items():
        queue = topology.raw_queue(source)

        def consumer(
            queue: RabbitQueue = queue, normalize: Normalize = normalize,
            confirmed: Confirmed | None = after.get(source),  # noqa: B008 - bound per source
        ) -> Callable[[RabbitMessage], Awaitable[None]]:  # fmt: skip
            async def consume(message: RabbitMessage) -> None:
                await normalizer.handle(message, queue, normalize, confirmed)

            return consume

        broker.subscriber(queue, topology.raw_exchange, ack_policy=AckPolicy.MANUAL)(consumer())
    return broker


async def serve(
    amqp_url: str, topology: Topology, okta: OktaNormalizer, *,
    entra: EntraNormalizer | None = None, keycloak: KeycloakNormalizer | None = None,
    authentik: AuthentikNormalizer | None = None, google: GoogleNormalizer | None = None,
    max_attempts: int = 8, startup_timeout: float = 60.0,
) -> None:  # fmt: skip
    """Run until SIGINT/SIGTERM: declare the topology, consume, publish. Raises
    ``Unreachable`` (or ``Refused``) when a state store or the broker does not answer
    within ``startup_timeout`` seconds, having closed what it opened."""
    from faststream import FastStream

    broker = create_broker(amqp_url, topology, okta, entra=entra, keycloak=keycloak,
                           authentik=authentik, google=google,
                           max_attempts=max_attempts)  # fmt: skip
    app = FastStream(broker, logger=None)
    apis = (okta.api, entra.api if entra else None, keycloak.api if keycloak else None,
            authentik.api if authentik else None, google.api if google else None)  # fmt: skip

    async def close() -> None:
        with contextlib.suppress(Exception):
            await broker.stop()
        for api in apis:
            if api is not None:
                await api.aclose()
        for store in _stores(authentik, google, entra):
            await store.close()  # a SQLite store's thread would keep the process alive

    try:
        for store in _stores(authentik, google, entra):  # what the source last saw of its objects
            await until_reachable("the state store", store.open, within=startup_timeout)
        await until_reachable(broker_address(amqp_url), broker.connect, within=startup_timeout)
        await declare(broker, topology)
    except BaseException:
        await close()
        raise

    @app.after_startup
    async def started() -> None:
        log.info("normalizer consuming %s", ", ".join(topology.sources))

    app.after_shutdown(close)
    await app.run()


def _stores(
    *sources: AuthentikNormalizer | GoogleNormalizer | EntraNormalizer | None,
) -> list[StateStore]:
    """The state stores of the sources that remember what they saw."""
    return [s.store for s in sources if s is not None and s.store is not None]
