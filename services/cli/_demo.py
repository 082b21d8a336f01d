"""``idp-sync demo``: the whole pipeline, on the local RabbitMQ, against the bundled emulator.

It starts the AWS SCIM emulator and the pipeline (gateway, normalizers, writer) in this
process, in a namespace of its own on the broker, sends an HR system's signed webhooks
through the gateway, waits until every event has an outcome, prints AWS's state and the
outcomes, and deletes its namespace again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import secrets
import socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from opentelemetry import propagate, trace
from pydantic import SecretStr
from rich.console import Console
from standardwebhooks.webhooks import Webhook

from services.aws_scim_emulator import EmulatorConfig, Token, create_app
from services.shared import Settings, topology_of
from services.shared import topology as topology_module
from services.shared.telemetry import configure_tracing, current_ids

from ._demo_report import print_report
from ._demo_script import TENANT, Expected, Script
from ._emulator import new_tenant_id
from ._local_pipeline import LocalPipeline, pipeline_running, serving

console = Console()
_tracer = trace.get_tracer("idp_sync.demo")
SETTLE_WITHIN = 120.0


@dataclass(frozen=True)
class _Emulator:
    scim_url: str
    admin_url: str
    token: str

    async def state(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.admin_url, headers=headers) as admin:
            state: dict[str, Any] = (await admin.get("/state")).raise_for_status().json()
            return state


@contextlib.asynccontextmanager
async def _emulator() -> AsyncIterator[_Emulator]:
    """The emulator on a free port, with a tenant and a token of its own."""
    tenant, token = new_tenant_id(), secrets.token_urlsafe(32)
    config = EmulatorConfig(tenant=tenant, tokens=[Token(token, dt.datetime.now(dt.UTC))])
    sock = socket.create_server(("127.0.0.1", 0))
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with serving(create_app(config), sock):
        yield _Emulator(f"{root}/{tenant}/scim/v2", f"{root}/_emulator", token)


def _settings(base: Settings, emulator: _Emulator, secret: str, state: Path) -> Settings:
    return base.model_copy(update={
        "namespace": f"idp-sync-demo-{uuid.uuid4().hex[:8]}",
        "scim_url": emulator.scim_url, "scim_token": SecretStr(emulator.token),
        "scim_requests_per_second": 200.0, "state_url": SecretStr(f"sqlite:///{state}"),
        "webhook_secret": SecretStr(secret), "okta_auth_secret": None,
    })  # fmt: skip


async def _send(client: httpx.AsyncClient, secret: str, changes: list[dict[str, Any]]) -> str:
    """POST one signed delivery as a traced client; returns its trace id."""
    body = httpx.Request("POST", "/", json={"tenant": TENANT, "changes": changes}).content
    msg_id, moment = f"msg_{uuid.uuid4().hex}", dt.datetime.now(dt.UTC)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())),
               "webhook-signature": Webhook(secret).sign(msg_id, moment, body.decode()),
               "content-type": "application/json"}  # fmt: skip
    with _tracer.start_as_current_span("demo webhook", kind=trace.SpanKind.CLIENT):
        propagate.inject(headers)
        trace_id, _ = current_ids()
        response = await client.post("/webhooks/generic", content=body, headers=headers)
    response.raise_for_status()
    return trace_id


async def _ready(client: httpx.AsyncClient) -> None:
    """The gateway connects to the broker in the background: wait for /readyz."""
    async with asyncio.timeout(30):
        while True:
            if (await client.get("/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.05)


async def _settle(running: LocalPipeline, expected: list[Expected]) -> dict[str, str]:
    """Each expected event's outcome, once all have one (retries included)."""
    outcomes: dict[str, str] = {}
    deadline = time.monotonic() + SETTLE_WITHIN
    with console.status("") as status:
        while len(outcomes) < len(expected):
            for event in expected:
                if event.key not in outcomes:
                    outcome = await running.store.outcome(event.key)
                    if outcome is not None:
                        outcomes[event.key] = outcome
            status.update(f"waiting for the writer: {len(outcomes)}/{len(expected)} settled")
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    return outcomes


async def run_demo(base: Settings) -> bool:
    """Run the demo; ``True`` when every event settled."""
    # Retries of members sent before their users are expected here; the table tells.
    logging.getLogger("idp_sync").setLevel(logging.ERROR)
    configure_tracing("idp-sync-demo", always=True)  # trace ids to print, exported if asked
    traces: list[str] = []
    script = Script()
    deliveries, expected = script.build(), script.expected()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with tempfile.TemporaryDirectory(prefix="idp-sync-demo-") as tmp:
        async with _emulator() as emulator:
            settings = _settings(base, emulator, secret, Path(tmp) / "state.db")
            sock = socket.create_server(("127.0.0.1", 0))
            try:
                async with (
                    pipeline_running(settings, sock) as running,
                    httpx.AsyncClient(base_url=running.gateway_url, timeout=10) as gateway,
                ):
                    console.print(f"gateway {running.gateway_url}, namespace "
                                  f"{settings.namespace}")  # fmt: skip
                    console.print(f"emulator {emulator.scim_url}\n")
                    await _ready(gateway)
                    for n, delivery in enumerate(deliveries, 1):
                        traces.append(await _send(gateway, secret, delivery.changes))
                        console.print(f"webhook {n} accepted: {delivery.title} "
                                      f"({len(delivery.changes)} changes)")  # fmt: skip
                        console.print(f"  trace {traces[-1]}")
                    started = time.monotonic()
                    outcomes = await _settle(running, expected)
                    took = time.monotonic() - started
                aws = await emulator.state()
            finally:
                await topology_module.delete(settings.amqp_url.get_secret_value(),
                                             topology_of(settings))  # fmt: skip
    print_report(console, expected, outcomes, aws, took, traces)
    return len(outcomes) == len(expected)
