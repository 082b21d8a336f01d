"""A fake Microsoft Graph over real HTTP, and the Entra directory reader on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from services.sources.entra.api import EntraApp
from services.sources.entra.directory import EntraDirectoryReader
from services.sources.reading import Patience
from tests.support.asgi_server import serving
from tests.support.fake_graph import TENANT, FakeGraph


@dataclass
class MemoryCheckpoints:
    """The two calls a reader makes of the state store, in memory."""

    kept: dict[str, str] = field(default_factory=dict)

    async def checkpoint(self, name: str) -> str | None:
        return self.kept.get(name)

    async def keep_checkpoint(self, name: str, value: str) -> None:
        self.kept[name] = value


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: what the reader was asked to wait, no waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph(page_size=2, member_page=3)
    with serving(fake.app()) as url:
        yield fake, url


def app_of(fake: FakeGraph, url: str) -> EntraApp:
    return EntraApp(TENANT, fake.client_id, SecretStr(fake.secret), f"{url}/v1.0", url)


@pytest.fixture
def checkpoints() -> MemoryCheckpoints:
    return MemoryCheckpoints()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def reader(
    graph: tuple[FakeGraph, str], checkpoints: MemoryCheckpoints, waits: Waits
) -> AsyncIterator[EntraDirectoryReader]:
    fake, url = graph
    patience = Patience(attempts=3, sleep=waits)
    found = EntraDirectoryReader(f"{url}/v1.0", app_of(fake, url), checkpoints,
                                 patience=patience)  # fmt: skip
    yield found
    await found.aclose()
