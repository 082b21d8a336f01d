"""idp-sync services as subprocesses on the real broker, for integration and e2e tests."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.shared.topology import Topology

from . import broker
from .emulator import EmulatorServer
from .generic import changes_body, signed_headers
from .processes import free_port, idp_sync, run_cli, running, stop
from .waiting import wait_until


@dataclass
class Pipeline:
    gateway_url: str
    topology: Topology
    okta_secret: str
    webhook_secret: str
    pids: dict[str, int] = field(default_factory=dict)
    logs: Path | None = None


def service_env(amqp_url: str, topology: Topology) -> dict[str, str]:
    return {
        "IDP_SYNC_AMQP_URL": amqp_url,
        "IDP_SYNC_NAMESPACE": topology.namespace,
        "IDP_SYNC_SHARDS": str(topology.shards),
        "IDP_SYNC_NORMALIZER_METRICS_PORT": "0",
        "IDP_SYNC_WRITER_METRICS_PORT": "0",
    }


@contextlib.contextmanager
def consumer_running(
    command: str, amqp_url: str, topology: Topology, queues: list[str], *, log: Path,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """``idp-sync COMMAND``, ready once each of ``queues`` has a consumer."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            idp_sync(command), stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **service_env(amqp_url, topology), **(env or {})},
        )  # fmt: skip

    def consuming() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited:\n{log.read_text()}")
        return all(asyncio.run(broker.consumers(amqp_url, q)) for q in queues)

    try:
        wait_until(consuming, within=30, interval=0.1, what=f"the {command} consuming")
        yield process
    finally:
        stop(process)


def normalizer_running(
    amqp_url: str, topology: Topology, log: Path, env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    queues = [topology.raw_queue(s).name for s in topology.sources]
    return consumer_running("normalizer", amqp_url, topology, queues, log=log, env=env)


def writer_running(
    amqp_url: str, topology: Topology, log: Path, env: dict[str, str]
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    queues = [topology.shard_queue(n).name for n in range(topology.shards)]
    return consumer_running("writer", amqp_url, topology, queues, log=log, env=env)


@contextlib.contextmanager
def gateway_and_normalizer(
    amqp_url: str, topology: Topology, logs: Path, normalizer_env: dict[str, str] | None = None,
    gateway_env: dict[str, str] | None = None,
) -> Iterator[Pipeline]:  # fmt: skip
    port = free_port()
    okta_secret = f"Basic {secrets.token_urlsafe(24)}"
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        **service_env(amqp_url, topology),
        "IDP_SYNC_GATEWAY_PORT": str(port),
        "IDP_SYNC_OKTA_AUTH_SECRET": okta_secret,
        "IDP_SYNC_WEBHOOK_SECRET": webhook_secret,
        **(gateway_env or {}),
    }
    url = f"http://127.0.0.1:{port}"
    with (
        running(["gateway"], ready_url=f"{url}/readyz", env=env, log=logs / "gateway.log") as gw,
        normalizer_running(amqp_url, topology, logs / "normalizer.log", normalizer_env) as nz,
    ):
        pids = {"gateway": gw.pid, "normalizer": nz.pid}
        yield Pipeline(url, topology, okta_secret, webhook_secret, pids, logs)


def send(pipeline: Pipeline, *changes: dict[str, Any], msg_id: str | None = None) -> None:
    """POST ``changes`` to the generic route, signed; the gateway must accept them."""
    body = changes_body("hr-system", *changes)
    headers = signed_headers(pipeline.webhook_secret, body, msg_id=msg_id or str(uuid.uuid4()))
    response = httpx.post(f"{pipeline.gateway_url}/webhooks/generic", content=body,
                          headers=headers, timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text


def writer_env(scim_url: str, token: str, state: Path) -> dict[str, str]:
    """A writer on the emulator with a state file of its own, quick to retry."""
    return {
        "IDP_SYNC_SCIM_URL": scim_url,
        "IDP_SYNC_SCIM_TOKEN": token,
        "IDP_SYNC_STATE_URL": f"sqlite:///{state}",
        "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "500",
        "IDP_SYNC_MAX_ATTEMPTS": "12",
    }


def dlq_depths(amqp_url: str, topology: Topology) -> list[int]:
    """Messages waiting in each shard's DLQ."""
    return [asyncio.run(broker.queued(amqp_url, f"{topology.shard_queue(n).name}.dlq"))
            for n in range(topology.shards)]  # fmt: skip


def cli(
    pipeline: Pipeline, amqp_url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``idp-sync ARGS`` against this pipeline's namespace, as an operator runs it."""
    return run_cli(*args, env={**service_env(amqp_url, pipeline.topology), **env})


@contextlib.contextmanager
def idp_pipeline(
    amqp_url: str, emulator: EmulatorServer, logs: Path, env: dict[str, str]
) -> Iterator[Pipeline]:
    """Gateway and normalizer with an IdP's settings (``env``), a writer on the emulator, in
    a namespace of their own that is deleted afterwards."""
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    writer = writer_env(emulator.scim_url, emulator.token, logs / "state.db")
    try:
        with (
            gateway_and_normalizer(amqp_url, topology, logs, env, gateway_env=env) as pipeline,
            writer_running(amqp_url, topology, logs / "writer.log", writer),
        ):
            yield pipeline
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
