"""A message that takes its consumer's process down is set aside with the reason after a
few such ends, while everything else flows: it never crash-loops the writer or the normalizer.

A call the message causes is held unanswered (the emulator's create, the fake Okta's read),
and the test kills the consumer with SIGKILL in the middle of it, as an out-of-memory kill or
a crash would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.shared.fates import CRASHES_ALLOWED
from services.shared.topology import Topology
from tests.support import broker, okta
from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_okta import FakeOkta
from tests.support.generic import user_change
from tests.support.pipeline import (
    gateway_and_normalizer,
    send,
    service_env,
    writer_env,
)
from tests.support.processes import free_port, idp_sync, running
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]

OTHERS = 1000
OKTA_OTHERS = 20


@contextlib.contextmanager
def _writers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Consumers started one after another (the test kills each); the last one stopped."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def _start(
    started: list[subprocess.Popen[bytes]], env: dict[str, str], logs: Path,
    command: str = "writer",
) -> None:  # fmt: skip
    with (logs / f"{command}-{len(started)}.log").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            idp_sync(command), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    started.append(process)


def _stalled(aws: Aws) -> int:
    return int(aws.state()["stalled"])


@pytest.mark.timeout(300)  # four writer starts and 1,001 users on a busy machine
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
            # Its first delivery is not yet suspect: that writer's death is not counted.
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
            assert _stalled(aws) == CRASHES_ALLOWED + 1, "no further attempt after"
            assert w[-1].poll() is None, "the last writer runs on"
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))


@pytest.mark.timeout(300)  # four normalizer starts on a busy machine
def test_a_message_that_kills_the_normalizer_is_dead_lettered_while_the_rest_flow(
    amqp_url: str, tmp: Path
) -> None:
    """An Okta profile update whose read-back hangs, the normalizer killed in that read."""
    api = FakeOkta("okta-token")
    for n in range(OKTA_OTHERS):
        api.add_user(f"00uok{n}", f"ok{n}@acme.com", "Ok", f"User{n}")
    api.stalled.add("00upoison")
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    port, secret = free_port(), "Basic okta-hook-secret"
    try:
        with serving(api.app()) as okta_url, _writers() as normalizers:
            env = {**service_env(amqp_url, topology), "IDP_SYNC_OKTA_API_URL": okta_url,
                   "IDP_SYNC_OKTA_API_TOKEN": "okta-token", "IDP_SYNC_GATEWAY_PORT": str(port),
                   "IDP_SYNC_OKTA_AUTH_SECRET": secret}  # fmt: skip
            gateway = f"http://127.0.0.1:{port}"
            with running(["gateway"], ready_url=f"{gateway}/readyz", env=env,
                         log=tmp / "gateway.log"):  # fmt: skip
                _start(normalizers, env, tmp, "normalizer")
                users = ["00upoison", *(f"00uok{n}" for n in range(OKTA_OTHERS))]
                updates = [okta.event("user.account.update_profile",
                                      [okta.user_target(user, f"{user}@acme.com")],
                                      published="2026-11-02T10:00:00.000Z")
                           for user in users]  # fmt: skip
                answer = httpx.post(f"{gateway}/webhooks/okta", json=okta.batch(*updates),
                                    headers={"Authorization": secret}, timeout=10)  # fmt: skip
                assert answer.status_code == 200, answer.text
                for kill in range(1, CRASHES_ALLOWED + 1):
                    wait_until(lambda: api.calls.count("/api/v1/users/00upoison") >= kill,  # noqa: B023
                               within=60, what=f"the hanging read, time {kill}")  # fmt: skip
                    normalizers[-1].send_signal(signal.SIGKILL)
                    normalizers[-1].wait()
                    _start(normalizers, env, tmp, "normalizer")
                raw = topology.raw_queue("okta").name
                (parked,) = asyncio.run(broker.take(amqp_url, f"{raw}.dlq", 1, within=60))
                assert parked.headers["x-idp-sync-error-class"] == "PoisonMessage"
                assert "ended the normalizer's process" in str(
                    parked.headers["x-idp-sync-error-detail"])  # fmt: skip
                shards = [topology.shard_queue(n).name for n in range(topology.shards)]
                wait_until(lambda: sum(asyncio.run(broker.queued(amqp_url, q))
                                       for q in shards) == OKTA_OTHERS,
                           within=60, what="every other update normalized")  # fmt: skip
                assert api.calls.count("/api/v1/users/00upoison") == CRASHES_ALLOWED
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
