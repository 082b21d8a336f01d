"""Google Workspace Directory push notifications to canonical events
(reference/idp-webhooks.md, sections 4 and 8).

A notification names one user and the kind of change; the user is read back, and what the
Directory holds now is the event: suspended means deactivated, 404 means deleted. A read
that fails is retried, never taken as "deleted". The Directory API pushes users only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

import schemas
from schemas import Subject

from . import _mapping
from ._canonical import Origin, canonical
from ._errors import MissingSettings, Unmappable
from ._google_api import GoogleDirectory

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "google"


class _User(msgspec.Struct):
    id: str


class PushMessage(msgspec.Struct):
    """What the gateway queues: the channel's headers, and the body Google sent."""

    state: str
    channel_id: str
    message_number: str
    user: _User


class GoogleNormalizer:
    def __init__(self, directory: GoogleDirectory | None) -> None:
        self.api = directory

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        try:
            message = msgspec.json.decode(raw, type=PushMessage)
        except msgspec.DecodeError as error:
            raise Unmappable(f"not a Google Directory push message: {error}") from error
        subject = Subject("user", message.user.id)
        origin = Origin(SOURCE, tenant, f"{message.channel_id}:{message.message_number}",
                        dt.datetime.now(dt.UTC))  # fmt: skip
        if message.state == "delete":
            return [canonical(schemas.UserDeleted, origin, subject)]
        if self.api is None:
            raise MissingSettings("Google pushes only ids: set IDP_SYNC_GOOGLE_KEY_FILE and "
                                  "IDP_SYNC_GOOGLE_ADMIN_EMAIL")  # fmt: skip
        found = await self.api.user(message.user.id)
        if found is None:
            return [canonical(schemas.UserDeleted, origin, subject)]
        if found.get("suspended"):
            return [canonical(schemas.UserDeactivated, origin, subject,
                              user_name=found.get("primaryEmail"))]  # fmt: skip
        return [canonical(schemas.UserUpserted, origin, subject, user=_state(found))]


def _state(found: dict[str, Any]) -> schemas.UserState:
    if not found.get("primaryEmail"):
        raise Unmappable("the Google user has no primaryEmail")
    name = found.get("name") or {}
    organizations = found.get("organizations") or [{}]
    return _mapping.user_state(
        name=found["primaryEmail"], display_name=name.get("fullName"),
        given_name=name.get("givenName"), family_name=name.get("familyName"),
        email_address=found["primaryEmail"], title=organizations[0].get("title"),
        department=organizations[0].get("department"),
    )  # fmt: skip
