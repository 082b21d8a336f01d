"""A small fake of Google's OAuth token endpoint and Directory API: users, users.watch
(which, like Google, greets the new channel with a ``sync`` message) and channels.stop."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ADMIN = "admin@acme.example"


@dataclass
class FakeGoogle:
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def key_file(self, directory: Path, url: str) -> Path:
        pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()  # fmt: skip
        path = directory / "service-account.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "idp-sync-test", "private_key_id": "k1",
            "private_key": pem, "client_email": "idp-sync@idp-sync-test.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": f"{url}/token",
        }))  # fmt: skip
        return path

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/token", self._token, methods=["POST"]),
            Route("/admin/directory/v1/users/watch", self._watch, methods=["POST"]),
            Route("/admin/reports/v1/activity/users/all/applications/admin/watch", self._watch,
                  methods=["POST"]),
            Route("/admin/directory/v1/groups/{id}", self._group),
            Route("/admin/directory/v1/channels/stop", self._stop, methods=["POST"]),
            Route("/admin/directory/v1/users/{id}", self._user),
        ])  # fmt: skip

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        public = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        claims = jwt.decode(  # type: ignore[no-untyped-call]
            form["assertion"],
            certs=public.decode(),
            verify=True,
            audience="https://oauth2.googleapis.com/token",  # what google-auth signs for
        )
        if claims.get("sub") != ADMIN or "admin.directory.user" not in claims.get("scope", ""):
            return JSONResponse({"error": "unauthorized_client"}, 401)
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return JSONResponse({"error": {"code": 401}}, 401)
        if self.failures:
            return JSONResponse({"error": {}}, self.failures.pop(0))
        return None

    async def _user(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = request.path_params["id"]  # the id or the primary email, as with Google
        found = self.users.get(key) or next(
            (u for u in self.users.values() if u["primaryEmail"] == key), None
        )
        return JSONResponse(found) if found else JSONResponse({"error": {"code": 404}}, 404)

    async def _group(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = request.path_params["id"]
        found = self.groups.get(key) or next(
            (g for g in self.groups.values() if g["email"] == key), None
        )
        return JSONResponse(found) if found else JSONResponse({"error": {"code": 404}}, 404)

    async def _watch(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        event = request.query_params.get("event", "admin-activity")
        uri = f"https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&event={event}"
        ends = str(int((time.time() + int(body["params"]["ttl"])) * 1000))
        channel = {"kind": "api#channel", "id": body["id"], "resourceId": secrets.token_hex(6),
                   "resourceUri": uri, "token": body["token"], "address": body["address"],
                   "event": event, "expiration": ends}  # fmt: skip
        self.channels[channel["id"]] = channel
        sync = self.headers(channel, "sync", 1)
        async with httpx.AsyncClient() as client:  # Google greets a new channel with `sync`
            greeted = await client.post(channel["address"], headers=sync)
        if greeted.status_code != 200:
            return JSONResponse({"error": {"message": "sync refused"}}, 400)
        return JSONResponse({k: v for k, v in channel.items() if k not in {"address", "event"}})

    async def _stop(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        self.stopped.append((await request.json())["id"])
        return Response(status_code=204)

    @staticmethod
    def headers(channel: dict[str, Any], state: str, number: int) -> dict[str, str]:
        return {"X-Goog-Channel-ID": channel["id"], "X-Goog-Channel-Token": channel["token"],
                "X-Goog-Resource-ID": channel["resourceId"],
                "X-Goog-Resource-URI": channel["resourceUri"], "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(number),
                "Content-Type": 'application/json; charset="utf-8"'}  # fmt: skip

    def add_user(self, user_id: str, email: str, given: str, family: str) -> None:
        self.users[user_id] = {"kind": "admin#directory#user", "id": user_id,
                               "primaryEmail": email, "suspended": False,
                               "name": {"givenName": given, "familyName": family,
                                        "fullName": f"{given} {family}"}}  # fmt: skip

    def add_group(self, group_id: str, email: str, name: str) -> None:
        self.groups[group_id] = {"kind": "admin#directory#group", "id": group_id,
                                 "email": email, "name": name}  # fmt: skip


def activity(name: str, **parameters: str) -> dict[str, Any]:
    """A Reports API admin activity, as pushed on the admin-activity channel."""
    return {
        "kind": "admin#reports#activity",
        "id": {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
               "uniqueQualifier": str(secrets.randbits(62)), "applicationName": "admin",
               "customerId": "C01abcd2e"},
        "actor": {"callerType": "USER", "email": ADMIN},
        "events": [{"type": "GROUP_SETTINGS", "name": name,
                    "parameters": [{"name": k, "value": v} for k, v in parameters.items()]}],
    }  # fmt: skip
