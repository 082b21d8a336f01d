"""Keycloak end to end: p2-inc admin events, HMAC-signed, through the real gateway and
RabbitMQ (with a small fake of the admin API for read-backs,
``tests/support/fake_keycloak.py``) into the emulator."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_keycloak import FakeKeycloak
from tests.support.pipeline import (
    Pipeline,
    dlq_depths,
    idp_pipeline,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
SECRET = secrets.token_urlsafe(24)
ADMIN = "ff730b72-a421-4f6e-9e4e-7fc7f53bac88"  # the acting admin: never the target


@pytest.fixture(scope="module")
def fake_keycloak() -> Iterator[tuple[FakeKeycloak, str]]:
    fake = FakeKeycloak()
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def keycloak(
    amqp_url: str, emulator_server: EmulatorServer, fake_keycloak: tuple[FakeKeycloak, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    fake, url = fake_keycloak
    env = {
        "IDP_SYNC_KEYCLOAK_SECRET": SECRET, "IDP_SYNC_KEYCLOAK_URL": url,
        "IDP_SYNC_KEYCLOAK_CLIENT_ID": "idp-sync", "IDP_SYNC_KEYCLOAK_CLIENT_SECRET": fake.secret,
    }  # fmt: skip
    with idp_pipeline(amqp_url, emulator_server, tmp_path_factory.mktemp("keycloak"),
                      env) as pipeline:  # fmt: skip
        yield pipeline


_clock = iter(range(1_762_078_531_000, 1_762_078_531_000 + 10**9, 1000))


def _event(kind: str, operation: str, path: str, representation: Any = None,
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "uid": str(uuid.uuid4()), "type": f"admin.{kind}-{operation}", "id": str(uuid.uuid4()),
        "time": next(_clock), "realmId": "6a1f4a6e", "realmName": "acme",
        "authDetails": {"realmId": "master", "clientId": "security-admin-console",
                        "userId": ADMIN, "username": "admin"},
        "resourceType": kind, "operationType": operation, "resourcePath": path,
        "representation": None if representation is None else json.dumps(representation),
        "error": None, **extra,
    }  # fmt: skip


def _post(keycloak: Pipeline, event: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    body = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{keycloak.gateway_url}/webhooks/keycloak", content=body, timeout=10,
                      headers={"content-type": "application/json",
                               "x-keycloak-signature": signature})  # fmt: skip


def _user(aws: Aws, name: str) -> dict[str, Any] | None:
    return next((u for u in aws.state()["users"] if u["userName"] == name), None)


def _received(keycloak: Pipeline) -> str:
    metrics = httpx.get(f"{keycloak.gateway_url}/metrics", timeout=5).text
    name = 'idp_sync_events_received_total{source="keycloak"}'
    return next((x for x in metrics.splitlines() if x.startswith(name)), "")


def test_a_wrong_signature_is_401_and_queues_nothing(keycloak: Pipeline) -> None:
    before = _received(keycloak)
    event = _event("USER", "CREATE", "users/u-x", {"id": "u-x", "username": "x"})
    assert _post(keycloak, event, secret="not-the-secret").status_code == 401
    unsigned = httpx.post(f"{keycloak.gateway_url}/webhooks/keycloak", json=event, timeout=10)
    assert unsigned.status_code == 401
    assert _received(keycloak) == before


def test_users_from_representation_and_from_read_back(
    keycloak: Pipeline, aws: Aws, fake_keycloak: tuple[FakeKeycloak, str], amqp_url: str
) -> None:
    fake, _ = fake_keycloak
    jdoe = {"id": "u-jdoe", "username": "jdoe", "email": "jdoe@acme.example",
            "firstName": "Jane", "lastName": "Doe", "enabled": True}  # fmt: skip
    assert _post(keycloak, _event("USER", "CREATE", "users/u-jdoe", jdoe)).status_code == 200
    wait_until(lambda: _user(aws, "jdoe"), within=30, what="the user created")
    assert _user(aws, ADMIN) is None
    fake.objects["users/u-jdoe"] = {**jdoe, "lastName": "Smith"}
    fake.failures = [503]  # read back without a representation; Keycloak busy once
    _post(keycloak, _event("USER", "UPDATE", "users/u-jdoe"))
    wait_until(lambda: (_user(aws, "jdoe") or {}).get("name", {}).get("familyName") == "Smith",
               within=30, what="the update read back after a 503")  # fmt: skip
    _post(keycloak, _event("USER", "UPDATE", "users/u-jdoe", {**jdoe, "enabled": False}))
    wait_until(lambda: (_user(aws, "jdoe") or {}).get("active") is False, within=30,
               what="the deactivation")  # fmt: skip
    _post(keycloak, _event("USER", "DELETE", "users/u-jdoe"))
    wait_until(lambda: _user(aws, "jdoe") is None, within=30, what="the deletion")
    assert dlq_depths(amqp_url, keycloak.topology) == [0, 0]


def test_groups_rename_and_membership_target_from_the_resource_path(
    keycloak: Pipeline, aws: Aws
) -> None:
    rep = {"id": "u-bob", "username": "bob", "email": "bob@acme.example", "firstName": "Bob",
           "lastName": "Lee", "enabled": True}  # fmt: skip
    _post(keycloak, _event("USER", "CREATE", "users/u-bob", rep))
    group = {"id": "g-eng", "name": "engineering", "path": "/engineering", "subGroups": []}
    _post(keycloak, _event("GROUP", "CREATE", "groups/g-eng", group))
    wait_until(lambda: _user(aws, "bob") and aws.state()["groups"], within=30,
               what="the user and the group")  # fmt: skip
    (created,) = aws.state()["groups"]
    _post(keycloak, _event("GROUP_MEMBERSHIP", "CREATE", "users/u-bob/groups/g-eng", group,
                           details={"username": "bob", "email": "bob@acme.example"}))  # fmt: skip
    bob = _user(aws, "bob") or {}
    wait_until(lambda: aws.members_of(created["id"]) == [bob.get("id")], within=30,
               what="bob added (not the admin who acted)")  # fmt: skip
    _post(keycloak, _event("GROUP", "UPDATE", "groups/g-eng", {**group, "name": "platform"}))
    wait_until(lambda: aws.state()["groups"][0]["displayName"] == "platform", within=30,
               what="the rename")  # fmt: skip
    assert aws.state()["groups"][0]["id"] == created["id"]
    _post(keycloak, _event("GROUP_MEMBERSHIP", "DELETE", "users/u-bob/groups/g-eng", group))
    wait_until(lambda: aws.members_of(created["id"]) == [], within=30, what="bob removed")
    _post(keycloak, _event("GROUP", "DELETE", "groups/g-eng"))
    wait_until(lambda: not aws.state()["groups"], within=30, what="the group deleted")
