"""Reads from Keycloak's admin REST API, for admin events sent without a representation."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from services.sources.errors import IdpUnavailable, MissingSettings
from services.sources.idp_http import send

TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass(frozen=True)
class KeycloakClient:
    """A confidential client of the realm, allowed to view users and groups."""

    url: str
    client_id: str
    secret: SecretStr


class KeycloakApi:
    """``GET /admin/realms/{realm}/users/{id}`` and ``/groups/{id}`` with a client token."""

    def __init__(self, client: KeycloakClient, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = client
        self.http = httpx.AsyncClient(base_url=client.url.rstrip("/"), timeout=TIMEOUT,
                                      transport=transport)  # fmt: skip
        self._tokens: dict[str, tuple[str, float]] = {}

    async def aclose(self) -> None:
        await self.http.aclose()

    def _passing(self, response: httpx.Response, what: str) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            wait = response.headers.get("retry-after", "")
            raise IdpUnavailable(f"Keycloak answered {response.status_code} for {what}",
                                 retry_after=float(wait) if wait.isdigit() else None)  # fmt: skip

    async def _token(self, realm: str) -> str:
        if (cached := self._tokens.get(realm)) and cached[1] > time.monotonic():
            return cached[0]
        form = {"grant_type": "client_credentials", "client_id": self.settings.client_id,
                "client_secret": self.settings.secret.get_secret_value()}  # fmt: skip
        try:
            response = await self.http.post(
                f"/realms/{realm}/protocol/openid-connect/token", data=form
            )
        except httpx.TransportError as error:
            raise IdpUnavailable(f"Keycloak unreachable: {type(error).__name__}") from error
        self._passing(response, "a token")
        if response.status_code >= 400:
            raise MissingSettings(
                f"Keycloak refused the client's credentials ({response.status_code}): check "
                "IDP_SYNC_KEYCLOAK_CLIENT_ID and IDP_SYNC_KEYCLOAK_CLIENT_SECRET"
            )
        answer = response.json()
        self._tokens[realm] = (answer["access_token"], time.monotonic() + answer["expires_in"] - 30)
        return self._tokens[realm][0]

    async def read(self, realm: str, path: str) -> dict[str, Any] | None:
        """``path`` (``users/{id}``, ``groups/{id}``) in ``realm``; ``None`` on 404."""
        headers = {"Authorization": f"Bearer {await self._token(realm)}"}
        found: dict[str, Any] | None = await send(
            self.http, "Keycloak", "GET", f"/admin/realms/{realm}/{path}", headers=headers
        )
        return found
