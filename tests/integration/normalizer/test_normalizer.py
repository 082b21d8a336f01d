"""Gateway and normalizer as processes on the real RabbitMQ: raw webhooks in, canonical
events out on the right shards, in order; what cannot be mapped in the DLQ with why."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import schemas
from services.shared import dead_letters
from services.shared.topology import Topology
from tests.support import broker, okta
from tests.support.asgi_server import serving
from tests.support.fake_okta import FakeOkta
from tests.support.generic import changes_body, signed_headers
from tests.support.pipeline import Pipeline, gateway_and_normalizer

pytestmark = pytest.mark.rabbit
OKTA_TOKEN = "fake-okta-api-token"
JANE = okta.user_target("00u1", "jane@acme.com", "Jane Doe")
ENG = okta.group_target("00g1", "Engineering")


@pytest.fixture(scope="module")
def fake_okta() -> Iterator[tuple[FakeOkta, str]]:
    api = FakeOkta(OKTA_TOKEN)
    api.add_user("00u1", "jane@acme.com", "Jane", "Doe", title="Staff Engineer",
                 department="Platform", employeeNumber="4711")  # fmt: skip
    api.add_group("00g1", "Platform Engineering")
    with serving(api.app()) as url:
        yield api, url


@contextlib.contextmanager
def _pipeline(amqp_url: str, logs: Path, env: dict[str, str] | None = None) -> Iterator[Pipeline]:
    topology = Topology(namespace=broker.test_namespace(), shards=3)
    try:
        with gateway_and_normalizer(amqp_url, topology, logs, env) as pipeline:
            yield pipeline
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))


@pytest.fixture(scope="module")
def hydrating(
    amqp_url: str, fake_okta: tuple[FakeOkta, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    env = {"IDP_SYNC_OKTA_API_URL": fake_okta[1], "IDP_SYNC_OKTA_API_TOKEN": OKTA_TOKEN}
    with _pipeline(amqp_url, tmp_path_factory.mktemp("hydrating"), env) as pipeline:
        yield pipeline


@pytest.fixture(scope="module")
def without_api(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with _pipeline(amqp_url, tmp_path_factory.mktemp("without-api")) as pipeline:
        yield pipeline


async def _post_okta(pipeline: Pipeline, *events: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=pipeline.gateway_url) as http:
        response = await http.post("/webhooks/okta", json=okta.batch(*events),
                                   headers={"authorization": pipeline.okta_secret})  # fmt: skip
    assert response.status_code == 200, response.text


async def _canonical(amqp_url: str, topology: Topology, shard_key: str, n: int) -> list[Any]:
    queue = topology.shard_queue(topology.shard_of(shard_key)).name
    return [schemas.decode(m.body) for m in await broker.take(amqp_url, queue, n)]


def _at(second: int) -> str:
    return f"2026-11-02T10:15:{second:02d}.000Z"


async def test_an_okta_batch_becomes_canonical_events_in_order_on_their_shards(
    hydrating: Pipeline, amqp_url: str
) -> None:
    await _post_okta(
        hydrating,
        okta.event("user.lifecycle.create", [JANE], published=_at(1)),
        okta.event("user.account.update_profile", [JANE], published=_at(2)),
        okta.event("user.lifecycle.deactivate", [JANE], published=_at(3)),
        okta.event("user.lifecycle.deactivate", [JANE], published=_at(3), result="FAILURE"),
        okta.event("group.lifecycle.create", [ENG], published=_at(4)),
        okta.event("group.user_membership.add", [JANE, ENG], published=_at(5)),
        okta.event("group.user_membership.remove", [JANE, ENG], published=_at(6)),
        okta.event("application.user_membership.add", [JANE], published=_at(7)),
    )
    topology = hydrating.topology
    users = await _canonical(amqp_url, topology, "user:00u1", 3)
    groups = await _canonical(amqp_url, topology, "group:00g1", 3)
    assert [type(e) for e in users] == [
        schemas.UserUpserted, schemas.UserUpserted, schemas.UserDeactivated]  # fmt: skip
    assert [type(e) for e in groups] == [
        schemas.GroupUpserted, schemas.GroupMemberAdded, schemas.GroupMemberRemoved]  # fmt: skip
    assert [e.source_version for e in users] == sorted(e.source_version for e in users)
    hydrated = users[1].user
    assert (hydrated.given_name, hydrated.family_name) == ("Jane", "Doe")
    assert hydrated.title == "Staff Engineer"
    assert (hydrated.department, hydrated.employee_number) == ("Platform", "4711")
    assert groups[0].group.display_name == "Engineering"
    assert groups[1].members == (schemas.Member("00u1", "jane@acme.com"),)
    assert all(e.idp_tenant == okta.ORG and e.source == "okta" for e in users + groups)
    for shard in range(topology.shards):  # nothing else anywhere: the FAILURE and app events
        assert await broker.queued(amqp_url, topology.shard_queue(shard).name) == 0


async def test_a_group_rename_reads_the_new_name_back(hydrating: Pipeline, amqp_url: str) -> None:
    await _post_okta(hydrating, okta.event("group.profile.update", [ENG], published=_at(8)))
    (renamed,) = await _canonical(amqp_url, hydrating.topology, "group:00g1", 1)
    assert renamed.group.display_name == "Platform Engineering"


async def test_the_same_okta_event_twice_has_one_idempotency_key(
    hydrating: Pipeline, amqp_url: str
) -> None:
    event = okta.event("group.user_membership.add", [JANE, ENG], published=_at(9))
    await _post_okta(hydrating, event)
    await _post_okta(hydrating, event)
    first, second = await _canonical(amqp_url, hydrating.topology, "group:00g1", 2)
    assert first.idempotency_key == second.idempotency_key
    assert first.event_id == second.event_id


@pytest.mark.parametrize(
    ("event_type", "target"),
    [("user.account.update_profile", JANE), ("group.profile.update", ENG)],
)
async def test_without_api_settings_id_only_events_are_dead_lettered_naming_them(
    without_api: Pipeline, amqp_url: str, event_type: str, target: dict[str, Any]
) -> None:
    await _post_okta(without_api, okta.event(event_type, [target], published=_at(10)))
    dlq = f"{without_api.topology.raw_queue('okta').name}.dlq"
    (dead,) = await broker.take(amqp_url, dlq, 1)
    detail = str(dead.headers[dead_letters.ERROR_DETAIL])
    assert "IDP_SYNC_OKTA_API_URL" in detail
    assert "IDP_SYNC_OKTA_API_TOKEN" in detail
    assert dead.headers[dead_letters.ERROR_CLASS] == "MissingSettings"
    assert dead.headers[dead_letters.ORIGINAL_QUEUE] == without_api.topology.raw_queue("okta").name
    assert msgspec.json.decode(dead.body)["eventType"] == event_type


async def test_an_unmappable_change_is_dead_lettered_and_the_next_one_flows(
    without_api: Pipeline, amqp_url: str
) -> None:
    broken = {"id": "chg-broken", "type": "user.upserted", "occurred_at": "2026-11-02T10:00:00Z"}
    weird = {"id": "chg-weird", "type": "user.renamed", "occurred_at": "2026-11-02T10:00:00Z"}
    good = {"id": "chg-good", "type": "user.upserted", "occurred_at": "2026-11-02T10:00:01Z",
            "user": {"id": "u9", "user_name": "ada lovelace@hr.example", "display_name":
                     "Ada <Countess> Lovelace"}}  # fmt: skip
    body = changes_body("hr-system", broken, weird, good)
    async with httpx.AsyncClient(base_url=without_api.gateway_url) as http:
        headers = signed_headers(without_api.webhook_secret, body)
        response = await http.post("/webhooks/generic", content=body, headers=headers)
    assert response.status_code == 200
    dlq = f"{without_api.topology.raw_queue('generic').name}.dlq"
    dead = await broker.take(amqp_url, dlq, 2)
    reasons = {m.message_id: str(m.headers[dead_letters.ERROR_DETAIL]) for m in dead}
    assert "has no `user`" in reasons["chg-broken"]
    assert "user.renamed" in reasons["chg-weird"]
    (flowed,) = await _canonical(amqp_url, without_api.topology, "user:u9", 1)
    assert flowed.user.user_name == "adalovelace@hr.example"  # AWS allows no whitespace
    assert flowed.user.display_name == "Ada Countess Lovelace"  # nor <>;:%
    assert (flowed.user.given_name, flowed.user.family_name) == ("Ada", "Countess Lovelace")
