"""A bound on the webhooks the gateway works on at once: beyond it, 503 at once.

Without it, a burst larger than the broker can confirm queues up in the gateway without
bound: memory grows, every answer gets slower, and IdPs that give up after a few seconds
(Okta waits 3 s) time out and retry into the same backlog. Answering the overflow 503 with
``Retry-After`` straight away keeps the accepted ones fast and tells the IdP to come back.
Probes and metrics (``/healthz``, ``/readyz``, ``/metrics``) are never limited, so an
overloaded gateway is still seen alive.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("idp_sync.gateway")
LIMITED_PREFIX = "/webhooks/"
RETRY_AFTER_SECONDS = 1
OVERFLOW = Counter(
    "idp_sync_gateway_overflow", "Webhooks answered 503 because the in-flight limit was reached."
)


class InflightLimit:
    """ASGI middleware: at most ``limit`` webhook requests in the app at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"IDP_SYNC_GATEWAY_MAX_INFLIGHT must be at least 1, not {limit}")
        self.app = app
        self.limit = limit
        self.inflight = 0
        """Webhook requests inside the app now (one event loop: a plain counter is exact)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.inflight >= self.limit:
            OVERFLOW.inc()
            log.warning("webhook refused: %d requests in flight (the limit)", self.inflight)
            # Answered without reading the body: the point is to spend nothing on it.
            overflow = JSONResponse(
                {"detail": f"the gateway is at its limit of {self.limit} requests; retry later"},
                503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )  # fmt: skip
            await overflow(scope, receive, send)
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1
