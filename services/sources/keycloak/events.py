"""Keycloak admin events (p2-inc keycloak-events) to canonical events
(reference/idp-webhooks.md, sections 5 and 8).

The target is taken from ``resourcePath`` (``users/{id}``, ``groups/{id}``,
``users/{id}/groups/{groupId}``), never from ``authDetails``, which names the admin who
acted. The ``representation`` is used when the realm includes it; otherwise the user or
group is read back from the admin API (404: deleted).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

import schemas
from schemas import Member, Subject
from services.sources import mapping as _mapping
from services.sources.canonical import Origin, canonical
from services.sources.errors import MissingSettings, Unmappable
from services.sources.keycloak.api import KeycloakApi

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "keycloak"
_NEEDS_API = ("the realm sends no representation: turn on 'Include Representation' for admin "
              "events, or set IDP_SYNC_KEYCLOAK_URL, IDP_SYNC_KEYCLOAK_CLIENT_ID and "
              "IDP_SYNC_KEYCLOAK_CLIENT_SECRET")  # fmt: skip


class AdminEvent(msgspec.Struct):
    id: str = ""
    uid: str = ""
    time: int = 0
    realmName: str = ""  # noqa: N815 - Keycloak's field names
    realmId: str = ""  # noqa: N815
    resourceType: str = ""  # noqa: N815
    operationType: str = ""  # noqa: N815
    resourcePath: str = ""  # noqa: N815
    representation: str | None = None
    details: dict[str, Any] | None = None


class _Representation(msgspec.Struct):
    """The fields the mapping reads (the username attribute aside), as Keycloak types them."""

    firstName: str | None = None  # noqa: N815 - Keycloak's field names
    lastName: str | None = None  # noqa: N815
    email: str | None = None
    enabled: bool | None = None
    name: str | None = None


class KeycloakNormalizer:
    def __init__(self, api: KeycloakApi | None, username_attribute: str = "username"):
        self.api = api
        self.username_attribute = username_attribute

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        event = _mapping.decode(raw, AdminEvent, "a Keycloak admin event")
        realm = event.realmName or tenant
        try:
            moment = dt.datetime.fromtimestamp(event.time / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise Unmappable(f"Keycloak event time {event.time} is out of range") from error
        origin = Origin(SOURCE, realm, event.uid or event.id, moment)
        parts = event.resourcePath.strip("/").split("/")
        match event.resourceType, parts:
            case "USER", ["users", user_id]:
                return [await self._user(event, origin, realm, user_id)]
            case "GROUP", ["groups", group_id]:
                return await self._group(event, origin, realm, group_id)
            case "GROUP_MEMBERSHIP", ["users", user_id, "groups", group_id]:
                cls = (schemas.GroupMemberRemoved if event.operationType == "DELETE"
                       else schemas.GroupMemberAdded)  # fmt: skip
                login = (event.details or {}).get("username")
                return [canonical(cls, origin, Subject("group", group_id),
                                  members=(Member(user_id, login),))]  # fmt: skip
        log.info("ignoring Keycloak %s %s on %s", event.operationType, event.resourceType,
                 event.resourcePath)  # fmt: skip
        return []

    async def _current(self, event: AdminEvent, realm: str, path: str) -> dict[str, Any] | None:
        """The object as it is now: the event's representation, else read back."""
        if event.representation:
            try:
                found = msgspec.json.decode(event.representation)
            except _mapping.UNREADABLE as error:
                raise Unmappable(f"unreadable representation: {error}") from error
            if not isinstance(found, dict):
                raise Unmappable(f"the representation is a {type(found).__name__}, not an object")
            return _mapping.shaped(found, _Representation, "the Keycloak representation")
        if self.api is None:
            raise MissingSettings(_NEEDS_API)
        read = await self.api.read(_mapping.segment(realm, "Keycloak realm"), path)
        if read is None:
            return None
        return _mapping.shaped(read, _Representation, "the Keycloak object")

    async def _user(
        self, event: AdminEvent, origin: Origin, realm: str, user_id: str
    ) -> schemas.CanonicalEvent:
        subject = Subject("user", user_id)
        if event.operationType == "DELETE":
            return canonical(schemas.UserDeleted, origin, subject)
        found = await self._current(event, realm, f"users/{_mapping.segment(user_id, 'user')}")
        if found is None:
            return canonical(schemas.UserDeleted, origin, subject)
        if found.get("enabled") is False:
            return canonical(schemas.UserDeactivated, origin, subject,
                             user_name=found.get(self.username_attribute))  # fmt: skip
        state = user_state(found, self.username_attribute)
        return canonical(schemas.UserUpserted, origin, subject, user=state)

    async def _group(
        self, event: AdminEvent, origin: Origin, realm: str, group_id: str
    ) -> list[schemas.CanonicalEvent]:
        subject = Subject("group", group_id)
        if event.operationType == "DELETE":
            return [canonical(schemas.GroupDeleted, origin, subject)]
        found = await self._current(event, realm,
                                    f"groups/{_mapping.segment(group_id, 'group')}")  # fmt: skip
        if found is None:
            return [canonical(schemas.GroupDeleted, origin, subject)]
        return [canonical(schemas.GroupUpserted, origin, subject,
                          group=group_state(found, group_id))]  # fmt: skip


def user_state(found: dict[str, Any], username_attribute: str = "username") -> schemas.UserState:
    """A Keycloak user representation as AWS is to hold it; the one rule both the webhook
    path and the directory reader use. ``enabled: false`` is ``active=False``.

    ``Unmappable`` when a field has another type than Keycloak's, or there is no usable
    ``username_attribute`` (a top-level field, e.g. ``username`` or ``email``)."""
    _mapping.shaped(found, _Representation, "the Keycloak user")
    if not found.get(username_attribute):
        raise Unmappable(f"the Keycloak user has no {username_attribute!r}")
    return _mapping.user_state(
        name=found[username_attribute], display_name=None, given_name=found.get("firstName"),
        family_name=found.get("lastName"), email_address=found.get("email"),
        active=found.get("enabled") is not False,
    )  # fmt: skip


def group_state(found: dict[str, Any], group_id: str) -> schemas.GroupState:
    """A Keycloak group as AWS is to hold it: its ``name`` cleaned to AWS's rules;
    ``Unmappable`` when no usable name is left."""
    _mapping.shaped(found, _Representation, "the Keycloak group")
    name = _mapping.clean(found.get("name"))
    if name is None:
        raise Unmappable(f"{SOURCE} group {group_id} has no usable name")
    return schemas.GroupState(name)
