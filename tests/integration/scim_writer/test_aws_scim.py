"""The writer's AWS SCIM client against the emulator over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from schemas import UserState
from services.scim_writer import (
    AwsConflict,
    AwsNotFound,
    AwsRefused,
    AwsScim,
    AwsServerError,
    AwsThrottled,
    AwsUnreachable,
    ScimEndpoint,
    user_resource,
)
from tests.support.emulator import Aws
from tests.support.processes import free_port

pytestmark = pytest.mark.emulator
JANE = UserState("jane@acme.com", "Jane Doe", "Jane", "Doe", "jane@acme.com",
                 title="Engineer", department="Platform")  # fmt: skip


@pytest.fixture
async def scim(aws: Aws) -> AsyncIterator[AwsScim]:
    endpoint = ScimEndpoint(aws.server.scim_url, SecretStr(aws.server.token),
                            requests_per_second=1000)  # fmt: skip
    client = AwsScim(endpoint)
    yield client
    await client.aclose()


async def test_a_user_is_created_found_replaced_deactivated_and_deleted(
    scim: AwsScim, aws: Aws
) -> None:
    created = await scim.create_user(user_resource(JANE, "okta|acme|00u1"))
    assert (created["userName"], created["externalId"]) == ("jane@acme.com", "okta|acme|00u1")
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert created[enterprise] == {"department": "Platform"}
    found = await scim.user_by_external_id("okta|acme|00u1")
    assert found is not None
    assert found["id"] == created["id"]
    assert (await scim.user_by_name("JANE@acme.com") or {}).get("id") == created["id"]
    renamed = UserState("jane@acme.com", "Jane Q. Doe", "Jane", "Doe", "jane@acme.com")
    replaced = await scim.replace_user(created["id"], user_resource(renamed, "okta|acme|00u1"))
    assert replaced["displayName"] == "Jane Q. Doe"
    assert (await scim.set_active(created["id"], active=False))["active"] is False
    await scim.delete_user(created["id"])
    assert not await scim.exists("user", created["id"])
    assert aws.count("CreateUser", 201) == 1


async def test_250_new_members_take_3_patches(scim: AwsScim, aws: Aws) -> None:
    users = [aws.create_user(f"u{i}")["id"] for i in range(260)]
    group = await scim.create_group("Engineering", "okta|acme|00g1")
    assert await scim.change_members(group["id"], add=users[:250]) == 3
    assert aws.count("PatchGroup", 204) == 3
    assert len(aws.members_of(group["id"])) == 250
    assert await scim.change_members(group["id"], add=users[250:], remove=users[:5]) == 1
    assert len(aws.members_of(group["id"])) == 255
    await scim.rename_group(group["id"], "Platform")
    assert (await scim.group_by_name("Platform") or {}).get("id") == group["id"]
    assert (await scim.group_by_external_id("okta|acme|00g1") or {}).get("id") == group["id"]


async def test_aws_answers_become_the_documented_errors(scim: AwsScim, aws: Aws) -> None:
    await scim.create_user(user_resource(JANE, "ext-1"))
    with pytest.raises(AwsConflict):
        await scim.create_user(user_resource(JANE, "ext-2"))
    bad = UserState("x@acme.com", "Bad; Name", "Bad", "Name")
    with pytest.raises(AwsRefused) as refused:
        await scim.create_user(user_resource(bad, "ext-3"))
    assert refused.value.detail.startswith("Request is unparsable")
    with pytest.raises(AwsNotFound):
        await scim.delete_user("missing")


async def test_throttling_carries_retry_after_and_slows_the_client(scim: AwsScim, aws: Aws) -> None:
    aws.faults(rate_limit_tps=0.01, rate_limit_burst=1)
    await scim.user_by_name("anyone@acme.com")
    before = scim.limit.rate
    with pytest.raises(AwsThrottled) as throttled:
        await scim.user_by_name("anyone@acme.com")
    assert throttled.value.retry_after is not None
    assert throttled.value.retry_after >= 1
    assert scim.limit.rate == before / 2


async def test_server_errors_and_lost_answers(scim: AwsScim, aws: Aws) -> None:
    aws.faults(error_rate=1.0)
    with pytest.raises(AwsServerError):
        await scim.user_by_name("anyone@acme.com")
    aws.faults(error_rate=0.0, lost_response_rate=1.0, lost_response_mode="close")
    with pytest.raises(AwsUnreachable) as lost:
        await scim.create_user(user_resource(JANE, "ext-1"))
    assert aws.state()["users"]  # applied although the answer was lost
    assert aws.server.token not in str(lost.value)


async def test_an_unreachable_endpoint_is_unreachable_and_the_token_stays_secret() -> None:
    token = "very-secret-token-value"
    endpoint = ScimEndpoint(f"http://127.0.0.1:{free_port()}/t/scim/v2", SecretStr(token))
    client = AwsScim(endpoint)
    with pytest.raises(AwsUnreachable) as unreachable:
        await client.user_by_name("x")
    await client.aclose()
    assert token not in str(unreachable.value)
    assert token not in repr(endpoint)
