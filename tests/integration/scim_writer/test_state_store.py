"""The state store's contract, on SQLite and on the real PostgreSQL alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

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
