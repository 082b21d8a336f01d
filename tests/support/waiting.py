"""Waiting on a condition with a deadline, never for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ConditionTimeout(AssertionError):
    """The condition did not hold before the deadline."""


def wait_until(
    condition: Callable[[], T | None], *, within: float = 10.0, interval: float = 0.02,
    what: str = "condition",
) -> T:  # fmt: skip
    """Poll ``condition`` until it returns something truthy; return that."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise ConditionTimeout(f"{what} did not hold within {within}s")
        time.sleep(interval)


async def eventually(
    condition: Callable[[], Awaitable[T | None]], *, within: float = 10.0,
    interval: float = 0.02, what: str = "condition",
) -> T:  # fmt: skip
    """The async form of ``wait_until``."""
    deadline = time.monotonic() + within
    while True:
        result = await condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise ConditionTimeout(f"{what} did not hold within {within}s")
        await asyncio.sleep(interval)
