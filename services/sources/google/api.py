"""Google Workspace's Directory API as a service account with domain-wide delegation: users
read back, and the push channels (``users.watch``) that make Google send changes.

Tokens come from google-auth (its refresh is blocking, so it runs in a thread); the calls
themselves go through httpx like every other IdP read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.sources.errors import IdpUnavailable, MissingSettings
from services.sources.idp_http import send

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
SCOPES = [
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
    "https://www.googleapis.com/auth/admin.reports.audit.readonly",
]


@dataclass(frozen=True)
class GoogleServiceAccount:
    key_file: Path
    """The service account's JSON key (with domain-wide delegation for SCOPES)."""
    admin_email: str
    """The Workspace admin the service account acts as."""
    directory_url: str = "https://admin.googleapis.com"


class GoogleDirectory:
    def __init__(
        self, account: GoogleServiceAccount, transport: httpx.AsyncBaseTransport | None = None
    ):
        from google.oauth2 import service_account

        try:
            self.credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(account.key_file), scopes=SCOPES, subject=account.admin_email
            )
        except (OSError, ValueError) as error:
            raise MissingSettings(f"cannot use IDP_SYNC_GOOGLE_KEY_FILE: {error}") from error
        self.http = httpx.AsyncClient(base_url=account.directory_url.rstrip("/"),
                                      timeout=TIMEOUT, transport=transport)  # fmt: skip

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _bearer(self) -> str:
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        if not self.credentials.valid:
            try:
                await asyncio.to_thread(self.credentials.refresh, Request())
            except exceptions.TransportError as error:
                raise IdpUnavailable(f"Google's token endpoint: {error}") from error
            except exceptions.RefreshError as error:
                raise MissingSettings(
                    f"Google refused the service account ({error}): check its key, "
                    "domain-wide delegation and IDP_SYNC_GOOGLE_ADMIN_EMAIL"
                ) from error
        return str(self.credentials.token)

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """The JSON answer; ``None`` for 404 and empty answers. 429/5xx are passing."""
        headers = {"Authorization": f"Bearer {await self._bearer()}"}
        return await send(self.http, "Google", method, path, json=json, params=params,
                          headers=headers)  # fmt: skip

    async def user(self, user_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.request(
            "GET", f"/admin/directory/v1/users/{user_id}"
        )
        return found
