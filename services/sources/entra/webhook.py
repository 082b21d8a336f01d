"""Microsoft Graph change notifications for ``/users`` and ``/groups`` (Entra ID).

Graph validates the URL with ``POST ?validationToken=...``, answered within 10 s with the
token as text/plain. Notifications carry no signature: each one repeats the subscription's
``clientState``, compared here in constant time; one wrong value refuses the whole POST
before anything is queued. Each notification becomes one message, keyed by a hash of its
bytes so a redelivered notification keeps its id. Lifecycle notifications
(``reauthorizationRequired``, ``missed``) take the same path.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import msgspec
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from services.gateway._publisher import RawEvent
from services.sources.okta.webhook import UnreadableBatch

_NOTIFICATION_IDS = uuid.UUID("6f1c9b7e-2d4a-4c52-9d7e-1b3f7e0e9a11")


class _Notification(msgspec.Struct):
    clientState: str = ""  # noqa: N815 - Graph's field name
    tenantId: str = ""  # noqa: N815


class _Collection(msgspec.Struct):
    value: list[msgspec.Raw]


class WrongClientState(ValueError):
    """A notification's clientState is not the one idp-sync subscribed with."""


def validation(request: Request) -> PlainTextResponse | None:
    """Graph's URL check: the token back, decoded, as text/plain; ``None`` if not one."""
    token = request.query_params.get("validationToken")
    return None if token is None else PlainTextResponse(token)


def split_notifications(body: bytes, client_state: str) -> tuple[str, list[RawEvent]]:
    """The tenant and one raw event per notification, after every clientState matched."""
    try:
        raws = msgspec.json.decode(body, type=_Collection).value
        notifications = [msgspec.json.decode(raw, type=_Notification) for raw in raws]
    except msgspec.DecodeError as error:
        raise UnreadableBatch(f"not a Graph change notification collection: {error}") from error
    for notification in notifications:
        if not hmac.compare_digest(notification.clientState.encode(), client_state.encode()):
            raise WrongClientState("a notification's clientState is wrong")
    tenant = notifications[0].tenantId if notifications else "entra"
    events = [
        RawEvent(str(uuid.uuid5(_NOTIFICATION_IDS, hashlib.sha256(raw).hexdigest())), bytes(raw))
        for raw in raws
    ]
    return tenant, events
