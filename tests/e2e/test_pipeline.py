"""The whole pipeline as separate processes: webhook -> gateway -> RabbitMQ -> normalizer
-> writer -> the AWS SCIM emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.shared import dead_letters
from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import Aws, EmulatorServer
from tests.support.generic import changes_body, signed_headers
from tests.support.pipeline import Pipeline, gateway_and_normalizer, writer_running
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


@pytest.fixture(scope="module")
def pipeline(
    amqp_url: str, emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    logs = tmp_path_factory.mktemp("pipeline")
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    writer_env = {
        "IDP_SYNC_SCIM_URL": emulator_server.scim_url,
        "IDP_SYNC_SCIM_TOKEN": emulator_server.token,
        "IDP_SYNC_STATE_URL": f"sqlite:///{logs}/state.db",
        "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "500",
        "IDP_SYNC_MAX_ATTEMPTS": "12",
    }
    try:
        with (
            gateway_and_normalizer(amqp_url, topology, logs) as running,
            writer_running(amqp_url, topology, logs / "writer.log", writer_env),
        ):
            yield running
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))


def _send(pipeline: Pipeline, *changes: dict[str, Any]) -> None:
    body = changes_body("hr-system", *changes)
    headers = signed_headers(pipeline.webhook_secret, body, msg_id=str(id(changes)))
    response = httpx.post(f"{pipeline.gateway_url}/webhooks/generic", content=body,
                          headers=headers, timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text


def _user(change_id: str, user_id: str, second: int, **fields: Any) -> dict[str, Any]:
    user = {"id": user_id, "user_name": f"{user_id}@hr.example", "display_name": f"User {user_id}",
            **fields}  # fmt: skip
    return {"id": change_id, "type": "user.upserted",
            "occurred_at": f"2026-11-02T10:00:{second:02d}Z", "user": user}  # fmt: skip


def _users_named(aws: Aws, *names: str) -> bool:
    have = {u["userName"] for u in aws.state()["users"]}
    return all(f"{n}@hr.example" in have for n in names)


def test_a_webhook_ends_as_user_group_and_membership_in_aws(pipeline: Pipeline, aws: Aws) -> None:
    group = {"id": "g-e2e", "display_name": "E2E Engineers"}
    _send(pipeline,
          _user("e2e-1", "u-e2e", 1),
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


@pytest.mark.timeout(240)  # retries back off 1, 2, 5, 15 s...: an unlucky streak takes a while
def test_throttling_and_5xx_are_ridden_out_with_nothing_dead_lettered(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(rate_limit_tps=20, rate_limit_burst=5, error_rate=0.2, seed=3,
               operations=["CreateUser", "PutUser", "ListUsers"])  # fmt: skip
    names = [f"u-fault-{i}" for i in range(20)]
    _send(pipeline, *(_user(f"fault-{i}", n, i) for i, n in enumerate(names)))
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
    for shard in range(pipeline.topology.shards):
        dlq = f"{pipeline.topology.shard_queue(shard).name}.dlq"
        assert asyncio.run(broker.queued(amqp_url, dlq)) == 0


def test_an_aws_refusal_is_dead_lettered_with_aws_detail_and_others_flow(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(refuse_body_containing="Quarantined")
    _send(pipeline, _user("refused-1", "u-refused", 1, title="Quarantined"),
          _user("fine-1", "u-fine", 2))  # fmt: skip
    wait_until(lambda: _users_named(aws, "u-fine"), within=30, what="the other event applied")
    topology = pipeline.topology
    dlq = f"{topology.shard_queue(topology.shard_of('user:u-refused')).name}.dlq"
    (dead,) = asyncio.run(broker.take(amqp_url, dlq, 1, within=30))
    assert dead.headers[dead_letters.ERROR_CLASS] == "AwsRefused"
    assert "Request is unparsable" in str(dead.headers[dead_letters.ERROR_DETAIL])
    assert not _users_named(aws, "u-refused")
