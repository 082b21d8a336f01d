"""The AWS IAM Identity Center SCIM endpoint, as the few calls the writer needs.

Bodies are built with scim2-models. PATCH bodies are plain dicts because AWS's PATCH
dialect (``path: "members"``, at most 100 values, never ``replace`` on members) is
narrower than SCIM's, and the exact wire shape is what matters.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from pydantic import SecretStr
from scim2_models import Context, Group

from services.shared.metrics import SCIM_REQUESTS, SCIM_SECONDS

from ._aws_errors import AwsNotFound, AwsServerError, AwsUnreachable, error_for
from ._rate_limit import AdaptiveRateLimit

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_MEMBER_CHANGES = 100
MAX_PAGE = 100
Resource = dict[str, Any]
QUICK_RETRY_PAUSE = 0.2
"""Seconds (up to twice this, jittered) before a call's one quick retry."""


@dataclass(frozen=True)
class ScimEndpoint:
    """Where AWS SCIM is and how to talk to it; timeouts and pool sizes set on purpose."""

    url: str
    token: SecretStr
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0, connect=3.0))
    limits: httpx.Limits = field(
        default_factory=lambda: httpx.Limits(max_connections=8, max_keepalive_connections=8)
    )
    requests_per_second: float = 20.0


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))
    except ValueError:
        return response.text[:500]


class AwsScim:
    """One SCIM tenant; every call is rate-limited and raises from ``_aws_errors``."""

    def __init__(self, endpoint: ScimEndpoint, transport: httpx.AsyncBaseTransport | None = None):
        self.limit = AdaptiveRateLimit(endpoint.requests_per_second)
        self.client = httpx.AsyncClient(
            base_url=endpoint.url.rstrip("/"),
            headers={"Authorization": f"Bearer {endpoint.token.get_secret_value()}",
                     "Content-Type": "application/scim+json"},
            timeout=endpoint.timeout, limits=endpoint.limits, transport=transport,
        )  # fmt: skip
        HTTPXClientInstrumentor.instrument_client(self.client)  # a span per SCIM call

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(
        self, operation: str, method: str, path: str, *, json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:  # fmt: skip
        """One SCIM call; a lone 5xx or dropped answer is tried once more after a short pause.

        Reads, PUT, PATCH and DELETE are safe to repeat (they converge; a repeated DELETE
        meets 404). A POST is not repeated here: it may have applied with its answer lost,
        and the event's own retry looks the object up by externalId before creating again.
        Without this, one 500 in ten sent the whole event through the retry tiers, and a few
        unlucky streaks kept a chaos run from converging within a minute of its last change.
        """
        try:
            return await self._call_once(operation, method, path, json=json, params=params)
        except (AwsServerError, AwsUnreachable):
            if method == "POST":
                raise
            await asyncio.sleep(QUICK_RETRY_PAUSE * (1 + random.random()))  # noqa: S311
            return await self._call_once(operation, method, path, json=json, params=params)

    async def _call_once(
        self, operation: str, method: str, path: str, *, json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:  # fmt: skip
        await self.limit.acquire()
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, json=json, params=params)
        except httpx.TransportError as error:
            SCIM_REQUESTS.labels(operation, "unreachable").inc()
            raise AwsUnreachable(operation, None, type(error).__name__) from error
        finally:
            SCIM_SECONDS.labels(operation).observe(time.perf_counter() - started)
        SCIM_REQUESTS.labels(operation, str(response.status_code)).inc()
        if response.status_code == 429:
            self.limit.throttled()
        if response.status_code >= 400:
            raise error_for(operation, response.status_code, _detail(response),
                            _retry_after(response))  # fmt: skip
        self.limit.succeeded()
        return response.json() if response.content else None

    async def _find(
        self, operation: str, collection: str, attribute: str, value: str
    ) -> Resource | None:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        found = await self._call(operation, "GET", f"/{collection}",
                                 params={"filter": f'{attribute} eq "{escaped}"'})  # fmt: skip
        resources: list[Resource] = found.get("Resources", [])
        return resources[0] if resources else None

    async def user_by_external_id(self, external_id: str) -> Resource | None:
        return await self._find("ListUsers", "Users", "externalId", external_id)

    async def user_by_name(self, user_name: str) -> Resource | None:
        return await self._find("ListUsers", "Users", "userName", user_name)

    async def create_user(self, user: Resource) -> Resource:
        created: Resource = await self._call("CreateUser", "POST", "/Users", json=user)
        return created

    async def replace_user(self, aws_id: str, user: Resource) -> Resource:
        replaced: Resource = await self._call("PutUser", "PUT", f"/Users/{aws_id}", json=user)
        return replaced

    async def set_active(self, aws_id: str, *, active: bool) -> Resource:
        body = {"schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "active", "value": active}]}  # fmt: skip
        patched: Resource = await self._call("PatchUser", "PATCH", f"/Users/{aws_id}", json=body)
        return patched

    async def delete_user(self, aws_id: str) -> None:
        await self._call("DeleteUser", "DELETE", f"/Users/{aws_id}")

    async def group_by_external_id(self, external_id: str) -> Resource | None:
        return await self._find("ListGroups", "Groups", "externalId", external_id)

    async def group_by_name(self, display_name: str) -> Resource | None:
        return await self._find("ListGroups", "Groups", "displayName", display_name)

    async def create_group(self, display_name: str, external_id: str) -> Resource:
        body = Group(display_name=display_name, external_id=external_id).model_dump(
            scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        created: Resource = await self._call("CreateGroup", "POST", "/Groups", json=body)
        return created

    async def rename_group(self, aws_id: str, display_name: str) -> None:
        body = {"schemas": [PATCH_URN], "Operations": [
            {"op": "replace", "path": "displayName", "value": display_name}]}  # fmt: skip
        await self._call("PatchGroup", "PATCH", f"/Groups/{aws_id}", json=body)

    async def change_members(
        self, aws_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> int:
        """Add and remove members in as few PATCHes as AWS allows (100 values each);
        returns how many PATCHes it took."""
        changes = [("add", u) for u in add] + [("remove", u) for u in remove]
        calls = 0
        for start in range(0, len(changes), MAX_MEMBER_CHANGES):
            chunk = changes[start : start + MAX_MEMBER_CHANGES]
            operations = [
                {"op": op, "path": "members", "value": [{"value": u} for o, u in chunk if o == op]}
                for op in ("add", "remove") if any(o == op for o, _ in chunk)
            ]  # fmt: skip
            await self._call("PatchGroup", "PATCH", f"/Groups/{aws_id}",
                             json={"schemas": [PATCH_URN], "Operations": operations})  # fmt: skip
            calls += 1
        return calls

    async def delete_group(self, aws_id: str) -> None:
        await self._call("DeleteGroup", "DELETE", f"/Groups/{aws_id}")

    async def pages(
        self, collection: str, filter_: str | None = None
    ) -> AsyncIterator[list[Resource]]:
        """Every page of ``GET /Users`` or ``/Groups`` (100 a page), by AWS's cursor: without
        one AWS answers a single page and cannot go on."""
        operation = "ListUsers" if collection == "Users" else "ListGroups"
        params = {"cursor": "", "count": str(MAX_PAGE)}
        if filter_ is not None:
            params["filter"] = filter_
        while True:
            page = await self._call(operation, "GET", f"/{collection}", params=params)
            yield list(page.get("Resources", []))
            cursor = page.get("nextCursor")
            if not cursor:
                return
            params = {**params, "cursor": cursor}

    async def exists(self, kind: str, aws_id: str) -> bool:
        collection = "Users" if kind == "user" else "Groups"
        try:
            await self._call(f"Get{kind.title()}", "GET", f"/{collection}/{aws_id}")
        except AwsNotFound:
            return False
        return True
