"""Reads from authentik's API (``/api/v3/core/users/{pk}/``, ``/groups/{uuid}/``)."""

from __future__ import annotations

from typing import Any

import httpx

from ._errors import IdpUnavailable, Unmappable

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
        path = f"/api/v3/core/{kind}/{key}/"
        try:
            response = await self.http.get(path)
        except httpx.TransportError as error:
            raise IdpUnavailable(f"authentik unreachable: {type(error).__name__}") from error
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            wait = response.headers.get("retry-after", "")
            raise IdpUnavailable(f"authentik answered {response.status_code} for {path}",
                                 retry_after=float(wait) if wait.isdigit() else None)  # fmt: skip
        if response.status_code >= 400:
            raise Unmappable(f"authentik refused GET {path} ({response.status_code}): check "
                             "IDP_SYNC_AUTHENTIK_TOKEN and its permissions")  # fmt: skip
        found: dict[str, Any] = response.json()
        return found
