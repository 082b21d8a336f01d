"""Microsoft Graph change notifications to canonical events (reference/idp-webhooks.md,
sections 2 and 8).

A notification says only "user X" or "group Y" changed: creation and soft deletion both
arrive as ``updated``. So the object is read back from Graph, and what Graph holds now is
the event: a user (disabled: deactivated), or gone (404: deleted). The version is the time
of that read, so of two reads the later one wins. A failed read is retried, never taken as
"deleted". ``members@delta`` becomes member added/removed events, users only.

A ``missed`` or ``subscriptionRemoved`` lifecycle notification means changes were lost:
the normalizer catches up with Graph's delta queries (``directory.py``) and returns what
changed since the last catch-up as events, versioned when that round began.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import TYPE_CHECKING, Any

import msgspec

import schemas
from schemas import Member, Subject
from services.sources import mapping as _mapping
from services.sources.canonical import Origin, canonical, group_now
from services.sources.directory import ReadFailed
from services.sources.entra.api import GraphApi
from services.sources.errors import IdpUnavailable, MissingSettings, Unmappable
from services.sources.reading import Patience

if TYPE_CHECKING:
    from services.scim_writer import StateStore
    from services.sources.entra.directory import DeltaChanges

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "entra"
_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_NEEDS_API = ("set IDP_SYNC_ENTRA_TENANT_ID, IDP_SYNC_ENTRA_CLIENT_ID and "
              "IDP_SYNC_ENTRA_CLIENT_SECRET")  # fmt: skip


class Notification(msgspec.Struct):
    subscriptionId: str = ""  # noqa: N815 - Graph's field names
    changeType: str = ""  # noqa: N815
    resource: str = ""
    tenantId: str = ""  # noqa: N815
    lifecycleEvent: str = ""  # noqa: N815
    resourceData: dict[str, Any] = {}  # noqa: N815 - msgspec copies defaults


class _DeltaMember(msgspec.Struct):
    """One entry of ``members@delta``: a member, or one removed (``@removed`` present)."""

    id: str
    removed: Any = msgspec.field(name="@removed", default=msgspec.UNSET)


class _GraphUser(msgspec.Struct):
    """The user fields the mapping reads (the username attribute aside), as Graph types them."""

    displayName: str | None = None  # noqa: N815 - Graph's field names
    givenName: str | None = None  # noqa: N815
    surname: str | None = None
    mail: str | None = None
    accountEnabled: bool | None = None  # noqa: N815
    jobTitle: str | None = None  # noqa: N815
    department: str | None = None
    employeeId: str | None = None  # noqa: N815
    userPrincipalName: str | None = None  # noqa: N815


def user_state(found: dict[str, Any], username_attribute: str) -> schemas.UserState:
    """A Graph user object as AWS is to hold it (disabled: ``active=False``); the webhook
    path and the directory reader both map users with it. ``Unmappable`` when it cannot be."""
    _mapping.shaped(found, _GraphUser, "the Entra user")
    if not found.get(username_attribute):
        raise Unmappable(
            f"the Entra user has no {username_attribute!r} (IDP_SYNC_USERNAME_ATTRIBUTE)"
        )
    return _mapping.user_state(
        name=found[username_attribute], display_name=found.get("displayName"),
        given_name=found.get("givenName"), family_name=found.get("surname"),
        email_address=found.get("mail"), active=found.get("accountEnabled") is not False,
        title=found.get("jobTitle"), department=found.get("department"),
        employee_number=found.get("employeeId"),
    )  # fmt: skip


def user_event(
    origin: Origin, user_id: str, found: dict[str, Any], username_attribute: str
) -> schemas.CanonicalEvent:
    """What a Graph user object read now says: disabled is deactivated, else upserted."""
    subject = Subject("user", user_id)
    _mapping.shaped(found, _GraphUser, "the Entra user")
    if found.get("accountEnabled") is False:  # needs no userName: AWS has the user by id
        return canonical(schemas.UserDeactivated, origin, subject,
                         user_name=found.get("userPrincipalName"))  # fmt: skip
    return canonical(schemas.UserUpserted, origin, subject,
                     user=user_state(found, username_attribute))  # fmt: skip


class EntraNormalizer:
    """Maps one Graph notification, reading the object back from Graph; ``missed`` and
    ``subscriptionRemoved`` catch up through Graph's delta queries, the deltaLinks kept in
    ``store`` once the broker confirmed the events (``confirmed``)."""

    def __init__(
        self, api: GraphApi | None, username_attribute: str = "userPrincipalName",
        store: StateStore | None = None, *, patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.api = api
        self.username_attribute = username_attribute
        self.store = store
        self.patience = patience
        self._pending: tuple[list[schemas.CanonicalEvent], DeltaChanges] | None = None
        """The last catch-up's events and the round they came from, until confirmed."""

    async def confirmed(self, events: list[schemas.CanonicalEvent]) -> None:
        """The broker confirmed ``events``: if a catch-up made them, keep its deltaLinks now,
        so a failure before this replays the round rather than losing it."""
        if self._pending is not None and self._pending[0] is events:
            changes, self._pending = self._pending[1], None
            await changes.commit()

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        notification = _mapping.decode(raw, Notification, "a Graph change notification")
        if notification.lifecycleEvent:
            return await self._lifecycle(notification, tenant)
        kind, _, object_id = notification.resource.partition("/")
        origin = Origin(SOURCE, notification.tenantId or tenant,
                        hashlib.sha256(raw).hexdigest()[:32], dt.datetime.now(dt.UTC))  # fmt: skip
        if kind.lower() == "users":
            return [await self._user(notification, origin, object_id)]
        if kind.lower() == "groups":
            return await self._group(notification, origin, object_id)
        log.info("ignoring Graph notification for %s", notification.resource)
        return []

    def _graph(self) -> GraphApi:
        if self.api is None:
            raise MissingSettings(f"Graph notifications carry only ids: {_NEEDS_API}")
        return self.api

    async def _lifecycle(
        self, notification: Notification, tenant: str
    ) -> list[schemas.CanonicalEvent]:
        subscription, event = notification.subscriptionId, notification.lifecycleEvent
        if event == "reauthorizationRequired":
            path = f"/subscriptions/{_mapping.segment(subscription, 'Graph subscription')}"
            await self._graph().request("POST", f"{path}/reauthorize")
            log.info("reauthorized Graph subscription %s", subscription)
            return []
        if event not in {"missed", "subscriptionRemoved"}:
            raise Unmappable(f"Graph says {event} for subscription {subscription}: unknown")
        if event == "subscriptionRemoved":
            log.warning(
                "Graph removed subscription %s: recreate it with `idp-sync entra subscribe`; "
                "catching up on what it missed meanwhile", subscription,
            )  # fmt: skip
        return await self._catch_up(notification.tenantId or tenant)

    async def _catch_up(self, tenant: str) -> list[schemas.CanonicalEvent]:
        """The changes since the kept deltaLinks as events (a full round without them)."""
        from services.sources.entra.directory import EntraDirectoryReader

        api = self._graph()
        if self.store is None:
            raise MissingSettings("a Graph catch-up keeps deltaLinks: set IDP_SYNC_STATE_URL")
        configured = api.app.tenant_id
        # The app reads one tenant: a notification of another is not about it. A tenant set
        # as a domain name cannot be compared; the events carry the notification's tenant
        # either way, as the webhook path's do, so both give an object one externalId.
        if _GUID.fullmatch(configured) and tenant.lower() != configured.lower():
            raise Unmappable(f"a Graph notification for tenant {tenant!r}, but the app reads "
                             f"{configured!r} (IDP_SYNC_ENTRA_TENANT_ID)")  # fmt: skip
        # The reader's client lives for one catch-up: they are rare. Its token is the api's.
        reader = EntraDirectoryReader(api.app.graph_url, api, self.store, patience=self.patience,
                                      username_attribute=self.username_attribute)  # fmt: skip
        try:
            changes = await reader.changes()
        except ReadFailed as error:  # a partial round concludes nothing: all of it again
            raise IdpUnavailable(f"the Graph delta catch-up failed: {error}") from error
        finally:
            await reader.aclose()
        events = catch_up_events(changes, tenant)
        self._pending = (events, changes)
        log.info("caught up with Graph (%s round): %d events, %d objects not mapped",
                 "a full" if changes.full else "an incremental", len(events),
                 len(changes.unmapped))  # fmt: skip
        return events

    async def _user(
        self, notification: Notification, origin: Origin, user_id: str
    ) -> schemas.CanonicalEvent:
        subject = Subject("user", user_id)
        if notification.changeType == "deleted":
            return canonical(schemas.UserDeleted, origin, subject)
        found = await self._graph().user(_mapping.segment(user_id, "Entra user"))
        if found is None:  # soft-deleted (or gone): Graph answers 404
            return canonical(schemas.UserDeleted, origin, subject)
        return user_event(origin, user_id, found, self.username_attribute)

    async def _group(
        self, notification: Notification, origin: Origin, group_id: str
    ) -> list[schemas.CanonicalEvent]:
        subject = Subject("group", group_id)
        if notification.changeType == "deleted":
            return [canonical(schemas.GroupDeleted, origin, subject)]
        try:
            delta = msgspec.convert(notification.resourceData.get("members@delta") or [],
                                    list[_DeltaMember])  # fmt: skip
        except msgspec.ValidationError as error:
            raise Unmappable(f"unreadable members@delta: {error}") from error
        if delta:
            return await self._members(origin, subject, delta)
        found = await self._graph().group(_mapping.segment(group_id, "Entra group"))
        return [group_now(origin, subject, found, "displayName")]

    async def _members(
        self, origin: Origin, subject: Subject, delta: list[_DeltaMember]
    ) -> list[schemas.CanonicalEvent]:
        added = [d.id for d in delta if d.removed is msgspec.UNSET]
        removed = [d.id for d in delta if d.removed is not msgspec.UNSET]
        users = await self._graph().users_among(added) if added else {}
        events: list[schemas.CanonicalEvent] = []
        if members := tuple(Member(i, users[i].get(self.username_attribute))
                            for i in added if i in users):  # fmt: skip
            events.append(canonical(schemas.GroupMemberAdded, origin, subject, members=members))
        if removed:  # a removed object may be gone: the writer ignores non-users
            gone = tuple(Member(i) for i in removed)
            events.append(canonical(schemas.GroupMemberRemoved, origin, subject, members=gone))
        return events


def catch_up_events(
    changes: DeltaChanges, tenant: str | None = None
) -> list[schemas.CanonicalEvent]:
    """A delta round as canonical events, versioned when the round began and keyed by it.

    Disabled users are deactivated; removed ones deleted only when Graph says ``deleted``
    (``changed`` is a soft delete, restorable: a deactivation). A soft-deleted group is
    left alone until Graph reports it ``deleted``. A full round knows no earlier state, so
    it yields no removals. One object that cannot be mapped is logged and skipped: it must
    not hold back the rest of the round. ``tenant``: the one the notification named."""
    origin = Origin(SOURCE, tenant or changes.tenant, changes.round_id, changes.began_at)
    names = {user_id: state.user_name for user_id, state in changes.users.items()}
    made: list[tuple[type[schemas.CanonicalEvent], Subject, dict[str, Any]]] = []
    for user_id, state in changes.users.items():
        made.append((schemas.UserUpserted, Subject("user", user_id), {"user": state})
                    if state.active else (schemas.UserDeactivated, Subject("user", user_id),
                                          {"user_name": state.user_name}))  # fmt: skip
    for group_id, delta in changes.groups.items():
        subject = Subject("group", group_id)
        if delta.group is not None:
            made.append((schemas.GroupUpserted, subject, {"group": delta.group}))
        for change, ids in ((schemas.GroupMemberAdded, delta.added),
                          (schemas.GroupMemberRemoved, delta.removed)):  # fmt: skip
            if ids:
                members = tuple(Member(i, names.get(i)) for i in sorted(ids))
                made.append((change, subject, {"members": members}))
    for group_id, reason in changes.removed_groups.items():
        if reason == "deleted":
            made.append((schemas.GroupDeleted, Subject("group", group_id), {}))
        else:
            log.info("Entra group %s is soft-deleted: kept until Graph deletes it", group_id)
    for user_id, reason in changes.removed_users.items():
        gone = schemas.UserDeleted if reason == "deleted" else schemas.UserDeactivated
        made.append((gone, Subject("user", user_id), {}))
    events: list[schemas.CanonicalEvent] = []
    for cls, subject, fields in made:
        try:
            events.append(canonical(cls, origin, subject, **fields))
        except Unmappable as error:
            log.warning("skipping %s in the Graph catch-up: %s", subject.shard_key, error)
    for key, why in changes.unmapped.items():
        log.warning("skipping %s in the Graph catch-up: %s", key, why)
    return events
