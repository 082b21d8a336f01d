"""A plan as canonical events: the writer then applies them as it applies webhooks, with
its idempotency, order per subject, ownership rules, deletion guard, DLQ and traces.

Every event of one sync carries the read's start as its version. The writer skips an
event older than what it applied for the subject, so a webhook change made during or
after the read wins over the snapshot, and a webhook event older than the snapshot that
arrives late loses to it.
"""

from __future__ import annotations

import msgspec

import schemas
from schemas import Member, Subject
from services.sources.canonical import Origin, canonical
from services.sources.directory import Directory

from ._plan import Change, Plan


def origin_of(directory: Directory) -> Origin:
    """One sync, one source change: its keys make a re-sent plan a duplicate, not a change."""
    moment = directory.read_at
    return Origin(directory.source, directory.tenant, f"sync:{moment.isoformat()}", moment)


def events_of(plan: Plan, directory: Directory) -> list[tuple[Change, schemas.CanonicalEvent]]:
    """The events that carry out ``plan``, each beside the change it comes from."""
    origin = origin_of(directory)
    found: list[tuple[Change, schemas.CanonicalEvent]] = []
    for change in plan.changes:
        event = _event(change, directory, origin)
        if event is not None:
            found.append((change, event))
    return found


def _event(change: Change, directory: Directory, origin: Origin) -> schemas.CanonicalEvent | None:
    if change.kind == "not_owned":
        return None  # reported, never sent
    kind, _, idp_id = change.subject.partition(":")
    if kind == "user":
        return _user_event(change, directory, origin, Subject("user", idp_id))
    return _group_event(change, directory, origin, Subject("group", idp_id))


def _user_event(
    change: Change, directory: Directory, origin: Origin, subject: Subject
) -> schemas.CanonicalEvent:
    if change.kind == "user.deactivate":
        return canonical(schemas.UserDeactivated, origin, subject, user_name=change.name)
    if change.kind == "user.delete":
        return canonical(schemas.UserDeleted, origin, subject, user_name=change.name)
    state = directory.users[subject.idp_id]
    if change.deactivated_apart:
        state = msgspec.structs.replace(state, active=True)
    return canonical(schemas.UserUpserted, origin, subject, user=state)


def _group_event(
    change: Change, directory: Directory, origin: Origin, subject: Subject
) -> schemas.CanonicalEvent:
    if change.kind == "group.delete":
        return canonical(schemas.GroupDeleted, origin, subject, display_name=change.name)
    if change.kind in {"group.create", "group.update"}:
        group = directory.groups[subject.idp_id]
        return canonical(schemas.GroupUpserted, origin, subject, group=group)
    cls = schemas.GroupMemberAdded if change.kind == "member.add" else schemas.GroupMemberRemoved
    members = tuple(Member(u, _user_name(directory, u)) for u in change.members)
    return canonical(cls, origin, subject, members=members, display_name=change.name)


def _user_name(directory: Directory, idp_id: str) -> str | None:
    user = directory.users.get(idp_id)
    return user.user_name if user else None
