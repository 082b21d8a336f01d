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
from services.sources import mapping as _mapping
from services.sources.canonical import Origin, canonical
from services.sources.errors import MissingSettings, Unmappable
from services.sources.google.api import GoogleDirectory

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


class _Parameter(msgspec.Struct):
    name: str = ""
    value: str | None = None
    """Text parameters; numbers and lists come in other fields, which no mapping reads."""


class _ActivityEvent(msgspec.Struct):
    name: str = ""
    parameters: list[_Parameter] = []


class _ActivityId(msgspec.Struct):
    time: dt.datetime
    uniqueQualifier: str | int = ""  # noqa: N815 - Google's field name


class Activity(msgspec.Struct):
    """A Reports API admin activity, as far as the mapping reads it."""

    id: _ActivityId
    events: list[_ActivityEvent] = []


class PushMessage(msgspec.Struct):
    """What the gateway queues: the channel's headers, and what Google sent."""

    state: str
    channel_id: str
    message_number: str
    user: _User | None = None
    activity: Activity | None = None


class _Name(msgspec.Struct):
    fullName: str | None = None  # noqa: N815 - Google's field names
    givenName: str | None = None  # noqa: N815
    familyName: str | None = None  # noqa: N815


class _Organization(msgspec.Struct):
    title: str | None = None
    department: str | None = None


class _DirectoryUser(msgspec.Struct):
    id: str
    primaryEmail: str | None = None  # noqa: N815
    suspended: bool | None = None
    name: _Name | None = None
    organizations: list[_Organization] | None = None


class _DirectoryGroup(msgspec.Struct):
    id: str
    name: str | None = None


class GoogleNormalizer:
    def __init__(self, directory: GoogleDirectory | None, store: StateStore | None = None):
        self.api = directory
        self.store = store

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        message = _mapping.decode(raw, PushMessage, "a Google push message")
        if message.activity is not None:
            return await self._activity(message.activity, tenant)
        if message.user is None:
            raise Unmappable("a Google push message with neither user nor activity")
        subject = Subject("user", message.user.id)
        origin = Origin(SOURCE, tenant, f"{message.channel_id}:{message.message_number}",
                        dt.datetime.now(dt.UTC))  # fmt: skip
        if message.state == "delete":
            return [canonical(schemas.UserDeleted, origin, subject)]
        found = await self._user(message.user.id)
        if found is None:
            return [canonical(schemas.UserDeleted, origin, subject)]
        if found.get("suspended"):
            return [canonical(schemas.UserDeactivated, origin, subject,
                              user_name=found.get("primaryEmail"))]  # fmt: skip
        return [canonical(schemas.UserUpserted, origin, subject, user=user_state(found))]

    def _reads(self) -> tuple[GoogleDirectory, StateStore]:
        if self.api is None or self.store is None:
            raise MissingSettings(
                "Google pushes only ids and emails: set IDP_SYNC_GOOGLE_KEY_FILE and "
                "IDP_SYNC_GOOGLE_ADMIN_EMAIL"
            )
        return self.api, self.store

    async def _user(self, key: str) -> dict[str, Any] | None:
        """The user (by id or email) as the Directory has it now; ``None``: gone."""
        found = await self._reads()[0].user(_mapping.segment(key, "Google user"))
        return None if found is None else _mapping.shaped(found, _DirectoryUser, "the Google user")

    async def _activity(self, activity: Activity, tenant: str) -> list[schemas.CanonicalEvent]:
        events: list[schemas.CanonicalEvent] = []
        for n, item in enumerate(activity.events):
            params = {p.name: p.value for p in item.parameters}
            origin = Origin(SOURCE, tenant, f"{activity.id.uniqueQualifier}:{n}", activity.id.time)
            if item.name in _GROUP_CHANGES:
                # CHANGE_GROUP_EMAIL's NEW_VALUE is the new email; CHANGE_GROUP_NAME's a name
                key = "NEW_VALUE" if item.name == "CHANGE_GROUP_EMAIL" else "GROUP_EMAIL"
                email = _named(params.get(key), item.name, key)
                events += await self._group_upserted(origin, email)
            elif item.name == "DELETE_GROUP":
                events += await self._group_deleted(origin, params)
            elif item.name in _MEMBER_CHANGES:
                events += await self._member(origin, _MEMBER_CHANGES[item.name], params, item.name)
        return events

    async def _group(self, email: str) -> dict[str, Any] | None:
        """The group as the Directory has it now, its email -> id remembered on the way."""
        api, store = self._reads()
        found: dict[str, Any] | None = await api.request(
            "GET", f"/admin/directory/v1/groups/{_mapping.segment(email, 'Google group')}"
        )
        if found is not None:
            _mapping.shaped(found, _DirectoryGroup, "the Google group")
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
        return [canonical(schemas.GroupUpserted, origin, Subject("group", found["id"]),
                          group=group_state(found))]  # fmt: skip

    async def _group_deleted(
        self, origin: Origin, params: dict[str, str | None]
    ) -> list[schemas.CanonicalEvent]:
        _, store = self._reads()
        email = _named(params.get("GROUP_EMAIL"), "DELETE_GROUP")
        remembered = await store.seen_members(f"google:group:{email}")
        if not remembered:
            log.info("Google group %s was never seen: nothing to delete", email)
            return []
        return [canonical(schemas.GroupDeleted, origin, Subject("group", next(iter(remembered))))]

    async def _member(
        self, origin: Origin, cls: Membership, params: dict[str, str | None], name: str
    ) -> list[schemas.CanonicalEvent]:
        group_id = await self._group_id(_named(params.get("GROUP_EMAIL"), name))
        user = await self._user(_named(params.get("USER_EMAIL"), name, "USER_EMAIL"))
        if group_id is None or user is None:
            return []  # the group or the user is gone: their own events settle AWS
        member = Member(str(user["id"]), user.get("primaryEmail"))
        return [canonical(cls, origin, Subject("group", group_id), members=(member,))]


def _named(email: str | None, activity: str, parameter: str = "GROUP_EMAIL") -> str:
    if not email:
        raise Unmappable(f"Google {activity} activity without {parameter}")
    return email


def user_state(found: dict[str, Any]) -> schemas.UserState:
    """A Directory API user as AWS is to hold it; the one rule both the push path and the
    directory reader use: ``primaryEmail`` is the userName, ``suspended`` is
    ``active=False``. ``Unmappable`` when a field has another type than Google's, or there
    is no primaryEmail."""
    _mapping.shaped(found, _DirectoryUser, "the Google user")
    if not found.get("primaryEmail"):
        raise Unmappable("the Google user has no primaryEmail")
    name = found.get("name") or {}
    organizations = found.get("organizations") or [{}]
    return _mapping.user_state(
        name=found["primaryEmail"], display_name=name.get("fullName"),
        given_name=name.get("givenName"), family_name=name.get("familyName"),
        email_address=found["primaryEmail"], title=organizations[0].get("title"),
        department=organizations[0].get("department"), active=not found.get("suspended"),
    )  # fmt: skip


def group_state(found: dict[str, Any]) -> schemas.GroupState:
    """A Directory API group as AWS is to hold it: its ``name`` cleaned to AWS's rules;
    ``Unmappable`` when no usable name is left."""
    _mapping.shaped(found, _DirectoryGroup, "the Google group")
    name = _mapping.clean(found.get("name"))
    if name is None:
        raise Unmappable(f"{SOURCE} group {found['id']} has no usable name")
    return schemas.GroupState(name)
