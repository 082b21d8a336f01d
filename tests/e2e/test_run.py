"""``idp-sync run``: the three parts in one process behave as the three commands do."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import Aws, EmulatorServer
from tests.support.generic import group_change, members_change, user_change
from tests.support.pipeline import (
    Pipeline,
    normalizer_running,
    send,
    service_env,
    writer_env,
    writer_running,
)
from tests.support.processes import free_port, idp_sync, run_cli, running, stop
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


def test_one_process_takes_a_webhook_to_aws_and_stops_cleanly(
    amqp_url: str, emulator_server: EmulatorServer, aws: Aws, tmp: Path
) -> None:
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    port, secret = free_port(), "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        **service_env(amqp_url, topology),
        **writer_env(emulator_server.scim_url, emulator_server.token, tmp / "state.db"),
        "IDP_SYNC_GATEWAY_PORT": str(port),
        "IDP_SYNC_WEBHOOK_SECRET": secret,
    }
    url = f"http://127.0.0.1:{port}"
    try:
        with running(["run"], ready_url=f"{url}/readyz", env=env, log=tmp / "run.log") as process:
            send(Pipeline(url, topology, "", secret),
                 user_change("run-1", "u-run", 1), group_change("run-2", "g-run", "Runners", 2),
                 members_change("run-3", "added", "g-run", ["u-run"], 3))  # fmt: skip
            wait_until(lambda: any(aws.state()["memberships"].values()), within=30,
                       what="the membership in AWS")  # fmt: skip
            metrics = httpx.get(f"{url}/metrics", timeout=5).text
            for line in (
                'idp_sync_events_received_total{source="generic"} 3.0',
                'idp_sync_events_normalized_total{source="generic",type="user.upserted"} 1.0',
                'idp_sync_events_total{outcome="applied",source="generic",'
                'type="group.upserted"} 1.0',
                'idp_sync_scim_requests_total{operation="CreateUser",status="201"} 1.0',
                'idp_sync_scim_request_seconds_count{operation="CreateUser"} 1.0',
                "idp_sync_end_to_end_seconds_count 3.0",
            ):
                assert line in metrics, line
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0, (tmp / "run.log").read_text()
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
    assert [u["userName"] for u in aws.state()["users"]] == ["u-run@hr.example"]
    lines = [json.loads(line) for line in (tmp / "run.log").read_text().splitlines()]
    applied = [line for line in lines if line["message"].endswith(": applied")]
    assert len(applied) == 3
    assert all(set(line) >= {"time", "level", "logger", "trace_id", "span_id"} for line in lines)


@pytest.mark.parametrize("command", ["run", "writer", "normalizer"])
def test_a_broker_that_never_answers_ends_the_service_with_one_line_and_exit_3(
    command: str, tmp: Path
) -> None:
    port = free_port()
    env = {
        "IDP_SYNC_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{port}/",
        "IDP_SYNC_GATEWAY_PORT": str(free_port()),
        "IDP_SYNC_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"k" * 32).decode(),
        "IDP_SYNC_SCIM_URL": "http://127.0.0.1:9/scim/v2",
        "IDP_SYNC_SCIM_TOKEN": "t",
        "IDP_SYNC_STATE_URL": f"sqlite:///{tmp}/state.db",
        "IDP_SYNC_STARTUP_TIMEOUT": "2",
        "IDP_SYNC_NORMALIZER_METRICS_PORT": "0",
        "IDP_SYNC_WRITER_METRICS_PORT": "0",
    }
    result = run_cli(command, env=env, timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"RabbitMQ at 127.0.0.1:{port} not reachable yet" in result.stderr  # it retried
    assert f"RabbitMQ at 127.0.0.1:{port} did not answer within 2 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert "guest:guest" not in result.stderr + result.stdout


def test_a_writer_started_before_its_broker_consumes_once_the_broker_answers(
    amqp_url: str, emulator_server: EmulatorServer, tmp: Path
) -> None:
    parts = urlsplit(amqp_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
    proxy.start()
    proxy.cut()
    topology = Topology(namespace=broker.test_namespace(), shards=1)
    user = f"{parts.username}:{parts.password}@" if parts.username else ""
    via_proxy = parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}").geturl()
    env = {**service_env(via_proxy, topology), "IDP_SYNC_STARTUP_TIMEOUT": "60",
           **writer_env(emulator_server.scim_url, emulator_server.token, tmp / "s.db")}  # fmt: skip
    log = tmp / "writer.log"
    try:
        with log.open("wb") as out:
            writer = subprocess.Popen(idp_sync("writer"), stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                      env={**os.environ, **env})  # fmt: skip
        try:
            wait_until(lambda: "not reachable yet" in log.read_text(), within=30,
                       what="the writer saying it waits for the broker")  # fmt: skip
            proxy.restore()
            shard = topology.shard_queue(0).name
            wait_until(lambda: asyncio.run(broker.consumers(amqp_url, shard)), within=30,
                       what="the writer consuming")  # fmt: skip
        finally:
            stop(writer)
    finally:
        proxy.close()
        asyncio.run(broker.delete_topology(amqp_url, topology))


def test_a_missing_setting_is_named_with_exit_code_2() -> None:
    env = {"IDP_SYNC_GATEWAY_PORT": str(free_port()), "IDP_SYNC_WEBHOOK_SECRET": "whsec_a2V5"}
    result = run_cli("run", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "IDP_SYNC_SCIM_URL" in result.stderr


def test_the_normalizer_and_the_writer_serve_metrics(
    amqp_url: str, emulator_server: EmulatorServer, tmp: Path
) -> None:
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    ports = {"normalizer": free_port(), "writer": free_port()}
    env = {"IDP_SYNC_NORMALIZER_METRICS_PORT": str(ports["normalizer"]),
           "IDP_SYNC_WRITER_METRICS_PORT": str(ports["writer"]),
           **writer_env(emulator_server.scim_url, emulator_server.token, tmp / "s.db")}  # fmt: skip
    try:
        with (
            normalizer_running(amqp_url, topology, tmp / "normalizer.log", env),
            writer_running(amqp_url, topology, tmp / "writer.log", env),
        ):
            for service, port in ports.items():
                answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                assert answer.status_code == 200, service
                assert "idp_sync_events_normalized_total" in answer.text
            gauge = 'idp_sync_queue_messages{queue="' + topology.shard_queue(0).name + '"} 0.0'
            wait_until(lambda: gauge in httpx.get(f"http://127.0.0.1:{ports['writer']}/metrics",
                                                  timeout=5).text,
                       within=10, what="the writer's queue-depth gauge")  # fmt: skip
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
