"""Keycloak admin events from the p2-inc ``keycloak-events`` webhook extension.

The extension signs the JSON body with the webhook's secret: ``X-Keycloak-Signature`` is the
lowercase hex HMAC-SHA256, compared here in constant time (a wrong or missing one is 401,
before anything is queued). One POST carries one event; its ``uid`` (else ``id``) becomes
the message id, so a redelivery keeps it.
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec

from services.gateway._publisher import RawEvent
from services.sources.okta.webhook import UnreadableBatch


class _Event(msgspec.Struct):
    id: str = ""
    uid: str = ""
    realmName: str = ""  # noqa: N815 - Keycloak's field names
    realmId: str = ""  # noqa: N815


class BadKeycloakSignature(ValueError):
    """The body's HMAC does not match the shared secret."""


def verify(secret: str, body: bytes, signature: str | None) -> None:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    # Bytes, not str: compare_digest refuses str with non-ASCII characters (a TypeError).
    presented = (signature or "").strip().lower().encode()
    if not presented or not hmac.compare_digest(expected, presented):
        raise BadKeycloakSignature("X-Keycloak-Signature does not match the body")


def split_event(body: bytes) -> tuple[str, list[RawEvent]]:
    """The realm (tenant) and the one event of the POST."""
    try:
        event = msgspec.json.decode(body, type=_Event)
    except msgspec.DecodeError as error:
        raise UnreadableBatch(f"not a Keycloak event: {error}") from error
    event_id = event.uid or event.id
    if not event_id:
        raise UnreadableBatch("the Keycloak event has neither uid nor id")
    return event.realmName or event.realmId or "keycloak", [RawEvent(event_id, body)]
