"""The deletion guard, end to end: a burst of deletions is held for a person, who approves
or rejects what was held with the CLI; nothing else is affected."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support import broker
from tests.support.emulator import Aws
from tests.support.generic import retire_change, user_change
from tests.support.pipeline import Pipeline, cli, send
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
WRITER_ENV = {"IDP_SYNC_DELETION_GUARD_LIMIT": "10", "IDP_SYNC_DELETION_GUARD_WINDOW": "3600"}


def _held(pipeline: Pipeline, amqp_url: str) -> list[dict[str, Any]]:
    result = cli(pipeline, amqp_url, "held", "list", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_100_deletions_in_a_burst_apply_10_hold_90_until_a_person_decides(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    leaving = [f"u-go{n}" for n in range(100)]
    send(pipeline, user_change("stay", "u-stay", 1),
         *(user_change(f"add-{u}", u, 1) for u in leaving))  # fmt: skip
    wait_until(lambda: len(aws.state()["users"]) == 101, within=60, what="101 users created")

    send(pipeline, *(retire_change(f"del-{u}", "deleted", u, 2) for u in leaving))
    wait_until(lambda: len(_held(pipeline, amqp_url)) == 90, within=60, what="90 held")
    assert aws.count("DeleteUser", 204) == 10
    assert len(aws.state()["users"]) == 91

    status = cli(pipeline, amqp_url, "status", "--json")
    assert status.returncode == 1, "held deletions need a person: status must say so"
    assert json.loads(status.stdout)["held"] == 90
    assert "90 deactivations/deletions held" in cli(pipeline, amqp_url, "status").stdout

    held = _held(pipeline, amqp_url)
    approved = [m["id"] for m in held[:50]]
    result = cli(pipeline, amqp_url, "held", "approve", "--yes", *approved)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: len(aws.state()["users"]) == 41, within=60, what="50 approved applied")
    assert len(_held(pipeline, amqp_url)) == 40

    result = cli(pipeline, amqp_url, "held", "reject", "--yes")
    assert result.returncode == 0, result.stderr
    assert _held(pipeline, amqp_url) == []
    assert asyncio.run(broker.queued(amqp_url, pipeline.topology.held_queue.name)) == 0
    assert aws.count("DeleteUser", 204) == 60
    names = {u["userName"] for u in aws.state()["users"]}
    assert "u-stay@hr.example" in names
    assert len(names) == 41
