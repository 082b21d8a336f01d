"""Checklist: List, filter, paginate."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.emulator import ENTERPRISE_URN, Aws

from .scim_parsing import parse_users

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
CURSOR = re.compile(r"^[-a-zA-Z0-9+=/:_]*$")


def _list(aws: Aws, resource: str, **params: Any) -> Any:
    return aws.http.get(f"/{resource}", params=params)


def _ids(response: Any) -> list[str]:
    return [r["id"] for r in response.json()["Resources"]]


def test_username_filter_returns_a_list_response(aws: Aws) -> None:
    """[DOC] GET /Users?filter=userName eq "x" returns totalResults, itemsPerPage,
    startIndex:1, schemas and Resources."""
    jane = aws.create_user("jane")
    aws.create_user("john")
    response = _list(aws, "Users", filter='userName eq "JANE@example.com"')
    body = response.json()
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (1, 1, 1)
    assert body["schemas"] == [LIST]
    assert parse_users(response).resources[0].id == jane["id"]


def test_user_filters_on_external_id_groups_and_id_with_manager(aws: Aws) -> None:
    """[DOC] externalId eq, groups.value eq and id eq ... and manager eq ... (either order)."""
    boss = aws.create_user("boss")
    jane = aws.create_user("jane", externalId="ext-jane",
                           **{ENTERPRISE_URN: {"manager": {"value": boss["id"]}}})  # fmt: skip
    group = aws.create_group()
    aws.add_members(group["id"], [jane["id"]])
    assert _ids(_list(aws, "Users", filter='externalId eq "ext-jane"')) == [jane["id"]]
    assert _ids(_list(aws, "Users", filter=f'groups.value eq "{group["id"]}"')) == [jane["id"]]
    assert _ids(_list(aws, "Users", filter=f'id eq "{jane["id"]}"')) == [jane["id"]]
    for flt in (f'id eq "{jane["id"]}" and manager eq "{boss["id"]}"',
                f'manager eq "{boss["id"]}" and id eq "{jane["id"]}"'):  # fmt: skip
        assert _ids(_list(aws, "Users", filter=flt)) == [jane["id"]]
    wrong_manager = f'id eq "{boss["id"]}" and manager eq "{boss["id"]}"'
    assert _ids(_list(aws, "Users", filter=wrong_manager)) == []


@pytest.mark.parametrize(
    "flt",
    ['userName co "jane"', 'userName sw "jane"', "userName pr", 'userName ne "jane"',
     'userName eq "a" or userName eq "b"', "userName eq jane", 'displayName eq "Jane Doe"',
     'title eq "x"', 'userName eq "a" and externalId eq "b"', 'userName eq ""', "garbage"],
)  # fmt: skip
def test_other_user_filters_are_400(aws: Aws, flt: str) -> None:
    """[DOC] Any other attribute, operator, or, or unquoted value returns 400."""
    assert _list(aws, "Users", filter=flt).status_code == 400


def test_group_filters_on_name_external_id_members_and_id_with_members(aws: Aws) -> None:
    """[DOC] displayName eq, externalId eq, members.value eq, id eq ... and members eq ..."""
    jane = aws.create_user("jane")
    eng = aws.create_group("Engineering", externalId="g-eng")
    aws.create_group("Sales")
    aws.add_members(eng["id"], [jane["id"]])
    assert _ids(_list(aws, "Groups", filter='displayName eq "Engineering"')) == [eng["id"]]
    assert _ids(_list(aws, "Groups", filter='externalId eq "g-eng"')) == [eng["id"]]
    assert _ids(_list(aws, "Groups", filter=f'members.value eq "{jane["id"]}"')) == [eng["id"]]
    for flt in (f'id eq "{eng["id"]}" and members eq "{jane["id"]}"',
                f'member eq "{jane["id"]}" and id eq "{eng["id"]}"'):  # fmt: skip
        assert _ids(_list(aws, "Groups", filter=flt)) == [eng["id"]]


@pytest.mark.parametrize(
    "flt", ['displayName co "Eng"', 'id eq "x"', 'members eq "x"', 'displayName eq Eng',
            'displayName eq "a" or externalId eq "b"'],
)  # fmt: skip
def test_other_group_filters_are_400(aws: Aws, flt: str) -> None:
    """[DOC] Anything else on /Groups returns 400."""
    assert _list(aws, "Groups", filter=flt).status_code == 400


def test_members_filter_for_a_nonexistent_user_is_404(aws: Aws) -> None:
    """[DOC] GET /Groups?filter=members.value eq "<nonexistent user>" returns 404."""
    aws.create_group()
    assert _list(aws, "Groups", filter='members.value eq "ghost"').status_code == 404


def test_id_and_members_answers_one_or_zero(aws: Aws) -> None:
    """[OBS] id eq "<g>" and members eq "<u>" returns totalResults 1 if u in g, else 0."""
    jane, john = aws.create_user("jane"), aws.create_user("john")
    group = aws.create_group()
    aws.add_members(group["id"], [jane["id"]])
    for user, expected in ((jane, 1), (john, 0)):
        flt = f'id eq "{group["id"]}" and members eq "{user["id"]}"'
        body = _list(aws, "Groups", filter=flt).json()
        assert body["totalResults"] == expected
        assert all(g["members"] == [] for g in body["Resources"])


def test_members_eq_empty_is_400(aws: Aws) -> None:
    """[OBS] GET /Groups?filter=... members eq "" returns 400."""
    group = aws.create_group()
    flt = f'id eq "{group["id"]}" and members eq ""'
    assert _list(aws, "Groups", filter=flt).status_code == 400


def test_without_cursor_one_page_of_at_most_count(aws: Aws) -> None:
    """[DOC] Without cursor, at most count (default 100, max 100) items, no way to continue."""
    for i in range(105):
        aws.create_user(f"u{i}")
    body = _list(aws, "Users").json()
    assert len(body["Resources"]) == body["itemsPerPage"] == 100
    assert "nextCursor" not in body
    assert len(_list(aws, "Users", count=7).json()["Resources"]) == 7


def test_start_index_and_attribute_selection_are_ignored(aws: Aws) -> None:
    """[DOC] startIndex, attributes and excludedAttributes are not honored (INF: ignored)."""
    for i in range(3):
        aws.create_user(f"u{i}")
    plain = _list(aws, "Users").json()
    other = _list(aws, "Users", startIndex=2, attributes="userName",
                  excludedAttributes="emails").json()  # fmt: skip
    assert other == plain


@pytest.mark.parametrize(("count", "mode", "status", "items"),
                         [(0, "reject", 400, None), (101, "reject", 400, None),
                          (0, "clamp", 200, 1), (101, "clamp", 200, 100)])  # fmt: skip
def test_count_out_of_range(aws: Aws, count: int, mode: str, status: int, items: int) -> None:
    """[INF] count=0 or count>100 returns 400 (switch: clamp)."""
    aws.behaviour(count_limits=mode)
    for i in range(101):
        aws.create_group(f"G{i}")
    response = _list(aws, "Groups", count=count)
    assert response.status_code == status
    if items is not None:
        assert len(response.json()["Resources"]) == items


def _pages(aws: Aws, resource: str, flt: str | None = None, count: int = 100) -> list[Any]:
    query = f"?cursor&count={count}" + (f"&filter={flt}" if flt else "")
    pages = [aws.http.get(f"/{resource}{query}").json()]
    while "nextCursor" in pages[-1]:
        assert CURSOR.match(pages[-1]["nextCursor"])
        params: dict[str, Any] = {"cursor": pages[-1]["nextCursor"], "count": count}
        if flt:
            params["filter"] = flt
        pages.append(aws.http.get(f"/{resource}", params=params).json())
    return pages


def test_cursor_mode_pages_through_everything(aws: Aws) -> None:
    """[DOC] GET /Users?cursor (bare) returns {itemsPerPage, nextCursor?, schemas, Resources};
    nextCursor present while more pages remain, absent on the last."""
    created = [aws.create_user(f"u{i}")["id"] for i in range(25)]
    pages = _pages(aws, "Users", count=10)
    assert [len(p["Resources"]) for p in pages] == [10, 10, 5]
    assert all(set(p) - {"nextCursor"} == {"itemsPerPage", "schemas", "Resources"} for p in pages)
    assert [u["id"] for p in pages for u in p["Resources"]] == created


def test_cursor_with_another_filter_is_400(aws: Aws) -> None:
    """[DOC] Sending cursor=X with a filter different from the one that produced X is 400."""
    group = aws.create_group()
    ids = [aws.create_user(f"u{i}")["id"] for i in range(3)]
    aws.add_members(group["id"], ids)
    first = aws.http.get(f'/Users?cursor&count=1&filter=groups.value eq "{group["id"]}"').json()
    again = aws.http.get("/Users", params={"cursor": first["nextCursor"], "count": 1})
    assert again.status_code == 400
    assert aws.http.get("/Users", params={"cursor": "not!a!cursor"}).status_code == 400


def test_cursor_pages_through_a_groups_members(aws: Aws) -> None:
    """[DOC] GET /Users?cursor&filter=groups.value eq "<g>" pages through all members of g."""
    group = aws.create_group()
    ids = [aws.create_user(f"u{i}")["id"] for i in range(150)]
    aws.create_user("outsider")
    aws.add_members(group["id"], ids[:100])
    aws.add_members(group["id"], ids[100:])
    pages = _pages(aws, "Users", f'groups.value eq "{group["id"]}"')
    assert [len(p["Resources"]) for p in pages] == [100, 50]
    assert [u["id"] for p in pages for u in p["Resources"]] == ids


def test_cursor_pages_through_a_users_groups(aws: Aws) -> None:
    """[DOC] GET /Groups?cursor&filter=members.value eq "<u>" pages through all groups of u."""
    jane = aws.create_user("jane")
    groups = [aws.create_group(f"G{i}")["id"] for i in range(7)]
    for group_id in groups:
        aws.add_members(group_id, [jane["id"]])
    pages = _pages(aws, "Groups", f'members.value eq "{jane["id"]}"', count=3)
    assert [len(p["Resources"]) for p in pages] == [3, 3, 1]
    assert [g["id"] for p in pages for g in p["Resources"]] == groups
