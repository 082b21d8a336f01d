"""authentik ``model_created/updated/deleted`` events to canonical events
(reference/idp-webhooks.md, sections 3 and 8).

The events name a user or group and little else, and (outside the enterprise edition)
never which members changed. So the object is read back from authentik's API, and its
memberships are compared with those last seen (kept in the state store): new ones become
``member_added``, missing ones ``member_removed``. What was seen is remembered only after
the events were confirmed by the broker, so a failure never loses a removal.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import msgspec

import schemas
from schemas import Member, Subject
from services.scim_writer import StateStore
from services.sources import mapping as _mapping
from services.sources.authentik.api import AuthentikApi
from services.sources.canonical import Origin, canonical
from services.sources.errors import MissingSettings, Unmappable

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "authentik"
_NEEDS_API = ("authentik events carry only ids: set IDP_SYNC_AUTHENTIK_URL and "
              "IDP_SYNC_AUTHENTIK_TOKEN")  # fmt: skip


class _Model(msgspec.Struct):
    app: str
    model_name: str
    pk: str | int
    name: str = ""


class AuthentikEvent(msgspec.Struct):
    event_uuid: str
    action: str
    created: dt.datetime
    model: _Model | None = None


class _User(msgspec.Struct):
    """The user fields the mapping reads (the username attribute aside)."""

    name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    groups: list[str | int] = []


class _Member(msgspec.Struct):
    pk: str | int


class _Group(msgspec.Struct):
    name: str | None = None
    users: list[str | int] = []
    users_obj: list[_Member] | None = None


@dataclass
class AuthentikNormalizer:
    api: AuthentikApi | None
    store: StateStore | None
    username_attribute: str = "username"
    _seen: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    """Per event: the memberships to remember once its events are confirmed."""

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        event = _mapping.decode(raw, AuthentikEvent, "idp-sync's authentik body mapping")
        model = event.model
        if model is None or model.app != "authentik_core" or model.model_name not in {
            "user", "group"
        }:  # fmt: skip
            log.info("ignoring authentik %s", event.action)
            return []
        origin = Origin(SOURCE, tenant, event.event_uuid, event.created)
        if model.model_name == "user":
            return await self._user(event, origin, str(model.pk))
        return await self._group(event, origin, str(model.pk))

    async def confirmed(self, events: list[schemas.CanonicalEvent]) -> None:
        """The broker confirmed ``events``: remember the memberships they were based on."""
        if not events or self.store is None:
            return
        for key, members in self._seen.pop(events[0].source_event_id, []):
            await self.store.remember_members(key, members)

    def _reads(self) -> tuple[AuthentikApi, StateStore]:
        if self.api is None or self.store is None:
            raise MissingSettings(_NEEDS_API)
        return self.api, self.store

    async def _user(
        self, event: AuthentikEvent, origin: Origin, pk: str
    ) -> list[schemas.CanonicalEvent]:
        subject = Subject("user", pk)
        if event.action == "model_deleted":
            return [canonical(schemas.UserDeleted, origin, subject)]
        api, store = self._reads()
        found = await api.read("users", _mapping.segment(pk, "authentik user"))
        if found is None:
            return [canonical(schemas.UserDeleted, origin, subject)]
        _mapping.shaped(found, _User, "the authentik user")
        login = _login_of(found, self.username_attribute)
        if found.get("is_active") is False:
            return [canonical(schemas.UserDeactivated, origin, subject, user_name=login or None)]
        state = user_state(found, self.username_attribute)
        events: list[schemas.CanonicalEvent] = [
            canonical(schemas.UserUpserted, origin, subject, user=state)
        ]
        groups = frozenset(str(g) for g in found.get("groups", []))
        before = await store.seen_members(f"authentik:user:{pk}") or frozenset()
        me = (Member(pk, login),)
        events += [canonical(schemas.GroupMemberAdded, origin, Subject("group", g), members=me)
                   for g in sorted(groups - before)]  # fmt: skip
        events += [canonical(schemas.GroupMemberRemoved, origin, Subject("group", g), members=me)
                   for g in sorted(before - groups)]  # fmt: skip
        self._seen[origin.source_event_id] = [(f"authentik:user:{pk}", groups)]
        return events

    async def _group(
        self, event: AuthentikEvent, origin: Origin, uuid: str
    ) -> list[schemas.CanonicalEvent]:
        subject = Subject("group", uuid)
        if event.action == "model_deleted":
            return [canonical(schemas.GroupDeleted, origin, subject)]
        api, store = self._reads()
        found = await api.read("groups", _mapping.segment(uuid, "authentik group"))
        if found is not None:
            _mapping.shaped(found, _Group, "the authentik group")
        if found is None:
            return [canonical(schemas.GroupDeleted, origin, subject)]
        events: list[schemas.CanonicalEvent] = [
            canonical(schemas.GroupUpserted, origin, subject, group=group_state(found, uuid))
        ]
        current = {str(u["pk"]): u for u in found.get("users_obj") or []}
        members = group_members(found)
        before = await store.seen_members(f"authentik:group:{uuid}") or frozenset()
        if added := sorted(members - before):
            joined = tuple(Member(pk, _login(current.get(pk), self.username_attribute))
                           for pk in added)  # fmt: skip
            events.append(canonical(schemas.GroupMemberAdded, origin, subject, members=joined))
        if removed := sorted(before - members):
            events.append(canonical(schemas.GroupMemberRemoved, origin, subject,
                                    members=tuple(Member(pk) for pk in removed)))  # fmt: skip
        self._seen[origin.source_event_id] = [(f"authentik:group:{uuid}", members)]
        return events


def _login(user: dict[str, Any] | None, attribute: str) -> str | None:
    return None if user is None else user.get(attribute)


def _login_of(found: dict[str, Any], attribute: str) -> str:
    login = found.get(attribute) or ""
    if not isinstance(login, str):
        raise Unmappable(f"the authentik user's {attribute!r} is not text")
    return login


def user_state(found: dict[str, Any], username_attribute: str = "username") -> schemas.UserState:
    """An authentik user as AWS is to hold it; the one rule both the webhook path and the
    directory reader use. ``is_active: false`` is ``active=False``.

    ``Unmappable`` when a field has another type than authentik's, or there is no usable
    ``username_attribute``."""
    _mapping.shaped(found, _User, "the authentik user")
    login = _login_of(found, username_attribute)
    if not login:
        raise Unmappable(f"the authentik user has no {username_attribute!r}")
    return _mapping.user_state(
        name=login, display_name=found.get("name"), given_name=None, family_name=None,
        email_address=found.get("email"), active=found.get("is_active") is not False,
    )  # fmt: skip


def group_state(found: dict[str, Any], uuid: str) -> schemas.GroupState:
    """An authentik group as AWS is to hold it: its ``name`` cleaned to AWS's rules;
    ``Unmappable`` when no usable name is left."""
    _mapping.shaped(found, _Group, "the authentik group")
    name = _mapping.clean(found.get("name"))
    if name is None:
        raise Unmappable(f"{SOURCE} group {uuid} has no usable name")
    return schemas.GroupState(name)


def group_members(found: dict[str, Any]) -> frozenset[str]:
    """The pks of a group's direct members: its ``users`` (always there) and, when
    authentik embedded them, its ``users_obj``."""
    _mapping.shaped(found, _Group, "the authentik group")
    embedded = frozenset(str(u["pk"]) for u in found.get("users_obj") or [])
    return embedded | frozenset(str(u) for u in found.get("users", []))
