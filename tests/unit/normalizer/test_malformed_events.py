"""Raw events and IdP answers the fuzzer found raising something other than ``Unmappable``
(so the normalizer would retry them in vain), or making events the writer cannot take."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
import pytest
from pydantic import SecretStr

from services.normalizer import (
    AuthentikApi,
    AuthentikNormalizer,
    EntraApp,
    EntraNormalizer,
    GoogleNormalizer,
    GraphApi,
    KeycloakNormalizer,
    OktaApi,
    OktaNormalizer,
    Unmappable,
)
from services.sources.generic import events as _generic
from services.sources.mapping import user_state
from tests.fuzz._readbacks import FuzzDirectory, MemoryStore
from tests.support import okta

AT = "2026-11-02T10:15:29.770Z"
JANE = okta.user_target("00u1", "jane@acme.com")


def _answering(body: Any, seen: list[str] | None = None) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request.url.raw_path.decode())
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


def _okta_raw(**changes: Any) -> bytes:
    return msgspec.json.encode(
        {**okta.event("user.lifecycle.create", [JANE], published=AT), **changes}
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"uuid": "e-\xff", "published": "2026-11-02T10:15:29Z"}',  # UnicodeDecodeError
        _okta_raw(published="0001-01-01T00:00:00+01:00"),  # OverflowError: before year 1
        _okta_raw(published="2026-11-02T10:15:29"),  # no zone: the order depends on the host
        _okta_raw(target=[okta.user_target("", "jane@acme.com")]),
    ],  # an empty id
)
async def test_unusable_okta_events_are_unmappable(raw: bytes) -> None:
    with pytest.raises(Unmappable):
        await OktaNormalizer(None).normalize(raw, okta.ORG)


async def test_an_okta_profile_field_of_another_type_is_unmappable() -> None:
    api = OktaApi(
        "https://acme.okta.com",
        "t",
        transport=_answering({"profile": {"login": "jane@acme.com", "firstName": 1.5}}),
    )
    with pytest.raises(Unmappable, match="firstName"):
        await OktaNormalizer(api).normalize(_okta_raw(), okta.ORG)  # was AttributeError


async def test_an_okta_id_reads_that_object_and_no_other() -> None:
    seen: list[str] = []
    api = OktaApi("https://acme.okta.com", "t", transport=_answering(None, seen))
    raw = _okta_raw(target=[okta.user_target("../groups/00g1", "jane@acme.com")])
    await OktaNormalizer(api).normalize(raw, okta.ORG)
    assert seen == ["/api/v1/users/..%2Fgroups%2F00g1"]


@pytest.mark.parametrize(
    "change",
    [
        {
            "id": "c1",
            "type": "user.deleted",
            "occurred_at": "2026-11-02T10:00:00",
            "user": {"id": "u1"},
        },
        {"id": "c1", "type": "user.deleted", "occurred_at": AT, "user": {"id": ""}},
        {
            "id": "c1",
            "type": "group.member_added",
            "occurred_at": AT,
            "group": {"id": "g1"},
            "members": [{"id": ""}],
        },
    ],
)
def test_generic_changes_without_a_zone_or_with_empty_ids_are_unmappable(
    change: dict[str, Any],
) -> None:
    with pytest.raises(Unmappable):
        _generic.normalize(json.dumps(change).encode(), "hr")


def _graph(body: Any) -> GraphApi:
    return GraphApi(EntraApp("t", "c", SecretStr("s")), transport=_answering(body))


@pytest.mark.parametrize("delta", [["u1"], [{"no": "id"}], "u1", [{"id": 7}]])
async def test_an_unreadable_members_delta_is_unmappable(delta: Any) -> None:
    raw = json.dumps(
        {"changeType": "updated", "resource": "Groups/g1", "resourceData": {"members@delta": delta}}
    ).encode()
    with pytest.raises(Unmappable, match="members@delta"):
        await EntraNormalizer(_graph({})).normalize(raw, "tenant-1")  # was TypeError


async def test_a_graph_user_field_of_another_type_is_unmappable() -> None:
    raw = json.dumps({"changeType": "updated", "resource": "Users/u1"}).encode()
    graph = _graph({"userPrincipalName": "jane@acme.com", "displayName": ["Jane"]})
    with pytest.raises(Unmappable, match="displayName"):
        await EntraNormalizer(graph).normalize(raw, "tenant-1")


@pytest.mark.parametrize(
    "event",
    [
        {"time": 2**62, "resourceType": "USER", "resourcePath": "users/u1"},  # past year 9999
        {"time": 1, "resourceType": "USER", "resourcePath": "users/u1", "representation": "[1]"},
        {
            "time": 1,
            "resourceType": "USER",
            "resourcePath": "users/u1",
            "representation": '{"username": "jane", "firstName": 5}',
        },
    ],
)
async def test_unusable_keycloak_events_are_unmappable(event: dict[str, Any]) -> None:
    with pytest.raises(Unmappable):
        await KeycloakNormalizer(None).normalize(json.dumps({"id": "k1", **event}).encode(), "r")


async def test_an_authentik_user_whose_groups_are_no_list_is_unmappable() -> None:
    api = AuthentikApi("https://ak", "t", transport=_answering({"username": "jane", "groups": 7}))
    raw = json.dumps(
        {
            "event_uuid": "a1",
            "action": "model_updated",
            "created": AT,
            "model": {"app": "authentik_core", "model_name": "user", "pk": 7},
        }
    )
    with pytest.raises(Unmappable, match="groups"):
        await AuthentikNormalizer(api, MemoryStore().as_store()).normalize(
            raw.encode(), "authentik"
        )


def _activity(**changes: Any) -> bytes:
    activity = {
        "id": {"time": AT, "uniqueQualifier": "7"},
        "events": [
            {"name": "CHANGE_GROUP_EMAIL", "parameters": [{"name": "GROUP_EMAIL", "value": "a@b"}]}
        ],
    }
    return json.dumps(
        {
            "state": "exists",
            "channel_id": "c",
            "message_number": "1",
            "activity": {**activity, **changes},
        }
    ).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_activity(id={"time": "yesterday"}), "Google push message"),  # was ValueError
        (_activity(id="7"), "Google push message"),  # was AttributeError
        (_activity(), "without NEW_VALUE"),
    ],  # was KeyError
)
async def test_unusable_google_activities_are_unmappable(raw: bytes, reason: str) -> None:
    google = GoogleNormalizer(FuzzDirectory(_answering({"id": "03x1"})), MemoryStore().as_store())
    with pytest.raises(Unmappable, match=reason):
        await google.normalize(raw, "google-workspace")


async def test_a_directory_user_whose_id_is_no_text_is_unmappable() -> None:
    activity = _activity(
        events=[
            {
                "name": "ADD_GROUP_MEMBER",
                "parameters": [
                    {"name": "GROUP_EMAIL", "value": "eng@acme.com"},
                    {"name": "USER_EMAIL", "value": "jane@acme.com"},
                ],
            }
        ]
    )
    google = GoogleNormalizer(FuzzDirectory(_answering({"id": 103})), MemoryStore().as_store())
    with pytest.raises(Unmappable, match="Google"):
        await google.normalize(activity, "google-workspace")  # was a Member with an int id


async def test_an_okta_group_read_back_without_a_profile_is_unmappable() -> None:
    api = OktaApi("https://acme.okta.com", "t", transport=_answering({"id": "00g1"}))
    raw = msgspec.json.encode(
        okta.event("group.profile.update", [okta.group_target("00g1", "x")], published=AT)
    )
    with pytest.raises(Unmappable, match="no usable name"):
        await OktaNormalizer(api).normalize(raw, okta.ORG)  # was KeyError('profile')


def test_a_display_name_made_of_two_long_names_stays_within_aws_limit() -> None:
    state = user_state(
        name="jane",
        display_name=None,
        given_name="G" * 1024,
        family_name="F" * 1024,
        email_address=None,
    )
    assert len(state.display_name) == 1024  # joined, it was 2049: AWS refuses over 1024
