"""How the gateway answers an IdP: the one place a webhook's outcome becomes a status."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from services.shared.metrics import EVENTS_RECEIVED
from services.sources.entra.webhook import WrongClientState
from services.sources.okta.webhook import UnreadableBatch
from services.sources.text import readable_text

from ._publisher import BrokerUnavailable, RawEvent, RawEventPublisher

log = logging.getLogger("idp_sync.gateway")
Split = Callable[[bytes], tuple[str, list[RawEvent]]]
AMQP_SHORTSTR = 255
"""Bytes an AMQP message id may have; the tenant travels in a header and is held to the
same bound, since headers must fit one frame and an oversized frame closes the connection."""


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def _publishable(tenant: str, events: list[RawEvent]) -> None:
    """Ids and tenants within what the broker takes: past it, a publish fails for as long as
    the IdP retries (a 503 each time) instead of being refused once."""
    if len(tenant.encode()) > AMQP_SHORTSTR:
        raise UnreadableBatch(f"the tenant is longer than {AMQP_SHORTSTR} bytes")
    for number, event in enumerate(events):
        size = len(event.message_id.encode())
        if size == 0:
            raise UnreadableBatch(f"event {number} has an empty id")
        if size > AMQP_SHORTSTR:
            raise UnreadableBatch(f"event {number} has an id of {size} bytes; at most "
                                  f"{AMQP_SHORTSTR} fit a message id")  # fmt: skip


async def accept(publisher: RawEventPublisher, source: str, body: bytes, split: Split) -> Response:
    """400 unreadable, 401 wrong secret, 503 broker away; 200 once every event is confirmed."""
    try:
        readable_text(body)
        tenant, events = split(body)
        _publishable(tenant, events)
    except UnreadableBatch as error:
        return problem(400, str(error))
    except WrongClientState as error:
        return problem(401, str(error))
    try:
        await publisher.publish(source, tenant, events)
    except BrokerUnavailable as error:
        log.warning("webhook from %s not accepted: broker unavailable (%s)", source, error)
        return problem(503, "the event queue is unavailable; retry later")
    EVENTS_RECEIVED.labels(source).inc(len(events))
    return JSONResponse({"accepted": len(events)}, 200)
