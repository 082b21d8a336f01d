"""Okta Event Hooks: the one-time verification, and batches of System Log events.

Okta signs nothing; it sends a shared secret verbatim in the header you configured
(``Authorization``), compared here in constant time. A batch is split into one message
per event, each keyed by the event's ``uuid`` so a redelivered event keeps its id.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway._publisher import RawEvent


class _EventId(msgspec.Struct):
    uuid: str


class _Data(msgspec.Struct):
    events: list[msgspec.Raw]


class _Envelope(msgspec.Struct):
    data: _Data
    source: str = ""


class UnreadableBatch(ValueError):
    """The body is not an Okta event hook batch; the reason says what is missing."""


def verification(request: Request) -> Response:
    """Answer Okta's GET with the challenge it sent, as ``{"verification": ...}``."""
    challenge = request.headers.get("x-okta-verification-challenge")
    if not challenge:
        return JSONResponse({"detail": "missing x-okta-verification-challenge"}, 400)
    return JSONResponse({"verification": challenge})


def authorized(request: Request, secret: str) -> bool:
    presented = request.headers.get("authorization", "")
    return hmac.compare_digest(presented.encode(), secret.encode())


def split_batch(body: bytes) -> tuple[str, list[RawEvent]]:
    """The Okta org (tenant) and one raw event per ``data.events[]`` element."""
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
        ids = [msgspec.json.decode(raw, type=_EventId).uuid for raw in envelope.data.events]
    except msgspec.DecodeError as error:  # malformed JSON or the wrong shape
        raise UnreadableBatch(f"not an Okta event hook batch: {error}") from error
    try:
        tenant = urlsplit(envelope.source).hostname or "okta"
    except ValueError as error:  # e.g. "http://[": the org, and so every externalId, unknown
        raise UnreadableBatch(f"the batch's `source` is not a URL: {error}") from None
    pairs = zip(ids, envelope.data.events, strict=True)
    return tenant, [RawEvent(event_id, bytes(raw)) for event_id, raw in pairs]
