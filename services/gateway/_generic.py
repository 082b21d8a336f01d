"""The signed generic route: Standard Webhooks over an IdP-neutral body.

Body (documented in the README)::

    {"tenant": "hr-system",
     "changes": [{"id": "chg-1", "type": "user.upserted", "occurred_at": "...", ...}, ...]}

Each change becomes one message whose id is the change's ``id``. The gateway checks only
the envelope; the normalizer validates each change and dead-letters what it cannot map.
"""

from __future__ import annotations

import msgspec
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ._okta import UnreadableBatch
from ._publisher import RawEvent


class _ChangeId(msgspec.Struct):
    id: str


class _Envelope(msgspec.Struct):
    tenant: str
    changes: list[msgspec.Raw]


class BadSignature(Exception):
    """Missing, wrong or stale Standard Webhooks signature."""


def verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Check ``webhook-signature`` over ``id.timestamp.body``, within 5 minutes."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError as error:
        raise BadSignature(str(error)) from error


def split_changes(body: bytes) -> tuple[str, list[RawEvent]]:
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
        ids = [msgspec.json.decode(raw, type=_ChangeId).id for raw in envelope.changes]
    except msgspec.DecodeError as error:  # malformed JSON or the wrong shape
        raise UnreadableBatch(f"not a generic change batch: {error}") from error
    if not envelope.changes:
        raise UnreadableBatch("not a generic change batch: `changes` is empty")
    pairs = zip(ids, envelope.changes, strict=True)
    return envelope.tenant, [RawEvent(change_id, bytes(raw)) for change_id, raw in pairs]
