"""The whole pipeline as separate processes on the real broker, against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import EmulatorServer
from tests.support.pipeline import Pipeline, gateway_and_normalizer, writer_env, writer_running


@pytest.fixture(scope="module")
def pipeline(
    amqp_url: str, emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Pipeline]:  # fmt: skip
    """Gateway, normalizer and writer, one per test module (a module's ``WRITER_ENV`` adds
    writer settings). Tests share its state store, so each uses IdP ids of its own."""
    logs = tmp_path_factory.mktemp("pipeline")
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    env = {**writer_env(emulator_server.scim_url, emulator_server.token, logs / "state.db"),
           **getattr(request.module, "WRITER_ENV", {})}  # fmt: skip
    try:
        with (
            gateway_and_normalizer(amqp_url, topology, logs) as running,
            writer_running(amqp_url, topology, logs / "writer.log", env),
        ):
            yield running
    finally:
        asyncio.run(broker.delete_topology(amqp_url, topology))
