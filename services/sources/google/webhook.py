"""Google Workspace Directory API push notifications (``users.watch`` channels).

Google signs nothing: each message carries the channel's token in ``X-Goog-Channel-Token``,
compared here in constant time (401 otherwise). The first message of a channel is a
``sync`` with an empty body: answered 200, nothing queued. Directory channels name one
user; the Reports API channel carries admin activities (group changes). The gateway queues
the channel headers with the body, keyed by channel and message number.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from services.gateway._publisher import RawEvent
from services.sources.okta.webhook import UnreadableBatch

_PUSH_IDS = uuid.UUID("0b6f3b0e-7d52-4a57-bd0b-5a3f1f6c1e27")
TENANT = "google-workspace"


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
    """The tenant and the one change of the message: a user (Directory API channel) or an
    admin activity such as a group change (Reports API channel)."""
    uri = headers.get("x-goog-resource-uri", "")
    try:
        path = urlsplit(uri).path
    except ValueError as error:
        raise UnreadableBatch(f"X-Goog-Resource-URI is not a URL: {error}") from None
    try:
        if "/reports/" in path:
            about: dict[str, object] = {"activity": msgspec.json.decode(body)}
        else:
            about = {"user": {"id": msgspec.json.decode(body, type=_User).id}}
    except msgspec.DecodeError as error:
        raise UnreadableBatch(f"not a Google push message: {error}") from error
    channel = headers.get("x-goog-channel-id", "")
    number = headers.get("x-goog-message-number", "")
    queued = msgspec.json.encode({
        "state": headers.get("x-goog-resource-state", ""), "channel_id": channel,
        "message_number": number, **about,
    })  # fmt: skip
    # One tenant for both channels: users and groups must get the same externalIds.
    return TENANT, [RawEvent(str(uuid.uuid5(_PUSH_IDS, f"{channel}:{number}")), queued)]
