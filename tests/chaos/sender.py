"""Sending the workload as a real webhook sender does: several changes per signed request,
a few requests in flight, and each request retried (same ``webhook-id``, signed anew) on
5xx, connection errors and timeouts until the gateway accepts it."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.generic import signed_headers

from .workload import TENANT

WEBHOOK_DEADLINE = 180.0
"""Seconds one webhook may keep failing before the sender gives up on it."""


@dataclass
class Sent:
    """What the sender saw: acceptances, failures (by cause), and what it gave up on."""

    accepted_at: dict[int, float] = field(default_factory=dict)
    """Per webhook: when the gateway accepted it (epoch seconds)."""
    attempts: dict[int, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    """``503``, ``ConnectError``, ``ReadTimeout``, ...: attempts that failed, by cause."""
    failed_at: list[float] = field(default_factory=list)
    """``time.monotonic()`` of each failed attempt."""
    refused: dict[int, str] = field(default_factory=dict)
    """Webhooks answered 4xx (never retried, as a sender would not) or given up on."""

    def failures_since(self, moment: float) -> int:
        return sum(1 for at in self.failed_at if at >= moment)

    def summary(self) -> str:
        retried = sum(n - 1 for n in self.attempts.values())
        causes = ", ".join(f"{cause} {n}" for cause, n in sorted(self.failures.items()))
        return (f"{len(self.accepted_at)} webhooks accepted after {retried} retries"
                f"{f' ({causes})' if causes else ''}")  # fmt: skip


@dataclass
class Sender:
    """Sends ``webhooks`` to ``gateway_url``; ``before_each(n)`` runs before webhook ``n``
    is first sent (the fault schedule holds it back there)."""

    gateway_url: str
    secret: str
    webhooks: list[list[dict[str, Any]]]
    before_each: Callable[[int], Awaitable[None]]
    seed: int
    in_flight: int = 4
    sent: Sent = field(default_factory=Sent)

    async def run(self) -> Sent:
        numbers = itertools.count()
        timeout = httpx.Timeout(10.0, connect=2.0)
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=timeout) as client:

            async def worker(n_worker: int) -> None:
                rng = random.Random(f"{self.seed}-{n_worker}")  # noqa: S311 - backoff jitter
                while (n := next(numbers)) < len(self.webhooks):
                    await self.before_each(n)
                    await self._deliver(client, n, rng)

            await asyncio.gather(*(worker(w) for w in range(self.in_flight)))
        return self.sent

    async def _deliver(self, client: httpx.AsyncClient, n: int, rng: random.Random) -> None:
        body = json.dumps({"tenant": TENANT, "changes": self.webhooks[n]}).encode()
        webhook_id = f"wh-{self.seed}-{n:05d}"
        deadline = time.monotonic() + WEBHOOK_DEADLINE
        for attempt in itertools.count(1):
            self.sent.attempts[n] = attempt
            headers = signed_headers(self.secret, body, msg_id=webhook_id)
            cause: str
            try:
                response = await client.post("/webhooks/generic", content=body, headers=headers)
            except httpx.TransportError as error:
                cause = type(error).__name__
            else:
                if response.is_success:
                    self.sent.accepted_at[n] = time.time()
                    return
                if response.status_code < 500:
                    self.sent.refused[n] = f"{response.status_code}: {response.text[:200]}"
                    return
                cause = str(response.status_code)
            self.sent.failures[cause] = self.sent.failures.get(cause, 0) + 1
            self.sent.failed_at.append(time.monotonic())
            if time.monotonic() > deadline:
                self.sent.refused[n] = f"still failing after {WEBHOOK_DEADLINE:g} s ({cause})"
                return
            # what senders do: back off, growing, with jitter so retries do not march in step
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + rng.random()))
