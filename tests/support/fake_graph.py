"""A small fake of Microsoft Graph and its token endpoint: users, groups, getByIds and
subscriptions (which, like Graph, validate the notification URL when created)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TENANT = "84bd8158-6d4d-4958-8b9f-9d6445542f95"


@dataclass
class FakeGraph:
    client_id: str = "app-1"
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)
    """Statuses to answer the next reads with, one each, before answering for real."""
    calls: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            Route("/v1.0/subscriptions", self._subscriptions, methods=["GET", "POST"]),
            Route("/v1.0/subscriptions/{id}", self._renew, methods=["PATCH"]),
            Route("/v1.0/subscriptions/{id}/reauthorize", self._reauthorize, methods=["POST"]),
            Route("/v1.0/directoryObjects/getByIds", self._by_ids, methods=["POST"]),
            Route("/v1.0/{kind}/{id}", self._read),
        ])  # fmt: skip

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.secret):
            return JSONResponse({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _refused(self, request: Request) -> Response | None:
        self.calls.append(f"{request.method} {request.url.path}")
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return JSONResponse({"error": {"code": "InvalidAuthenticationToken"}}, 401)
        if self.failures:
            status = self.failures.pop(0)
            wait = {"Retry-After": "1"} if status == 429 else None
            return JSONResponse({"error": {"code": "TooManyRequests"}}, status, headers=wait)
        return None

    async def _read(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        table = self.users if request.path_params["kind"] == "users" else self.groups
        found = table.get(request.path_params["id"])
        return JSONResponse(found) if found else JSONResponse({"error": {}}, 404)

    async def _by_ids(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        ids = (await request.json())["ids"]
        return JSONResponse({"value": [self.users[i] for i in ids if i in self.users]})

    async def _subscriptions(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        if request.method == "GET":
            return JSONResponse({"value": list(self.subscriptions.values())})
        body = await request.json()
        token = f"Validation: Testing client application reachability {secrets.token_hex(4)}"
        async with httpx.AsyncClient() as client:  # Graph checks the URL before it agrees
            answer = await client.post(body["notificationUrl"], params={"validationToken": token},
                                       headers={"content-type": "text/plain"})  # fmt: skip
        if answer.status_code != 200 or answer.text != token:
            return JSONResponse({"error": {"code": "ValidationError"}}, 400)
        subscription = {"id": secrets.token_hex(8), **body}
        self.subscriptions[subscription["id"]] = subscription
        return JSONResponse(subscription, 201)

    async def _renew(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        subscription = self.subscriptions[request.path_params["id"]]
        subscription["expirationDateTime"] = (await request.json())["expirationDateTime"]
        return JSONResponse(subscription)

    async def _reauthorize(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        return Response(status_code=204)

    def add_user(self, user_id: str, upn: str, name: str, *, enabled: bool = True) -> None:
        first, _, last = name.partition(" ")
        self.users[user_id] = {"id": user_id, "userPrincipalName": upn, "mail": upn,
                               "displayName": name, "givenName": first, "surname": last,
                               "accountEnabled": enabled}  # fmt: skip

    def add_group(self, group_id: str, name: str) -> None:
        self.groups[group_id] = {"id": group_id, "displayName": name}

    def expiring(self, subscription_id: str, within: dt.timedelta) -> None:
        moment = dt.datetime.now(dt.UTC) + within
        self.subscriptions[subscription_id]["expirationDateTime"] = moment.isoformat()


def notification(
    resource: str, client_state: str, *, change: str = "updated",
    members_delta: list[dict[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One change notification as Graph sends it (reference/idp-webhooks.md, section 2)."""
    kind, _, object_id = resource.partition("/")
    return {
        "subscriptionId": "d850b120-19bb-4291-b9c4-845ea04dd38d",
        "subscriptionExpirationDateTime": "2026-12-20T18:13:08.914+00:00",
        "clientState": client_state, "changeType": change, "resource": resource,
        "tenantId": TENANT,
        "resourceData": {"@odata.type": f"#Microsoft.Graph.{kind[:-1]}",
                         "@odata.id": resource, "id": object_id, "organizationId": TENANT,
                         "eventTime": dt.datetime.now(dt.UTC).isoformat(),
                         **({"members@delta": members_delta} if members_delta else {})},
    }  # fmt: skip
