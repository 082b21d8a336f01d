"""authentik end to end: events from idp-sync's webhook mappings through the real gateway
and RabbitMQ, read back from a small fake of authentik's API
(``tests/support/fake_authentik.py``), into the emulator. Membership
changes carry no detail: they are found by comparing with what was seen before."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_authentik import FakeAuthentik
from tests.support.pipeline import (
    Pipeline,
    dlq_depths,
    idp_pipeline,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
SECRET = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def fake_authentik() -> Iterator[tuple[FakeAuthentik, str]]:
    fake = FakeAuthentik()
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def authentik(
    amqp_url: str, emulator_server: EmulatorServer, fake_authentik: tuple[FakeAuthentik, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    fake, url = fake_authentik
    logs = tmp_path_factory.mktemp("authentik")
    env = {"IDP_SYNC_AUTHENTIK_SECRET": SECRET, "IDP_SYNC_AUTHENTIK_URL": url,
           "IDP_SYNC_AUTHENTIK_TOKEN": fake.token,
           "IDP_SYNC_STATE_URL": f"sqlite:///{logs}/normalizer.db"}  # fmt: skip
    with idp_pipeline(amqp_url, emulator_server, logs, env) as pipeline:
        yield pipeline


def _send(authentik: Pipeline, action: str, model_name: str, pk: object,
          secret: str = SECRET) -> httpx.Response:  # fmt: skip
    model = {"app": "authentik_core", "model_name": model_name, "pk": pk, "name": "x"}
    created = dt.datetime.now(dt.UTC).isoformat()
    body = {"event_uuid": str(uuid.uuid4()), "action": action, "model": model, "diff": None,
            "app": "authentik.events.middleware", "created": created}  # fmt: skip
    return httpx.post(f"{authentik.gateway_url}/webhooks/authentik", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {secret}"})  # fmt: skip


def _user(aws: Aws, name: str) -> dict[str, Any] | None:
    return next((u for u in aws.state()["users"] if u["userName"] == name), None)


def _received(authentik: Pipeline) -> str:
    metrics = httpx.get(f"{authentik.gateway_url}/metrics", timeout=5).text
    name = 'idp_sync_events_received_total{source="authentik"}'
    return next((x for x in metrics.splitlines() if x.startswith(name)), "")


def test_a_wrong_bearer_is_401_and_queues_nothing(authentik: Pipeline) -> None:
    before = _received(authentik)
    assert _send(authentik, "model_created", "user", 1, secret="wrong").status_code == 401
    assert _received(authentik) == before


def test_users_groups_and_memberships_found_by_comparison(
    authentik: Pipeline, aws: Aws, fake_authentik: tuple[FakeAuthentik, str], amqp_url: str
) -> None:
    fake, _ = fake_authentik
    fake.add_user(41, "akira")
    fake.add_user(42, "bea")
    for pk in (41, 42):
        assert _send(authentik, "model_created", "user", pk).status_code == 200
    wait_until(lambda: _user(aws, "akira") and _user(aws, "bea"), within=30, what="two users")
    group = fake.add_group("engineering", [41, 42])
    _send(authentik, "model_created", "group", group)
    wait_until(lambda: aws.state()["groups"] and len(aws.members_of(
        aws.state()["groups"][0]["id"])) == 2, within=30, what="the group with both")  # fmt: skip
    (created,) = aws.state()["groups"]
    fake.groups[group] |= {
        "name": "platform",
        "users": [42],
    }  # akira left; the event says only "updated"
    fake.failures = [502]
    _send(authentik, "model_updated", "group", group)
    bea = (_user(aws, "bea") or {})["id"]
    wait_until(lambda: aws.members_of(created["id"]) == [bea], within=30,
               what="akira removed, found by comparison, after a 502")  # fmt: skip
    renamed = aws.state()["groups"][0]
    assert (renamed["id"], renamed["displayName"]) == (created["id"], "platform")
    fake.users["42"]["name"] = "Bea Okafor"
    _send(authentik, "model_updated", "user", 42)
    wait_until(lambda: (_user(aws, "bea") or {}).get("displayName") == "Bea Okafor", within=30,
               what="bea's profile update")  # fmt: skip
    fake.users["42"]["is_active"] = False
    _send(authentik, "model_updated", "user", 42)
    wait_until(lambda: (_user(aws, "bea") or {}).get("active") is False, within=30,
               what="bea deactivated")  # fmt: skip
    _send(authentik, "model_deleted", "user", 41)
    wait_until(lambda: _user(aws, "akira") is None, within=30, what="akira deleted")
    _send(authentik, "model_deleted", "group", group)
    wait_until(lambda: not aws.state()["groups"], within=30, what="the group deleted")
    assert dlq_depths(amqp_url, authentik.topology) == [0, 0]
