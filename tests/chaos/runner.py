"""One chaos run: a private broker, the emulator with faults, the three services, the
seeded workload sent while faults are injected, then the wait for convergence and the
verdict."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import asyncpg
import httpx

from services.shared.rabbit_node import RabbitNode, free_port
from services.shared.topology import Topology
from tests.support.emulator import TENANT as AWS_TENANT

from .drain import PARKED, dead_letters, drain, queue_depths
from .faults import AWS, BROKER, KILLS, Injector, Moment, schedule
from .report import ChaosReport, write_json
from .sender import Sender, Sent
from .services import Pipeline, Service, http_ok, pipeline_services
from .verdict import compare, extra_writes_line
from .workload import Workload, workload

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
EMULATOR_FAULTS = ("--error-rate", "0.1", "--rate-limit", "150", "--rate-limit-burst", "15",
                   "--lost-response-rate", "0.02", "--lost-response-mode", "error")  # fmt: skip
"""10 % of requests 5xx, 429 (with Retry-After) above 150 requests/s, 2 % of writes applied
with the answer lost; the mode alternates between a 500 and a cut connection. The bucket
holds a tenth of a second's requests: with a whole second's (the default) a 2-core box
never outruns it, and the writer's 429 path would go untested."""


@dataclass(frozen=True)
class ChaosConfig:
    """What to run: ``events`` changes drawn with ``seed``, the fault ``kinds`` (see
    ``faults.KINDS``) each injected ``rounds`` times, on a SQLite or PostgreSQL store."""

    events: int = 1000
    seed: int = 1
    kinds: tuple[str, ...] = (*KILLS, *BROKER, AWS)
    store: Literal["sqlite", "postgres"] = "sqlite"
    rounds: int | None = None
    """How often each fault moment comes; by default once per 1000 events (at least once)."""
    shards: int = 4
    in_flight: int = 4
    settle_timeout: float = 600.0
    run_dir: Path | None = None
    """Where logs and state go; a fresh temporary directory when unset."""
    keep: bool = False
    """Keep the run directory when the run passes too (it is always kept when it fails)."""
    progress: Callable[[str], None] = field(default=lambda _: None)


@dataclass
class _Run:
    config: ChaosConfig
    run_dir: Path
    work: Workload
    stack: contextlib.ExitStack
    node: RabbitNode | None = None
    emulator: Service | None = None
    pipeline: Pipeline | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    emulator_port: int = 0

    @property
    def admin(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}/_emulator"

    def admin_get(self, path: str) -> Any:
        auth = {"Authorization": f"Bearer {self.token}"}
        response = httpx.get(f"{self.admin}/{path}", headers=auth, timeout=60)
        response.raise_for_status()
        return response.json()


def run_chaos(config: ChaosConfig) -> ChaosReport:
    """Run the whole chaos experiment and say what it found (``ChaosReport.ok``)."""
    run_dir = config.run_dir or Path(tempfile.mkdtemp(prefix="idp-sync-chaos-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:
            run = _Run(config, run_dir, workload(config.events, config.seed), stack)
            report = _run(run)
    except Exception as error:
        error.add_note(f"logs and state: {run_dir}")
        raise
    if report.ok and not config.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return report


def _run(run: _Run) -> ChaosReport:
    config, work = run.config, run.work
    say = config.progress
    say(f"{work.changes} changes in {len(work.webhooks)} webhooks; logs in {run.run_dir}")
    node = RabbitNode(run.run_dir / "rabbit", prefix="idp-sync-chaos")
    run.stack.callback(node.stop)
    run.node = node.start()
    say(f"private RabbitMQ {node.name} on port {node.node_port}")
    run.emulator = _start_emulator(run)
    state_url, dsn = _store(run)
    pipeline = _start_pipeline(run, state_url)
    kinds = config.kinds
    rounds = config.rounds or max(1, math.ceil(config.events / 1000))
    moments = schedule(kinds, len(work.webhooks), config.seed, rounds)
    sent = Sent()
    injector = Injector(node, pipeline, dsn, sent.failures_since)
    say("sending, with faults at webhooks " + ", ".join(f"{m.before} {m.kind}" for m in moments))
    asyncio.run(_send(run, pipeline, moments, injector, sent))
    say(f"sent: {sent.summary()}; waiting for the pipeline to drain")
    last_accepted = max(sent.accepted_at.values(), default=time.time())
    undrained, drained_at = drain(node, pipeline, config.settle_timeout, injector.incidents, say)
    converged = None if drained_at is None else max(0.0, drained_at - last_accepted)
    state, journal = run.admin_get("state"), run.admin_get("writes")
    write_json(run.run_dir / "emulator-state.json", state)
    depths = queue_depths(node, pipeline.topology.namespace) or {}
    dead = sum(n for q, (n, _) in depths.items() if q.endswith(PARKED))
    verdict = compare(work.directory, state, journal)
    incidents = [*injector.incidents, *(f"webhook {n} refused: {why}"
                                        for n, why in sent.refused.items())]  # fmt: skip
    report = ChaosReport(
        changes=work.changes, webhooks=len(work.webhooks), lost=verdict.count("lost"),
        wrong=verdict.count("wrong"), duplicated=verdict.count("duplicated"),
        dead_lettered=dead, converged_in=converged, settle_timeout=config.settle_timeout,
        extra_writes=extra_writes_line(work.directory, state, journal), run_dir=run.run_dir,
        findings=verdict.findings,
        dead_letters=dead_letters(node, pipeline.topology, run.run_dir) if dead else [],
        faults=injector.done, incidents=incidents, sent=sent.summary(), undrained=undrained,
        directory=work.directory,
    )  # fmt: skip
    pipeline.stop()
    report.save()
    return report


def _start_emulator(run: _Run) -> Service:
    port = run.emulator_port = free_port()
    faults = (*EMULATOR_FAULTS, "--seed", str(run.config.seed)) if AWS in run.config.kinds else ()
    args = ["emulator", "--port", str(port), "--tenant", AWS_TENANT, "--token", run.token, *faults]
    emulator = Service("emulator", args, {}, run.run_dir / "emulator.log",
                       lambda: http_ok(f"http://127.0.0.1:{port}/_emulator/health"))  # fmt: skip
    run.stack.callback(emulator.stop)
    emulator.start()
    return emulator


def _store(run: _Run) -> tuple[str, str | None]:
    """The writer's ``IDP_SYNC_STATE_URL``, and the DSN to cut when it is PostgreSQL."""
    if run.config.store == "sqlite":
        return f"sqlite:///{run.run_dir / 'state.db'}", None
    schema = f"idp_sync_chaos_{uuid.uuid4().hex[:10]}"
    asyncio.run(_postgres(f'CREATE SCHEMA "{schema}"'))
    run.stack.callback(lambda: asyncio.run(_postgres(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')))
    return f"{POSTGRES_DSN}?schema={schema}", POSTGRES_DSN


async def _postgres(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _start_pipeline(run: _Run, state_url: str) -> Pipeline:
    assert run.node is not None
    assert run.emulator is not None
    topology = Topology(namespace=f"chaos-{uuid.uuid4().hex[:8]}", shards=run.config.shards)
    port = free_port()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    pipeline = Pipeline(run.node.amqp_url, topology, f"http://127.0.0.1:{port}", secret)
    env = {
        "IDP_SYNC_AMQP_URL": run.node.amqp_url, "IDP_SYNC_NAMESPACE": topology.namespace,
        "IDP_SYNC_SHARDS": str(topology.shards), "IDP_SYNC_WEBHOOK_SECRET": secret,
        "IDP_SYNC_NORMALIZER_METRICS_PORT": "0", "IDP_SYNC_WRITER_METRICS_PORT": "0",
        "IDP_SYNC_LOG_LEVEL": "INFO",
    }  # fmt: skip
    writer_env = {
        "IDP_SYNC_SCIM_URL": f"{run.admin.removesuffix('/_emulator')}/{AWS_TENANT}/scim/v2",
        "IDP_SYNC_SCIM_TOKEN": run.token, "IDP_SYNC_STATE_URL": state_url,
        # above the emulator's 150/s, so AWS's 429s are part of the run
        "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "400",
        "IDP_SYNC_DELETION_GUARD_LIMIT": "0",  # the workload retires people by design
    }  # fmt: skip
    pipeline_services(pipeline, env, writer_env, run.run_dir, port)
    run.pipeline = pipeline
    run.stack.callback(pipeline.stop)
    for service in pipeline.services.values():
        service.start()
    return pipeline


async def _send(
    run: _Run, pipeline: Pipeline, moments: list[Moment], injector: Injector, sent: Sent
) -> None:
    """Send every webhook; inject each moment just before its webhook is first sent."""
    started = [asyncio.Event() for _ in moments]
    dispatched: set[int] = set()
    progress = asyncio.Condition()
    toggle_every = max(1, len(run.work.webhooks) // 10)
    auth = {"Authorization": f"Bearer {run.token}"}

    async with httpx.AsyncClient(base_url=run.admin, headers=auth, timeout=10) as admin:

        async def before_each(n: int) -> None:
            for moment, event in zip(moments, started, strict=True):
                if moment.before <= n:
                    await event.wait()
            if AWS in run.config.kinds and n % toggle_every == 0:
                mode = "close" if (n // toggle_every) % 2 else "error"
                await admin.patch("/faults", json={"lost_response_mode": mode,
                                                   "seed": run.config.seed * 7919 + n})  # fmt: skip
            async with progress:
                dispatched.add(n)
                progress.notify_all()

        async def inject() -> None:
            for moment, event in zip(moments, started, strict=True):
                async with progress:
                    await progress.wait_for(lambda m=moment: len(  # type: ignore[misc]
                        [k for k in dispatched if k < m.before]) >= m.before)  # fmt: skip
                try:
                    await asyncio.to_thread(injector.begin, moment)
                    event.set()
                    await asyncio.to_thread(injector.finish, moment)
                except Exception as error:  # noqa: BLE001 - named in the report, the run goes on
                    injector.incidents.append(f"{moment.kind} failed: {error}")
                event.set()

        sender = Sender(pipeline.gateway_url, pipeline.webhook_secret, run.work.webhooks,
                        before_each, run.config.seed, run.config.in_flight, sent)  # fmt: skip
        await asyncio.gather(sender.run(), inject())
