"""Dry-run: the writer resolves and decides as usual, reads AWS, and sends no write.

``PlanningAws`` answers writes itself (a made-up id for a create) and logs what it would
have sent; ``ScratchStore`` keeps what the plan learns in memory on top of the real store,
so later events of the same run see it, and nothing dry-run did is remembered afterwards
(an event planned now is applied for real once dry-run is off).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._aws_scim import AwsScim, ScimEndpoint
from ._state_store import AwsObject, ObjectKind, QueueLag, StateStore

log = logging.getLogger("idp_sync.writer.plan")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class PlannedWrite:
    method: str
    path: str
    body: Any

    def __str__(self) -> str:
        body = "" if self.body is None else " " + json.dumps(self.body, sort_keys=True)
        return f"would {self.method} {self.path}{body}"


class PlanningAws(AwsScim):
    """Reads go to AWS; writes are planned, logged and answered here."""

    def __init__(self, endpoint: ScimEndpoint) -> None:
        super().__init__(endpoint)
        self.planned: list[PlannedWrite] = []

    async def _call(
        self, operation: str, method: str, path: str, *, json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:  # fmt: skip
        if method not in _WRITES:
            return await super()._call(operation, method, path, json=json, params=params)
        write = PlannedWrite(method, path, json)
        self.planned.append(write)
        log.info("dry-run: %s", write)
        return {**json, "id": f"dry-run-{uuid.uuid4()}"} if method == "POST" else None


@dataclass
class ScratchStore:
    """A ``StateStore`` that reads through to ``real`` and writes only to memory."""

    real: StateStore
    outcomes: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    objects: dict[tuple[ObjectKind, str], AwsObject | None] = field(default_factory=dict)

    async def open(self) -> None:
        await self.real.open()

    async def close(self) -> None:
        await self.real.close()

    async def outcome(self, idempotency_key: str) -> str | None:
        known = self.outcomes.get(idempotency_key)
        return known if known is not None else await self.real.outcome(idempotency_key)

    async def last_version(self, subject: str) -> int | None:
        if subject in self.versions:
            return self.versions[subject]
        return await self.real.last_version(subject)

    async def aws_object(self, kind: ObjectKind, external_id: str) -> AwsObject | None:
        if (kind, external_id) in self.objects:
            return self.objects[kind, external_id]
        return await self.real.aws_object(kind, external_id)

    async def seen_members(self, key: str) -> frozenset[str] | None:
        return await self.real.seen_members(key)

    async def owned_objects(self, kind: ObjectKind, external_id_prefix: str) -> list[AwsObject]:
        return await self.real.owned_objects(kind, external_id_prefix)

    async def checkpoint(self, name: str) -> str | None:
        return await self.real.checkpoint(name)

    async def keep_checkpoint(self, name: str, value: str) -> None:
        """A dry run keeps no token: the next real run must read what this one read."""

    async def remember_members(self, key: str, members: frozenset[str]) -> None:
        await self.real.remember_members(key, members)

    async def report_lag(self, queue: str, oldest_waiting: float | None, at: float) -> None:
        await self.real.report_lag(queue, oldest_waiting, at)  # how far behind is real

    async def lags(self) -> dict[str, QueueLag]:
        return await self.real.lags()

    async def attempt_began(self, message_id: str, process: str) -> int:
        return await self.real.attempt_began(message_id, process)  # a crash is a crash, dry or not

    async def attempt_ended(self, message_id: str) -> None:
        await self.real.attempt_ended(message_id)

    async def record(
        self, idempotency_key: str, outcome: str, *, versions: Mapping[str, int],
        objects: Sequence[AwsObject] = (), forgotten: Sequence[tuple[ObjectKind, str]] = (),
    ) -> None:  # fmt: skip
        self.outcomes[idempotency_key] = outcome
        for subject, version in versions.items():
            self.versions[subject] = max(version, self.versions.get(subject, version))
        self.objects.update({(o.kind, o.external_id): o for o in objects})
        self.objects.update(dict.fromkeys(forgotten))
