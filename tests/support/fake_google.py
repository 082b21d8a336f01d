"""A small fake of Google's OAuth token endpoint and Directory API: users, users.watch
(which, like Google, greets the new channel with a ``sync`` message), channels.stop, and
the listings a directory read makes (users.list, groups.list, members.list), paged by
``pageToken`` as Google does: ``nextPageToken`` absent on the last page.

Faults: ``failures`` answer the next requests of any kind; ``fault`` makes one page of a
listing answer a status (and ``Retry-After``)."""

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
MAX_RESULTS = {"users": (100, 500), "groups": (200, 200), "members": (200, 200)}
"""Per listing: Google's ``maxResults`` default and maximum (reference/reconciliation.md)."""


@dataclass
class Fault:
    """What one page of a listing answers instead of itself, ``times`` times (None: always)."""

    status: int
    times: int | None = None
    retry_after: str | None = None


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
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Group id -> its direct members (``{"id", "email", "type", "role", "status"}``)."""
    faults: dict[tuple[str, int], Fault] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    """Every listing request, path and query, in order."""

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
            Route("/admin/directory/v1/users", self._list_users),
            Route("/admin/directory/v1/groups", self._list_groups),
            Route("/admin/directory/v1/groups/{id}/members", self._list_members),
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

    def add_user(self, user_id: str, email: str, given: str, family: str, *,
                 suspended: bool = False) -> None:  # fmt: skip
        self.users[user_id] = {"kind": "admin#directory#user", "id": user_id,
                               "primaryEmail": email, "suspended": suspended,
                               "name": {"givenName": given, "familyName": family,
                                        "fullName": f"{given} {family}"}}  # fmt: skip

    def add_group(self, group_id: str, email: str, name: str) -> None:
        self.groups[group_id] = {"kind": "admin#directory#group", "id": group_id,
                                 "email": email, "name": name}  # fmt: skip

    def add_member(self, group_id: str, member_id: str, kind: str = "USER") -> None:
        """``member_id`` (a user's or a group's id) becomes a direct member of the group."""
        email = (
            (self.users if kind == "USER" else self.groups)
            .get(member_id, {})
            .get("primaryEmail" if kind == "USER" else "email", f"{member_id}@outside.example")
        )
        self.members.setdefault(group_id, []).append({
            "kind": "admin#directory#member", "id": member_id, "email": email,
            "role": "MEMBER", "type": kind, "status": "ACTIVE",
        })  # fmt: skip

    def fault(self, listing: str, page: int, status: int, *, times: int | None = None,
              retry_after: str | None = None) -> None:  # fmt: skip
        """Page ``page`` (1-based) of ``listing`` (users, groups, members) answers ``status``."""
        self.faults[(listing, page)] = Fault(status, times, retry_after)

    async def _list_users(self, request: Request) -> Response:
        if request.query_params.get("customer") is None:  # as Google: customer or domain
            return JSONResponse({"error": {"code": 400, "message": "Bad Request"}}, 400)
        return self._paged(request, "users", list(self.users.values()))

    async def _list_groups(self, request: Request) -> Response:
        return self._paged(request, "groups", list(self.groups.values()))

    async def _list_members(self, request: Request) -> Response:
        key = request.path_params["id"]
        if key not in self.groups:
            return JSONResponse({"error": {"code": 404}}, 404)
        derived = request.query_params.get("includeDerivedMembership") == "true"
        return self._paged(request, "members", self._members_of(key, derived, {key}))

    def _members_of(self, key: str, derived: bool, seen: set[str]) -> list[dict[str, Any]]:
        """Direct members, and with ``derived`` those of member groups too, as Google lists
        them (a nested group is listed itself, then its members)."""
        found: list[dict[str, Any]] = []
        for member in self.members.get(key, []):
            found.append(member)
            if derived and member["type"] == "GROUP" and member["id"] not in seen:
                seen.add(member["id"])
                found += self._members_of(member["id"], derived, seen)
        return found

    def _paged(self, request: Request, listing: str, items: list[dict[str, Any]]) -> Response:
        self.requests.append(f"{request.url.path}?{request.url.query}")
        if (refused := self._refused(request)) is not None:
            return refused
        default, most = MAX_RESULTS[listing]
        size = min(int(request.query_params.get("maxResults", default)), most)
        token = request.query_params.get("pageToken")
        start = int(token.removeprefix("offset-")) if token else 0
        fault = self.faults.get((listing, start // size + 1))
        if fault is not None and fault.times != 0:
            if fault.times is not None:
                fault.times -= 1
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            return JSONResponse({"error": {"code": fault.status}}, fault.status, headers=headers)
        page: dict[str, Any] = {"kind": f"admin#directory#{listing}", "etag": '"e"'}
        if shown := items[start : start + size]:  # Google leaves an empty list out
            page[listing] = shown
        if start + size < len(items):
            page["nextPageToken"] = f"offset-{start + size}"
        return JSONResponse(page)


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
