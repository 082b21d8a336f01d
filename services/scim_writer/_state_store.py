"""What the writer remembers between messages, behind one interface.

- applied idempotency keys and the outcome each got, so a redelivered event is a no-op;
- the last applied source version per subject (user, group, membership pair), so a late
  or replayed older event is skipped instead of undoing a newer one;
- the IdP object <-> AWS id map, and whether idp-sync owns the AWS object (created it, or
  adopted it on purpose), so nothing else in AWS is ever touched.

``record`` writes all of one event's effects in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ObjectKind = Literal["user", "group"]


@dataclass(frozen=True)
class AwsObject:
    """An AWS user or group known to idp-sync, by the ``externalId`` idp-sync gave it."""

    kind: ObjectKind
    external_id: str
    aws_id: str
    owned: bool = True


@dataclass(frozen=True)
class QueueLag:
    """A writer's report on one shard queue."""

    oldest_waiting: float | None
    """Epoch seconds the oldest event it holds unfinished was received at; ``None``: none."""
    reported_at: float


class StateStore(Protocol):
    """The writer's memory. Implementations: SQLite (one node), PostgreSQL (replicas)."""

    async def open(self) -> None:
        """Connect and create the tables if they are missing."""

    async def close(self) -> None: ...

    async def outcome(self, idempotency_key: str) -> str | None:
        """The outcome recorded for this key, or ``None`` if it was never applied."""

    async def last_version(self, subject: str) -> int | None: ...

    async def aws_object(self, kind: ObjectKind, external_id: str) -> AwsObject | None: ...

    async def record(
        self, idempotency_key: str, outcome: str, *, versions: Mapping[str, int],
        objects: Sequence[AwsObject] = (), forgotten: Sequence[tuple[ObjectKind, str]] = (),
    ) -> None:  # fmt: skip
        """In one transaction: the key's outcome, each subject's version (only ever raised),
        the AWS objects learned and the ones forgotten (deleted)."""

    async def report_lag(self, queue: str, oldest_waiting: float | None, at: float) -> None:
        """Note how far behind the writer is on ``queue``, for ``idp-sync status``."""

    async def seen_members(self, key: str) -> frozenset[str] | None:
        """The members last seen for ``key`` (a group or user of an IdP whose events only
        say "it changed"), or ``None`` if never seen."""

    async def remember_members(self, key: str, members: frozenset[str]) -> None: ...

    async def lags(self) -> dict[str, QueueLag]:
        """The latest report per queue."""

    async def owned_objects(self, kind: ObjectKind, external_id_prefix: str) -> list[AwsObject]:
        """Every AWS object of ``kind`` idp-sync owns or adopted whose externalId starts with
        ``external_id_prefix`` (one source's tenant: ``okta|acme.okta.com|``)."""

    async def checkpoint(self, name: str) -> str | None:
        """A token a source kept between runs (Entra's deltaLink, a log cursor)."""

    async def keep_checkpoint(self, name: str, value: str) -> None: ...

    async def attempt_began(self, message_id: str, process: str) -> int:
        """Note that ``process`` (one writer process's id) begins applying a redelivered
        message; how many processes began it without ending it, this one included. The
        same process beginning it again (its broker connection dropped) does not count."""

    async def attempt_ended(self, message_id: str) -> None:
        """The message got an outcome: forget its beginnings."""


class StoreUnavailable(Exception):
    """The state store cannot be reached or refused the operation."""
