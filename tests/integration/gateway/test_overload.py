"""The gateway at twice its in-flight limit: the overflow is answered 503 at once, the
rest is accepted and queued, and the gateway is well afterwards (real RabbitMQ)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from faststream.rabbit import RabbitBroker
from faststream.rabbit.schemas import Channel

from services.gateway import BrokerPublisher, GatewayConfig, RawEvent, create_app
from services.shared.topology import Topology
from tests.fuzz import _credentials as cred
from tests.fuzz._gateway import fuzz_config
from tests.support import broker
from tests.support.processes import free_port, running
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.rabbit
LIMIT = 8
FAST = 0.5
"""Seconds an overflow answer may take; the accepted ones wait far longer (held below)."""


class HeldPublisher:
    """The real broker publisher, each publish held until ``release`` is set: the gateway's
    requests stay in flight as long as the test wants, with no timing involved."""

    def __init__(self, inner: BrokerPublisher) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.held = 0

    async def publish(self, source: str, tenant: str, events: Sequence[RawEvent]) -> None:
        self.held += 1
        await self.release.wait()
        await self.inner.publish(source, tenant, events)

    async def ready(self) -> bool:
        return await self.inner.ready()


@pytest.fixture
async def held(amqp_url: str, topology: Topology) -> AsyncIterator[HeldPublisher]:
    rabbit = RabbitBroker(
        amqp_url,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
        logger=None,
    )
    publisher = BrokerPublisher(rabbit, topology, timeout=2.0)
    await asyncio.wait_for(publisher.keep_connecting(), 15)
    yield HeldPublisher(publisher)
    await rabbit.stop()


@pytest.fixture
async def gateway(topology: Topology, held: HeldPublisher) -> AsyncIterator[httpx.AsyncClient]:
    config = dataclasses.replace(fuzz_config(topology), max_inflight=LIMIT)
    app = create_app(config, "amqp://unused", publisher=held)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def _batch(number: int) -> bytes:
    event = {"uuid": f"evt-{number}", "published": "2026-11-02T10:15:29Z"}
    return json.dumps({"source": "https://acme.okta.com/x", "data": {"events": [event]}}).encode()


async def _post(client: httpx.AsyncClient, number: int) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.post(
        "/webhooks/okta", content=_batch(number), headers={"authorization": cred.OKTA_SECRET}
    )
    return response, time.monotonic() - started


async def test_twice_the_limit_overflows_503_at_once_and_the_rest_is_queued(
    gateway: httpx.AsyncClient, held: HeldPublisher, amqp_url: str, topology: Topology
) -> None:
    requests = [asyncio.create_task(_post(gateway, n)) for n in range(2 * LIMIT)]

    async def overflow_answered() -> bool:
        return held.held == LIMIT and sum(task.done() for task in requests) == LIMIT

    await eventually(overflow_answered, within=10, what="the overflow being answered")
    overflow = [task.result() for task in requests if task.done()]
    assert all(response.status_code == 503 for response, _ in overflow)
    assert all(response.headers["retry-after"] == "1" for response, _ in overflow)
    assert all(seconds < FAST for _, seconds in overflow), [s for _, s in overflow]
    assert "at its limit" in overflow[0][0].json()["detail"]
    assert (await gateway.get("/healthz")).status_code == 200  # probes are never limited

    held.release.set()
    answers = await asyncio.gather(*requests)
    accepted = [r for r, _ in answers if r.status_code == 200]
    assert len(accepted) == LIMIT
    assert all(r.json() == {"accepted": 1} for r in accepted)
    queue = topology.raw_queue("okta").name
    assert await broker.queued(amqp_url, queue) == LIMIT

    assert (await gateway.get("/healthz")).status_code == 200
    again, _ = await _post(gateway, 100)
    assert again.status_code == 200
    assert await broker.queued(amqp_url, queue) == LIMIT + 1


def test_the_limit_is_read_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI builds GatewayConfig without naming the limit, so the setting must reach it.
    monkeypatch.setenv("IDP_SYNC_GATEWAY_MAX_INFLIGHT", "7")
    assert GatewayConfig(topology=Topology()).max_inflight == 7
    monkeypatch.delenv("IDP_SYNC_GATEWAY_MAX_INFLIGHT")
    assert GatewayConfig(topology=Topology()).max_inflight == 256


def test_a_served_gateway_takes_its_limit_from_the_environment(
    amqp_url: str, topology: Topology, tmp_path: Path
) -> None:
    """The real command: with the broker cut, each accepted request holds its place for
    the publish timeout (2 s), so of twice the limit sent at once, half overflow at once."""
    proxy, port = TcpProxy("127.0.0.1", 5672), free_port()
    proxy.start()
    env = {
        "IDP_SYNC_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        "IDP_SYNC_NAMESPACE": topology.namespace,
        "IDP_SYNC_SHARDS": str(topology.shards),
        "IDP_SYNC_GATEWAY_PORT": str(port),
        "IDP_SYNC_OKTA_AUTH_SECRET": cred.OKTA_SECRET,
        "IDP_SYNC_GATEWAY_MAX_INFLIGHT": "4",
    }
    url = f"http://127.0.0.1:{port}"
    try:
        with running(["gateway"], ready_url=f"{url}/readyz", env=env, log=tmp_path / "gw.log"):
            proxy.cut()
            answers = asyncio.run(_burst(url, 8))
            overflow = [a for a in answers if "retry-after" in a[0].headers]
            assert len(overflow) == 4
            assert all(r.status_code == 503 and s < FAST for r, s in overflow)
            assert sorted(r.status_code for r, _ in answers) == [503] * 8  # the rest: no broker
            proxy.restore()
            wait_until(
                lambda: httpx.get(f"{url}/readyz").status_code == 200,
                within=30,
                what="the gateway reconnecting",
            )
            assert httpx.get(f"{url}/healthz").status_code == 200
            ok = httpx.post(
                f"{url}/webhooks/okta",
                content=_batch(1),
                headers={"authorization": cred.OKTA_SECRET},
            )
            assert ok.status_code == 200
    finally:
        proxy.close()


async def _burst(url: str, count: int) -> list[tuple[httpx.Response, float]]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        return await asyncio.gather(*(_post(client, n) for n in range(count)))
