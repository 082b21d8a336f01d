"""The gateway over real HTTP, publishing to the real RabbitMQ."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import msgspec
import pytest

from tests.support import broker, okta
from tests.support.generic import signed_headers
from tests.support.waiting import eventually

from .conftest import Gateway

pytestmark = pytest.mark.rabbit


@pytest.fixture(autouse=True)
async def empty_raw_queues(gateway: Gateway, amqp_url: str) -> None:
    for source in gateway.topology.sources:
        await broker.purge(amqp_url, gateway.topology.raw_queue(source).name)


def _okta_batch() -> dict[str, Any]:
    jane = okta.user_target("00u1", "jane@acme.com")
    eng = okta.group_target("00g1", "Engineering")
    return okta.batch(
        okta.event("user.lifecycle.create", [jane], published="2026-11-02T10:15:29.770Z"),
        okta.event("group.user_membership.add", [jane, eng], published="2026-11-02T10:15:30.1Z"),
    )


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        yield client


async def _okta_post(http: httpx.AsyncClient, body: bytes, auth: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if auth is not None:
        headers["authorization"] = auth
    return await http.post("/webhooks/okta", content=body, headers=headers)


def _signed(
    gateway: Gateway, body: bytes, *, age: dt.timedelta = dt.timedelta(0)
) -> dict[str, str]:
    return signed_headers(gateway.webhook_secret, body, age=age)


def _generic_body() -> bytes:
    user = {"id": "u1", "user_name": "jane@acme.com", "display_name": "Jane Doe"}
    change = {"id": "chg-1", "type": "user.upserted", "occurred_at": "2026-11-02T10:00:00Z",
              "user": user}  # fmt: skip
    return json.dumps({"tenant": "hr-system", "changes": [change]}).encode()


def test_okta_verification_handshake(gateway: Gateway) -> None:
    challenge = "Yfn1hJ8q2Z2uQbGQ"
    response = httpx.get(
        f"{gateway.url}/webhooks/okta", headers={"x-okta-verification-challenge": challenge}
    )
    assert response.status_code == 200
    assert response.json() == {"verification": challenge}


async def test_an_okta_batch_becomes_one_persistent_message_per_event(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient
) -> None:
    batch = _okta_batch()
    body = json.dumps(batch).encode()
    response = await _okta_post(http, body, gateway.okta_secret)
    assert (response.status_code, response.json()) == (200, {"accepted": 2})
    queue = gateway.topology.raw_queue("okta").name
    messages = await broker.take(amqp_url, queue, 2)
    events = batch["data"]["events"]
    assert [m.message_id for m in messages] == [e["uuid"] for e in events]
    assert [msgspec.json.decode(m.body) for m in messages] == events
    assert all(m.delivery_mode == aio_pika.DeliveryMode.PERSISTENT for m in messages)
    assert messages[0].headers["x-idp-sync-tenant"] == okta.ORG
    assert messages[0].headers["x-idp-sync-source"] == "okta"


@pytest.mark.parametrize("auth", [None, "", "Basic wrong", "basic {secret}", "{secret}"])
async def test_a_wrong_okta_secret_is_401_and_nothing_is_queued(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient, auth: str | None
) -> None:
    if auth is not None:
        auth = auth.format(secret=gateway.okta_secret.removeprefix("Basic "))
    response = await _okta_post(http, json.dumps(_okta_batch()).encode(), auth)
    assert response.status_code == 401
    assert await broker.queued(amqp_url, gateway.topology.raw_queue("okta").name) == 0


async def test_signed_generic_changes_are_queued(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient
) -> None:
    body = _generic_body()
    response = await http.post("/webhooks/generic", content=body, headers=_signed(gateway, body))
    assert response.status_code == 200
    (message,) = await broker.take(amqp_url, gateway.topology.raw_queue("generic").name, 1)
    assert message.message_id == "chg-1"
    assert message.headers["x-idp-sync-tenant"] == "hr-system"
    assert msgspec.json.decode(message.body)["user"]["user_name"] == "jane@acme.com"


@pytest.mark.parametrize("flaw", ["bad-signature", "stale", "future", "tampered", "unsigned"])
async def test_a_bad_or_stale_signature_is_401_and_nothing_is_queued(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient, flaw: str
) -> None:
    body = _generic_body()
    headers = _signed(gateway, body)
    if flaw == "bad-signature":
        headers["webhook-signature"] = "v1,AAAA" + headers["webhook-signature"][7:]
    elif flaw == "stale":
        headers = _signed(gateway, body, age=dt.timedelta(minutes=6))
    elif flaw == "future":
        headers = _signed(gateway, body, age=-dt.timedelta(minutes=6))
    elif flaw == "tampered":
        body = body.replace(b"jane", b"mallory")
    else:
        del headers["webhook-signature"]
    response = await http.post("/webhooks/generic", content=body, headers=headers)
    assert response.status_code == 401
    assert await broker.queued(amqp_url, gateway.topology.raw_queue("generic").name) == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [(b"{not json", "not an Okta event hook batch"),
     (b'{"data": {}}', "not an Okta event hook batch"),
     (b'{"data": {"events": [{"eventType": "x"}]}}', "uuid")],
)  # fmt: skip
async def test_an_unreadable_body_is_400(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient, body: bytes, detail: str
) -> None:
    response = await _okta_post(http, body, gateway.okta_secret)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert await broker.queued(amqp_url, gateway.topology.raw_queue("okta").name) == 0


async def test_a_body_over_the_limit_is_413(gateway: Gateway, http: httpx.AsyncClient) -> None:
    body = b'{"data": {"events": []}, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await _okta_post(http, body, gateway.okta_secret)).status_code == 413


def test_health_and_readiness(gateway: Gateway) -> None:
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert httpx.get(f"{gateway.url}/readyz").status_code == 200


async def test_a_broker_outage_is_503_in_time_and_the_retry_succeeds(
    gateway: Gateway, amqp_url: str, http: httpx.AsyncClient
) -> None:
    body = json.dumps(_okta_batch()).encode()
    queue = gateway.topology.raw_queue("okta").name
    gateway.proxy.cut()
    try:
        started = time.monotonic()
        refused = await _okta_post(http, body, gateway.okta_secret)
        elapsed = time.monotonic() - started
        assert refused.status_code == 503
        assert elapsed < 3.0, f"Okta gives up after 3 s; the gateway took {elapsed:.2f}s"
        assert (await http.get("/readyz")).status_code == 503
    finally:
        gateway.proxy.restore()

    async def ready() -> bool:
        return (await http.get("/readyz")).status_code == 200

    await eventually(ready, within=30, what="the gateway reconnecting")
    retried = await _okta_post(http, body, gateway.okta_secret)
    assert retried.status_code == 200
    messages = await broker.take(amqp_url, queue, 2)
    assert len(messages) == 2
    assert await broker.queued(amqp_url, queue) == 0
