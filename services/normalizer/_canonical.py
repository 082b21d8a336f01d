"""Building canonical events with their derived ids, the same way for every source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import schemas

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
