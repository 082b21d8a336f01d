"""The generic route's IdP-neutral changes to canonical events.

A change names its canonical type directly; this module validates it and applies the
AWS mapping rules, so a sender needs no idp-sync code, only the documented JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

import schemas
from schemas import Member, Subject
from services.sources import mapping as _mapping
from services.sources.canonical import Origin, canonical
from services.sources.errors import Unmappable

SOURCE = "generic"


class GenericUser(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    user_name: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    active: bool = True
    title: str | None = None
    department: str | None = None
    employee_number: str | None = None


class GenericGroup(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    display_name: str | None = None


class GenericMember(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    user_name: str | None = None


class GenericChange(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    type: Literal[
        "user.upserted", "user.deactivated", "user.deleted", "group.upserted",
        "group.deleted", "group.member_added", "group.member_removed",
    ]  # fmt: skip
    occurred_at: dt.datetime
    user: GenericUser | None = None
    group: GenericGroup | None = None
    members: list[GenericMember] = []


def _origin(change: GenericChange, tenant: str) -> Origin:
    return Origin(SOURCE, tenant, change.id, change.occurred_at)


def _user_event(change: GenericChange, tenant: str) -> schemas.CanonicalEvent:
    if change.user is None:
        raise Unmappable(f"{change.type} change {change.id} has no `user`")
    user = change.user
    origin, subject = _origin(change, tenant), Subject("user", user.id)
    if change.type == "user.deactivated":
        return canonical(schemas.UserDeactivated, origin, subject, user_name=user.user_name)
    if change.type == "user.deleted":
        return canonical(schemas.UserDeleted, origin, subject, user_name=user.user_name)
    state = _mapping.user_state(
        name=user.user_name, display_name=user.display_name, given_name=user.given_name,
        family_name=user.family_name, email_address=user.email, active=user.active,
        title=user.title, department=user.department, employee_number=user.employee_number,
    )  # fmt: skip
    return canonical(schemas.UserUpserted, origin, subject, user=state)


def _group_event(change: GenericChange, tenant: str) -> schemas.CanonicalEvent:
    if change.group is None:
        raise Unmappable(f"{change.type} change {change.id} has no `group`")
    group = change.group
    origin, subject = _origin(change, tenant), Subject("group", group.id)
    if change.type == "group.deleted":
        return canonical(schemas.GroupDeleted, origin, subject, display_name=group.display_name)
    if change.type == "group.upserted":
        name = _mapping.clean(group.display_name)
        if name is None:
            raise Unmappable(f"group.upserted change {change.id} has no usable display_name")
        return canonical(schemas.GroupUpserted, origin, subject, group=schemas.GroupState(name))
    if not change.members:
        raise Unmappable(f"{change.type} change {change.id} has no `members`")
    members = tuple(Member(m.id, m.user_name) for m in change.members)
    shown = group.display_name
    if change.type == "group.member_added":
        return canonical(
            schemas.GroupMemberAdded, origin, subject, members=members, display_name=shown
        )
    return canonical(
        schemas.GroupMemberRemoved, origin, subject, members=members, display_name=shown
    )


def normalize(raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
    """One generic change as one canonical event, or ``Unmappable`` with the reason."""
    change = _mapping.decode(raw, GenericChange, "a generic change")
    if change.type.startswith("user."):
        return [_user_event(change, tenant)]
    return [_group_event(change, tenant)]
