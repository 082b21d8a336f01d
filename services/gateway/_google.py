"""Google Workspace Directory API push notifications (``users.watch`` channels).

Google signs nothing: each message carries the channel's token in ``X-Goog-Channel-Token``,
compared here in constant time (401 otherwise). The first message of a channel is a
``sync`` with an empty body: answered 200, nothing queued. Others name one user; the
gateway queues the channel headers with the body, keyed by channel and message number.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import msgspec

from ._okta import UnreadableBatch
from ._publisher import RawEvent

_PUSH_IDS = uuid.UUID("0b6f3b0e-7d52-4a57-bd0b-5a3f1f6c1e27")


class _User(msgspec.Struct):
    id: str


class WrongChannelToken(ValueError):
    """The message's channel token is not the one idp-sync's channels were made with."""


def is_sync(headers: Mapping[str, str]) -> bool:
    return headers.get("x-goog-resource-state") == "sync"


def verify(headers: Mapping[str, str], token: str) -> None:
    presented = headers.get("x-goog-channel-token", "")
    if not hmac.compare_digest(presented.encode(), token.encode()):
        raise WrongChannelToken("X-Goog-Channel-Token is wrong or missing")


def split_push(headers: Mapping[str, str], body: bytes) -> tuple[str, list[RawEvent]]:
    """The Workspace domain (tenant) and the one user change of the message."""
    try:
        user = msgspec.json.decode(body, type=_User)
    except msgspec.DecodeError as error:
        raise UnreadableBatch(f"not a Directory push message: {error}") from error
    channel = headers.get("x-goog-channel-id", "")
    number = headers.get("x-goog-message-number", "")
    query = parse_qs(urlsplit(headers.get("x-goog-resource-uri", "")).query)
    tenant = (query.get("domain") or query.get("customer") or ["google"])[0]
    queued = msgspec.json.encode({
        "state": headers.get("x-goog-resource-state", ""), "channel_id": channel,
        "message_number": number, "user": {"id": user.id},
    })  # fmt: skip
    return tenant, [RawEvent(str(uuid.uuid5(_PUSH_IDS, f"{channel}:{number}")), queued)]
