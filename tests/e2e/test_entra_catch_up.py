"""Entra ID's ``missed`` notification end to end: through the real gateway and RabbitMQ, the
normalizer catches up with Graph's delta queries (a fake Graph over real HTTP), and the
changes it missed end up in the emulator, not in a dead-letter queue."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.scim_writer import store_for
from tests.support import broker
from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_graph import TENANT, FakeGraph, lifecycle
from tests.support.pipeline import Pipeline, dlq_depths, idp_pipeline
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
CLIENT_STATE = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph(page_size=2, member_page=2)  # several pages; the group spans them
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("entra-catch-up-state") / "normalizer.db"


@pytest.fixture(scope="module")
def entra(
    amqp_url: str, emulator_server: EmulatorServer, graph: tuple[FakeGraph, str], state: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    fake, url = graph
    env = {
        "IDP_SYNC_ENTRA_TENANT_ID": TENANT, "IDP_SYNC_ENTRA_CLIENT_ID": fake.client_id,
        "IDP_SYNC_ENTRA_CLIENT_SECRET": fake.secret, "IDP_SYNC_ENTRA_GRAPH_URL": f"{url}/v1.0",
        "IDP_SYNC_ENTRA_LOGIN_URL": url, "IDP_SYNC_ENTRA_CLIENT_STATE": CLIENT_STATE,
        "IDP_SYNC_STATE_URL": f"sqlite:///{state}",  # the normalizer's: it keeps deltaLinks
    }  # fmt: skip
    with idp_pipeline(amqp_url, emulator_server, tmp_path_factory.mktemp("entra-catch-up"),
                      env) as pipeline:  # fmt: skip
        yield pipeline


def _missed(entra: Pipeline) -> None:
    body = {"value": [lifecycle("missed", CLIENT_STATE)]}
    answer = httpx.post(f"{entra.gateway_url}/webhooks/entra", json=body, timeout=10)
    assert answer.status_code in {200, 202}


def _users(aws: Aws) -> dict[str, dict[str, Any]]:
    return {u["userName"]: u for u in aws.state()["users"]}


def _member_names(aws: Aws) -> set[str] | None:
    state = aws.state()
    if len(state["groups"]) != 1:
        return None
    names = {u["id"]: u["userName"] for u in state["users"]}
    return {names.get(m, m) for m in aws.members_of(state["groups"][0]["id"])}


def _kept_link(state: Path) -> str | None:
    async def read() -> str | None:
        store = store_for(f"sqlite:///{state}")
        await store.open()
        try:
            return await store.checkpoint(f"entra:{TENANT}:groups")
        finally:
            await store.close()

    return asyncio.run(read())


def test_a_missed_notification_catches_up_with_graph(
    entra: Pipeline, aws: Aws, graph: tuple[FakeGraph, str], amqp_url: str, state: Path
) -> None:
    fake, _ = graph
    people = {"u-alex": "Alex Wilber", "u-grady": "Grady Archie", "u-isaiah": "Isaiah Langer",
              "u-joni": "Joni Sherman", "u-nestor": "Nestor Wilke"}  # fmt: skip
    for user_id, name in people.items():
        fake.add_user(user_id, f"{user_id[2:]}@contoso.example", name)
    fake.add_group("g-sales", "Sales")
    fake.add_members("g-sales", *people)
    # No notification said any of this: Graph only said it missed some.
    _missed(entra)
    everyone = {f"{u[2:]}@contoso.example" for u in people}
    wait_until(lambda: _member_names(aws) == everyone, within=45,
               what="a full round: every user and membership")  # fmt: skip
    wait_until(lambda: _kept_link(state), within=30, what="the deltaLink kept once confirmed")

    fake.rename_group("g-sales", "Sales Europe")
    fake.update_user("u-alex", jobTitle="Account Manager")
    fake.update_user("u-grady", accountEnabled=False)
    fake.remove_members("g-sales", "u-isaiah")
    fake.remove_user("u-joni", reason="deleted")
    fake.add_user("u-lidia", "lidia@contoso.example", "Lidia Holloway")
    fake.add_members("g-sales", "u-lidia")
    _missed(entra)
    now = everyone - {"isaiah@contoso.example", "joni@contoso.example"} | {
        "lidia@contoso.example"}  # fmt: skip
    wait_until(lambda: _member_names(aws) == now, within=45,
               what="the members added and removed, the deleted user gone")  # fmt: skip
    wait_until(lambda: aws.state()["groups"][0]["displayName"] == "Sales Europe", within=30,
               what="the rename")  # fmt: skip
    wait_until(lambda: _users(aws)["alex@contoso.example"].get("title") == "Account Manager",
               within=30, what="the profile change")  # fmt: skip
    wait_until(lambda: _users(aws)["grady@contoso.example"].get("active") is False, within=30,
               what="the deactivation")  # fmt: skip
    assert "joni@contoso.example" not in _users(aws)
    assert any("$deltatoken=" in u for u in fake.delta_urls), "the second round followed it"
    assert dlq_depths(amqp_url, entra.topology) == [0, 0]
    raw_dlq = f"{entra.topology.raw_queue('entra').name}.dlq"
    assert asyncio.run(broker.queued(amqp_url, raw_dlq)) == 0
