"""Webhooks the fuzzer found answered 500 or queued: each now refused with a reason.

In process, through the ASGI app, with a recording publisher in place of the broker.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway import create_app
from tests.fuzz import _credentials as cred
from tests.fuzz._engine import Plan
from tests.fuzz._gateway import fuzz_config
from tests.fuzz._recording import RecordingPublisher

VALID = Plan(0, "template", "valid", 1, "", splice=False, variant="route", broker_down=False)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def gateway(publisher: RecordingPublisher) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(fuzz_config(), "amqp://unused", publisher=publisher)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def _generic_headers(body: bytes, signature: bytes | None = None) -> dict[bytes, bytes]:
    """Standard Webhooks headers signing ``body`` (or the given signature header)."""
    rng = random.Random(1)  # noqa: S311 - a message id, not a secret
    headers = dict(cred.generic(rng, VALID, body)[0])
    if signature is not None:
        headers[b"webhook-signature"] = signature
    return headers


async def test_a_keycloak_signature_with_non_ascii_bytes_is_401_not_a_type_error(
    gateway: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    body = b'{"id": "kc-1", "realmName": "acme"}'
    headers = [(b"x-keycloak-signature", b"\xe9" * 64)]
    response = await gateway.post("/webhooks/keycloak", content=body, headers=headers)
    assert response.status_code == 401
    assert publisher.attempts == 0


async def test_an_okta_batch_whose_source_is_no_url_is_400(
    gateway: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    body = json.dumps({"source": "http://[", "data": {"events": [{"uuid": "e-1"}]}})
    response = await gateway.post(
        "/webhooks/okta", content=body, headers={"authorization": cred.OKTA_SECRET}
    )
    assert response.status_code == 400
    assert "`source` is not a URL" in response.json()["detail"]
    assert publisher.attempts == 0


async def test_a_google_push_whose_resource_uri_is_no_url_is_400(
    gateway: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    headers = {
        "x-goog-channel-token": cred.GOOGLE_TOKEN,
        "x-goog-resource-state": "update",
        "x-goog-resource-uri": "http://[",
    }
    response = await gateway.post("/webhooks/google", content=b'{"id": "1"}', headers=headers)
    assert response.status_code == 400
    assert "X-Goog-Resource-URI" in response.json()["detail"]
    assert publisher.attempts == 0


@pytest.mark.parametrize(
    ("route", "headers"),
    [
        ("/webhooks/okta", {"authorization": cred.OKTA_SECRET}),
        ("/webhooks/authentik", {"authorization": f"Bearer {cred.AUTHENTIK_SECRET}"}),
        (
            "/webhooks/google",
            {
                "x-goog-channel-token": cred.GOOGLE_TOKEN,
                "x-goog-resource-uri": "https://x/admin/reports/v1/activity",
            },
        ),
        ("/webhooks/entra", {}),
    ],
)
async def test_invalid_utf8_inside_a_json_string_is_400_and_queues_nothing(
    gateway: httpx.AsyncClient,
    publisher: RecordingPublisher,
    route: str,
    headers: dict[str, str],
) -> None:
    # msgspec raises UnicodeDecodeError (not its DecodeError) for this, or keeps it raw.
    body = (
        b'{"event_uuid": "ak-\xff", "action": "model_created", "source": "", '
        b'"data": {"events": [{"uuid": "e-\xff"}]}, "value": [{"clientState": "\xff"}]}'
    )
    response = await gateway.post(route, content=body, headers=headers)
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["detail"]
    assert publisher.attempts == 0


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (b"v1", 401),
        (b"v1,@@@", 401),
        (b"v1,abc", 401),
        (b"v1,a,b", 401),
        (b"", 401),
        (b"\xe9\xe9", 401),
        (None, 200),
    ],
)
async def test_a_malformed_webhook_signature_is_401_not_a_value_error(
    gateway: httpx.AsyncClient, signature: bytes | None, status: int
) -> None:
    body = json.dumps({"tenant": "hr", "changes": [{"id": "chg-1"}]}).encode()
    response = await gateway.post(
        "/webhooks/generic", content=body, headers=_generic_headers(body, signature)
    )
    assert response.status_code == status


async def test_a_right_signature_among_malformed_entries_is_enough(
    gateway: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    body = json.dumps({"tenant": "hr", "changes": [{"id": "chg-1"}]}).encode()
    right = _generic_headers(body)[b"webhook-signature"]
    headers = _generic_headers(body, b" v1 " + right + b"  ")  # the library choked on " v1"
    response = await gateway.post("/webhooks/generic", content=body, headers=headers)
    assert (response.status_code, len(publisher.published)) == (200, 1)


async def test_a_signed_body_that_is_not_utf8_is_400(gateway: httpx.AsyncClient) -> None:
    body = b'{"tenant": "hr", "changes": [{"id": "\xff"}]}'
    response = await gateway.post("/webhooks/generic", content=body, headers=_generic_headers(body))
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change_id", "tenant", "detail"),
    [
        ("x" * 256, "hr", "an id of 256 bytes"),
        ("é" * 128, "hr", "an id of 256 bytes"),
        ("", "hr", "an empty id"),
        ("chg-1", "t" * 256, "tenant is longer than 255 bytes"),
    ],
)
async def test_ids_and_tenants_beyond_amqp_limits_are_400_not_a_503_for_ever(
    gateway: httpx.AsyncClient,
    publisher: RecordingPublisher,
    change_id: str,
    tenant: str,
    detail: str,
) -> None:
    # On the real broker: an id over 255 bytes fails every publish (503 at each retry), and
    # a tenant header beyond the frame size closes the gateway's connection for everyone.
    body = json.dumps({"tenant": tenant, "changes": [{"id": change_id}]}).encode()
    response = await gateway.post("/webhooks/generic", content=body, headers=_generic_headers(body))
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert publisher.attempts == 0
