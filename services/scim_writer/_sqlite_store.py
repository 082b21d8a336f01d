"""The state store in an embedded SQLite file: the default, for a single writer node."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import aiosqlite

from ._state_store import AwsObject, ObjectKind, QueueLag, StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS applied_events (
    idempotency_key TEXT PRIMARY KEY, outcome TEXT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subject_versions (subject TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aws_objects (
    kind TEXT NOT NULL, external_id TEXT NOT NULL, aws_id TEXT NOT NULL,
    owned INTEGER NOT NULL, PRIMARY KEY (kind, external_id));
CREATE TABLE IF NOT EXISTS seen_members (key TEXT PRIMARY KEY, members TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue_lag (
    queue TEXT PRIMARY KEY, oldest_waiting REAL, reported_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts_in_hand (
    message_id TEXT PRIMARY KEY, began INTEGER NOT NULL, process TEXT NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        # One connection: transactions of concurrent handlers must not interleave on it.
        self._writing = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreUnavailable("the state store is not open")
        return self._db

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it crash-safe
            await self._db.executescript(SCHEMA)
        except (OSError, aiosqlite.Error) as error:
            raise StoreUnavailable(
                f"cannot open the state store at {self.path}: {error}"
            ) from error

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def outcome(self, idempotency_key: str) -> str | None:
        query = "SELECT outcome FROM applied_events WHERE idempotency_key = ?"
        async with self.db.execute(query, (idempotency_key,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def last_version(self, subject: str) -> int | None:
        query = "SELECT version FROM subject_versions WHERE subject = ?"
        async with self.db.execute(query, (subject,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def aws_object(self, kind: ObjectKind, external_id: str) -> AwsObject | None:
        query = "SELECT aws_id, owned FROM aws_objects WHERE kind = ? AND external_id = ?"
        async with self.db.execute(query, (kind, external_id)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else AwsObject(kind, external_id, str(row[0]), bool(row[1]))

    async def owned_objects(self, kind: ObjectKind, external_id_prefix: str) -> list[AwsObject]:
        query = ("SELECT external_id, aws_id, owned FROM aws_objects WHERE kind = ?"
                 " AND substr(external_id, 1, ?) = ? ORDER BY external_id")  # fmt: skip
        prefix = (kind, len(external_id_prefix), external_id_prefix)
        async with self.db.execute(query, prefix) as cursor:
            rows = await cursor.fetchall()
        return [AwsObject(kind, str(r[0]), str(r[1]), bool(r[2])) for r in rows]

    async def checkpoint(self, name: str) -> str | None:
        async with self.db.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)) as c:
            row = await c.fetchone()
        return None if row is None else str(row[0])

    async def keep_checkpoint(self, name: str, value: str) -> None:
        async with self._writing:
            await self.db.execute(
                "INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (name) DO UPDATE"
                " SET value = excluded.value", (name, value),
            )  # fmt: skip

    async def seen_members(self, key: str) -> frozenset[str] | None:
        async with self.db.execute("SELECT members FROM seen_members WHERE key = ?", (key,)) as c:
            row = await c.fetchone()
        return None if row is None else frozenset(json.loads(row[0]))

    async def remember_members(self, key: str, members: frozenset[str]) -> None:
        async with self._writing:
            await self.db.execute(
                "INSERT INTO seen_members VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                " SET members = excluded.members", (key, json.dumps(sorted(members))),
            )  # fmt: skip

    async def report_lag(self, queue: str, oldest_waiting: float | None, at: float) -> None:
        async with self._writing:
            await self.db.execute(
                "INSERT INTO queue_lag VALUES (?, ?, ?) ON CONFLICT (queue) DO UPDATE"
                " SET oldest_waiting = excluded.oldest_waiting, reported_at = excluded.reported_at",
                (queue, oldest_waiting, at),
            )

    async def attempt_began(self, message_id: str, process: str) -> int:
        async with self._writing, self.db.execute(
            "INSERT INTO attempts_in_hand VALUES (?, 1, ?) ON CONFLICT (message_id) DO UPDATE"
            " SET began = began + (process <> excluded.process), process = excluded.process"
            " RETURNING began", (message_id, process),
        ) as cursor:  # fmt: skip
            row = await cursor.fetchone()
        return int(row[0]) if row else 1

    async def attempt_ended(self, message_id: str) -> None:
        async with self._writing:
            await self.db.execute("DELETE FROM attempts_in_hand WHERE message_id = ?",
                                  (message_id,))  # fmt: skip

    async def lags(self) -> dict[str, QueueLag]:
        async with self.db.execute(
            "SELECT queue, oldest_waiting, reported_at FROM queue_lag"
        ) as cursor:
            rows = await cursor.fetchall()
        return {str(q): QueueLag(o, float(r)) for q, o, r in rows}

    async def record(
        self, idempotency_key: str, outcome: str, *, versions: Mapping[str, int],
        objects: Sequence[AwsObject] = (), forgotten: Sequence[tuple[ObjectKind, str]] = (),
    ) -> None:  # fmt: skip
        async with self._writing:
            await self._record(idempotency_key, outcome, versions, objects, forgotten)

    async def _record(
        self, idempotency_key: str, outcome: str, versions: Mapping[str, int],
        objects: Sequence[AwsObject], forgotten: Sequence[tuple[ObjectKind, str]],
    ) -> None:  # fmt: skip
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO applied_events VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (idempotency_key, outcome, dt.datetime.now(dt.UTC).isoformat()),
            )
            await db.executemany(
                "INSERT INTO subject_versions VALUES (?, ?) ON CONFLICT (subject) DO UPDATE"
                " SET version = excluded.version WHERE excluded.version > version",
                list(versions.items()),
            )
            await db.executemany(
                "INSERT INTO aws_objects VALUES (?, ?, ?, ?) ON CONFLICT (kind, external_id)"
                " DO UPDATE SET aws_id = excluded.aws_id, owned = excluded.owned",
                [(o.kind, o.external_id, o.aws_id, int(o.owned)) for o in objects],
            )
            await db.executemany(
                "DELETE FROM aws_objects WHERE kind = ? AND external_id = ?", list(forgotten)
            )

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, committed only if the block ends normally.

        aiosqlite runs each statement on its own thread: cancelling the awaiting task does
        not stop the statement, so a cancelled ``BEGIN`` may still open a transaction after
        the task is gone. Hence the rollback is shielded from cancellation, and a
        transaction left open by a cancelled predecessor is rolled back before a new one.
        """
        db = self.db
        if db.in_transaction:
            await db.rollback()
        try:
            await db.execute("BEGIN IMMEDIATE")
            yield db
        except BaseException:
            await asyncio.shield(self._roll_back(db))
            raise
        await db.execute("COMMIT")

    @staticmethod
    async def _roll_back(db: aiosqlite.Connection) -> None:
        # The connection's queue is in order: this runs after a BEGIN still under way.
        with contextlib.suppress(aiosqlite.Error):
            await db.execute("ROLLBACK")
