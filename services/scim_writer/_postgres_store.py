"""The state store in PostgreSQL, for several writer replicas sharing one memory."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import asyncpg

from ._state_store import AwsObject, ObjectKind, QueueLag, StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS applied_events (
    idempotency_key TEXT PRIMARY KEY, outcome TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS subject_versions (subject TEXT PRIMARY KEY, version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS aws_objects (
    kind TEXT NOT NULL, external_id TEXT NOT NULL, aws_id TEXT NOT NULL,
    owned BOOLEAN NOT NULL, PRIMARY KEY (kind, external_id));
CREATE TABLE IF NOT EXISTS seen_members (key TEXT PRIMARY KEY, members TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue_lag (
    queue TEXT PRIMARY KEY, oldest_waiting DOUBLE PRECISION,
    reported_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts_in_hand (
    message_id TEXT PRIMARY KEY, began INTEGER NOT NULL, process TEXT NOT NULL);
"""


class PostgresStore:
    def __init__(self, dsn: str, schema: str | None = None) -> None:
        self.dsn = dsn
        self.schema = schema
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreUnavailable("the state store is not open")
        return self._pool

    async def open(self) -> None:
        settings = {"search_path": self.schema} if self.schema else None
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=4, server_settings=settings, timeout=5
            )
            await self._pool.execute(SCHEMA)
        except (OSError, asyncpg.PostgresError) as error:
            raise StoreUnavailable(f"cannot open the PostgreSQL state store: {error}") from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def outcome(self, idempotency_key: str) -> str | None:
        value = await self.pool.fetchval(
            "SELECT outcome FROM applied_events WHERE idempotency_key = $1", idempotency_key
        )
        return None if value is None else str(value)

    async def last_version(self, subject: str) -> int | None:
        value = await self.pool.fetchval(
            "SELECT version FROM subject_versions WHERE subject = $1", subject
        )
        return None if value is None else int(value)

    async def aws_object(self, kind: ObjectKind, external_id: str) -> AwsObject | None:
        row = await self.pool.fetchrow(
            "SELECT aws_id, owned FROM aws_objects WHERE kind = $1 AND external_id = $2",
            kind, external_id,
        )  # fmt: skip
        return None if row is None else AwsObject(kind, external_id, row["aws_id"], row["owned"])

    async def owned_objects(self, kind: ObjectKind, external_id_prefix: str) -> list[AwsObject]:
        rows = await self.pool.fetch(
            "SELECT external_id, aws_id, owned FROM aws_objects WHERE kind = $1"
            " AND left(external_id, $2) = $3 ORDER BY external_id",
            kind, len(external_id_prefix), external_id_prefix,
        )  # fmt: skip
        return [AwsObject(kind, r["external_id"], r["aws_id"], r["owned"]) for r in rows]

    async def checkpoint(self, name: str) -> str | None:
        row = await self.pool.fetchrow("SELECT value FROM checkpoints WHERE name = $1", name)
        return None if row is None else str(row["value"])

    async def keep_checkpoint(self, name: str, value: str) -> None:
        await self.pool.execute(
            "INSERT INTO checkpoints VALUES ($1, $2) ON CONFLICT (name) DO UPDATE"
            " SET value = excluded.value", name, value,
        )  # fmt: skip

    async def seen_members(self, key: str) -> frozenset[str] | None:
        row = await self.pool.fetchrow("SELECT members FROM seen_members WHERE key = $1", key)
        return None if row is None else frozenset(json.loads(row["members"]))

    async def remember_members(self, key: str, members: frozenset[str]) -> None:
        await self.pool.execute(
            "INSERT INTO seen_members VALUES ($1, $2) ON CONFLICT (key) DO UPDATE"
            " SET members = excluded.members", key, json.dumps(sorted(members)),
        )  # fmt: skip

    async def report_lag(self, queue: str, oldest_waiting: float | None, at: float) -> None:
        await self.pool.execute(
            "INSERT INTO queue_lag VALUES ($1, $2, $3) ON CONFLICT (queue) DO UPDATE"
            " SET oldest_waiting = excluded.oldest_waiting, reported_at = excluded.reported_at",
            queue, oldest_waiting, at,
        )  # fmt: skip

    async def attempt_began(self, message_id: str, process: str) -> int:
        began = await self.pool.fetchval(
            "INSERT INTO attempts_in_hand VALUES ($1, 1, $2) ON CONFLICT (message_id) DO UPDATE"
            " SET began = attempts_in_hand.began"
            " + (attempts_in_hand.process <> excluded.process)::int,"
            " process = excluded.process RETURNING began", message_id, process,
        )  # fmt: skip
        return int(began)

    async def attempt_ended(self, message_id: str) -> None:
        await self.pool.execute("DELETE FROM attempts_in_hand WHERE message_id = $1", message_id)

    async def lags(self) -> dict[str, QueueLag]:
        rows = await self.pool.fetch("SELECT queue, oldest_waiting, reported_at FROM queue_lag")
        return {r["queue"]: QueueLag(r["oldest_waiting"], r["reported_at"]) for r in rows}

    async def record(
        self, idempotency_key: str, outcome: str, *, versions: Mapping[str, int],
        objects: Sequence[AwsObject] = (), forgotten: Sequence[tuple[ObjectKind, str]] = (),
    ) -> None:  # fmt: skip
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO applied_events (idempotency_key, outcome) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                idempotency_key, outcome,
            )  # fmt: skip
            await connection.executemany(
                "INSERT INTO subject_versions VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE"
                " SET version = excluded.version"
                " WHERE excluded.version > subject_versions.version",
                list(versions.items()),
            )
            await connection.executemany(
                "INSERT INTO aws_objects VALUES ($1, $2, $3, $4) ON CONFLICT (kind, external_id)"
                " DO UPDATE SET aws_id = excluded.aws_id, owned = excluded.owned",
                [(o.kind, o.external_id, o.aws_id, o.owned) for o in objects],
            )
            await connection.executemany(
                "DELETE FROM aws_objects WHERE kind = $1 AND external_id = $2", list(forgotten)
            )
