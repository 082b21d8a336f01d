"""Building canonical events with their derived ids, the same way for every source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

import schemas
from services.sources.errors import Unmappable
from services.sources.mapping import clean

E = TypeVar("E", bound=schemas.CanonicalEvent)


@dataclass(frozen=True)
class Origin:
    """The source change a canonical event comes from."""

    source: str
    tenant: str
    source_event_id: str
    occurred_at: dt.datetime


def canonical(cls: type[E], origin: Origin, subject: schemas.Subject, **fields: Any) -> E:
    """An event of type ``cls`` whose keys derive from ``origin``, so redelivery keeps them.

    ``Unmappable`` unless the event is one the writer can take as it is: ids that name
    something, a time with a zone (else its order depends on the host's), and every field
    of its declared type (checked by a trip over the wire, which the writer makes too).
    """
    kind = schemas.event_type(cls)
    if not subject.idp_id:
        raise Unmappable(f"{origin.source} {kind} names a {subject.kind} with an empty id")
    if any(not member.idp_id for member in fields.get("members", ())):
        raise Unmappable(f"{origin.source} {kind} names a member with an empty id")
    key = schemas.idempotency_key(origin.source, origin.tenant, origin.source_event_id, kind,
                                  subject)  # fmt: skip
    event = cls(
        event_id=schemas.event_id(key), idempotency_key=key, source=origin.source,
        idp_tenant=origin.tenant, source_event_id=origin.source_event_id, subject=subject,
        source_version=_version(origin), occurred_at=origin.occurred_at, **fields,
    )  # fmt: skip
    try:
        sent = schemas.decode(schemas.encode(event))
    except (msgspec.ValidationError, UnicodeEncodeError) as error:  # wrong types; surrogates
        raise Unmappable(f"{origin.source} {kind}: {error}") from error
    if sent != event:  # e.g. a float infinity, which JSON can only send as null
        raise Unmappable(f"{origin.source} {kind} does not survive JSON: {event!r}")
    return event


def _version(origin: Origin) -> int:
    moment = origin.occurred_at
    if moment.utcoffset() is None:
        raise Unmappable(f"{origin.source} change {origin.source_event_id} has a time without "
                         f"a time zone ({moment.isoformat()}): its order is unknown")  # fmt: skip
    try:
        return schemas.version_of(moment)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise Unmappable(
            f"{origin.source} change time {moment.isoformat()} is out of range"
        ) from None


def group_now(
    origin: Origin, subject: schemas.Subject, found: dict[str, Any] | None, name_key: str
) -> schemas.CanonicalEvent:
    """What a group read back from its IdP says: gone (``None``) is deleted, else upserted
    under its name cleaned to AWS's rules; ``Unmappable`` when no usable name is left."""
    if found is None:
        return canonical(schemas.GroupDeleted, origin, subject)
    name = clean(found.get(name_key))
    if name is None:
        raise Unmappable(f"{origin.source} group {subject.idp_id} has no usable {name_key}")
    return canonical(schemas.GroupUpserted, origin, subject, group=schemas.GroupState(name))
