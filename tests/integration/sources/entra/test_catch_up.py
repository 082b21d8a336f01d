"""The Entra normalizer catching up after ``missed`` / ``subscriptionRemoved``: the delta
round's changes as canonical events, the deltaLinks kept (in a real SQLite state store)
only once the broker confirmed them."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import schemas
from services.scim_writer import StateStore, store_for
from services.sources.entra.api import GraphApi
from services.sources.entra.events import EntraNormalizer
from services.sources.errors import IdpUnavailable, MissingSettings, Unmappable
from services.sources.reading import Patience
from tests.support.fake_graph import TENANT, FakeGraph, lifecycle

from .conftest import Waits, app_of

GROUPS_LINK = f"entra:{TENANT}:groups"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[StateStore]:
    opened = store_for(f"sqlite:///{tmp_path}/normalizer.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def entra(
    graph: tuple[FakeGraph, str], store: StateStore, waits: Waits
) -> AsyncIterator[EntraNormalizer]:
    fake, url = graph
    fake.add_user("u-ada", "ada@contoso.example", "Ada Lovelace")
    fake.add_user("u-bob", "bob@contoso.example", "Bob Byte", enabled=False)
    fake.add_user("u-cy", "cy@contoso.example", "Cy Cole")
    fake.add_group("g-eng", "Engineering")
    fake.add_members("g-eng", "u-ada", "u-bob", "u-cy")
    api = GraphApi(app_of(fake, url))
    yield EntraNormalizer(api, store=store, patience=Patience(attempts=2, sleep=waits))
    await api.aclose()


def _missed(event: str = "missed") -> bytes:
    return json.dumps(lifecycle(event, "client-state")).encode()


def _kinds(events: list[schemas.CanonicalEvent]) -> list[tuple[str, str]]:
    return sorted((schemas.event_type(type(e)), e.subject.shard_key) for e in events)


async def test_missed_without_a_link_is_a_full_round_with_no_removals(
    entra: EntraNormalizer, store: StateStore
) -> None:
    events = await entra.normalize(_missed(), TENANT)
    assert _kinds(events) == [
        ("group.member_added", "group:g-eng"), ("group.upserted", "group:g-eng"),
        ("user.deactivated", "user:u-bob"), ("user.upserted", "user:u-ada"),
        ("user.upserted", "user:u-cy"),
    ]  # fmt: skip
    added = next(e for e in events if isinstance(e, schemas.GroupMemberAdded))
    assert [m.user_name for m in added.members] == [
        "ada@contoso.example", "bob@contoso.example", "cy@contoso.example"]  # fmt: skip
    assert len({e.source_version for e in events}) == 1, "versioned when the round began"
    assert {e.idp_tenant for e in events} == {TENANT}
    again = await entra.normalize(_missed(), TENANT)
    assert [e.idempotency_key for e in again] == [e.idempotency_key for e in events]
    assert await store.checkpoint(GROUPS_LINK) is None, "kept only once confirmed"
    await entra.confirmed(events)
    assert await store.checkpoint(GROUPS_LINK) is None, "not the events of the last round"
    await entra.confirmed(again)
    assert "$deltatoken=" in str(await store.checkpoint(GROUPS_LINK))


async def test_the_next_catch_up_has_only_the_changes(
    entra: EntraNormalizer, graph: tuple[FakeGraph, str]
) -> None:
    fake, _ = graph
    await entra.confirmed(await entra.normalize(_missed(), TENANT))
    fake.remove_user("u-ada", reason="deleted")
    fake.remove_user("u-cy", reason="changed")  # soft-deleted: restorable
    fake.add_user("u-dee", "dee@contoso.example", "Dee Dot")
    fake.add_members("g-eng", "u-dee")
    fake.add_group("g-ops", "Operations")
    fake.remove_group("g-ops", reason="changed")
    events = await entra.normalize(_missed(), TENANT)
    assert _kinds(events) == [
        ("group.member_added", "group:g-eng"), ("group.member_removed", "group:g-eng"),
        ("user.deactivated", "user:u-cy"), ("user.deleted", "user:u-ada"),
        ("user.upserted", "user:u-dee"),
    ]  # fmt: skip
    removed = next(e for e in events if isinstance(e, schemas.GroupMemberRemoved))
    assert sorted(m.idp_id for m in removed.members) == ["u-ada", "u-cy"]
    await entra.confirmed(events)
    assert await entra.normalize(_missed(), TENANT) == []


async def test_subscription_removed_catches_up_and_says_to_subscribe_again(
    entra: EntraNormalizer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "idp_sync.normalizer"):
        events = await entra.normalize(_missed("subscriptionRemoved"), TENANT)
    assert len(events) == 5
    assert "idp-sync entra subscribe" in caplog.text


async def test_a_failed_round_is_retried_and_keeps_nothing(
    entra: EntraNormalizer, graph: tuple[FakeGraph, str], store: StateStore
) -> None:
    fake, _ = graph
    fake.failing_page = (1, 503)
    with pytest.raises(IdpUnavailable, match="catch-up failed"):
        await entra.normalize(_missed(), TENANT)
    await entra.confirmed([])
    assert await store.checkpoint(GROUPS_LINK) is None


async def test_what_a_catch_up_cannot_do_is_dead_lettered_with_why(
    entra: EntraNormalizer, graph: tuple[FakeGraph, str]
) -> None:
    other = lifecycle("missed", "client-state") | {"tenantId": "another-tenant"}
    with pytest.raises(Unmappable, match="another-tenant"):
        await entra.normalize(json.dumps(other).encode(), TENANT)
    with pytest.raises(MissingSettings, match="IDP_SYNC_STATE_URL"):
        await EntraNormalizer(entra.api).normalize(_missed(), TENANT)
    with pytest.raises(MissingSettings, match="IDP_SYNC_ENTRA_CLIENT_ID"):
        await EntraNormalizer(None).normalize(_missed(), TENANT)


async def test_a_tenant_set_as_a_domain_name_keys_events_by_the_notifications(
    graph: tuple[FakeGraph, str], store: StateStore
) -> None:
    fake, url = graph
    fake.add_user("u-ada", "ada@contoso.example", "Ada Lovelace")
    app = dataclasses.replace(app_of(fake, url), tenant_id="contoso.onmicrosoft.com")
    api = GraphApi(app)
    try:
        events = await EntraNormalizer(api, store=store).normalize(_missed(), TENANT)
    finally:
        await api.aclose()
    assert [(e.subject.idp_id, e.idp_tenant) for e in events] == [("u-ada", TENANT)]
