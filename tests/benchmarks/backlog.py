"""Benchmark: the services' memory stays flat while 100,000 messages wait.

On the local RabbitMQ, in a namespace of its own (deleted afterwards), the normalizer and the
writer run as their own processes; AWS (the bundled emulator) is slow and throttled: 100 ms a
call and 10 calls/s, answering 429 beyond. 100,000 raw generic webhooks (one new user each,
as the gateway queues them) are published to the raw queue. The normalizer turns them into
canonical events as fast as it can, and they wait in the shard queues (and the retry queues,
after AWS's 429s) for the writer, which drains a few a second. Every 0.5 s the benchmark
reads each process's VmRSS (/proc/PID/status) and the depth of every queue. Prints:
- a timeline: seconds, messages waiting (raw, shards, retry), RSS of each process;
- per process: RSS cold (started, idle), at start (after a warm-up, so one-off imports and
  first-use caches are not counted as growth), at 10k, 50k and the most messages waiting,
  the peak, at the end (after the normalizer caught up and --drain-seconds more), and the
  verdict: "flat" when peak - start <= --bound-mib (20 MiB), else "GROWS".

Why memory should be flat: each consumer holds at most its prefetch (normalizer 1 per
source, writer 100 per shard) however many messages wait; the broker keeps the rest.

    uv run python -m tests.benchmarks.backlog [--events 100000] [--drain-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import httpx

from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import EmulatorServer, emulator_process
from tests.support.generic import user_change
from tests.support.pipeline import normalizer_running, writer_env, writer_running

BOUND_MIB = 20.0
WARM_UP = 300
IN_FLIGHT = 200
SLOW_AWS = ("--latency-ms", "100", "--rate-limit", "10")


@dataclass(frozen=True)
class Sample:
    at: float
    raw: int
    shards: int
    retrying: int
    rss: dict[str, float]
    """MiB resident, by process."""

    @property
    def waiting(self) -> int:
        return self.raw + self.shards + self.retrying


def rss_mib(pid: int) -> float:
    """Resident memory now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Gauges:
    """Queue depths (a passive declare changes nothing) and RSS, sampled over time."""

    def __init__(self, channel: aio_pika.abc.AbstractChannel, topology: Topology,
                 pids: dict[str, int]) -> None:  # fmt: skip
        self.channel, self.pids, self.started = channel, pids, time.monotonic()
        queues = [q.name for q in topology.all_queues() if not q.name.endswith(".dlq")]
        self.groups = {kind: [q for q in queues if f".{kind}" in q]
                       for kind in ("raw.", "events.shard-", "retry-")}  # fmt: skip
        self.samples: list[Sample] = []
        self.stopped = False

    async def _depth(self, kind: str) -> int:
        total = 0
        for name in self.groups[kind]:
            declared = await self.channel.declare_queue(name, passive=True)
            total += int(declared.declaration_result.message_count or 0)
        return total

    async def sample(self) -> Sample:
        raw, shards, retrying = [await self._depth(k) for k in self.groups]
        rss = {name: rss_mib(pid) for name, pid in self.pids.items()}
        taken = Sample(time.monotonic() - self.started, raw, shards, retrying, rss)
        self.samples.append(taken)
        return taken

    async def every(self, seconds: float) -> None:
        """Sample until ``stopped`` (not cancelled: a declare cut off would break the channel)."""
        while not self.stopped:
            await self.sample()
            await asyncio.sleep(seconds)


async def publish(channel: aio_pika.abc.AbstractChannel, topology: Topology, first: int,
                  count: int) -> None:  # fmt: skip
    """``count`` new users as raw generic webhooks: persistent, confirmed, as the gateway
    queues them (one message per change, the change id as message id)."""
    exchange = await channel.get_exchange(topology.raw_exchange.name, ensure=False)
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> None:
        change = user_change(f"bl-{n}", f"u-bl{n}", 1)
        headers: aio_pika.abc.HeadersType = {
            "x-idp-sync-source": "generic", "x-idp-sync-tenant": "backlog",
            "x-idp-sync-received-at": dt.datetime.now(dt.UTC).isoformat(),
        }  # fmt: skip
        message = aio_pika.Message(
            json.dumps(change).encode(), message_id=change["id"], headers=headers,
            content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )  # fmt: skip
        async with slots:
            await exchange.publish(message, routing_key="generic", mandatory=True)

    for start in range(first, first + count, 1000):  # a thousand coroutines at a time
        await asyncio.gather(*(one(n) for n in range(start, min(start + 1000, first + count))))


def _users_in_aws(server: EmulatorServer) -> int:
    state = httpx.get(f"{server.root}/_emulator/state", timeout=60,
                      headers={"Authorization": f"Bearer {server.token}"}).json()  # fmt: skip
    return len(state["users"])


async def _until(gauges: Gauges, done: Callable[[Sample], bool], within: float,
                 what: str) -> None:  # fmt: skip
    """Sample until ``done(sample)`` holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not done(await gauges.sample()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within:.0f}s")
        await asyncio.sleep(0.5)


async def measure(
    url: str, topology: Topology, pids: dict[str, int], server: EmulatorServer, *, events: int,
    drain_seconds: float,
) -> tuple[Gauges, dict[str, float]]:  # fmt: skip
    """Warm up, publish ``events``, wait for the normalizer to catch up, drain a while."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        gauges = Gauges(await connection.channel(), topology, pids)
        cold = (await gauges.sample()).rss
        await publish(channel, topology, 0, WARM_UP)
        await _until(gauges, lambda s: s.raw == 0, 120, "the warm-up normalized")
        deadline = time.monotonic() + 120
        while await asyncio.to_thread(_users_in_aws, server) < 10:  # the writer's first calls
            if time.monotonic() > deadline:
                raise TimeoutError("the writer wrote nothing to AWS within 120s")
            await asyncio.sleep(0.5)
        gauges.samples.clear()
        gauges.started = time.monotonic()
        sampling = asyncio.create_task(gauges.every(0.5))
        await publish(channel, topology, WARM_UP, events)
        gauges.stopped = True
        await sampling
        await _until(gauges, lambda s: s.raw == 0, 1800, "the normalizer caught up")
        ends = time.monotonic() + drain_seconds
        await _until(gauges, lambda s: time.monotonic() >= ends, drain_seconds + 60, "drain")
    return gauges, cold


def report(gauges: Gauges, cold: dict[str, float], bound: float, applied: int) -> None:
    samples = gauges.samples
    start, most = samples[0], max(samples, key=lambda s: s.waiting)
    at = {f"{m // 1000}k": next((s for s in samples if s.waiting >= m), None)
          for m in (10_000, 50_000)}  # fmt: skip
    at[f"{most.waiting:,}"] = most
    print("\n   time   waiting (raw + shards + retry)      " + "   ".join(
        f"{name:>10}" for name in start.rss))  # fmt: skip
    step = max(1, len(samples) // 15)
    for s in [*samples[::step], samples[-1]]:
        print(f"  {s.at:5.0f}s  {s.waiting:8,} ({s.raw:7,} + {s.shards:7,} + {s.retrying:5,})  "
              + "   ".join(f"{s.rss[n]:6.1f} MiB" for n in s.rss))  # fmt: skip
    print(f"\n  RSS in MiB; 'start' is after a warm-up of {WARM_UP} events; flat means "
          f"peak - start <= {bound:g} MiB")  # fmt: skip
    heads = ["cold", "start", *(f"{k} waiting" for k in at), "peak", "end", "verdict"]
    print(f"  {'process':<11}" + "".join(f"{h:>15}" for h in heads))
    for name in start.rss:
        peak = max(s.rss[name] for s in samples)
        marks = [f"{s.rss[name]:.1f}" if s else "-" for s in at.values()]
        growth = peak - start.rss[name]
        verdict = f"{'flat' if growth <= bound else 'GROWS'} (+{growth:.1f})"
        row = [f"{cold[name]:.1f}", f"{start.rss[name]:.1f}", *marks, f"{peak:.1f}",
               f"{samples[-1].rss[name]:.1f}", verdict]  # fmt: skip
        print(f"  {name:<11}" + "".join(f"{cell:>15}" for cell in row))
    print(f"\n  at the end {samples[-1].waiting:,} still waiting; {applied:,} users in AWS")


@contextlib.contextmanager
def _services(url: str, topology: Topology, server: EmulatorServer,
              logs: Path) -> Iterator[dict[str, int]]:  # fmt: skip
    env = {**writer_env(server.scim_url, server.token, logs / "state.db"),
           "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "20"}  # the default ceiling  # fmt: skip
    try:
        with (
            normalizer_running(url, topology, logs / "normalizer.log") as normalizer,
            writer_running(url, topology, logs / "writer.log", env) as writer,
        ):
            yield {"normalizer": normalizer.pid, "writer": writer.pid}
    finally:
        asyncio.run(broker.delete_topology(url, topology))


def run(events: int, drain_seconds: float, bound: float) -> None:
    url = broker.amqp_url()
    topology = Topology(namespace=f"idp-sync-bench-backlog-{uuid.uuid4().hex[:8]}")
    print(f"backlog benchmark: {events:,} raw webhooks wait while AWS is slow (100 ms a call, "
          f"10 calls/s); normalizer and writer ({topology.shards} shards) each their own "
          "process; local RabbitMQ")  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_process(Path(tmp), *SLOW_AWS) as server,
        _services(url, topology, server, Path(tmp)) as pids,
    ):
        measured = measure(url, topology, pids, server, events=events, drain_seconds=drain_seconds)
        gauges, cold = asyncio.run(measured)
        report(gauges, cold, bound, _users_in_aws(server))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="raw webhooks to queue")
    parser.add_argument("--drain-seconds", type=float, default=30.0,
                        help="to sample on after the normalizer caught up")  # fmt: skip
    parser.add_argument("--bound-mib", type=float, default=BOUND_MIB,
                        help="largest peak - start growth still called flat")  # fmt: skip
    args = parser.parse_args()
    run(args.events, args.drain_seconds, args.bound_mib)


if __name__ == "__main__":
    main()
