"""The signed generic route: Standard Webhooks over an IdP-neutral body.

Body (documented in the README)::

    {"tenant": "hr-system",
     "changes": [{"id": "chg-1", "type": "user.upserted", "occurred_at": "...", ...}, ...]}

Each change becomes one message whose id is the change's ``id``. The gateway checks only
the envelope; the normalizer validates each change and dead-letters what it cannot map.
"""

from __future__ import annotations

import base64

import msgspec
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.gateway._publisher import RawEvent
from services.sources.okta.webhook import UnreadableBatch
from services.sources.text import readable_text


class _ChangeId(msgspec.Struct):
    id: str


class _Envelope(msgspec.Struct):
    tenant: str
    changes: list[msgspec.Raw]


class BadSignature(Exception):
    """Missing, wrong or stale Standard Webhooks signature."""


def _v1_signatures(header: str) -> str:
    """The well-formed ``v1,<base64>`` entries of the header, space-separated.

    The library raises ValueError (or binascii.Error) on an entry without a comma or with
    broken base64, before it looks at the next one; the spec has receivers ignore what they
    do not understand, so those entries are dropped here and the rest are checked.
    """
    kept = []
    for entry in header.split():
        version, _, signature = entry.partition(",")
        try:
            base64.b64decode(signature, validate=True)
        except ValueError:  # binascii.Error, or a str with non-ASCII characters
            continue
        if version == "v1" and signature:
            kept.append(entry)
    if not kept:
        raise BadSignature("webhook-signature has no well-formed v1 signature")
    return " ".join(kept)


def verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Check ``webhook-signature`` over ``id.timestamp.body``, within 5 minutes.

    ``UnreadableBatch`` when the body is not UTF-8: the library can only sign text.
    """
    readable_text(body)
    checked = {**headers, "webhook-signature": _v1_signatures(headers.get("webhook-signature", ""))}
    try:
        Webhook(secret).verify(body, checked, json_parse=False)
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
