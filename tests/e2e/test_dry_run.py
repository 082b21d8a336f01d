"""A writer in dry-run mode reads AWS, decides, and prints its plan; AWS gets no write."""

from __future__ import annotations

import json

import pytest

from tests.support.emulator import Aws
from tests.support.generic import group_change, members_change, retire_change, user_change
from tests.support.pipeline import Pipeline, send
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
WRITER_ENV = {"IDP_SYNC_DRY_RUN": "true"}
WRITES = {"CreateUser", "PutUser", "PatchUser", "DeleteUser", "CreateGroup", "PatchGroup",
          "DeleteGroup"}  # fmt: skip


def test_dry_run_sends_no_write_and_prints_the_plan(pipeline: Pipeline, aws: Aws) -> None:
    existing = aws.create_user("kept")
    send(pipeline, user_change("dr-u", "u-dry", 1), group_change("dr-g", "g-dry", "Dry Group", 2),
         members_change("dr-m", "added", "g-dry", ["u-dry"], 3))  # fmt: skip
    log = pipeline.logs / "writer.log" if pipeline.logs else None
    assert log is not None
    wait_until(lambda: "would PATCH /Groups/dry-run-" in log.read_text(), within=30,
               what="the membership planned")  # fmt: skip
    send(pipeline, retire_change("dr-d", "deleted", "u-dry", 4))
    wait_until(lambda: "would DELETE /Users/dry-run-" in log.read_text(), within=30,
               what="the deletion planned")  # fmt: skip
    plan = "\n".join(json.loads(line)["message"] for line in log.read_text().splitlines()
                     if line.startswith("{"))  # fmt: skip
    assert 'would POST /Users {"active": true' in plan
    assert '"userName": "u-dry@hr.example"' in plan
    assert 'would POST /Groups {"displayName": "Dry Group"' in plan
    requests = aws.state()["requests"]
    assert requests.pop("CreateUser") == {"201": 1}  # the test's own, by hand
    assert WRITES.isdisjoint(requests), requests
    assert aws.state()["requests"]["ListUsers"]["200"] >= 1, "dry-run still reads AWS"
    assert [u["id"] for u in aws.state()["users"]] == [existing["id"]]
