"""How the gateway answers an IdP: the one place a webhook's outcome becomes a status."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from services.shared.metrics import EVENTS_RECEIVED

from ._entra import WrongClientState
from ._okta import UnreadableBatch
from ._publisher import BrokerUnavailable, RawEvent, RawEventPublisher

log = logging.getLogger("idp_sync.gateway")
Split = Callable[[bytes], tuple[str, list[RawEvent]]]


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


async def accept(publisher: RawEventPublisher, source: str, body: bytes, split: Split) -> Response:
    """400 unreadable, 401 wrong secret, 503 broker away; 200 once every event is confirmed."""
    try:
        tenant, events = split(body)
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
