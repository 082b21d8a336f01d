"""The faults a chaos run injects, when, and how each is undone.

Each fault is injected at a seeded moment of the send (before a given webhook is sent),
one after the other: a fault starts only once the one before has recovered, and the
senders hold back the webhook a fault is scheduled before until that fault has started.
So every fault happens while webhooks are flowing, in an order the seed fixes.

After each fault the whole pipeline must be ready again (gateway ready, every queue
consumed) within a deadline. A service that is not is an *incident*: it is named, then
restarted so the run can go on and find what else breaks.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from services.shared.rabbit_node import RabbitNode

from .services import Pipeline, ServiceError, wait_for

KILLS = ("kill-gateway", "kill-normalizer", "kill-writer")
BROKER = ("broker-stop", "broker-kill")
STORE = ("store-cut",)
AWS = "aws"
"""Not a moment but a condition: the emulator's 5xx, 429 and lost answers all along."""
KINDS = (*KILLS, *BROKER, *STORE, AWS)
RECOVERY = 60.0
"""Seconds every service has to be back at work after a fault."""
_PG_PORT = 5432


@dataclass(frozen=True)
class Moment:
    """Fault ``kind`` injected just before webhook number ``before`` is sent."""

    kind: str
    before: int


def parse_kinds(text: str, store: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list of ``KINDS``; ``store-cut`` needs PostgreSQL."""
    wanted = [k.strip() for k in text.split(",") if k.strip()]
    if wanted == ["all"]:
        wanted = [k for k in KINDS if k not in STORE or store == "postgres"]
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; choose from all, {', '.join(KINDS)}")
    if "store-cut" in wanted and store != "postgres":
        raise ValueError("store-cut needs --store postgres (SQLite has no connection to cut)")
    return tuple(dict.fromkeys(wanted))


def schedule(kinds: tuple[str, ...], webhooks: int, seed: int, rounds: int) -> list[Moment]:
    """Each moment kind ``rounds`` times, in a seeded order, at seeded webhooks spread over
    the middle of the send (never the very first or last webhooks)."""
    rng = random.Random(f"faults-{seed}")  # noqa: S311 - repeatable chaos, not a secret
    moments = [k for k in kinds if k != AWS] * rounds
    rng.shuffle(moments)
    low, high = max(1, webhooks // 10), max(2, webhooks * 9 // 10)
    if high - low < len(moments):
        low, high = 1, max(2, webhooks)
    slots = sorted(rng.sample(range(low, high), min(len(moments), high - low)))
    return [Moment(kind, before) for kind, before in zip(moments, slots, strict=False)]


def writer_store_ports(pid: int) -> list[int]:
    """The local ports of ``pid``'s TCP connections to PostgreSQL (port 5432), found by
    matching its socket file descriptors to the kernel's connection table."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    ports = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == _PG_PORT:
                ports.append(int(local.rsplit(":", 1)[1], 16))
    return ports


async def cut_store_connections(dsn: str, ports: list[int]) -> int:
    """Terminate the PostgreSQL backends serving ``ports``; how many there were."""
    if not ports:
        return 0
    admin = await asyncpg.connect(dsn)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE client_port = ANY($1::int[]) AND client_addr IN ('127.0.0.1', '::1')"
            " AND pid <> pg_backend_pid()", ports,
        )  # fmt: skip
    finally:
        await admin.close()
    return sum(1 for row in rows if row[0])


@dataclass
class Injector:
    """Injects moments on one node and pipeline, and notes what happened."""

    node: RabbitNode
    pipeline: Pipeline
    store_dsn: str | None
    refused_since: Callable[[float], int]
    """How many webhook attempts failed since a given ``time.monotonic()``."""
    done: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    _started: float = 0.0
    _detail: str = ""

    def begin(self, moment: Moment) -> None:
        """Inject ``moment``: kill, stop or cut, and nothing more."""
        self._started = time.monotonic()
        self._detail = ""
        if moment.kind in KILLS:
            service = self.pipeline.services[moment.kind.removeprefix("kill-")]
            self._detail = f" (pid {service.pid})"
            service.kill()
        elif moment.kind == "broker-stop":
            self.node.stop_app()
        elif moment.kind == "broker-kill":
            self.node.kill()
        elif moment.kind == "store-cut":
            self._detail = self._cut_store()

    def finish(self, moment: Moment) -> None:
        """Undo ``moment`` (restart what was killed or stopped) and wait until the whole
        pipeline is back at work."""
        if moment.kind in KILLS:
            self._restart(moment.kind.removeprefix("kill-"))
        elif moment.kind == "broker-stop":
            self._outage(self._started)
            self.node.start_app()
        elif moment.kind == "broker-kill":
            self._outage(self._started)
            self.node.restart()
        self._recover(moment)
        took = time.monotonic() - self._started
        self.done.append(f"{moment.kind} before webhook {moment.before}{self._detail}, "
                         f"recovered in {took:.1f} s")  # fmt: skip

    def _outage(self, since: float) -> None:
        """Keep the broker away until a webhook was refused for it (so the gateway's 503
        path is part of the run), or at most 3 s when nobody sends just then."""
        deadline = time.monotonic() + 3
        while self.refused_since(since) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)

    def _restart(self, name: str) -> None:
        service = self.pipeline.services[name]
        queues = {"normalizer": self.pipeline.raw_queues(), "writer": self.pipeline.shard_queues()}
        if name in queues:  # the broker must have let go of the dead consumer first
            wait_for(lambda: self.pipeline.nobody_consuming(queues[name]), 30,
                     f"the broker dropping the killed {name}'s consumers")  # fmt: skip
        service.start(within=RECOVERY)

    def _cut_store(self) -> str:
        writer = self.pipeline.services["writer"]
        if self.store_dsn is None or writer.pid is None:
            return " (no store to cut)"
        ports = writer_store_ports(writer.pid)
        cut = asyncio.run(cut_store_connections(self.store_dsn, ports))
        return f" ({cut} of the writer's {len(ports)} PostgreSQL connections terminated)"

    def _recover(self, moment: Moment) -> None:
        lagging = self.pipeline.wait_ready(RECOVERY)
        for name in lagging:
            service = self.pipeline.services[name]
            state = "dead" if not service.alive() else "alive but not ready"
            self.incidents.append(
                f"{name} {state} {RECOVERY:g} s after {moment.kind} (before webhook "
                f"{moment.before}); restarted it, see {service.log.name}"
            )
            service.kill()
            try:
                service.start(within=RECOVERY)
            except ServiceError as error:
                self.incidents.append(f"{name} did not come back after a restart: {error}")
