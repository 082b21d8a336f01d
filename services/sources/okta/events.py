"""Okta System Log events to canonical events (reference/idp-webhooks.md, section 8)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

import schemas
from schemas import Member, Subject
from services.sources import mapping as _mapping
from services.sources.canonical import E, Origin, canonical
from services.sources.errors import MissingSettings, Unmappable
from services.sources.okta.api import OktaApi

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "okta"
_ACTIVE_STATUSES = frozenset(
    {"ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"}
)
_UPSERTS = frozenset({"user.lifecycle.create", "user.lifecycle.activate",
                      "user.lifecycle.reactivate", "user.lifecycle.unsuspend"})  # fmt: skip
_DEACTIVATIONS = frozenset({"user.lifecycle.deactivate", "user.lifecycle.suspend"})
_MEMBERSHIPS = frozenset({"group.user_membership.add", "group.user_membership.remove"})
_GROUP_UPSERTS = frozenset({"group.lifecycle.create", "group.profile.update"})
_OTHERS = frozenset({"user.account.update_profile", "user.lifecycle.delete.initiated",
                     "group.lifecycle.delete"})  # fmt: skip
MAPPED_EVENT_TYPES = _UPSERTS | _DEACTIVATIONS | _MEMBERSHIPS | _GROUP_UPSERTS | _OTHERS
"""Every System Log event type the normalizer maps (the others it logs and ignores)."""
_NEEDS_API = "set IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN"


class _Target(msgspec.Struct):
    id: str
    type: str
    alternateId: str | None = None  # noqa: N815 - Okta's field name
    displayName: str | None = None  # noqa: N815


class _Outcome(msgspec.Struct):
    result: str


class _Profile(msgspec.Struct):
    """The profile fields the mapping reads, as Okta types them (custom ones aside)."""

    displayName: str | None = None  # noqa: N815 - Okta's field names
    firstName: str | None = None  # noqa: N815
    lastName: str | None = None  # noqa: N815
    email: str | None = None
    title: str | None = None
    department: str | None = None
    employeeNumber: str | None = None  # noqa: N815


class _User(msgspec.Struct):
    profile: _Profile = msgspec.field(default_factory=_Profile)
    status: str = "ACTIVE"


class _GroupProfile(msgspec.Struct):
    name: str | None = None


class _Group(msgspec.Struct):
    profile: _GroupProfile = msgspec.field(default_factory=_GroupProfile)


def user_state_of(found: dict[str, Any], username_attribute: str = "login") -> schemas.UserState:
    """An Okta user object (``/api/v1/users``) as AWS is to hold it; the one rule the webhook
    path and the directory reader share. Statuses other than active, provisioned, recovery,
    password expired and locked out (suspended, deprovisioned...) are ``active=False``.

    ``Unmappable`` when a field has another type than Okta's, or the profile has no
    ``username_attribute`` or nothing usable in it."""
    profile: dict[str, Any] = _mapping.shaped(found, _User, "the Okta user").get("profile", {})
    if username_attribute not in profile:
        raise Unmappable(
            f"Okta profile has no {username_attribute!r} "
            "(IDP_SYNC_USERNAME_ATTRIBUTE names the attribute that becomes userName)"
        )
    display = profile.get("displayName") or " ".join(
        str(p) for p in (profile.get("firstName"), profile.get("lastName")) if p
    )
    return _mapping.user_state(
        name=profile[username_attribute], display_name=display,
        given_name=profile.get("firstName"), family_name=profile.get("lastName"),
        email_address=profile.get("email"),
        active=found.get("status", "ACTIVE") in _ACTIVE_STATUSES,
        title=profile.get("title"), department=profile.get("department"),
        employee_number=profile.get("employeeNumber"),
    )  # fmt: skip


def group_state_of(found: dict[str, Any]) -> schemas.GroupState:
    """An Okta group object (``/api/v1/groups``) as AWS is to hold it: ``profile.name``
    cleaned to AWS's rules; ``Unmappable`` when no usable name is left."""
    profile = _mapping.shaped(found, _Group, "the Okta group").get("profile") or {}
    return _named(str(found.get("id")), profile.get("name") or "")


def _named(group_id: str, name: str) -> schemas.GroupState:
    display = _mapping.clean(name)
    if display is None:
        raise Unmappable(f"Okta group {group_id} has no usable name")
    return schemas.GroupState(display)


class LogEvent(msgspec.Struct):
    uuid: str
    published: dt.datetime
    eventType: str  # noqa: N815
    outcome: _Outcome
    target: list[_Target] = []


class OktaNormalizer:
    """Maps one Okta LogEvent; reads the Okta API where the event carries only ids."""

    def __init__(self, api: OktaApi | None, username_attribute: str = "login") -> None:
        self.api = api
        self.username_attribute = username_attribute

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        event = _mapping.decode(raw, LogEvent, "an Okta LogEvent")
        if event.outcome.result != "SUCCESS":
            log.info("ignoring Okta %s with outcome %s", event.eventType, event.outcome.result)
            return []
        return await self._map(event, tenant)

    def _target(self, event: LogEvent, kind: str) -> _Target:
        for target in event.target:
            if target.type == kind:
                return target
        raise Unmappable(f"Okta {event.eventType} has no {kind} target")

    def _make(
        self, cls: type[E], event: LogEvent, tenant: str, subject: Subject, **fields: Any
    ) -> E:
        origin = Origin(SOURCE, tenant, event.uuid, event.published)
        return canonical(cls, origin, subject, **fields)

    async def _map(self, event: LogEvent, tenant: str) -> list[schemas.CanonicalEvent]:
        kind = event.eventType
        if kind.startswith("user."):
            user = self._target(event, "User")
            subject = Subject("user", user.id)
            if kind in _UPSERTS or kind == "user.account.update_profile":
                state = await self._user_state(event, user)
                if state is None:
                    return []
                return [self._make(schemas.UserUpserted, event, tenant, subject, user=state)]
            if kind in _DEACTIVATIONS:
                return [self._make(schemas.UserDeactivated, event, tenant, subject,
                                   user_name=user.alternateId)]  # fmt: skip
            if kind == "user.lifecycle.delete.initiated":
                return [self._make(schemas.UserDeleted, event, tenant, subject,
                                   user_name=user.alternateId)]  # fmt: skip
        if kind.startswith("group."):
            return await self._group(event, tenant)
        log.info("ignoring Okta event type %s", kind)
        return []

    async def _group(self, event: LogEvent, tenant: str) -> list[schemas.CanonicalEvent]:
        kind = event.eventType
        group = self._target(event, "UserGroup")
        subject = Subject("group", group.id)
        if kind in _MEMBERSHIPS:
            user = self._target(event, "User")
            cls = schemas.GroupMemberAdded if kind.endswith("add") else schemas.GroupMemberRemoved
            member = Member(user.id, user.alternateId)
            return [self._make(cls, event, tenant, subject, members=(member,),
                               display_name=group.displayName)]  # fmt: skip
        if kind == "group.lifecycle.delete":
            return [self._make(schemas.GroupDeleted, event, tenant, subject,
                               display_name=group.displayName)]  # fmt: skip
        if kind in _GROUP_UPSERTS:
            name = group.displayName if kind == "group.lifecycle.create" else None
            state = _named(group.id, name) if name is not None else (
                await self._group_state(event, group))  # fmt: skip
            if state is None:
                return []
            return [self._make(schemas.GroupUpserted, event, tenant, subject, group=state)]
        log.info("ignoring Okta event type %s", kind)
        return []

    async def _group_state(self, event: LogEvent, group: _Target) -> schemas.GroupState | None:
        if self.api is None:
            raise MissingSettings(f"Okta {event.eventType} carries no new name: {_NEEDS_API}")
        found = await self.api.group(_mapping.segment(group.id, "Okta group"))
        if found is None:
            return None
        return group_state_of(found)

    async def _user_state(self, event: LogEvent, user: _Target) -> schemas.UserState | None:
        if self.api is not None:
            found = await self.api.user(_mapping.segment(user.id, "Okta user"))
            if found is None:
                log.info("Okta user %s is gone; its %s is moot", user.id, event.eventType)
                return None
            return user_state_of(found, self.username_attribute)
        if event.eventType == "user.account.update_profile":
            raise MissingSettings(f"Okta {event.eventType} carries no profile values: {_NEEDS_API}")
        if self.username_attribute != "login":
            raise MissingSettings(
                f"IDP_SYNC_USERNAME_ATTRIBUTE={self.username_attribute} needs the profile: "
                + _NEEDS_API
            )
        return _mapping.user_state(
            name=user.alternateId, display_name=user.displayName, given_name=None,
            family_name=None, email_address=user.alternateId,
        )  # fmt: skip
