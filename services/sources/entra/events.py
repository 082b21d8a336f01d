"""Microsoft Graph change notifications to canonical events (reference/idp-webhooks.md,
sections 2 and 8).

A notification says only "user X" or "group Y" changed: creation and soft deletion both
arrive as ``updated``. So the object is read back from Graph, and what Graph holds now is
the event: a user (disabled: deactivated), or gone (404: deleted). The version is the time
of that read, so of two reads the later one wins. A failed read is retried, never taken as
"deleted". ``members@delta`` becomes member added/removed events, users only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

import msgspec

import schemas
from schemas import Member, Subject
from services.sources import mapping as _mapping
from services.sources.canonical import Origin, canonical, group_now
from services.sources.entra.api import GraphApi
from services.sources.errors import MissingSettings, Unmappable

log = logging.getLogger("idp_sync.normalizer")
SOURCE = "entra"
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


class EntraNormalizer:
    """Maps one Graph notification, reading the object back from Graph."""

    def __init__(self, api: GraphApi | None, username_attribute: str = "userPrincipalName"):
        self.api = api
        self.username_attribute = username_attribute

    async def normalize(self, raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
        notification = _mapping.decode(raw, Notification, "a Graph change notification")
        if notification.lifecycleEvent:
            return await self._lifecycle(notification)
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

    async def _lifecycle(self, notification: Notification) -> list[schemas.CanonicalEvent]:
        subscription = notification.subscriptionId
        if notification.lifecycleEvent == "reauthorizationRequired":
            path = f"/subscriptions/{_mapping.segment(subscription, 'Graph subscription')}"
            await self._graph().request("POST", f"{path}/reauthorize")
            log.info("reauthorized Graph subscription %s", subscription)
            return []
        raise Unmappable(
            f"Graph says {notification.lifecycleEvent} for subscription {subscription}: "
            "changes may have been lost; run `idp-sync entra subscribe` and resync the tenant"
        )

    async def _user(
        self, notification: Notification, origin: Origin, user_id: str
    ) -> schemas.CanonicalEvent:
        subject = Subject("user", user_id)
        if notification.changeType == "deleted":
            return canonical(schemas.UserDeleted, origin, subject)
        found = await self._graph().user(_mapping.segment(user_id, "Entra user"))
        if found is None:  # soft-deleted (or gone): Graph answers 404
            return canonical(schemas.UserDeleted, origin, subject)
        _mapping.shaped(found, _GraphUser, "the Entra user")
        if found.get("accountEnabled") is False:
            return canonical(schemas.UserDeactivated, origin, subject,
                             user_name=found.get("userPrincipalName"))  # fmt: skip
        return canonical(schemas.UserUpserted, origin, subject, user=self._state(found))

    def _state(self, found: dict[str, Any]) -> schemas.UserState:
        attribute = self.username_attribute
        if not found.get(attribute):
            raise Unmappable(f"the Entra user has no {attribute!r} (IDP_SYNC_USERNAME_ATTRIBUTE)")
        return _mapping.user_state(
            name=found[attribute], display_name=found.get("displayName"),
            given_name=found.get("givenName"), family_name=found.get("surname"),
            email_address=found.get("mail"), active=found.get("accountEnabled") is not False,
            title=found.get("jobTitle"), department=found.get("department"),
            employee_number=found.get("employeeId"),
        )  # fmt: skip

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
