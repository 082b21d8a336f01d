"""The state store's contract, on SQLite and on the real PostgreSQL alike."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from services.scim_writer import (
    AwsObject,
    PostgresStore,
    QueueLag,
    StateStore,
    StoreUnavailable,
    store_for,
)
from tests.support.broker import postgres_dsn


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "sqlite":
        chosen = store_for(f"sqlite:///{tmp_path}/state.db")
        await chosen.open()
        yield chosen
        await chosen.close()
        return
    dsn, schema = postgres_dsn(), f"idp_sync_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    chosen = store_for(f"{dsn}?schema={schema}")
    assert isinstance(chosen, PostgresStore)
    await chosen.open()
    yield chosen
    await chosen.close()
    await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await admin.close()


async def test_an_applied_key_is_remembered_with_its_outcome(store: StateStore) -> None:
    assert await store.outcome("k1") is None
    await store.record("k1", "applied", versions={"user:u1": 10})
    await store.record("k1", "applied again?", versions={"user:u1": 10})
    assert await store.outcome("k1") == "applied"


async def test_versions_only_ever_rise(store: StateStore) -> None:
    await store.record("k1", "applied", versions={"user:u1": 20, "group:g1": 5})
    await store.record("k2", "skipped-stale", versions={"user:u1": 10})
    assert await store.last_version("user:u1") == 20
    await store.record("k3", "applied", versions={"user:u1": 30})
    assert await store.last_version("user:u1") == 30
    assert await store.last_version("group:g1") == 5
    assert await store.last_version("user:unknown") is None


async def test_aws_objects_are_mapped_updated_and_forgotten(store: StateStore) -> None:
    jane = AwsObject("user", "okta|acme|00u1", "aws-1")
    await store.record("k1", "applied", versions={}, objects=[jane])
    assert await store.aws_object("user", "okta|acme|00u1") == jane
    assert await store.aws_object("group", "okta|acme|00u1") is None
    adopted = AwsObject("user", "okta|acme|00u1", "aws-2", owned=False)
    await store.record("k2", "applied", versions={}, objects=[adopted])
    assert await store.aws_object("user", "okta|acme|00u1") == adopted
    await store.record("k3", "applied", versions={}, forgotten=[("user", "okta|acme|00u1")])
    assert await store.aws_object("user", "okta|acme|00u1") is None


async def test_a_failed_record_leaves_nothing_behind(store: StateStore) -> None:
    bad = AwsObject("user", "x", None)  # type: ignore[arg-type]  # NOT NULL violated on purpose
    with pytest.raises(Exception):  # noqa: B017, PT011 - each backend has its own error type
        await store.record("k1", "applied", versions={"user:u1": 1}, objects=[bad])
    assert await store.outcome("k1") is None
    assert await store.last_version("user:u1") is None


async def test_concurrent_records_of_one_subject_keep_the_highest(store: StateStore) -> None:
    await asyncio.gather(
        *(store.record(f"k{v}", "applied", versions={"user:u1": v}) for v in range(1, 21))
    )
    assert await store.last_version("user:u1") == 20


async def test_an_unreachable_store_says_so() -> None:
    unreachable = store_for("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreUnavailable, match="cannot open"):
        await unreachable.open()
    with pytest.raises(ValueError, match="IDP_SYNC_STATE_URL"):
        store_for("redis://localhost")


async def test_the_latest_lag_report_per_queue_is_kept(store: StateStore) -> None:
    assert await store.lags() == {}
    await store.report_lag("ns.events.shard-0", 1000.5, at=1010.0)
    await store.report_lag("ns.events.shard-1", None, at=1010.0)
    await store.report_lag("ns.events.shard-0", None, at=1020.0)
    assert await store.lags() == {
        "ns.events.shard-0": QueueLag(None, 1020.0),
        "ns.events.shard-1": QueueLag(None, 1010.0),
    }
    await store.report_lag("ns.events.shard-1", 1015.25, at=1030.0)
    assert (await store.lags())["ns.events.shard-1"] == QueueLag(1015.25, 1030.0)


async def test_members_last_seen_are_remembered_per_key(store: StateStore) -> None:
    assert await store.seen_members("authentik:group:g1") is None
    await store.remember_members("authentik:group:g1", frozenset({"7", "42"}))
    await store.remember_members("authentik:group:g1", frozenset({"42"}))
    await store.remember_members("authentik:user:7", frozenset())
    assert await store.seen_members("authentik:group:g1") == frozenset({"42"})
    assert await store.seen_members("authentik:user:7") == frozenset()


async def test_owned_objects_are_listed_by_source_prefix(store: StateStore) -> None:
    objects = [AwsObject("user", "okta|acme|00u1", "a1"), AwsObject("user", "okta|acme|00u2", "a2",
               owned=False), AwsObject("user", "okta|other|00u3", "a3"),
               AwsObject("group", "okta|acme|00g1", "g1")]  # fmt: skip
    await store.record("k1", "applied", versions={}, objects=objects)
    assert await store.owned_objects("user", "okta|acme|") == objects[:2]
    assert await store.owned_objects("group", "okta|acme|") == [objects[3]]
    assert await store.owned_objects("user", "entra|") == []


async def test_a_checkpoint_is_kept_and_replaced(store: StateStore) -> None:
    assert await store.checkpoint("entra:delta:users") is None
    await store.keep_checkpoint("entra:delta:users", "https://graph/delta?token=1")
    await store.keep_checkpoint("entra:delta:users", "https://graph/delta?token=2")
    assert await store.checkpoint("entra:delta:users") == "https://graph/delta?token=2"


async def _blocked_record(store: StateStore, block: asyncio.Event) -> None:
    """Cancel a ``record`` while it waits inside the store, then let the store go on."""
    task = asyncio.create_task(
        store.record("k-cancelled", "applied", versions={"user:u1": 5}),
    )
    await asyncio.sleep(0)  # let it reach the store before it is cancelled
    await asyncio.wait({task}, timeout=0.3)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    block.set()


async def test_a_record_cancelled_mid_transaction_leaves_the_store_usable(
    store: StateStore, tmp_path: Path
) -> None:
    # Another writer holds the store's write lock, so the record waits inside the store;
    # it is cancelled there (a dropped broker connection cancels handlers this way).
    release = asyncio.Event()
    async with _write_lock_held(store, tmp_path, release):
        await _blocked_record(store, release)
    await store.record("k-after", "applied", versions={"user:u1": 7})
    assert await store.outcome("k-after") == "applied"
    assert await store.outcome("k-cancelled") is None  # nothing of it was kept
    assert await store.last_version("user:u1") == 7


@contextlib.asynccontextmanager
async def _write_lock_held(
    store: StateStore, tmp_path: Path, release: asyncio.Event
) -> AsyncIterator[None]:
    """Hold a write lock on the store's tables from a second connection until ``release``."""
    if isinstance(store, PostgresStore):
        path = {"search_path": store.schema or ""}
        other = await asyncpg.connect(store.dsn, server_settings=path)
        transaction = other.transaction()
        await transaction.start()
        await other.execute("LOCK TABLE applied_events IN ACCESS EXCLUSIVE MODE")
        holder = asyncio.create_task(_release_after(release, transaction.rollback))
        yield
        await holder
        await other.close()
        return
    other_db = await aiosqlite.connect(tmp_path / "state.db", isolation_level=None)
    await other_db.execute("BEGIN IMMEDIATE")
    holder = asyncio.create_task(_release_after(release, lambda: other_db.execute("ROLLBACK")))
    yield
    await holder
    await other_db.close()


async def _release_after(release: asyncio.Event, undo: Callable[[], Awaitable[object]]) -> None:
    await release.wait()
    await undo()


async def test_the_processes_that_began_a_message_are_counted_until_it_ends(
    store: StateStore,
) -> None:
    assert [await store.attempt_began("m1", p) for p in ("a", "b", "c")] == [1, 2, 3]
    assert await store.attempt_began("m1", "c") == 3, "the same process again does not count"
    assert await store.attempt_began("m2", "c") == 1
    await store.attempt_ended("m1")
    assert await store.attempt_began("m1", "d") == 1
