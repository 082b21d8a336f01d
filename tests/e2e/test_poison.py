"""A message that takes its consumer's process down is set aside with the reason after a
few such ends, while everything else flows: it never crash-loops the writer.

The emulator holds the poisoned user's create unanswered, and the test kills the writer
with SIGKILL in the middle of that call, as an out-of-memory kill or a crash would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.shared.fates import CRASHES_ALLOWED
from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import Aws, EmulatorServer
from tests.support.generic import user_change
from tests.support.pipeline import (
    gateway_and_normalizer,
    send,
    service_env,
    writer_env,
)
from tests.support.processes import idp_sync
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]

OTHERS = 1000


@contextlib.contextmanager
def _writers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Writers started one after another (the test kills each); the last one stopped."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def _start(started: list[subprocess.Popen[bytes]], env: dict[str, str], logs: Path) -> None:
    with (logs / f"writer-{len(started)}.log").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            idp_sync("writer"), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    started.append(process)


def _stalled(aws: Aws) -> int:
    return int(aws.state()["stalled"])


def test_a_message_that_kills_the_writer_is_dead_lettered_while_1000_others_flow(
    amqp_url: str, emulator_server: EmulatorServer, aws: Aws, tmp: Path
) -> None:
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    writer = writer_env(emulator_server.scim_url, emulator_server.token, tmp / "state.db")
    env = {**service_env(amqp_url, topology), **writer}
    aws.faults(stall_body_containing="Poisoned")
    try:
        with gateway_and_normalizer(amqp_url, topology, tmp) as pipeline, _writers() as w:
            _start(w, env, tmp)
            send(pipeline, user_change("poison", "u-poison", 1, title="Poisoned"))
            for batch in range(10):
                send(pipeline, *(user_change(f"ok-{batch}-{n}", f"u-ok{batch}x{n}", 2)
                                 for n in range(OTHERS // 10)))  # fmt: skip
            poison_shard = topology.shard_queue(topology.shard_of("user:u-poison")).name
            for kill in range(1, CRASHES_ALLOWED + 2):
                wait_until(lambda: _stalled(aws) >= kill, within=60,  # noqa: B023 - used at once
                           what=f"the poisoned create in flight, time {kill}")  # fmt: skip
                w[-1].send_signal(signal.SIGKILL)
                w[-1].wait()
                _start(w, env, tmp)
            (parked,) = asyncio.run(broker.take(amqp_url, f"{poison_shard}.dlq", 1, within=60))
            assert parked.headers["x-idp-sync-error-class"] == "PoisonMessage"
            assert "ended the writer's process" in str(parked.headers["x-idp-sync-error-detail"])
            wait_until(lambda: len(aws.state()["users"]) == OTHERS, within=120,
                       what="every other user applied")  # fmt: skip
            assert aws.state()["stalled"] == CRASHES_ALLOWED + 1, "no further attempt after"
            assert w[-1].poll() is None, "the last writer runs on"
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
