"""authentik notification transports in webhook mode, with idp-sync's body and header
mappings (``deploy/authentik/``).

authentik signs nothing: the header mapping sends ``Authorization: Bearer <secret>``, compared
here in constant time (401 otherwise, before anything is queued). The body mapping sends the
event's uuid, action, time and model; the uuid becomes the message id.
"""

from __future__ import annotations

import hmac

import msgspec

from services.gateway._publisher import RawEvent
from services.sources.okta.webhook import UnreadableBatch


class _Event(msgspec.Struct):
    event_uuid: str
    action: str


def authorized(header: str | None, secret: str) -> bool:
    return hmac.compare_digest((header or "").encode(), f"Bearer {secret}".encode())


def split_event(body: bytes) -> tuple[str, list[RawEvent]]:
    try:
        event = msgspec.json.decode(body, type=_Event)
    except msgspec.DecodeError as error:
        raise UnreadableBatch(
            f"not idp-sync's authentik body mapping (deploy/authentik): {error}"
        ) from error
    return "authentik", [RawEvent(event.event_uuid, body)]
