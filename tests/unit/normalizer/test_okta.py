"""The Okta mapping in memory, with the Okta API replaced by httpx.MockTransport."""

from __future__ import annotations

import datetime as dt

import httpx
import msgspec
import pytest

import schemas
from services.normalizer import IdpUnavailable, MissingSettings, OktaApi, OktaNormalizer
from tests.support import okta

JANE = okta.user_target("00u1", "jane@acme.com", "Jane Doe")
AT = "2026-11-02T10:15:29.770Z"


def _api(status: int, body: object = None) -> OktaApi:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return OktaApi("https://acme.okta.com", "t", transport=httpx.MockTransport(answer))


async def _map(normalizer: OktaNormalizer, event_type: str) -> list[schemas.CanonicalEvent]:
    raw = msgspec.json.encode(okta.event(event_type, [JANE], published=AT))
    return await normalizer.normalize(raw, okta.ORG)


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [("user.lifecycle.create", schemas.UserUpserted),
     ("user.lifecycle.reactivate", schemas.UserUpserted),
     ("user.lifecycle.suspend", schemas.UserDeactivated),
     ("user.lifecycle.deactivate", schemas.UserDeactivated),
     ("user.lifecycle.delete.initiated", schemas.UserDeleted)],
)  # fmt: skip
async def test_user_lifecycle_without_the_api(event_type: str, expected: type) -> None:
    (event,) = await _map(OktaNormalizer(None), event_type)
    assert isinstance(event, expected)
    assert event.subject == schemas.Subject("user", "00u1")
    assert event.source_version == schemas.version_of(dt.datetime.fromisoformat(AT))


async def test_a_suspended_user_read_back_is_inactive() -> None:
    fields = {"login": "jane@acme.com", "firstName": "Jane", "lastName": "Doe"}
    profile = {"status": "SUSPENDED", "profile": fields}
    (event,) = await _map(OktaNormalizer(_api(200, profile)), "user.account.update_profile")
    assert isinstance(event, schemas.UserUpserted)
    assert event.user.active is False


async def test_the_username_attribute_picks_the_profile_field() -> None:
    profile = {"profile": {"login": "jdoe", "email": "jane@acme.com", "firstName": "Jane",
                           "lastName": "Doe"}}  # fmt: skip
    (event,) = await _map(OktaNormalizer(_api(200, profile), "email"), "user.lifecycle.create")
    assert isinstance(event, schemas.UserUpserted)
    assert event.user.user_name == "jane@acme.com"


async def test_a_non_login_username_attribute_needs_the_api() -> None:
    with pytest.raises(MissingSettings, match="IDP_SYNC_USERNAME_ATTRIBUTE=email"):
        await _map(OktaNormalizer(None, "email"), "user.lifecycle.create")


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_an_api_that_cannot_answer_now_is_a_retry_not_a_deletion(status: int) -> None:
    with pytest.raises(IdpUnavailable):
        await _map(OktaNormalizer(_api(status)), "user.account.update_profile")


async def test_a_user_gone_from_okta_makes_its_update_moot() -> None:
    assert await _map(OktaNormalizer(_api(404)), "user.account.update_profile") == []
