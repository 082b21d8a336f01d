"""Fault injection: throttling, failures, latency and lost answers, on cue."""

from __future__ import annotations

import asyncio
import math
import random
import time

from ._config import Faults
from ._errors import InternalFailure, InvalidRequest, Throttled

STALL_SECONDS = 3600.0


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FaultInjector:
    """Applies a ``Faults`` setting to each SCIM request in its scope."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.random = random.Random(faults.seed)  # noqa: S311 - fault draws, not secrets
        tps = faults.rate_limit_tps
        burst = faults.rate_limit_burst or max(1, math.ceil(tps or 1))
        self.bucket = TokenBucket(tps, burst) if tps else None
        self.stalled = 0
        """Writes held unanswered so far."""

    def _in_scope(self, operation: str) -> bool:
        return self.faults.operations is None or operation in self.faults.operations

    def _draw(self, share: float) -> bool:
        return share > 0 and self.random.random() < share

    async def before(self, operation: str, body: bytes, *, write: bool) -> None:
        """Raise the error this request is to get, if any; delay it if asked to."""
        if not self._in_scope(operation):
            return
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait:
                raise Throttled(max(1, math.ceil(wait)) if self.faults.retry_after else None)
        if self._draw(self.faults.error_rate):
            raise InternalFailure
        refuse = self.faults.refuse_body_containing
        if write and refuse and refuse.encode() in body:
            raise InvalidRequest
        stall = self.faults.stall_body_containing
        if write and stall and stall.encode() in body:
            self.stalled += 1
            await asyncio.sleep(STALL_SECONDS)

    def loses_answer(self, operation: str, *, write: bool) -> bool:
        """Whether this applied write's answer is to be lost."""
        return write and self._in_scope(operation) and self._draw(self.faults.lost_response_rate)
