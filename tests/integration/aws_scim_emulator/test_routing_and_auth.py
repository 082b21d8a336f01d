"""Checklist: Routing and auth."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest

from services.cli._emulator import new_tenant_id
from tests.support.emulator import Aws


@pytest.mark.parametrize(
    "path", ["/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]
)
def test_serves_the_scim_resource_paths(aws: Aws, path: str) -> None:
    """[DOC] Serves /{tenantId}/scim/v2/{Users,Groups,ServiceProviderConfig,Schemas,
    ResourceTypes}."""
    assert aws.http.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/Devices", "/Users/a/b", "/", "/Groupz"])
def test_any_other_scim_path_is_404(aws: Aws, path: str) -> None:
    """[DOC] Any other path returns 404."""
    response = aws.http.get(path)
    assert response.status_code == 404
    assert response.json()["status"] == "404"


def test_paths_outside_the_tenant_prefix_are_404(aws: Aws) -> None:
    response = httpx.get(f"{aws.server.root}/scim/v2/Users", headers=aws.http.headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz"]
)
def test_missing_or_invalid_bearer_is_401(aws: Aws, authorization: str | None) -> None:
    """[DOC] Missing or invalid Authorization: Bearer returns 401."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.get(f"{aws.server.scim_url}/Users", headers=headers)
    assert response.status_code == 401
    assert response.json()["status"] == "401"


def test_valid_token_with_wrong_tenant_is_401(aws: Aws) -> None:
    """[DOC] A valid token with the wrong tenant id in the path returns 401."""
    other = f"{aws.server.root}/{new_tenant_id()}/scim/v2/Users"
    response = httpx.get(other, headers=aws.http.headers)
    assert response.status_code == 401


def test_generated_tenant_ids_have_the_aws_shape() -> None:
    """[INF] Tenant ids are generated as <11 alnum>-xxxx-xxxx-xxxx-xxxxxxxxxxxx."""
    shape = re.compile(r"^[A-Za-z0-9]{11}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ids = {new_tenant_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(shape.match(i) for i in ids)


def test_the_tenant_can_be_chosen_instead(aws: Aws) -> None:
    """[INF] switched: --tenant sets the id in the path."""
    assert aws.server.tenant in str(aws.http.base_url)
    assert aws.state()["tenant"] == aws.server.tenant


def _add_token(aws: Aws, token: str, age: dt.timedelta) -> httpx.Response:
    created = (dt.datetime.now(dt.UTC) - age).isoformat()
    return aws.admin.post("/tokens", json={"token": token, "created_at": created})


def test_a_second_token_works_and_a_third_is_refused(aws: Aws) -> None:
    """[DOC] Up to 2 valid tokens per tenant."""
    assert _add_token(aws, "second-token", dt.timedelta(days=1)).status_code == 201
    second = {"Authorization": "Bearer second-token"}
    assert httpx.get(f"{aws.server.scim_url}/Users", headers=second).status_code == 200
    assert aws.http.get("/Users").status_code == 200
    assert _add_token(aws, "third-token", dt.timedelta(0)).status_code == 409


@pytest.mark.parametrize(("age_days", "status"), [(364, 200), (366, 401)])
def test_a_token_expires_a_year_after_creation(aws: Aws, age_days: int, status: int) -> None:
    """[DOC] Each token expires 1 year after creation, after which it returns 401."""
    assert _add_token(aws, "aging-token", dt.timedelta(days=age_days)).status_code == 201
    aging = {"Authorization": "Bearer aging-token"}
    assert httpx.get(f"{aws.server.scim_url}/Users", headers=aging).status_code == status


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/Users", None), ("POST", "/Users", {}), ("GET", "/Nope", None),
     ("DELETE", "/Groups/none", None)],
)  # fmt: skip
def test_responses_carry_json_and_a_request_id(
    aws: Aws, method: str, path: str, body: object
) -> None:
    """[DOC] Responses carry Content-Type: application/json and x-amzn-RequestId: <uuid>."""
    response = aws.http.request(method, path, json=body)
    assert response.headers["content-type"] == "application/json"
    uuid.UUID(response.headers["x-amzn-RequestId"])


def test_delete_answers_204_still_typed_json(aws: Aws) -> None:
    user = aws.create_user()
    response = aws.http.delete(f"/Users/{user['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("content_type", ["application/json", "application/scim+json"])
def test_json_and_scim_json_requests_are_accepted(aws: Aws, content_type: str) -> None:
    """[INF] Requests with either application/json or application/scim+json are accepted."""
    body = b'{"displayName": "Ops"}'
    response = aws.http.post("/Groups", content=body, headers={"content-type": content_type})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/Me"), ("POST", "/Bulk"), ("POST", "/Users/.search")]
)
def test_me_bulk_and_search_are_not_implemented(aws: Aws, method: str, path: str) -> None:
    """[DOC] /Me, /Bulk and POST /Users/.search are not implemented (INF: 404)."""
    response = aws.http.request(method, path, json={})
    assert response.status_code == 404
    assert aws.state()["users"] == []
