"""Reads from authentik's API (``/api/v3/core/users/{pk}/``, ``/groups/{uuid}/``)."""

from __future__ import annotations

from typing import Any

import httpx

from services.sources.idp_http import send

TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class AuthentikApi:
    def __init__(self, url: str, token: str, transport: httpx.AsyncBaseTransport | None = None):
        self.http = httpx.AsyncClient(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT, transport=transport,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self.http.aclose()

    async def read(self, kind: str, key: str) -> dict[str, Any] | None:
        """A user (by pk) or group (by uuid); ``None`` when authentik has no such object."""
        found: dict[str, Any] | None = await send(
            self.http, "authentik", "GET", f"/api/v3/core/{kind}/{key}/"
        )
        return found
