"""Reads from the Okta management API, for events that carry only ids."""

from __future__ import annotations

from typing import Any

import httpx

from services.sources.errors import Unmappable
from services.sources.idp_http import send

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)


class OktaApi:
    """``GET /api/v1/users/{id}`` and ``/api/v1/groups/{id}`` with an SSWS API token."""

    def __init__(
        self, base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers={"Authorization": f"SSWS {token}",
            "Accept": "application/json"}, timeout=TIMEOUT, limits=LIMITS, transport=transport,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _get(self, path: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] | None = await send(self.client, "Okta API", "GET", path)
        except Unmappable as error:
            raise Unmappable(f"{error}; check IDP_SYNC_OKTA_API_TOKEN and its scopes") from error
        return found

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user, or ``None`` when Okta no longer has it."""
        return await self._get(f"/api/v1/users/{user_id}")

    async def group(self, group_id: str) -> dict[str, Any] | None:
        return await self._get(f"/api/v1/groups/{group_id}")
