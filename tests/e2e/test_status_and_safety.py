"""``idp-sync status`` while messages wait; objects idp-sync does not own; dry-run."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from faststream.rabbit import RabbitBroker

from services.scim_writer import SqliteStore
from services.shared.topology import Topology, declare
from tests.support import broker
from tests.support.emulator import Aws
from tests.support.generic import group_change, members_change, user_change
from tests.support.pipeline import Pipeline, cli, send, service_env
from tests.support.processes import free_port, running
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


def _status(pipeline: Pipeline, amqp_url: str, **env: str) -> tuple[int, dict[str, Any]]:
    state = {"IDP_SYNC_STATE_URL": f"sqlite:///{pipeline.logs}/state.db"} if pipeline.logs else {}
    result = cli(pipeline, amqp_url, "status", "--json", **state, **env)
    return result.returncode, json.loads(result.stdout)


def _queue(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in summary["queues"] if q["name"] == name)


def test_status_shows_the_depths_while_messages_wait(amqp_url: str, tmp: Path) -> None:
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    port, secret = free_port(), "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    env = {**service_env(amqp_url, topology), "IDP_SYNC_GATEWAY_PORT": str(port),
           "IDP_SYNC_WEBHOOK_SECRET": secret}  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    only_gateway = Pipeline(url, topology, "", secret)
    try:
        with running(["gateway"], ready_url=f"{url}/readyz", env=env, log=tmp / "gateway.log"):
            send(only_gateway, *(user_change(f"st-{n}", f"u-st{n}", n) for n in range(7)))
        code, summary = _status(only_gateway, amqp_url)
        raw = _queue(summary, f"{topology.namespace}.raw.generic")
        assert (raw["messages"], raw["consumers"]) == (7, 0)
        assert _queue(summary, f"{topology.namespace}.raw.okta")["messages"] == 0
        assert code == 1, "seven messages and nobody to take them need a person"
        text = cli(only_gateway, amqp_url, "status").stdout
        assert "raw.generic has 7 messages and no consumer" in text
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))


def test_status_reports_the_oldest_unprocessed_event_from_the_writer(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(latency_ms=400, operations=["CreateUser"])
    send(pipeline, *(user_change(f"lag-{n}", f"u-lag{n}", n) for n in range(20)))

    def behind() -> bool:
        return (_status(pipeline, amqp_url)[1]["oldest_unprocessed_seconds"] or 0) > 1.0

    wait_until(behind, within=30, what="status seeing the writer fall behind")
    aws.faults(latency_ms=0)
    wait_until(lambda: len(aws.state()["users"]) == 20, within=30, what="the backlog applied")
    wait_until(lambda: _status(pipeline, amqp_url)[1]["oldest_unprocessed_seconds"] is None,
               within=30, what="status seeing nothing waiting")  # fmt: skip


def test_a_hand_made_group_is_never_touched_even_when_an_event_names_it(
    pipeline: Pipeline, aws: Aws
) -> None:
    hand_made = aws.create_group("Finance")
    send(pipeline, user_change("fin-u", "u-fin", 1), group_change("fin-g", "g-fin", "Finance", 2),
         members_change("fin-m", "added", "g-fin", ["u-fin"], 3))  # fmt: skip
    log = pipeline.logs / "writer.log" if pipeline.logs else None
    assert log is not None
    wait_until(lambda: "group:g-fin: not-owned" in log.read_text(), within=30,
               what="the writer saying the group is not idp-sync's")  # fmt: skip
    (group,) = aws.state()["groups"]
    assert group == hand_made | {"meta": group["meta"]}
    assert aws.members_of(hand_made["id"]) == []
    assert "PatchGroup" not in aws.state()["requests"]
    assert "DeleteGroup" not in aws.state()["requests"]


def test_status_needs_a_person_when_the_oldest_event_waits_too_long(
    amqp_url: str, tmp: Path
) -> None:
    topology = Topology(namespace=broker.test_namespace(), shards=1)
    state = tmp / "state.db"
    shard = topology.shard_queue(0).name
    stuck = Pipeline("", topology, "", "", logs=tmp)

    async def writer_reports_an_old_event(age: float) -> None:
        rabbit = RabbitBroker(amqp_url, logger=None)
        await rabbit.connect()
        await declare(rabbit, topology)
        await rabbit.stop()
        store = SqliteStore(state)
        await store.open()
        now = time.time()
        await store.report_lag(shard, now - age, now)
        await store.close()

    try:
        asyncio.run(writer_reports_an_old_event(90))
        code, summary = _status(stuck, amqp_url)
        assert (code, summary["oldest_unprocessed_too_old"]) == (0, False)
        asyncio.run(writer_reports_an_old_event(300))
        code, summary = _status(stuck, amqp_url)
        assert (code, summary["oldest_unprocessed_too_old"]) == (1, True)
        text = cli(stuck, amqp_url, "status", IDP_SYNC_STATE_URL=f"sqlite:///{state}").stdout
        assert "IDP_SYNC_STATUS_MAX_AGE" in text
        code, _ = _status(stuck, amqp_url, IDP_SYNC_STATUS_MAX_AGE="600")
        assert code == 0
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
