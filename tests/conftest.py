"""Fixtures every tier can use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import Aws, EmulatorServer, emulator_process


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """One emulator subprocess for the session; each test resets it."""
    with emulator_process(tmp_path_factory.mktemp("emulator")) as server:
        yield server


@pytest.fixture
def aws(emulator_server: EmulatorServer) -> Iterator[Aws]:
    """A freshly reset emulator: empty directory, start switches, no faults, no counts."""
    client = Aws(emulator_server)
    client.reset()
    yield client
    client.close()


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The real RabbitMQ; the test fails (never skips) when it cannot be reached."""
    return broker.amqp_url()


@pytest.fixture
async def topology(amqp_url: str) -> AsyncIterator[Topology]:
    """A topology in a namespace of its own, deleted from the broker afterwards."""
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    yield topology
    await broker.delete_topology(amqp_url, topology)
