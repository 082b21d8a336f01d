"""Applying canonical events to the emulator: once, in order, owned objects only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

import schemas
from services.scim_writer import (
    Applier,
    AwsRefused,
    AwsScim,
    MemberNotYetProvisioned,
    MembershipEvent,
    MembershipRaced,
    Outcome,
    ScimEndpoint,
    SqliteStore,
)
from tests.support import events
from tests.support.emulator import Aws

pytestmark = pytest.mark.emulator


@pytest.fixture
async def applier(aws: Aws, tmp_path: Path) -> AsyncIterator[Applier]:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    scim = AwsScim(ScimEndpoint(aws.server.scim_url, SecretStr(aws.server.token),
                                requests_per_second=1000))  # fmt: skip
    yield Applier(store, scim)
    await scim.aclose()
    await store.close()


async def test_the_same_event_twice_creates_once(applier: Applier, aws: Aws) -> None:
    event = events.user("00u1", 1)
    assert await applier.apply(event) is Outcome.APPLIED
    assert await applier.apply(event) is Outcome.DUPLICATE
    assert aws.count("CreateUser", 201) == 1


async def test_an_older_event_after_a_newer_one_is_stale(applier: Applier, aws: Aws) -> None:
    assert await applier.apply(events.user("00u1", 5, "Jane Newer")) is Outcome.APPLIED
    assert await applier.apply(events.user("00u1", 3, "Jane Older")) is Outcome.STALE
    assert [u["displayName"] for u in aws.state()["users"]] == ["Jane Newer"]


async def test_a_deleted_user_is_never_brought_back_by_an_older_upsert(
    applier: Applier, aws: Aws
) -> None:
    await applier.apply(events.user("00u1", 1))
    deleted = events.make(schemas.UserDeleted, "user", "00u1", 10)
    assert await applier.apply(deleted) is Outcome.APPLIED
    assert await applier.apply(events.user("00u1", 5)) is Outcome.STALE
    assert aws.state()["users"] == []


async def test_a_deactivation_keeps_the_user(applier: Applier, aws: Aws) -> None:
    await applier.apply(events.user("00u1", 1))
    await applier.apply(events.make(schemas.UserDeactivated, "user", "00u1", 2))
    (user,) = aws.state()["users"]
    assert user["active"] is False


async def test_a_group_gaining_250_members_takes_3_patches(applier: Applier, aws: Aws) -> None:
    ids = [f"00u{i}" for i in range(250)]
    for n, idp_id in enumerate(ids):
        await applier.apply(events.user(idp_id, n))
    await applier.apply(events.group("00g1", 1, "Engineering"))
    added = events.members(schemas.GroupMemberAdded, "00g1", 300, ids)
    assert await applier.apply(added) is Outcome.APPLIED
    assert aws.count("PatchGroup", 204) == 3
    (group,) = aws.state()["groups"]
    assert len(aws.members_of(group["id"])) == 250


async def test_a_lost_answer_on_create_ends_with_one_user(applier: Applier, aws: Aws) -> None:
    aws.faults(lost_response_rate=1.0, operations=["CreateUser"])
    event = events.user("00u1", 1)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the writer's fate logic retries it
        await applier.apply(event)
    aws.faults(lost_response_rate=0.0)
    assert await applier.apply(event) is Outcome.APPLIED
    assert len(aws.state()["users"]) == 1
    # The retry finds the user by its externalId before creating: no second create, no 409.
    assert aws.state()["requests"]["CreateUser"] == {"500": 1}


async def test_a_hand_made_user_with_the_same_name_is_left_alone(
    applier: Applier, aws: Aws
) -> None:
    hand_made = aws.create_user("00u1", userName="00u1@acme.com", displayName="Hand Made")
    assert await applier.apply(events.user("00u1", 1)) is Outcome.NOT_OWNED
    (user,) = aws.state()["users"]
    assert (user["id"], user["displayName"]) == (hand_made["id"], "Hand Made")


async def test_an_aws_refusal_propagates_and_records_nothing(applier: Applier, aws: Aws) -> None:
    aws.faults(refuse_body_containing="Quarantined")
    event = events.user("00u1", 1, "Quarantined User")
    with pytest.raises(AwsRefused, match="Request is unparsable"):
        await applier.apply(event)
    assert await applier.store.outcome(event.idempotency_key) is None


async def test_a_member_before_its_user_waits_for_it(applier: Applier, aws: Aws) -> None:
    await applier.apply(events.group("00g1", 1, "Engineering"))
    added = events.members(schemas.GroupMemberAdded, "00g1", 2, ["00u1"])
    with pytest.raises(MemberNotYetProvisioned):
        await applier.apply(added)
    await applier.apply(events.user("00u1", 3))
    assert await applier.apply(added) is Outcome.APPLIED
    (group,) = aws.state()["groups"]
    assert len(aws.members_of(group["id"])) == 1


async def test_a_member_deleted_since_is_not_waited_for(applier: Applier, aws: Aws) -> None:
    await applier.apply(events.group("00g1", 1, "Engineering"))
    await applier.apply(events.user("00u1", 2))
    await applier.apply(events.user("00u2", 3))
    await applier.apply(events.make(schemas.UserDeleted, "user", "00u2", 5))
    added = events.members(schemas.GroupMemberAdded, "00g1", 4, ["00u1", "00u2"])
    assert await applier.apply(added) is Outcome.APPLIED
    (group,) = aws.state()["groups"]
    assert aws.members_of(group["id"]) == [aws.state()["users"][0]["id"]]


async def test_membership_events_of_one_group_take_one_patch_and_the_newest_wins(
    applier: Applier, aws: Aws
) -> None:
    await applier.apply(events.group("00g1", 1, "Engineering"))
    for n in range(3):
        await applier.apply(events.user(f"00u{n}", 2))
    batch: list[MembershipEvent] = [
        events.members(schemas.GroupMemberAdded, "00g1", 4, ["00u0", "00u1"]),
        events.members(schemas.GroupMemberRemoved, "00g1", 5, ["00u1"]),
        events.members(schemas.GroupMemberAdded, "00g1", 3, ["00u1", "00u2"]),  # late, older
    ]
    outcomes = await applier.apply_members(batch)
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.APPLIED]
    assert aws.count("PatchGroup", 204) == 1
    (group,) = aws.state()["groups"]
    names = {u["id"]: u["userName"] for u in aws.state()["users"]}
    members = sorted(names[m] for m in aws.members_of(group["id"]))
    assert members == ["00u0@acme.com", "00u2@acme.com"]
    assert await applier.apply_members(batch) == [Outcome.DUPLICATE] * 3


async def test_a_rename_keeps_the_group_and_nothing_is_ever_deleted_to_change_it(
    applier: Applier, aws: Aws
) -> None:
    await applier.apply(events.group("00g1", 1, "Engineering"))
    (before,) = aws.state()["groups"]
    await applier.apply(events.group("00g1", 2, "Platform"))
    (after,) = aws.state()["groups"]
    assert (after["id"], after["displayName"]) == (before["id"], "Platform")
    assert "DeleteGroup" not in aws.state()["requests"]


@pytest.mark.parametrize(
    ("adopt", "outcome"), [(False, Outcome.NOT_OWNED), (True, Outcome.APPLIED)]
)
async def test_a_hand_made_group_is_left_alone_unless_adoption_is_on(
    applier: Applier, aws: Aws, adopt: bool, outcome: Outcome
) -> None:
    hand_made = aws.create_group("Engineering")
    aws.add_members(hand_made["id"], [aws.create_user("admin")["id"]])
    applier.adopt_existing = adopt
    assert await applier.apply(events.group("00g1", 1, "Engineering")) is outcome
    (group,) = aws.state()["groups"]
    assert group["id"] == hand_made["id"]
    assert len(aws.members_of(group["id"])) == 1
    removal = events.make(schemas.GroupDeleted, "group", "00g1", 2)
    await applier.apply(removal)
    assert [g["id"] for g in aws.state()["groups"]] == ([] if adopt else [hand_made["id"]])


async def test_an_older_upsert_after_a_newer_deactivation_updates_but_stays_inactive(
    applier: Applier, aws: Aws
) -> None:
    # The upsert was retried and overtaken: its new name is still the newest name there is,
    # but the deactivation after it decides whether the user may sign in.
    assert await applier.apply(events.user("00u1", 1, "Jane Old")) is Outcome.APPLIED
    deactivated = events.make(schemas.UserDeactivated, "user", "00u1", 10)
    assert await applier.apply(deactivated) is Outcome.APPLIED
    assert await applier.apply(events.user("00u1", 5, "Jane Renamed")) is Outcome.APPLIED
    (user,) = aws.state()["users"]
    assert (user["displayName"], user["active"]) == ("Jane Renamed", False)
    assert await applier.apply(events.user("00u1", 20, "Jane Back")) is Outcome.APPLIED
    assert aws.state()["users"][0]["active"] is True
    older = events.make(schemas.UserDeactivated, "user", "00u1", 15)
    assert await applier.apply(older) is Outcome.STALE, "a newer upsert decided active"


async def test_a_member_of_a_group_deleted_since_does_not_wait_for_it(
    applier: Applier, aws: Aws
) -> None:
    await applier.apply(events.user("00u1", 1))
    await applier.apply(events.group("00g1", 2, "Gone Soon"))
    assert await applier.apply(events.make(schemas.GroupDeleted, "group", "00g1", 3)) is (
        Outcome.APPLIED)  # fmt: skip
    late = events.members(schemas.GroupMemberAdded, "00g1", 4, ["00u1"])
    assert await applier.apply(late) is Outcome.NOTHING_TO_DO
    never = events.members(schemas.GroupMemberAdded, "00g9", 5, ["00u1"])
    with pytest.raises(MemberNotYetProvisioned):  # a group never seen may still come
        await applier.apply(never)


async def test_a_member_deleted_meanwhile_makes_the_patch_a_retry_not_a_dead_letter(
    applier: Applier, aws: Aws
) -> None:
    await applier.apply(events.user("00u1", 1))
    await applier.apply(events.group("00g1", 2, "Racing"))
    (user,) = aws.state()["users"]
    assert aws.http.delete(f"/Users/{user['id']}").status_code == 204  # another shard's delete
    with pytest.raises(MembershipRaced):
        await applier.apply(events.members(schemas.GroupMemberAdded, "00g1", 3, ["00u1"]))
