"""Benchmark: how many requests a second the AWS SCIM emulator serves.

Starts ``idp-sync emulator`` as its own process and drives it from client processes
with a fixed number of concurrent connections in all, then prints requests/s and
latency percentiles for user creation and for group membership PATCH.

    uv run python -m tests.benchmarks.emulator [--seconds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.emulator import EmulatorServer, emulator_process, patch_op, user_body


async def _drive(
    server: EmulatorServer, scenario: str, seconds: float, concurrency: int, worker: int
) -> tuple[int, list[float], int]:
    # aiohttp, not httpx, as the load generator: httpx's per-request cost would make the
    # clients, not the emulator, the thing measured on two cores.
    headers = {"Authorization": f"Bearer {server.token}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        f"{server.scim_url}/", headers=headers, connector=connector
    ) as client:
        targets = await _prepare(client, scenario, worker)
        counter = itertools.count()
        latencies: list[float] = []
        errors = 0
        deadline = time.monotonic() + seconds

        async def loop() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                n = next(counter)
                started = time.perf_counter()
                async with _request(client, scenario, targets, worker, n) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                errors += response.status >= 400

        await asyncio.gather(*(loop() for _ in range(concurrency)))
    return len(latencies), latencies, errors


async def _prepare(client: aiohttp.ClientSession, scenario: str, worker: int) -> dict[str, Any]:
    if scenario != "membership":
        return {}
    users = []
    for i in range(200):
        async with client.post("Users", json=user_body(f"m{worker}x{i}")) as response:
            users.append((await response.json())["id"])
    name = f"Bench {worker} {uuid.uuid4()}"
    async with client.post("Groups", json={"displayName": name}) as response:
        return {"group": (await response.json())["id"], "users": users}


def _request(
    client: aiohttp.ClientSession, scenario: str, targets: dict[str, Any], worker: int, n: int
) -> Any:
    if scenario == "create":
        return client.post("Users", json=user_body(f"w{worker}n{n}"))
    user = targets["users"][n % len(targets["users"])]
    op = "add" if (n // len(targets["users"])) % 2 == 0 else "remove"
    body = patch_op({"op": op, "path": "members", "value": [{"value": user}]})
    return client.patch(f"Groups/{targets['group']}", json=body)


def _worker(args: tuple[EmulatorServer, str, float, int, int]) -> tuple[int, list[float], int]:
    return asyncio.run(_drive(*args))


def run(seconds: float, concurrency: int, processes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, emulator_process(Path(tmp)) as server:
        print(f"emulator benchmark: {concurrency} concurrent clients in {processes} processes, "
              f"{seconds:g} s per scenario")  # fmt: skip
        per_process = concurrency // processes
        for scenario in ("create", "membership"):
            jobs = [(server, scenario, seconds, per_process, w) for w in range(processes)]
            with multiprocessing.get_context("spawn").Pool(processes) as pool:
                results = pool.map(_worker, jobs)
            done = sum(r[0] for r in results)
            latencies = sorted(x for r in results for x in r[1])
            errors = sum(r[2] for r in results)
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[int(len(latencies) * 0.99)] * 1000
            label = {"create": "POST /Users (create)", "membership": "PATCH /Groups (member)"}
            print(f"  {label[scenario]:<24} {done / seconds:8.0f} req/s   "
                  f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   errors {errors}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    args = parser.parse_args()
    run(args.seconds, args.concurrency, args.processes)


if __name__ == "__main__":
    main()
