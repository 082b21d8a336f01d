"""Requests the fuzzer found answered 500 (or redirected) by the emulator; AWS answers 400
or 404 with its error body, and the emulator now does too. In process, through ASGI."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.aws_scim_emulator import EmulatorConfig, Token, create_app

TENANT, TOKEN = "t1", "tok"
AUTH = {"authorization": f"Bearer {TOKEN}"}
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
JANE = {
    "userName": "jane@acme.com",
    "displayName": "Jane Doe",
    "name": {"givenName": "Jane", "familyName": "Doe"},
    "emails": [{"value": "jane@acme.com", "type": "work", "primary": True}],
}


@pytest.fixture
async def aws() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(EmulatorConfig(tenant=TENANT, tokens=[Token(TOKEN, dt.datetime.now(dt.UTC))]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aws") as client:
        yield client


async def _jane(aws: httpx.AsyncClient) -> str:
    created = await aws.post(f"/{TENANT}/scim/v2/Users", json=JANE, headers=AUTH)
    assert created.status_code == 201
    return str(created.json()["id"])


def _aws_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.json()["status"] == str(status)
    assert "x-amzn-RequestId" in response.headers


async def test_a_body_with_invalid_utf8_is_400(aws: httpx.AsyncClient) -> None:
    body = b'{"userName": "\xff", "displayName": "x"}'  # msgspec: UnicodeDecodeError
    _aws_error(await aws.post(f"/{TENANT}/scim/v2/Users", content=body, headers=AUTH), 400)


async def test_a_cursor_for_a_filter_with_a_lone_surrogate_is_no_500(
    aws: httpx.AsyncClient,
) -> None:
    query = "filter=userName%20eq%20%22%ED%A0%80%22&cursor="
    response = await aws.get(f"/{TENANT}/scim/v2/Users?{query}", headers=AUTH)
    assert response.status_code in {200, 400}  # was a UnicodeEncodeError hashing the filter


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "add", "path": "userName.x", "value": "y"}],  # a str has no sub-attributes
        [{"op": "replace", "path": "active.x", "value": "y"}],
        [
            {"op": "replace", "path": "emails", "value": "x"},  # then emails holds a str
            {"op": "add", "path": 'emails[type eq "work"].value', "value": "a@b.c"},
        ],
    ],
)
async def test_a_patch_into_a_value_that_is_not_an_object_is_400(
    aws: httpx.AsyncClient, operations: list[dict[str, Any]]
) -> None:
    user_id = await _jane(aws)
    body = {"schemas": [PATCH_URN], "Operations": operations}
    _aws_error(await aws.patch(f"/{TENANT}/scim/v2/Users/{user_id}", json=body, headers=AUTH), 400)
    assert (await aws.get(f"/{TENANT}/scim/v2/Users/{user_id}", headers=AUTH)).json()[
        "userName"
    ] == ("jane@acme.com")


async def test_the_scim_root_without_a_slash_is_404_not_a_redirect(
    aws: httpx.AsyncClient,
) -> None:
    _aws_error(await aws.get(f"/{TENANT}/scim/v2", headers=AUTH), 404)


@pytest.mark.parametrize(
    ("created_at", "detail"),
    [("2026-01-01T00:00:00", "timezone"), ("9999-12-31T23:59:59Z", "past year 9999")],
)
async def test_a_token_the_emulator_could_never_check_is_refused(
    aws: httpx.AsyncClient, created_at: str, detail: str
) -> None:
    # Accepted, such a token made every request presenting it a 500 (a naive time cannot be
    # compared with now; a year-9999 one overflows when its lifetime is added).
    response = await aws.post(
        "/_emulator/tokens", headers=AUTH, json={"token": "second", "created_at": created_at}
    )
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    second = {"authorization": "Bearer second"}
    assert (await aws.get(f"/{TENANT}/scim/v2/Users", headers=second)).status_code == 401


async def test_an_admin_body_with_invalid_utf8_is_400(aws: httpx.AsyncClient) -> None:
    response = await aws.patch("/_emulator/faults", content=b'{"seed\xff": 1}', headers=AUTH)
    assert response.status_code == 400
