"""A membership waits for its user by time, not by attempts (the user may be riding out
retries of its own); past ``IDP_SYNC_MEMBER_WAIT`` it is dead-lettered with why."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import broker
from tests.support.emulator import Aws
from tests.support.generic import group_change, members_change, user_change
from tests.support.pipeline import Pipeline, send
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]

WRITER_ENV = {"IDP_SYNC_MAX_ATTEMPTS": "2", "IDP_SYNC_MEMBER_WAIT": "8"}
"""Two attempts would dead-letter a waiting membership at its second retry if waits counted."""


def _group_id(aws: Aws, name: str) -> str:
    return next(str(g["id"]) for g in aws.state()["groups"] if g["displayName"] == name)


def test_a_member_retried_past_its_attempts_is_applied_once_its_user_arrives(
    pipeline: Pipeline, aws: Aws
) -> None:
    send(pipeline, group_change("wait-g", "g-wait", "Waiting Group", 1))
    wait_until(lambda: any(g["displayName"] == "Waiting Group" for g in aws.state()["groups"]),
               within=30, what="the group")  # fmt: skip
    send(pipeline, members_change("wait-m", "added", "g-wait", ["u-wait"], 2))
    assert pipeline.logs is not None
    log = pipeline.logs / "writer.log"
    wait_until(lambda: log.read_text().count("user u-wait is not in AWS yet") >= 3, within=30,
               what="three retries of the membership, more than its two attempts")  # fmt: skip
    send(pipeline, user_change("wait-u", "u-wait", 3))
    group = _group_id(aws, "Waiting Group")
    wait_until(lambda: len(aws.members_of(group)) == 1, within=60, what="the member applied")


def test_a_member_whose_user_never_comes_is_dead_lettered_after_the_wait(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    send(pipeline, group_change("never-g", "g-never", "Never Group", 1))
    wait_until(lambda: any(g["displayName"] == "Never Group" for g in aws.state()["groups"]),
               within=30, what="the group")  # fmt: skip
    send(pipeline, members_change("never-m", "added", "g-never", ["u-never"], 2))
    shard = pipeline.topology.shard_queue(pipeline.topology.shard_of("group:g-never")).name
    (parked,) = asyncio.run(broker.take(amqp_url, f"{shard}.dlq", 1, within=60))
    detail = str(parked.headers["x-idp-sync-error-detail"])
    assert "user u-never is not in AWS yet" in detail
    assert "IDP_SYNC_MEMBER_WAIT" in detail
