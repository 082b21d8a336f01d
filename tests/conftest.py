"""Fixtures every tier can use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
