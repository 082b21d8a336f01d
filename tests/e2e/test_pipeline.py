"""The whole pipeline as separate processes: webhook -> gateway -> RabbitMQ -> normalizer
-> writer -> the AWS SCIM emulator."""

from __future__ import annotations

import asyncio

import pytest

from services.shared import dead_letters
from tests.support import broker
from tests.support.emulator import Aws
from tests.support.generic import user_change
from tests.support.pipeline import Pipeline, dlq_depths, send
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


def _users_named(aws: Aws, *names: str) -> bool:
    have = {u["userName"] for u in aws.state()["users"]}
    return all(f"{n}@hr.example" in have for n in names)


def test_a_webhook_ends_as_user_group_and_membership_in_aws(pipeline: Pipeline, aws: Aws) -> None:
    group = {"id": "g-e2e", "display_name": "E2E Engineers"}
    send(pipeline,
          user_change("e2e-1", "u-e2e", 1),
          {"id": "e2e-2", "type": "group.upserted", "occurred_at": "2026-11-02T10:00:02Z",
           "group": group},
          {"id": "e2e-3", "type": "group.member_added", "occurred_at": "2026-11-02T10:00:03Z",
           "group": group, "members": [{"id": "u-e2e"}]})  # fmt: skip

    def provisioned() -> bool:
        state = aws.state()
        return bool(state["groups"]) and any(state["memberships"].values())

    wait_until(provisioned, within=30, what="the user, group and membership in AWS")
    state = aws.state()
    assert [u["userName"] for u in state["users"]] == ["u-e2e@hr.example"]
    assert [g["displayName"] for g in state["groups"]] == ["E2E Engineers"]
    assert list(state["memberships"].values()) == [[state["users"][0]["id"]]]


@pytest.mark.timeout(240)  # retries back off 1, 2, 4, 8 s...: an unlucky streak takes a while
def test_throttling_and_5xx_are_ridden_out_with_nothing_dead_lettered(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(rate_limit_tps=20, rate_limit_burst=5, error_rate=0.2, seed=3,
               operations=["CreateUser", "PutUser", "ListUsers"])  # fmt: skip
    names = [f"u-fault-{i}" for i in range(20)]
    send(pipeline, *(user_change(f"fault-{i}", n, i) for i, n in enumerate(names)))
    wait_until(lambda: _users_named(aws, *names), within=200, interval=0.2,
               what="every user applied despite 429s and 500s")  # fmt: skip
    counts = aws.state()["requests"]
    assert counts["CreateUser"]["201"] == 20
    assert (
        counts.get("ListUsers", {}).get("429", 0)
        + counts["CreateUser"].get("429", 0)
        + sum(counts[op].get("500", 0) for op in ("CreateUser", "ListUsers") if op in counts)
        > 0
    ), "the faults never fired: this test would prove nothing"
    assert dlq_depths(amqp_url, pipeline.topology) == [0, 0]


def test_an_aws_refusal_is_dead_lettered_with_aws_detail_and_others_flow(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(refuse_body_containing="Quarantined")
    send(pipeline, user_change("refused-1", "u-refused", 1, title="Quarantined"),
          user_change("fine-1", "u-fine", 2))  # fmt: skip
    wait_until(lambda: _users_named(aws, "u-fine"), within=30, what="the other event applied")
    topology = pipeline.topology
    dlq = f"{topology.shard_queue(topology.shard_of('user:u-refused')).name}.dlq"
    (dead,) = asyncio.run(broker.take(amqp_url, dlq, 1, within=30))
    assert dead.headers[dead_letters.ERROR_CLASS] == "AwsRefused"
    assert "Request is unparsable" in str(dead.headers[dead_letters.ERROR_DETAIL])
    assert not _users_named(aws, "u-refused")
