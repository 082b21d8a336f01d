"""Checklist: Users, creation rules."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import Context

from tests.support.emulator import ENTERPRISE_URN, USER_URN, Aws, user_body

from .scim_parsing import parse_user


def test_create_returns_201_and_the_full_user(aws: Aws) -> None:
    """[DOC] POST /Users with the four required fields returns 201 with id, meta, schemas."""
    response = aws.http.post("/Users", json=user_body("jane", externalId="okta-00u1"))
    assert response.status_code == 201
    body = response.json()
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["created"].endswith("Z")
    assert body["schemas"] == [USER_URN]
    user = parse_user(response, Context.RESOURCE_CREATION_RESPONSE)
    assert user.id == body["id"]
    assert user.user_name == "jane@example.com"
    assert user.external_id == "okta-00u1"
    assert user.name.given_name == "Jane"


@pytest.mark.parametrize("missing", ["userName", "displayName", "givenName", "familyName"])
def test_create_without_a_required_field_is_400(aws: Aws, missing: str) -> None:
    """[DOC] POST /Users missing any of those four fields returns 400."""
    body = user_body()
    if missing in body:
        del body[missing]
    else:
        del body["name"][missing]
    assert aws.http.post("/Users", json=body).status_code == 400
    assert aws.state()["users"] == []


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[leaf] = value
    return body


@pytest.mark.parametrize(
    "path", ["userName", "displayName", "name.givenName", "title", "externalId", "emails.0.value",
             "nickName", "name.middleName"],
)  # fmt: skip
def test_any_empty_string_is_400(aws: Aws, path: str) -> None:
    """[OBS] POST /Users with any field set to "" returns 400."""
    assert aws.http.post("/Users", json=_set(user_body(), path, "")).status_code == 400


def test_null_is_taken_as_absent(aws: Aws) -> None:
    """Okta-KB: "fields must either be null or have a literal value"."""
    assert aws.http.post("/Users", json=user_body(title=None)).status_code == 201


@pytest.mark.parametrize(
    ("variant", "status"), [({}, 409), ({"case_insensitive_names": False}, 201)]
)
def test_duplicate_username_case_insensitively_is_409(
    aws: Aws, variant: dict[str, Any], status: int
) -> None:
    """[DOC] A userName equal to an existing one (case-insensitive: INF) returns 409."""
    aws.behaviour(**variant)
    aws.create_user("jane")
    clash = user_body("JANE", emails=[{"value": "other@example.com", "primary": True}])
    response = aws.http.post("/Users", json=clash)
    assert response.status_code == status
    if status == 409:
        assert response.json()["detail"] == "Refused to create a new, duplicate resource."


def test_duplicate_external_id_is_409(aws: Aws) -> None:
    """[DOC] POST /Users with an existing externalId returns 409."""
    aws.create_user("jane", externalId="okta-1")
    assert aws.http.post("/Users", json=user_body("john", externalId="okta-1")).status_code == 409


def test_duplicate_primary_email_is_409(aws: Aws) -> None:
    """[DOC] POST /Users with an existing primary email returns 409."""
    aws.create_user("jane")
    shared = [{"value": "jane@example.com", "type": "work", "primary": True}]
    assert aws.http.post("/Users", json=user_body("john", emails=shared)).status_code == 409


@pytest.mark.parametrize(
    ("attribute", "item"),
    [("emails", {"value": "a@example.com", "primary": True}), ("phoneNumbers", {"value": "+1 555"}),
     ("addresses", {"locality": "Oslo"}), ("roles", {"value": "admin"})],
)  # fmt: skip
def test_two_values_of_a_multi_valued_attribute_is_400(
    aws: Aws, attribute: str, item: dict[str, Any]
) -> None:
    """[DOC] 2 emails, 2 phoneNumbers, 2 addresses or 2 roles returns 400."""
    second = {**item, "primary": False} if attribute == "emails" else item
    assert aws.http.post("/Users", json=user_body(**{attribute: [item]})).status_code == 201
    aws.reset()
    two = user_body(**{attribute: [item, second]})
    assert aws.http.post("/Users", json=two).status_code == 400


@pytest.mark.parametrize("primary", [None, False])
def test_an_email_not_marked_primary_is_400(aws: Aws, primary: bool | None) -> None:
    """[DOC] POST /Users with an email lacking primary:true returns 400."""
    email: dict[str, Any] = {"value": "jane@example.com", "type": "work"}
    if primary is not None:
        email["primary"] = primary
    assert aws.http.post("/Users", json=user_body(emails=[email])).status_code == 400


def test_groups_on_create_is_400(aws: Aws) -> None:
    """[DOC] POST /Users including groups returns 400."""
    group = aws.create_group()
    body = user_body(groups=[{"value": group["id"]}])
    assert aws.http.post("/Users", json=body).status_code == 400


UNSUPPORTED: list[tuple[str, Any]] = [
    ("password", "hunter2!"), ("ims", [{"value": "jane", "type": "skype"}]),
    ("photos", [{"value": "https://example.com/p.jpg"}]),
    ("x509Certificates", [{"value": "MIIC"}]), ("entitlements", [{"value": "e1"}]),
    ("emails", [{"value": "jane@example.com", "primary": True, "display": "Jane"}]),
    ("addresses", [{"locality": "Oslo", "display": "Oslo"}]),
    ("phoneNumbers", [{"value": "+1 555", "display": "work"}]),
    ("favouriteColour", "green"),
]  # fmt: skip


@pytest.mark.parametrize(("attribute", "value"), UNSUPPORTED)
@pytest.mark.parametrize(("mode", "status"), [("reject", 400), ("ignore", 201)])
def test_unsupported_attributes_are_refused_or_ignored(
    aws: Aws, attribute: str, value: Any, mode: str, status: int
) -> None:
    """[DOC] password, ims, photos, x509Certificates, entitlements or display sub-attributes
    return 400 (INF; "ignore" selectable)."""
    aws.behaviour(unsupported_attributes=mode)
    response = aws.http.post("/Users", json=user_body(**{attribute: value}))
    assert response.status_code == status
    if status == 201:
        stored = response.json()
        assert attribute not in stored or "display" not in stored[attribute][0]


@pytest.mark.parametrize(
    ("user_name", "spaces", "status"),
    [("a" * 128, False, 201), ("a" * 129, False, 400), ("jane doe", False, 400),
     ("jane\tdoe", False, 400), ("jane doe", True, 201), ("jane\u00a0doe", True, 201),
     ("a" * 129, True, 400), ("jane\tdoe", True, 400)],
)  # fmt: skip
def test_username_length_and_whitespace(
    aws: Aws, user_name: str, spaces: bool, status: int
) -> None:
    """[DOC IS-API] userName longer than 128 chars or with whitespace returns 400;
    spaces configurable (DG-putuser)."""
    aws.behaviour(username_spaces=spaces)
    assert aws.http.post("/Users", json=user_body(userName=user_name)).status_code == status


@pytest.mark.parametrize(("length", "status"), [(1024, 201), (1025, 400)])
def test_other_strings_are_at_most_1024(aws: Aws, length: int, status: int) -> None:
    """[DOC] Other string attributes longer than 1024 chars return 400."""
    assert aws.http.post("/Users", json=user_body(title="t" * length)).status_code == status


@pytest.mark.parametrize("name", ["Administrator", "AWSAdministrators", "administrator"])
def test_reserved_usernames_are_400(aws: Aws, name: str) -> None:
    """[DOC] userName Administrator or AWSAdministrators returns 400."""
    assert aws.http.post("/Users", json=user_body(userName=name)).status_code == 400


@pytest.mark.parametrize("char", list("<>;:%"))
@pytest.mark.parametrize("attribute", ["displayName", "title", "userName"])
def test_special_characters_are_400(aws: Aws, char: str, attribute: str) -> None:
    """[DOC] POST /Users containing any of <>;:% in synced attributes returns 400."""
    body = user_body(**{attribute: f"jane{char}doe"})
    assert aws.http.post("/Users", json=body).status_code == 400


def test_external_id_with_a_colon_is_400(aws: Aws) -> None:
    """[OBS] An externalId containing : returns 400."""
    assert aws.http.post("/Users", json=user_body(externalId="okta:00u1")).status_code == 400
    assert aws.http.post("/Users", json=user_body(externalId="okta|00u1")).status_code == 201


def test_enterprise_extension_is_kept_and_manager_keeps_only_value(aws: Aws) -> None:
    """[DOC] The enterprise extension keeps employeeNumber, costCenter, organization,
    division, department, manager.value; manager shows only value; its URN is in
    schemas only when extension data is present."""
    ext = {"employeeNumber": "42", "costCenter": "CC1", "organization": "Org",
           "division": "Div", "department": "Eng",
           "manager": {"value": "boss-id", "$ref": "../Users/boss-id"}}  # fmt: skip
    response = aws.http.post("/Users", json=user_body(**{ENTERPRISE_URN: ext}))
    assert response.status_code == 201
    stored = response.json()
    assert stored["schemas"] == [USER_URN, ENTERPRISE_URN]
    assert stored[ENTERPRISE_URN] == {**ext, "manager": {"value": "boss-id"}}
    assert parse_user(response)[ENTERPRISE_URN].department == "Eng"
    plain = aws.create_user("john")
    assert plain["schemas"] == [USER_URN]
