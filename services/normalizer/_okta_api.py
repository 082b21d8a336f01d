"""Reads from the Okta management API, for events that carry only ids."""

from __future__ import annotations

from typing import Any

import httpx

from ._errors import IdpUnavailable, Unmappable

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
            response = await self.client.get(path)
        except httpx.TransportError as error:
            raise IdpUnavailable(f"Okta API unreachable: {type(error).__name__}") from error
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            raise IdpUnavailable(f"Okta API answered {response.status_code} for {path}")
        if response.status_code >= 400:
            raise Unmappable(
                f"Okta API refused GET {path} with {response.status_code}; "
                "check IDP_SYNC_OKTA_API_TOKEN and its scopes"
            )
        body: dict[str, Any] = response.json()
        return body

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user, or ``None`` when Okta no longer has it."""
        return await self._get(f"/api/v1/users/{user_id}")

    async def group(self, group_id: str) -> dict[str, Any] | None:
        return await self._get(f"/api/v1/groups/{group_id}")
