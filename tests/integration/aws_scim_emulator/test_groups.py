"""Checklist: Groups."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import Context

from tests.support.emulator import Aws, patch_op

from .scim_parsing import parse_group, parse_groups

DUPLICATE = "Refused to create a new, duplicate resource."


def _users(aws: Aws, n: int) -> list[str]:
    return [aws.create_user(f"user{i}")["id"] for i in range(n)]


def _patch(aws: Aws, group_id: str, *ops: dict[str, Any]) -> Any:
    return aws.http.patch(f"/Groups/{group_id}", json=patch_op(*ops))


def _members(op: str, ids: list[str]) -> dict[str, Any]:
    return {"op": op, "path": "members", "value": [{"value": i} for i in ids]}


def test_create_returns_201_without_members(aws: Aws) -> None:
    """[DOC] POST /Groups returns 201 with id, displayName, externalId, meta, schemas,
    and no members key."""
    ids = _users(aws, 2)
    members = [{"value": i, "type": "User", "$ref": f"../Users/{i}"} for i in ids]
    body = {"displayName": "Engineering", "externalId": "okta-g1", "members": members}
    response = aws.http.post("/Groups", json=body)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "displayName", "externalId", "meta", "schemas"}
    assert parse_group(response, Context.RESOURCE_CREATION_RESPONSE).display_name == "Engineering"
    assert aws.members_of(created["id"]) == ids


def test_create_without_display_name_is_400(aws: Aws) -> None:
    """[DOC] POST /Groups without displayName returns 400."""
    assert aws.http.post("/Groups", json={"externalId": "g1"}).status_code == 400


@pytest.mark.parametrize("clash", ["displayName", "externalId"])
def test_create_with_a_used_name_or_external_id_is_409(aws: Aws, clash: str) -> None:
    """[DOC] POST /Groups with a displayName or externalId used by another group is 409."""
    aws.create_group("Engineering", externalId="g1")
    body = {
        "displayName": "Other",
        "externalId": "g2",
        clash: {"displayName": "Engineering", "externalId": "g1"}[clash],
    }
    response = aws.http.post("/Groups", json=body)
    assert (response.status_code, response.json()["detail"]) == (409, DUPLICATE)


@pytest.mark.parametrize(("n", "status"), [(100, 201), (101, 400)])
def test_create_with_more_than_100_members_is_400(aws: Aws, n: int, status: int) -> None:
    """[DOC] POST /Groups with more than 100 members returns 400."""
    ids = _users(aws, n)
    body = {"displayName": "Big", "members": [{"value": i} for i in ids]}
    assert aws.http.post("/Groups", json=body).status_code == status


def test_get_never_shows_members(aws: Aws) -> None:
    """[DOC] GET /Groups/{id} returns 200 with no membership data, even with members."""
    group = aws.create_group()
    aws.add_members(group["id"], _users(aws, 3))
    response = aws.http.get(f"/Groups/{group['id']}")
    assert response.status_code == 200
    assert "members" not in response.json()
    assert parse_group(response).members is None


def test_get_of_an_unknown_group_is_404(aws: Aws) -> None:
    """[DOC] GET /Groups/{unknown} returns 404."""
    assert aws.http.get("/Groups/unknown").status_code == 404


def test_list_items_always_show_empty_members(aws: Aws) -> None:
    """[DOC] ListGroups items always show "members": []."""
    group = aws.create_group()
    aws.add_members(group["id"], _users(aws, 2))
    response = aws.http.get("/Groups")
    assert [g["members"] for g in response.json()["Resources"]] == [[]]
    assert [g.display_name for g in parse_groups(response).resources or []] == ["Engineering"]


@pytest.mark.parametrize(("mode", "status"), [("reject", 400), ("replace", 200)])
def test_put_groups_is_unsupported_unless_switched(aws: Aws, mode: str, status: int) -> None:
    """[INF] PUT /Groups/{id} is unsupported (configurable: 400 by default)."""
    aws.behaviour(group_put=mode)
    group = aws.create_group()
    ids = _users(aws, 2)
    body = {"displayName": "Renamed", "members": [{"value": ids[1]}]}
    response = aws.http.put(f"/Groups/{group['id']}", json=body)
    assert response.status_code == status
    if mode == "replace":
        assert "members" not in response.json()
        assert aws.members_of(group["id"]) == [ids[1]]


def test_patch_add_and_remove_members_is_204(aws: Aws) -> None:
    """[DOC] PATCH with add/remove and path "members" returns 204 with an empty body."""
    group = aws.create_group()
    ids = _users(aws, 3)
    added = _patch(aws, group["id"], _members("add", ids))
    assert (added.status_code, added.content) == (204, b"")
    removed = _patch(aws, group["id"], _members("remove", ids[:1]))
    assert (removed.status_code, removed.content) == (204, b"")
    assert aws.members_of(group["id"]) == ids[1:]


def test_patch_remove_by_value_filter(aws: Aws) -> None:
    group = aws.create_group()
    ids = _users(aws, 2)
    _patch(aws, group["id"], _members("add", ids))
    op = {"op": "remove", "path": f'members[value eq "{ids[0]}"]'}
    assert _patch(aws, group["id"], op).status_code == 204
    assert aws.members_of(group["id"]) == ids[1:]


@pytest.mark.parametrize(("adds", "removes", "status"), [(60, 40, 204), (60, 41, 400)])
def test_patch_with_more_than_100_member_values_is_400(
    aws: Aws, adds: int, removes: int, status: int
) -> None:
    """[DOC] PATCH /Groups/{id} with more than 100 total member values across ops is 400."""
    group = aws.create_group()
    ids = _users(aws, adds + removes)
    _patch(aws, group["id"], _members("add", ids[adds:]))
    response = _patch(aws, group["id"], _members("add", ids[:adds]), _members("remove", ids[adds:]))
    assert response.status_code == status
    expected = ids[:adds] if status == 204 else ids[adds:]
    assert sorted(aws.members_of(group["id"])) == sorted(expected)


def test_patch_replace_members_is_400(aws: Aws) -> None:
    """[DOC/OBS] PATCH with replace on members returns 400 'Replacing group memberships...'."""
    group = aws.create_group()
    ids = _users(aws, 2)
    _patch(aws, group["id"], _members("add", ids[:1]))
    response = _patch(aws, group["id"], _members("replace", ids[1:]))
    assert response.status_code == 400
    assert response.json()["detail"] == "Replacing group memberships is not supported."
    assert aws.members_of(group["id"]) == ids[:1]


@pytest.mark.parametrize("value", [None, []])
def test_patch_removing_all_members_is_400(aws: Aws, value: list[Any] | None) -> None:
    """[DOC] PATCH /Groups/{id} that would remove all members in one request returns 400."""
    group = aws.create_group()
    ids = _users(aws, 2)
    _patch(aws, group["id"], _members("add", ids))
    op: dict[str, Any] = {"op": "remove", "path": "members"}
    if value is not None:
        op["value"] = value
    assert _patch(aws, group["id"], op).status_code == 400
    assert aws.members_of(group["id"]) == ids


def test_patch_rename_and_rename_collision(aws: Aws) -> None:
    """[DOC] replace path displayName renames and returns 204; a collision is 409 (INF)."""
    group = aws.create_group("Engineering")
    aws.create_group("Sales")
    rename = {"op": "replace", "path": "displayName", "value": "Platform"}
    assert _patch(aws, group["id"], rename).status_code == 204
    assert aws.http.get(f"/Groups/{group['id']}").json()["displayName"] == "Platform"
    clash = {"op": "replace", "path": "displayName", "value": "sales"}
    assert _patch(aws, group["id"], clash).status_code == 409


def test_patch_replace_external_id(aws: Aws) -> None:
    """[DOC] PATCH /Groups/{id} with replace path externalId returns 204."""
    group = aws.create_group()
    op = {"op": "replace", "path": "externalId", "value": "okta-g9"}
    assert _patch(aws, group["id"], op).status_code == 204
    assert aws.http.get(f"/Groups/{group['id']}").json()["externalId"] == "okta-g9"


@pytest.mark.parametrize("path", ["description", "meta", "id", "members.display"])
def test_patch_other_attributes_is_400(aws: Aws, path: str) -> None:
    """[DOC] PATCH targeting any attribute other than displayName/members/externalId is 400."""
    group = aws.create_group()
    assert (
        _patch(aws, group["id"], {"op": "replace", "path": path, "value": "x"}).status_code == 400
    )


def test_path_less_replace_of_display_name(aws: Aws) -> None:
    """[DOC] A path-less replace with value {"id", "displayName"} returns 204."""
    group = aws.create_group()
    op = {"op": "replace", "value": {"id": group["id"], "displayName": "Group Foo New"}}
    assert _patch(aws, group["id"], op).status_code == 204
    assert aws.http.get(f"/Groups/{group['id']}").json()["displayName"] == "Group Foo New"


def test_path_less_operation_touching_two_attributes_is_400(aws: Aws) -> None:
    """[OBS] A path-less operation touching more than one attribute returns 400."""
    group = aws.create_group()
    op = {"op": "replace", "value": {"displayName": "New", "externalId": "g2"}}
    response = _patch(aws, group["id"], op)
    assert response.status_code == 400
    assert "omitting" in response.json()["detail"]


def test_patch_of_an_unknown_group_is_404(aws: Aws) -> None:
    """[DOC] PATCH /Groups/{unknown} returns 404."""
    assert _patch(aws, "unknown", _members("add", _users(aws, 1))).status_code == 404


@pytest.mark.parametrize(("mode", "status"), [("not_found", 404), ("ignore", 204)])
def test_adding_an_unknown_user(aws: Aws, mode: str, status: int) -> None:
    """[INF] Adding an unknown user id as a member returns 404."""
    aws.behaviour(unknown_member=mode)
    group = aws.create_group()
    known = _users(aws, 1)
    assert _patch(aws, group["id"], _members("add", [*known, "ghost"])).status_code == status
    assert aws.members_of(group["id"]) == ([] if status == 404 else known)


def test_add_is_idempotent_and_removing_a_non_member_is_a_no_op(aws: Aws) -> None:
    """[INF] Add is idempotent for existing members; remove of a non-member is a no-op."""
    group = aws.create_group()
    ids = _users(aws, 2)
    assert _patch(aws, group["id"], _members("add", ids[:1])).status_code == 204
    assert _patch(aws, group["id"], _members("add", ids[:1])).status_code == 204
    assert _patch(aws, group["id"], _members("remove", ids[1:])).status_code == 204
    assert aws.members_of(group["id"]) == ids[:1]


def test_delete_is_204_and_unknown_404(aws: Aws) -> None:
    """[DOC] DELETE /Groups/{id} returns 204; an unknown id returns 404."""
    group = aws.create_group()
    aws.add_members(group["id"], _users(aws, 1))
    assert aws.http.delete(f"/Groups/{group['id']}").status_code == 204
    assert aws.http.delete(f"/Groups/{group['id']}").status_code == 404
    assert aws.state()["memberships"] == {}
