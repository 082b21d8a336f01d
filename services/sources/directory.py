"""What a directory reader returns: the IdP's whole directory, already in canonical shape.

A ``Directory`` is complete or it is not returned at all: a reader that met a failed,
partial or throttled-out read raises ``ReadFailed``, so absence from a ``Directory`` is
evidence that the IdP no longer has the object, and nothing else is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from schemas import GroupState, UserState


@dataclass(frozen=True)
class Directory:
    """Every user, group and membership of one IdP tenant, as AWS is to hold them."""

    source: str
    """The source name (``okta``, ``entra``, ...): with ``tenant``, it makes the externalIds."""
    tenant: str
    """The same tenant string the source's webhook events carry, so both paths agree on
    every object's externalId."""
    read_at: dt.datetime
    """When the read began: the ``source_version`` of every event a sync derives from it,
    so a webhook change made during or after the read still wins."""
    users: Mapping[str, UserState]
    """By the IdP's immutable user id; inactive (suspended, deprovisioned) users included
    with ``active=False`` where the IdP still lists them."""
    groups: Mapping[str, GroupState]
    """By the IdP's immutable group id."""
    members: Mapping[str, frozenset[str]]
    """Group id -> the user ids in it, nested groups flattened. Every group has an entry."""
    unmapped: Mapping[str, str] = field(default_factory=dict)
    """``kind:id`` (``user:00u1``) -> why the object could not be mapped. It exists in the
    IdP, so it is never taken as gone; the plan reports it and leaves it alone."""


class ReadFailed(Exception):
    """The IdP could not be read in full: nothing may be concluded from what was read."""

    def __init__(self, source: str, what: str) -> None:
        super().__init__(f"{source}: {what}")
        self.source = source
        self.what = what


class Checkpoints(Protocol):
    """Where a reader keeps a token between runs (Entra's deltaLink, Okta's log cursor)."""

    async def checkpoint(self, name: str) -> str | None: ...

    async def keep_checkpoint(self, name: str, value: str) -> None: ...


class DirectoryReader(Protocol):
    """Reads one IdP's whole directory."""

    source: str

    async def read(self) -> Directory:
        """The whole directory, or ``ReadFailed`` naming what could not be read."""

    async def aclose(self) -> None: ...
