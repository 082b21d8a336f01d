"""Reads from Microsoft Graph with an app token (client credentials), and the
subscriptions that make Graph send change notifications."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from services.sources.errors import IdpUnavailable, MissingSettings, Unmappable
from services.sources.idp_http import send

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)
SCOPE = "https://graph.microsoft.com/.default"
USER_FIELDS = ("id,userPrincipalName,mail,displayName,givenName,surname,accountEnabled,"
               "jobTitle,department,employeeId")  # fmt: skip


@dataclass(frozen=True)
class EntraApp:
    """An app registration in one tenant, and where Graph and its token endpoint are."""

    tenant_id: str
    client_id: str
    secret: SecretStr
    graph_url: str = "https://graph.microsoft.com/v1.0"
    login_url: str = "https://login.microsoftonline.com"


class GraphApi:
    """One tenant's Graph, as the app registration sees it."""

    def __init__(self, app: EntraApp, transport: httpx.AsyncBaseTransport | None = None):
        self.app = app
        self.token_url = f"{app.login_url.rstrip('/')}/{app.tenant_id}/oauth2/v2.0/token"
        self.credentials = {
            "grant_type": "client_credentials", "client_id": app.client_id,
            "client_secret": app.secret.get_secret_value(), "scope": SCOPE,
        }  # fmt: skip
        self.client = httpx.AsyncClient(base_url=app.graph_url.rstrip("/"), timeout=TIMEOUT,
                                        limits=LIMITS, transport=transport)  # fmt: skip
        self._token: tuple[str, float] | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def bearer(self) -> str:
        """An app token for Graph, renewed when close to expiry (the directory reader's too)."""
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        try:
            response = await self.client.post(self.token_url, data=self.credentials)
        except httpx.TransportError as error:
            raise IdpUnavailable(
                f"Entra token endpoint unreachable: {type(error).__name__}"
            ) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise IdpUnavailable(f"Entra token endpoint answered {response.status_code}")
        if response.status_code >= 400:
            raise MissingSettings(
                f"Entra refused the app's credentials ({response.status_code}): check "
                "IDP_SYNC_ENTRA_TENANT_ID, IDP_SYNC_ENTRA_CLIENT_ID, IDP_SYNC_ENTRA_CLIENT_SECRET"
            )
        answer = response.json()
        # Renew a minute early, so a token never expires between check and use.
        self._token = (answer["access_token"], time.monotonic() + answer["expires_in"] - 60)
        return self._token[0]

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """The JSON answer; ``None`` for 404 and empty answers. 429/5xx are passing."""
        headers = {"Authorization": f"Bearer {await self.bearer()}"}
        try:
            return await send(self.client, "Microsoft Graph", method, path, json=json,
                              params=params, headers=headers)  # fmt: skip
        except Unmappable as error:
            self._token = None  # a refused token is not reused
            raise Unmappable(f"{error}: check the app's permissions (User.Read.All, "
                             "GroupMember.Read.All)") from error  # fmt: skip

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user; ``None`` when Graph has no such user (deleted, soft or hard)."""
        found: dict[str, Any] | None = await self.request(
            "GET", f"/users/{user_id}", params={"$select": USER_FIELDS}
        )
        return found

    async def group(self, group_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.request(
            "GET", f"/groups/{group_id}", params={"$select": "id,displayName"}
        )
        return found

    async def users_among(self, object_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Which of ``object_ids`` are users (members may also be devices, groups...)."""
        found = await self.request("POST", "/directoryObjects/getByIds",
                                   json={"ids": object_ids, "types": ["user"]})  # fmt: skip
        return {o["id"]: o for o in (found or {}).get("value", [])}
