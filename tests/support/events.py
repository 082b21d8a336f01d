"""Canonical events for tests, built the way the normalizer builds them."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import schemas
from services.sources.canonical import Origin, canonical

E = TypeVar("E", bound=schemas.CanonicalEvent)
T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def make(cls: type[E], kind: str, idp_id: str, second: int, **fields: Any) -> E:
    """An event of ``cls`` about ``kind:idp_id``, happening ``second`` seconds after T0."""
    origin = Origin("okta", "acme.okta.com", f"evt-{kind}-{idp_id}-{cls.__name__}-{second}",
                    T0 + dt.timedelta(seconds=second))  # fmt: skip
    return canonical(cls, origin, schemas.Subject(kind, idp_id), **fields)  # type: ignore[arg-type]


def user(idp_id: str, second: int, name: str | None = None, **state: Any) -> schemas.UserUpserted:
    login = f"{idp_id}@acme.com"
    display = name or f"User {idp_id}"
    first, _, last = display.partition(" ")
    state_ = schemas.UserState(login, display, first, last or first, login, **state)
    return make(schemas.UserUpserted, "user", idp_id, second, user=state_)


def group(idp_id: str, second: int, name: str) -> schemas.GroupUpserted:
    return make(schemas.GroupUpserted, "group", idp_id, second, group=schemas.GroupState(name))


def members(cls: type[E], group_id: str, second: int, user_ids: list[str]) -> E:
    return make(cls, "group", group_id, second,
                members=tuple(schemas.Member(u) for u in user_ids))  # fmt: skip
