"""A client-side rate limit for AWS SCIM, which publishes none: a token bucket whose rate
halves on every 429 and creeps back up on success (additive increase, multiplicative
decrease), never above what was configured."""

from __future__ import annotations

import asyncio
import time


class AdaptiveRateLimit:
    def __init__(self, requests_per_second: float, floor: float = 1.0) -> None:
        self.ceiling = requests_per_second
        self.floor = min(floor, requests_per_second)
        self.rate = requests_per_second
        self.tokens = 1.0
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until a request may go out."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(
                    max(1.0, self.rate / 10), self.tokens + (now - self.updated) * self.rate
                )
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)

    def throttled(self) -> None:
        self.rate = max(self.floor, self.rate / 2)

    def succeeded(self) -> None:
        self.rate = min(self.ceiling, self.rate + self.ceiling / 100)
