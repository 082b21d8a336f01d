"""Benchmark: events through gateway -> RabbitMQ -> normalizer -> writer -> the emulator.

Each part runs as its own process (as deployed), on the local RabbitMQ, in a namespace of
its own. Prints:
- sustained events/s: N new users sent as fast as the gateway takes them (webhooks of 10
  changes), from the first webhook sent to the last user written in the emulator;
- latency p50/p99 from "webhook accepted" (the gateway's 200) to "AWS write done" (the
  emulator's write journal) at a fixed offered rate, one change per webhook;
- SCIM calls per applied change, from the emulator's request counts;
- peak resident memory (VmHWM) of each process;
- the raw ceiling of one aio-pika persistent + confirmed quorum queue on this machine,
  measured in the same run, and the pipeline's share of it.

    uv run python -m tests.benchmarks.pipeline [--events 5000] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from services.shared.topology import Topology
from tests.benchmarks.raw_broker import raw_ceiling
from tests.support import broker
from tests.support.emulator import EmulatorServer, emulator_process
from tests.support.generic import changes_body, signed_headers, user_change
from tests.support.pipeline import Pipeline, gateway_and_normalizer, writer_env, writer_running

BATCH = 10


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _pipeline(server: EmulatorServer, logs: Path) -> Iterator[tuple[Pipeline, dict[str, int]]]:
    topology = Topology(namespace=f"idp-sync-bench-{uuid.uuid4().hex[:8]}")
    env = {**writer_env(server.scim_url, server.token, logs / "state.db"),
           "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "100000"}  # fmt: skip
    url = broker.amqp_url()
    try:
        with (
            gateway_and_normalizer(url, topology, logs) as pipeline,
            writer_running(url, topology, logs / "writer.log", env) as writer,
        ):
            yield pipeline, {**pipeline.pids, "writer": writer.pid, "emulator": server.pid}
    finally:
        asyncio.run(broker.delete_topology(url, topology))


async def _post(client: aiohttp.ClientSession, pipeline: Pipeline, changes: list[Any]) -> float:
    body = changes_body("bench", *changes)
    headers = signed_headers(pipeline.webhook_secret, body, msg_id=uuid.uuid4().hex)
    async with client.post("/webhooks/generic", data=body, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"gateway answered {response.status}: {await response.text()}")
    return time.time()


def _journal(server: EmulatorServer) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.token}"}
    journal: list[dict[str, Any]] = httpx.get(
        f"{server.root}/_emulator/writes", headers=headers, timeout=30
    ).json()
    return journal


def _created(server: EmulatorServer, count: int, within: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        creates = [w for w in _journal(server) if w["operation"] == "CreateUser"]
        if len(creates) >= count or time.monotonic() > deadline:
            return creates
        time.sleep(0.5)


async def _throughput(pipeline: Pipeline, server: EmulatorServer, events: int) -> float:
    users = [f"tp-{n}" for n in range(events)]
    batches = [users[n : n + BATCH] for n in range(0, events, BATCH)]
    async with aiohttp.ClientSession(pipeline.gateway_url) as client:
        queue = iter(batches)
        started = time.time()

        async def sender() -> None:
            for batch in queue:
                await _post(client, pipeline, [user_change(u, u, 1) for u in batch])

        await asyncio.gather(*(sender() for _ in range(8)))
    creates = await asyncio.to_thread(_created, server, events, 300)
    if len(creates) < events:
        raise RuntimeError(f"only {len(creates)} of {events} users written")
    finished: float = max(w["at"] for w in creates)
    return events / (finished - started)


async def _latency(
    pipeline: Pipeline, server: EmulatorServer, rate: float, seconds: float, before: int
) -> list[float]:
    count = int(rate * seconds)
    accepted: dict[str, float] = {}
    async with aiohttp.ClientSession(pipeline.gateway_url) as client:
        start, tasks = time.monotonic(), []
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            user = f"lat-{n}"
            change = user_change(user, user, 1)

            async def send(user: str = user, change: dict[str, Any] = change) -> None:
                accepted[user] = await _post(client, pipeline, [change])

            tasks.append(asyncio.create_task(send()))
        await asyncio.gather(*tasks)
    creates = (await asyncio.to_thread(_created, server, before + count, 120))[before:]
    state = await asyncio.to_thread(_state, server)
    names = {u["id"]: u["userName"].split("@")[0] for u in state["users"]}
    return sorted(w["at"] - accepted[names[w["id"]]] for w in creates)


def _state(server: EmulatorServer) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.token}"}
    state: dict[str, Any] = httpx.get(
        f"{server.root}/_emulator/state", headers=headers, timeout=30
    ).json()
    return state


def _calls_per_change(server: EmulatorServer, applied: int) -> tuple[float, dict[str, int]]:
    counts = _state(server)
    per_op = {op: sum(statuses.values()) for op, statuses in counts["requests"].items()}
    return sum(per_op.values()) / applied, per_op


def run(events: int, rate: float, seconds: float) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_process(Path(tmp)) as server,
        _pipeline(server, Path(tmp)) as (pipeline, pids),
    ):
        print(f"pipeline benchmark: gateway, normalizer, writer ({pipeline.topology.shards} "
              "shards), emulator, each its own process; local RabbitMQ\n")  # fmt: skip
        per_second = asyncio.run(_throughput(pipeline, server, events))
        print(f"  sustained             {per_second:8.0f} events/s   "
              f"({events} new users, webhooks of {BATCH} changes)")  # fmt: skip
        latencies = asyncio.run(_latency(pipeline, server, rate, seconds, events))
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99)] * 1000
        print(f"  latency at {rate:g}/s     p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
              f"({len(latencies)} events, accepted -> written in AWS)")  # fmt: skip
        per_change, per_op = _calls_per_change(server, events + len(latencies))
        print(f"  SCIM calls per change {per_change:8.2f}   {per_op}")
        print("  peak memory (VmHWM)   " + "   ".join(
            f"{name} {_peak_mib(pid):.0f} MiB" for name, pid in pids.items()))  # fmt: skip
        print("  CPU time, whole run   " + "   ".join(
            f"{name} {_cpu_seconds(pid):.1f} s" for name, pid in pids.items()))  # fmt: skip
    ceiling = asyncio.run(raw_ceiling(broker.amqp_url()))
    print(f"  raw aio-pika ceiling  {ceiling:8.0f} msg/s   (one quorum queue, persistent, "
          "confirmed, 100 in flight, consumed with prefetch 100)")  # fmt: skip
    print(f"  pipeline / raw        {per_second / ceiling:8.2f}   (the pipeline crosses the "
          "broker twice per event, raw and shard queues)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="for the sustained rate")
    parser.add_argument("--rate", type=float, default=200.0, help="offered events/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="of the latency run")
    args = parser.parse_args()
    run(args.events, args.rate, args.seconds)


if __name__ == "__main__":
    main()
