"""Google Workspace push notifications to canonical events (reference/idp-webhooks.md,
sections 4 and 8).

Users come from Directory API channels: a notification names one user, who is read back,
and what the Directory holds now is the event (suspended: deactivated, 404: deleted).
Groups come from the Reports API's admin activities, which name groups and users by email:
each is resolved to its immutable id by a read (the email -> id of a group is remembered in
the state store, since a deleted group can no longer be read). A read that fails is retried,
never taken as "deleted".
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

import schemas
from schemas import Member, Subject
from services.scim_writer import StateStore

from . import _mapping
from ._canonical import Origin, canonical, group_now
from ._errors import MissingSettings, Unmappable
from ._google_api import GoogleDirectory

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "google"
_GROUP_CHANGES = {"CREATE_GROUP", "CHANGE_GROUP_NAME", "CHANGE_GROUP_EMAIL"}
Membership = type[schemas.GroupMemberAdded] | type[schemas.GroupMemberRemoved]
_MEMBER_CHANGES: dict[str, Membership] = {
    "ADD_GROUP_MEMBER": schemas.GroupMemberAdded,
    "REMOVE_GROUP_MEMBER": schemas.GroupMemberRemoved,
}


class _User(msgspec.Struct):
    id: str


class PushMessage(msgspec.Struct):
    """What the gateway queues: the channel's headers, and what Google sent."""

    state: str
    channel_id: str
    message_number: str
    user: _User | None = None
    activity: dict[str, Any] | None = None


class GoogleNormalizer:
    def __init__(self, directory: GoogleDirectory | None, store: StateStore | None = None):
        self.api = directory
        self.store = store

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        try:
            message = msgspec.json.decode(raw, type=PushMessage)
        except msgspec.DecodeError as error:
            raise Unmappable(f"not a Google push message: {error}") from error
        if message.activity is not None:
            return await self._activity(message.activity, tenant)
        if message.user is None:
            raise Unmappable("a Google push message with neither user nor activity")
        subject = Subject("user", message.user.id)
        origin = Origin(SOURCE, tenant, f"{message.channel_id}:{message.message_number}",
                        dt.datetime.now(dt.UTC))  # fmt: skip
        if message.state == "delete":
            return [canonical(schemas.UserDeleted, origin, subject)]
        api, _ = self._reads()
        found = await api.user(message.user.id)
        if found is None:
            return [canonical(schemas.UserDeleted, origin, subject)]
        if found.get("suspended"):
            return [canonical(schemas.UserDeactivated, origin, subject,
                              user_name=found.get("primaryEmail"))]  # fmt: skip
        return [canonical(schemas.UserUpserted, origin, subject, user=_state(found))]

    def _reads(self) -> tuple[GoogleDirectory, StateStore]:
        if self.api is None or self.store is None:
            raise MissingSettings(
                "Google pushes only ids and emails: set IDP_SYNC_GOOGLE_KEY_FILE and "
                "IDP_SYNC_GOOGLE_ADMIN_EMAIL"
            )
        return self.api, self.store

    async def _activity(
        self, activity: dict[str, Any], tenant: str
    ) -> list[schemas.CanonicalEvent]:
        ids = activity.get("id") or {}
        moment = dt.datetime.fromisoformat(str(ids.get("time")).replace("Z", "+00:00"))
        events: list[schemas.CanonicalEvent] = []
        for n, item in enumerate(activity.get("events") or []):
            name = item.get("name", "")
            params = {p.get("name"): p.get("value") for p in item.get("parameters") or []}
            origin = Origin(SOURCE, tenant, f"{ids.get('uniqueQualifier')}:{n}", moment)
            if name in _GROUP_CHANGES:
                # CHANGE_GROUP_EMAIL's NEW_VALUE is the new email; CHANGE_GROUP_NAME's a name
                email = params["NEW_VALUE"] if name == "CHANGE_GROUP_EMAIL" else params.get(
                    "GROUP_EMAIL")  # fmt: skip
                events += await self._group_upserted(origin, str(email))
            elif name == "DELETE_GROUP":
                events += await self._group_deleted(origin, params)
            elif name in _MEMBER_CHANGES:
                events += await self._member(origin, _MEMBER_CHANGES[name], params)
        return events

    async def _group(self, email: str) -> dict[str, Any] | None:
        """The group as the Directory has it now, its email -> id remembered on the way."""
        api, store = self._reads()
        found: dict[str, Any] | None = await api.request(
            "GET", f"/admin/directory/v1/groups/{email}"
        )
        if found is not None:
            await store.remember_members(f"google:group:{email}", frozenset({found["id"]}))
        return found

    async def _group_id(self, email: str) -> str | None:
        """The group's immutable id: read, else remembered (a deleted group)."""
        if (found := await self._group(email)) is not None:
            return str(found["id"])
        remembered = await self._reads()[1].seen_members(f"google:group:{email}")
        return next(iter(remembered), None) if remembered else None

    async def _group_upserted(self, origin: Origin, email: str) -> list[schemas.CanonicalEvent]:
        found = await self._group(email)
        if found is None:
            return []  # gone again since: its DELETE_GROUP will say so
        return [group_now(origin, Subject("group", found["id"]), found, "name")]

    async def _group_deleted(
        self, origin: Origin, params: dict[str, Any]
    ) -> list[schemas.CanonicalEvent]:
        _, store = self._reads()
        remembered = await store.seen_members(f"google:group:{params.get('GROUP_EMAIL')}")
        if not remembered:
            log.info("Google group %s was never seen: nothing to delete", params.get("GROUP_EMAIL"))
            return []
        return [canonical(schemas.GroupDeleted, origin, Subject("group", next(iter(remembered))))]

    async def _member(
        self, origin: Origin, cls: Membership, params: dict[str, Any]
    ) -> list[schemas.CanonicalEvent]:
        group_id = await self._group_id(str(params.get("GROUP_EMAIL")))
        user = await self._reads()[0].user(str(params.get("USER_EMAIL")))
        if group_id is None or user is None:
            return []  # the group or the user is gone: their own events settle AWS
        member = Member(str(user["id"]), user.get("primaryEmail"))
        return [canonical(cls, origin, Subject("group", group_id), members=(member,))]


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
