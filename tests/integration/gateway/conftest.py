"""A gateway subprocess on the real RabbitMQ, reached through a proxy tests can cut."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.shared.topology import Topology
from tests.support import broker
from tests.support.processes import free_port, running
from tests.support.tcp_proxy import TcpProxy


@dataclass
class Gateway:
    url: str
    topology: Topology
    proxy: TcpProxy
    okta_secret: str
    webhook_secret: str


@pytest.fixture(scope="module")
def gateway(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    proxy = TcpProxy("127.0.0.1", 5672)
    proxy.start()
    port = free_port()
    okta_secret = f"Basic {secrets.token_urlsafe(24)}"
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        "IDP_SYNC_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        "IDP_SYNC_NAMESPACE": topology.namespace,
        "IDP_SYNC_SHARDS": str(topology.shards),
        "IDP_SYNC_GATEWAY_PORT": str(port),
        "IDP_SYNC_OKTA_AUTH_SECRET": okta_secret,
        "IDP_SYNC_WEBHOOK_SECRET": webhook_secret,
    }
    url = f"http://127.0.0.1:{port}"
    log = Path(tmp_path_factory.mktemp("gateway")) / "gateway.log"
    try:
        with running(["gateway"], ready_url=f"{url}/readyz", env=env, log=log):
            yield Gateway(url, topology, proxy, okta_secret, webhook_secret)
    finally:
        proxy.close()
        asyncio.run(broker.delete_topology(amqp_url, topology))
