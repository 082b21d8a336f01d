"""Entra ID end to end: Graph notifications through the real gateway and RabbitMQ, read
back from a small fake of Microsoft Graph over real HTTP, into the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import broker
from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_graph import TENANT, FakeGraph, notification
from tests.support.pipeline import (
    Pipeline,
    cli,
    dlq_depths,
    idp_pipeline,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
CLIENT_STATE = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    with serving(fake.app()) as url:
        yield fake, url


def _entra_env(fake: FakeGraph, url: str) -> dict[str, str]:
    return {
        "IDP_SYNC_ENTRA_TENANT_ID": TENANT, "IDP_SYNC_ENTRA_CLIENT_ID": fake.client_id,
        "IDP_SYNC_ENTRA_CLIENT_SECRET": fake.secret, "IDP_SYNC_ENTRA_GRAPH_URL": f"{url}/v1.0",
        "IDP_SYNC_ENTRA_LOGIN_URL": url, "IDP_SYNC_ENTRA_CLIENT_STATE": CLIENT_STATE,
    }  # fmt: skip


@pytest.fixture(scope="module")
def entra(
    amqp_url: str, emulator_server: EmulatorServer, graph: tuple[FakeGraph, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    with idp_pipeline(amqp_url, emulator_server, tmp_path_factory.mktemp("entra"),
                      _entra_env(*graph)) as pipeline:  # fmt: skip
        yield pipeline


def _notify(entra: Pipeline, *notifications: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{entra.gateway_url}/webhooks/entra", json={"value": list(notifications)},
                      timeout=10)  # fmt: skip


def _user(aws: Aws, upn: str) -> dict[str, Any] | None:
    return next((u for u in aws.state()["users"] if u["userName"] == upn), None)


def _received(entra: Pipeline) -> float:
    metrics = httpx.get(f"{entra.gateway_url}/metrics", timeout=5).text
    name = 'idp_sync_events_received_total{source="entra"}'
    line = next((x for x in metrics.splitlines() if x.startswith(name)), "")
    return float(line.split()[-1]) if line else 0.0


def test_the_handshake_and_a_wrong_client_state(entra: Pipeline) -> None:
    token = "Validation: Testing client application reachability for Request-Id: 2b4ec7ab"
    answer = httpx.post(f"{entra.gateway_url}/webhooks/entra", params={"validationToken": token},
                        headers={"content-type": "text/plain"}, timeout=5)  # fmt: skip
    assert (answer.status_code, answer.text) == (200, token)
    assert answer.headers["content-type"].startswith("text/plain")
    before = _received(entra)
    forged = notification("Users/u-forged", CLIENT_STATE)
    refused = _notify(entra, forged, notification("Users/u-x", "not-the-client-state"))
    assert refused.status_code == 401
    assert _received(entra) == before, "a refused POST must queue nothing"


def test_users_from_create_to_soft_delete(
    entra: Pipeline, aws: Aws, graph: tuple[FakeGraph, str], amqp_url: str
) -> None:
    fake, _ = graph
    upn = "adele@contoso.example"
    fake.add_user("u-adele", upn, "Adele Vance")
    assert _notify(entra, notification("Users/u-adele", CLIENT_STATE)).status_code == 200
    wait_until(lambda: _user(aws, upn), within=30, what="a create arriving as `updated`")
    fake.users["u-adele"] |= {"jobTitle": "Retail Manager", "displayName": "Adele V."}
    _notify(entra, notification("Users/u-adele", CLIENT_STATE))
    wait_until(lambda: (_user(aws, upn) or {}).get("title") == "Retail Manager", within=30,
               what="the update")  # fmt: skip
    assert (_user(aws, upn) or {})["displayName"] == "Adele V."
    fake.users["u-adele"]["accountEnabled"] = False
    _notify(entra, notification("Users/u-adele", CLIENT_STATE))
    wait_until(lambda: (_user(aws, upn) or {}).get("active") is False, within=30,
               what="the deactivation")  # fmt: skip
    del fake.users["u-adele"]  # soft-deleted: Graph answers 404, the notification says `updated`
    _notify(entra, notification("Users/u-adele", CLIENT_STATE))
    wait_until(lambda: _user(aws, upn) is None, within=30, what="the soft delete")
    assert dlq_depths(amqp_url, entra.topology) == [0, 0]


def test_groups_rename_and_members(entra: Pipeline, aws: Aws, graph: tuple[FakeGraph, str]) -> None:
    fake, _ = graph
    fake.add_user("u-megan", "megan@contoso.example", "Megan Bowen")
    fake.add_user("u-lynne", "lynne@contoso.example", "Lynne Robbins")
    fake.add_group("g-retail", "Retail")
    _notify(entra, *(notification(f"Users/{u}", CLIENT_STATE) for u in ("u-megan", "u-lynne")),
            notification("Groups/g-retail", CLIENT_STATE))  # fmt: skip
    wait_until(lambda: len(aws.state()["users"]) == 2 and aws.state()["groups"], within=30,
               what="two users and the group")  # fmt: skip
    (group,) = aws.state()["groups"]
    fake.groups["g-retail"]["displayName"] = "Retail Europe"
    added = [{"id": "u-megan"}, {"id": "u-lynne"}, {"id": "device-1"}]
    _notify(entra, notification("Groups/g-retail", CLIENT_STATE, members_delta=added))
    ids = {u["userName"]: u["id"] for u in aws.state()["users"]}
    wait_until(lambda: sorted(aws.members_of(group["id"])) == sorted(ids.values()), within=30,
               what="both users added; the device ignored")  # fmt: skip
    _notify(entra, notification("Groups/g-retail", CLIENT_STATE))
    wait_until(lambda: aws.state()["groups"][0]["displayName"] == "Retail Europe", within=30,
               what="the rename")  # fmt: skip
    assert aws.state()["groups"][0]["id"] == group["id"]
    removed = [{"id": "u-lynne", "@removed": "deleted"}]
    _notify(entra, notification("Groups/g-retail", CLIENT_STATE, members_delta=removed))
    wait_until(lambda: aws.members_of(group["id"]) == [ids["megan@contoso.example"]],
               within=30, what="the member removed")  # fmt: skip
    _notify(entra, notification("Groups/g-retail", CLIENT_STATE, change="deleted"))
    wait_until(lambda: not aws.state()["groups"], within=30, what="the group deleted")


def test_graph_throttling_or_failing_is_retried_never_taken_as_deleted(
    entra: Pipeline, aws: Aws, graph: tuple[FakeGraph, str], amqp_url: str
) -> None:
    fake, _ = graph
    upn = "diego@contoso.example"
    fake.add_user("u-diego", upn, "Diego Siciliani")
    fake.failures = [429]
    _notify(entra, notification("Users/u-diego", CLIENT_STATE))
    wait_until(lambda: _user(aws, upn), within=30, what="the user read after a 429")
    fake.users["u-diego"]["jobTitle"] = "HR Manager"
    fake.failures = [503, 503, 500]
    _notify(entra, notification("Users/u-diego", CLIENT_STATE))
    wait_until(lambda: (_user(aws, upn) or {}).get("title") == "HR Manager", within=45,
               what="the update read after three failures")  # fmt: skip
    assert aws.count("DeleteUser", 204) == 0
    assert dlq_depths(amqp_url, entra.topology) == [0, 0]
    raw_dlq = f"{entra.topology.raw_queue('entra').name}.dlq"
    assert asyncio.run(broker.queued(amqp_url, raw_dlq)) == 0


def test_subscribe_renew_and_reauthorize(
    entra: Pipeline, graph: tuple[FakeGraph, str], amqp_url: str
) -> None:
    fake, url = graph
    env = _entra_env(fake, url)
    made = cli(entra, amqp_url, "entra", "subscribe", "--notification-url",
               f"{entra.gateway_url}/webhooks/entra", **env)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert sorted(s["resource"] for s in fake.subscriptions.values()) == ["/groups", "/users"]
    assert {s["clientState"] for s in fake.subscriptions.values()} == {CLIENT_STATE}
    soon, later = list(fake.subscriptions)
    fake.expiring(soon, dt.timedelta(days=1))
    fake.expiring(later, dt.timedelta(days=20))
    untouched = fake.subscriptions[later]["expirationDateTime"]
    renewed = cli(entra, amqp_url, "entra", "renew", **env)
    assert renewed.returncode == 0, renewed.stderr
    expiry = dt.datetime.fromisoformat(fake.subscriptions[soon]["expirationDateTime"])
    assert expiry > dt.datetime.now(dt.UTC) + dt.timedelta(days=27)
    assert fake.subscriptions[later]["expirationDateTime"] == untouched
    lifecycle = {
        **notification("Users/x", CLIENT_STATE),
        "lifecycleEvent": "reauthorizationRequired",
    }
    lifecycle.pop("changeType")
    assert _notify(entra, lifecycle).status_code == 200
    wait_until(lambda: any(c.endswith("/reauthorize") for c in fake.calls), within=30,
               what="the subscription reauthorized")  # fmt: skip
    assert "secret" not in json.dumps(fake.subscriptions).lower()
