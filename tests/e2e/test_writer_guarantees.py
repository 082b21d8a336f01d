"""The writer's guarantees, end to end: signed webhooks through the gateway, the normalizer
and the writer on the real broker, into the emulator, whose request counts are the proof."""

from __future__ import annotations

import uuid

import pytest

from tests.support.emulator import Aws
from tests.support.generic import (
    group_change,
    members_change,
    retire_change,
    user_change,
)
from tests.support.pipeline import Pipeline, dlq_depths, send
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


def _user(aws: Aws, user_id: str) -> dict[str, object] | None:
    users = [u for u in aws.state()["users"] if u["userName"] == f"{user_id}@hr.example"]
    assert len(users) <= 1, f"{user_id} is in AWS {len(users)} times"
    return users[0] if users else None


def _group(aws: Aws, name: str) -> dict[str, object] | None:
    groups = [g for g in aws.state()["groups"] if g["displayName"] == name]
    return groups[0] if groups else None


def _settled(pipeline: Pipeline, aws: Aws) -> None:
    """Wait until every shard has worked through what was queued before: a fresh user per
    shard is sent last, and each shard applies its events one at a time, in order."""
    topology = pipeline.topology
    markers: dict[int, str] = {}
    while len(markers) < topology.shards:
        marker = f"u-marker-{uuid.uuid4().hex[:10]}"
        markers.setdefault(topology.shard_of(f"user:{marker}"), marker)
    send(pipeline, *(user_change(f"c-{m}", m, 59) for m in markers.values()))
    wait_until(lambda: all(_user(aws, m) for m in markers.values()), within=30,
               what="a marker user applied on every shard")  # fmt: skip


def test_the_same_event_delivered_twice_creates_once(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    change = user_change("dup-1", "u-dup", 1)
    send(pipeline, change)
    send(pipeline, change)  # a redelivery by the IdP: another webhook id, the same change
    _settled(pipeline, aws)
    assert _user(aws, "u-dup") is not None
    markers = pipeline.topology.shards
    assert aws.count("CreateUser", 201) == 1 + markers
    assert aws.count("PutUser", 200) == 0
    assert dlq_depths(amqp_url, pipeline.topology) == [0, 0]


def test_out_of_order_events_end_at_the_newest(pipeline: Pipeline, aws: Aws) -> None:
    send(pipeline, user_change("ooo-3", "u-ooo", 3, title="Newest"))
    send(pipeline, user_change("ooo-2", "u-ooo", 2, title="Older"))
    send(pipeline, user_change("ooo-1", "u-ooo", 1, title="Oldest"))
    _settled(pipeline, aws)
    user = _user(aws, "u-ooo")
    assert user is not None
    assert user["title"] == "Newest"
    assert aws.count("PutUser", 200) == 0, "the stale events reached AWS"


def test_a_deleted_user_is_never_brought_back_by_an_older_upsert(
    pipeline: Pipeline, aws: Aws
) -> None:
    send(pipeline, user_change("del-1", "u-del", 1))
    wait_until(lambda: _user(aws, "u-del") is not None, within=30, what="the user created")
    send(pipeline, retire_change("del-5", "deleted", "u-del", 5))
    wait_until(lambda: _user(aws, "u-del") is None, within=30, what="the user deleted")
    send(pipeline, user_change("del-3", "u-del", 3, title="Replayed"))
    _settled(pipeline, aws)
    assert _user(aws, "u-del") is None
    assert aws.count("CreateUser", 201) == 1 + pipeline.topology.shards


def test_a_group_gaining_250_members_takes_3_patches(pipeline: Pipeline, aws: Aws) -> None:
    users = [f"u-big-{n}" for n in range(250)]
    send(pipeline, group_change("big-g", "g-big", "Big Group", 1),
         *(user_change(f"big-u{n}", u, 1) for n, u in enumerate(users)))  # fmt: skip
    wait_until(lambda: len(aws.state()["users"]) == 250, within=60, what="250 users created")
    send(pipeline, members_change("big-m", "added", "g-big", users, 2))
    _settled(pipeline, aws)
    group = _group(aws, "Big Group")
    assert group is not None
    assert len(aws.members_of(str(group["id"]))) == 250
    assert aws.count("PatchGroup", 204) == 3


def test_250_membership_events_of_one_group_are_combined(pipeline: Pipeline, aws: Aws) -> None:
    users = [f"u-many-{n}" for n in range(250)]
    send(pipeline, group_change("many-g", "g-many", "Many Group", 1),
         *(user_change(f"many-u{n}", u, 1) for n, u in enumerate(users)))  # fmt: skip
    wait_until(lambda: len(aws.state()["users"]) == 250, within=60, what="250 users created")
    # A slow AWS lets events pile up behind the first PATCH, as under real load.
    aws.faults(latency_ms=200, operations=["PatchGroup"])
    send(pipeline, *(members_change(f"many-m{n}", "added", "g-many", [u], 2)
                     for n, u in enumerate(users)))  # fmt: skip
    group = _group(aws, "Many Group")
    assert group is not None
    wait_until(lambda: len(aws.members_of(str(group["id"]))) == 250, within=60,
               what="250 members in the group")  # fmt: skip
    patches = aws.count("PatchGroup", 204)
    assert patches <= 10, f"{patches} PATCHes for 250 membership events"


def test_a_lost_answer_on_create_ends_with_one_user_and_no_dead_letter(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(lost_response_rate=1.0, operations=["CreateUser"])
    send(pipeline, user_change("lost-1", "u-lost", 1))
    wait_until(lambda: _user(aws, "u-lost") is not None, within=30, what="the create applied")
    aws.faults(lost_response_rate=0.0)
    wait_until(lambda: aws.count("PutUser", 200) == 1, within=30,
               what="the retry finding the user and converging it")  # fmt: skip
    _settled(pipeline, aws)
    assert aws.count("CreateUser", 201) == pipeline.topology.shards  # the lost one: 500
    assert len([u for u in aws.state()["users"] if u["userName"] == "u-lost@hr.example"]) == 1
    assert dlq_depths(amqp_url, pipeline.topology) == [0, 0]


def test_a_member_added_before_its_user_exists_is_applied_once_it_does(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    send(pipeline, group_change("late-g", "g-late", "Late Group", 1))
    wait_until(lambda: _group(aws, "Late Group") is not None, within=30, what="the group")
    send(pipeline, members_change("late-m", "added", "g-late", ["u-late"], 2))
    wait_until(lambda: aws.count("ListUsers", 200) >= 1, within=30,
               what="the writer looking for the missing user")  # fmt: skip
    send(pipeline, user_change("late-u", "u-late", 3))
    group = _group(aws, "Late Group")
    assert group is not None
    wait_until(lambda: len(aws.members_of(str(group["id"]))) == 1, within=60,
               what="the membership applied after the user")  # fmt: skip
    assert dlq_depths(amqp_url, pipeline.topology) == [0, 0]


def test_a_rename_keeps_the_group_and_nothing_is_deleted(pipeline: Pipeline, aws: Aws) -> None:
    send(pipeline, user_change("ren-u", "u-ren", 1),
         group_change("ren-g1", "g-ren", "Ops", 2),
         members_change("ren-m", "added", "g-ren", ["u-ren"], 3))  # fmt: skip
    wait_until(lambda: _group(aws, "Ops") is not None, within=30, what="the group")
    before = _group(aws, "Ops")
    send(pipeline, group_change("ren-g2", "g-ren", "Platform Ops", 4))
    wait_until(lambda: _group(aws, "Platform Ops") is not None, within=30, what="the rename")
    after = _group(aws, "Platform Ops")
    assert before is not None
    assert after is not None
    assert after["id"] == before["id"]
    # The membership may still be riding out a retry (its user is on another shard): wait
    # for it rather than take a moment's snapshot for the end state.
    wait_until(lambda: len(aws.members_of(str(after["id"]))) == 1, within=30,
               what="the member in the renamed group")  # fmt: skip
    counts = aws.state()["requests"]
    assert "DeleteGroup" not in counts
    assert "DeleteUser" not in counts
    assert aws.count("CreateGroup", 201) == 1
