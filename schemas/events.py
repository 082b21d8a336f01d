"""Canonical events: the one vocabulary the SCIM writer understands, whatever IdP spoke.

Every event says what AWS should hold for one subject after the IdP's change, already
mapped to AWS's rules (one primary email, required names, no ``<>;:%``), so the writer
never needs to know which IdP it came from.

Wire format: JSON via msgspec, tagged by ``type``. ``schema_version`` changes only when a
reader of the old version would misread the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Literal

import msgspec

SCHEMA_VERSION = 1
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d4f0e-3c0e-4d7a-9a55-6a1e2f5b9c11")

SubjectKind = Literal["user", "group"]


class Subject(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What an event is about, by the IdP's own id."""

    kind: SubjectKind
    idp_id: str

    @property
    def shard_key(self) -> str:
        """Events with the same key go to the same shard and so are applied in order."""
        return f"{self.kind}:{self.idp_id}"


class UserState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A user as AWS is to hold it, already within AWS's rules."""

    user_name: str
    """Becomes AWS ``userName``; must equal the SAML NameID the IdP sends at sign-in."""
    display_name: str
    given_name: str
    family_name: str
    email: str | None = None
    active: bool = True
    title: str | None = None
    department: str | None = None
    employee_number: str | None = None


class GroupState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A group as AWS is to hold it."""

    display_name: str


class Member(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A user in a membership event, by IdP id (and login, for people reading the event)."""

    idp_id: str
    user_name: str | None = None


class _Event(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True
):
    schema_version: int = SCHEMA_VERSION
    event_id: str
    """Unique per canonical event; derived from ``idempotency_key``, so stable on redelivery."""
    idempotency_key: str
    """The same source change always yields the same key; the writer applies a key once."""
    source: str
    """Which route it came in by: ``okta``, ``generic``, ``entra``, ..."""
    idp_tenant: str
    """The IdP organisation (Okta org host, Entra tenant id, ...)."""
    source_event_id: str
    subject: Subject
    source_version: int
    """Orderable: microseconds since the epoch of the IdP's change. Older is stale."""
    occurred_at: dt.datetime


class UserUpserted(_Event, frozen=True, tag="user.upserted"):
    """The user exists in the IdP with this state (created, changed or reactivated)."""

    user: UserState


class UserDeactivated(_Event, frozen=True, tag="user.deactivated"):
    """The user may no longer sign in; AWS keeps it with ``active=false``."""

    user_name: str | None = None


class UserDeleted(_Event, frozen=True, tag="user.deleted"):
    """The user is gone from the IdP."""

    user_name: str | None = None


class GroupUpserted(_Event, frozen=True, tag="group.upserted"):
    """The group exists with this state (created or renamed)."""

    group: GroupState


class GroupDeleted(_Event, frozen=True, tag="group.deleted"):
    """The group is gone from the IdP."""

    display_name: str | None = None


class GroupMemberAdded(_Event, frozen=True, tag="group.member_added"):
    """These users joined the group (the subject)."""

    members: tuple[Member, ...]
    display_name: str | None = None


class GroupMemberRemoved(_Event, frozen=True, tag="group.member_removed"):
    """These users left the group (the subject)."""

    members: tuple[Member, ...]
    display_name: str | None = None


CanonicalEvent = (
    UserUpserted
    | UserDeactivated
    | UserDeleted
    | GroupUpserted
    | GroupDeleted
    | GroupMemberAdded
    | GroupMemberRemoved
)
EVENT_TYPES: tuple[type[_Event], ...] = (
    UserUpserted, UserDeactivated, UserDeleted, GroupUpserted, GroupDeleted,
    GroupMemberAdded, GroupMemberRemoved,
)  # fmt: skip

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[CanonicalEvent] = msgspec.json.Decoder(CanonicalEvent)


def encode(event: CanonicalEvent) -> bytes:
    return _encoder.encode(event)


def decode(raw: bytes) -> CanonicalEvent:
    """Decode and validate one event; ``msgspec.ValidationError`` says what is wrong."""
    return _decoder.decode(raw)


def event_type(cls: type[_Event]) -> str:
    return str(cls.__struct_config__.tag)


def idempotency_key(
    source: str, idp_tenant: str, source_event_id: str, type_: str, subject: Subject
) -> str:
    """One key per (source change, canonical type, subject): redelivery keeps it."""
    raw = "\x1f".join((source, idp_tenant, source_event_id, type_, subject.shard_key))
    return hashlib.sha256(raw.encode()).hexdigest()


def event_id(key: str) -> str:
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, key))


def version_of(moment: dt.datetime) -> int:
    """The orderable ``source_version`` of an IdP timestamp."""
    delta = moment.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def external_id(source: str, idp_tenant: str, idp_id: str) -> str:
    """The AWS ``externalId`` of an IdP object: stable across renames and email changes,
    within AWS's rules (at most 256 characters, no whitespace, none of ``<>;:%``)."""
    raw = f"{source}|{idp_tenant}|{idp_id}"
    cleaned = "".join("_" if c in "<>;:%" or c.isspace() else c for c in raw)
    if len(cleaned) <= 256 and cleaned == raw:
        return cleaned
    return f"{source}|sha256-{hashlib.sha256(raw.encode()).hexdigest()}"
