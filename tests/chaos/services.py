"""The pipeline's processes as the chaos run drives them: started, killed with SIGKILL,
started again, each appending to one log file in the run directory."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx

from services.shared.topology import Topology
from tests.support.processes import idp_sync, stop


class ServiceError(RuntimeError):
    """A service exited or did not become ready in time."""


def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    """Poll ``condition`` until it holds; ``ServiceError`` naming ``what`` at the deadline."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not happen within {within:g} s")
        time.sleep(0.1)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _consumer_counts(amqp_url: str, queues: list[str]) -> list[int]:
    connection = await aio_pika.connect(amqp_url, timeout=2)
    async with connection:
        counts = []
        for name in queues:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                counts.append(0)
                continue
            counts.append(int(declared.declaration_result.consumer_count or 0))
            await channel.close()
        return counts


def consumer_counts(amqp_url: str, queues: list[str]) -> list[int] | None:
    """Consumers on each of ``queues``; ``None`` when the broker cannot be asked now."""
    try:
        return asyncio.run(_consumer_counts(amqp_url, queues))
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError, RuntimeError):
        return None


@dataclass
class Service:
    """One ``idp-sync`` subprocess; ``ready`` says when it does its job."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    log: Path
    ready: Callable[[], bool]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    def start(self, within: float = 60.0) -> None:
        """Start it and wait until ``ready``; ``ServiceError`` with its log tail if it
        exits or is not ready in time."""
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"=== chaos: start #{self.starts} at {_now()} ===\n".encode())
            out.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                idp_sync(*self.args), stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )  # fmt: skip
        process = self.process

        def up() -> bool:
            if process.poll() is not None:
                raise ServiceError(f"{self.name} exited with {process.returncode}:\n{self.tail()}")
            return self.ready()

        try:
            wait_for(up, within, f"{self.name} ready")
        except ServiceError as error:
            if process.poll() is not None:
                raise
            raise ServiceError(f"{error}\n{self.tail()}") from None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a node failure does; returns once it is reaped."""
        if self.process is None:
            return
        self.kills += 1
        with self.log.open("ab") as out:
            out.write(f"=== chaos: kill -9 at {_now()} ===\n".encode())
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Ask politely (SIGINT, like Ctrl-C), then insist."""
        if self.process is not None:
            stop(self.process, within=15)

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class Pipeline:
    """Gateway, normalizer and writer of one namespace, on one broker."""

    amqp_url: str
    topology: Topology
    gateway_url: str
    webhook_secret: str
    services: dict[str, Service] = field(default_factory=dict)

    def raw_queues(self) -> list[str]:
        return [self.topology.raw_queue(s).name for s in self.topology.sources]

    def shard_queues(self) -> list[str]:
        return [self.topology.shard_queue(n).name for n in range(self.topology.shards)]

    def consuming(self, queues: list[str]) -> bool:
        counts = consumer_counts(self.amqp_url, queues)
        return counts is not None and all(counts)

    def nobody_consuming(self, queues: list[str]) -> bool:
        counts = consumer_counts(self.amqp_url, queues)
        return counts is not None and not any(counts)

    def not_ready(self) -> list[str]:
        """The services that are dead or not doing their job right now."""
        return [name for name, s in self.services.items() if not s.alive() or not s.ready()]

    def wait_ready(self, within: float) -> list[str]:
        """Wait until every service is ready; the ones that are not at the deadline."""
        deadline = time.monotonic() + within
        while True:
            lagging = self.not_ready()
            if not lagging or time.monotonic() > deadline:
                return lagging
            time.sleep(0.2)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()


def pipeline_services(
    pipeline: Pipeline, env: Mapping[str, str], writer_env: Mapping[str, str], logs: Path,
    gateway_port: int,
) -> None:  # fmt: skip
    """Add gateway, normalizer and writer (not started) to ``pipeline``."""
    raw, shards = pipeline.raw_queues(), pipeline.shard_queues()
    gateway_env = {**env, "IDP_SYNC_GATEWAY_PORT": str(gateway_port)}
    pipeline.services = {
        "gateway": Service("gateway", ["gateway"], gateway_env, logs / "gateway.log",
                           lambda: http_ok(f"{pipeline.gateway_url}/readyz")),
        "normalizer": Service("normalizer", ["normalizer"], env, logs / "normalizer.log",
                              lambda: pipeline.consuming(raw)),
        "writer": Service("writer", ["writer"], {**env, **writer_env}, logs / "writer.log",
                          lambda: pipeline.consuming(shards)),
    }  # fmt: skip
