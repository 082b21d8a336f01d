"""Building canonical events with their derived ids, the same way for every source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import schemas

from ._errors import Unmappable
from ._mapping import clean

E = TypeVar("E", bound=schemas.CanonicalEvent)


@dataclass(frozen=True)
class Origin:
    """The source change a canonical event comes from."""

    source: str
    tenant: str
    source_event_id: str
    occurred_at: dt.datetime


def canonical(cls: type[E], origin: Origin, subject: schemas.Subject, **fields: Any) -> E:
    """An event of type ``cls`` whose keys derive from ``origin``, so redelivery keeps them."""
    key = schemas.idempotency_key(
        origin.source, origin.tenant, origin.source_event_id, schemas.event_type(cls), subject
    )
    return cls(
        event_id=schemas.event_id(key), idempotency_key=key, source=origin.source,
        idp_tenant=origin.tenant, source_event_id=origin.source_event_id, subject=subject,
        source_version=schemas.version_of(origin.occurred_at), occurred_at=origin.occurred_at,
        **fields,
    )  # fmt: skip


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
