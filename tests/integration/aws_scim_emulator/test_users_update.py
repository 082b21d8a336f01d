"""Checklist: Users, reads, PUT, PATCH and DELETE."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import Aws, patch_op, user_body

from .scim_parsing import parse_user


def test_get_returns_the_user_without_groups(aws: Aws) -> None:
    """[DOC] GET /Users/{id} returns 200 with the user and no groups attribute."""
    user = aws.create_user()
    group = aws.create_group()
    assert aws.add_members(group["id"], [user["id"]]).status_code == 204
    response = aws.http.get(f"/Users/{user['id']}")
    assert response.status_code == 200
    assert "groups" not in response.json()
    assert parse_user(response).user_name == "jane@example.com"


def test_get_of_an_unknown_user_is_404(aws: Aws) -> None:
    """[DOC] An unknown id returns 404."""
    assert aws.http.get("/Users/9067729b3d-ee533c18-538a-4cd3-a572-63fb863ed734").status_code == 404


def test_put_replaces_the_user(aws: Aws) -> None:
    """[INF] PUT /Users/{id} with a full valid body returns 200 and replaces the user."""
    user = aws.create_user("jane", title="Engineer")
    body = user_body("jane", displayName="Jane Q. Doe")
    response = aws.http.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200
    replaced = response.json()
    assert replaced["id"] == user["id"]
    assert replaced["displayName"] == "Jane Q. Doe"
    assert "title" not in replaced  # omitted optional attributes are cleared
    assert replaced["meta"]["created"] == user["meta"]["created"]


def test_put_of_an_unknown_user_is_404(aws: Aws) -> None:
    """[INF] PUT on an unknown id returns 404."""
    assert aws.http.put("/Users/unknown", json=user_body()).status_code == 404


def test_put_missing_a_required_attribute_is_400(aws: Aws) -> None:
    """[DOC] PUT /Users/{id} missing a required attribute returns 400."""
    user = aws.create_user()
    body = user_body()
    del body["displayName"]
    assert aws.http.put(f"/Users/{user['id']}", json=body).status_code == 400
    assert aws.http.get(f"/Users/{user['id']}").json()["displayName"] == "Jane Doe"


@pytest.mark.parametrize("clash", ["userName", "email", "externalId"])
def test_put_colliding_with_another_user_is_409(aws: Aws, clash: str) -> None:
    """[DOC] PUT /Users/{id} colliding on userName/email/externalId with another user is 409."""
    aws.create_user("jane", externalId="ext-jane")
    john = aws.create_user("john", externalId="ext-john")
    body = user_body("john", externalId="ext-john")
    if clash == "userName":
        body["userName"] = "jane@example.com"
    elif clash == "email":
        body["emails"] = [{"value": "jane@example.com", "primary": True}]
    else:
        body["externalId"] = "ext-jane"
    assert aws.http.put(f"/Users/{john['id']}", json=body).status_code == 409


def _patch(aws: Aws, user_id: str, *ops: dict[str, Any]) -> Any:
    return aws.http.patch(f"/Users/{user_id}", json=patch_op(*ops))


def test_patch_active_false_as_a_string(aws: Aws) -> None:
    """[DOC] PATCH {"op":"replace","path":"active","value":"false"} returns 200, active false."""
    user = aws.create_user()
    response = _patch(aws, user["id"], {"op": "replace", "path": "active", "value": "false"})
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["userName"] == "jane@example.com"


@pytest.mark.parametrize("path", ["userName", "active"])
def test_patch_remove_of_username_or_active_is_400(aws: Aws, path: str) -> None:
    """[DOC] PATCH with remove on userName or active returns 400."""
    user = aws.create_user()
    assert _patch(aws, user["id"], {"op": "remove", "path": path}).status_code == 400


def test_patch_remove_without_path_is_400(aws: Aws) -> None:
    """[DOC] PATCH with remove without path returns 400."""
    user = aws.create_user()
    assert _patch(aws, user["id"], {"op": "remove", "value": {"title": "x"}}).status_code == 400


@pytest.mark.parametrize("op", ["add", "replace"])
def test_patch_add_or_replace_without_value_is_400(aws: Aws, op: str) -> None:
    """[DOC] PATCH with add or replace without value returns 400."""
    user = aws.create_user()
    assert _patch(aws, user["id"], {"op": op, "path": "title"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [("active", "false", "true"), ("userName", "a@example.com", "b@example.com")],
)
def test_patch_two_operations_on_active_or_username_is_400(
    aws: Aws, path: str, first: str, second: str
) -> None:
    """[DOC] Two operations targeting active (or userName) return 400."""
    user = aws.create_user()
    ops = [{"op": "replace", "path": path, "value": v} for v in (first, second)]
    assert _patch(aws, user["id"], *ops).status_code == 400
    assert _patch(aws, user["id"], ops[0]).status_code == 200


@pytest.mark.parametrize("path", ["roles", "password", "groups", "photos", "id", "meta"])
def test_patch_outside_the_modifiable_list_is_400(aws: Aws, path: str) -> None:
    """[DOC] PATCH targeting an attribute outside the modifiable list returns 400."""
    user = aws.create_user()
    assert _patch(aws, user["id"], {"op": "replace", "path": path, "value": "x"}).status_code == 400


@pytest.mark.parametrize("operator", ["ne", "co", "sw"])
def test_patch_path_filter_other_than_eq_is_400(aws: Aws, operator: str) -> None:
    """[DOC] PATCH with a path filter using an operator other than eq returns 400."""
    user = aws.create_user()
    op = {"op": "replace", "path": f'emails[type {operator} "work"].value', "value": "j@x.org"}
    assert _patch(aws, user["id"], op).status_code == 400


def test_patch_value_path_updates_the_single_email(aws: Aws) -> None:
    """[INF] PATCH with path emails[type eq "work"].value updates the single email."""
    user = aws.create_user()
    op = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "jd@example.com"}
    response = _patch(aws, user["id"], op)
    assert response.status_code == 200
    assert response.json()["emails"] == [
        {"value": "jd@example.com", "type": "work", "primary": True}
    ]


def test_patch_sub_attribute_and_enterprise_paths(aws: Aws) -> None:
    user = aws.create_user()
    response = _patch(
        aws, user["id"],
        {"op": "replace", "path": "name.givenName", "value": "Janet"},
        {"op": "add", "path": "enterprise", "value": {"department": "Eng"}},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == {"givenName": "Janet", "familyName": "Doe"}
    assert body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == {
        "department": "Eng"
    }


def test_patch_without_path_touching_two_attributes_is_400(aws: Aws) -> None:
    """[OBS/INF] PATCH without path whose value holds more than one attribute returns 400."""
    user = aws.create_user()
    op = {"op": "replace", "value": {"title": "CTO", "nickName": "JD"}}
    response = _patch(aws, user["id"], op)
    assert response.status_code == 400
    assert response.json()["detail"].startswith('Current PATCH support allows omitting "path"')
    one = {"op": "replace", "value": {"title": "CTO"}}
    assert _patch(aws, user["id"], one).json()["title"] == "CTO"


def test_patch_of_an_unknown_user_is_404(aws: Aws) -> None:
    """[DOC] PATCH /Users/{unknown} returns 404."""
    assert (
        _patch(aws, "unknown", {"op": "replace", "path": "title", "value": "x"}).status_code == 404
    )


def test_patch_that_breaks_a_rule_changes_nothing(aws: Aws) -> None:
    user = aws.create_user()
    bad = [{"op": "replace", "path": "title", "value": "ok"},
           {"op": "replace", "path": "displayName", "value": "bad;name"}]  # fmt: skip
    assert _patch(aws, user["id"], *bad).status_code == 400
    assert "title" not in aws.http.get(f"/Users/{user['id']}").json()


def test_patch_username_collision_is_409(aws: Aws) -> None:
    aws.create_user("jane")
    john = aws.create_user("john")
    op = {"op": "replace", "path": "userName", "value": "Jane@example.com"}
    assert _patch(aws, john["id"], op).status_code == 409


def test_delete_is_204_and_again_404(aws: Aws) -> None:
    """[DOC] DELETE /Users/{id} returns 204 with an empty body. Repeating it returns 404."""
    user = aws.create_user()
    first = aws.http.delete(f"/Users/{user['id']}")
    assert (first.status_code, first.content) == (204, b"")
    assert aws.http.delete(f"/Users/{user['id']}").status_code == 404


def test_deleting_a_user_removes_it_from_all_groups(aws: Aws) -> None:
    """[INF] Deleting a user removes it from all groups."""
    jane, john = aws.create_user("jane"), aws.create_user("john")
    groups = [aws.create_group(f"G{i}") for i in range(3)]
    for group in groups:
        aws.add_members(group["id"], [jane["id"], john["id"]])
    aws.http.delete(f"/Users/{jane['id']}")
    assert all(aws.members_of(g["id"]) == [john["id"]] for g in groups)
    listed = aws.http.get("/Users", params={"filter": f'groups.value eq "{groups[0]["id"]}"'})
    assert [u["id"] for u in listed.json()["Resources"]] == [john["id"]]


def test_a_recreated_user_gets_a_new_id(aws: Aws) -> None:
    """[DOC] A deleted and re-created user (same userName) gets a new id."""
    first = aws.create_user()
    aws.http.delete(f"/Users/{first['id']}")
    assert aws.create_user()["id"] != first["id"]
