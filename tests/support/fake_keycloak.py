"""A small fake of Keycloak: the client-credentials token endpoint, the admin API's
read-backs (``/admin/realms/{realm}/{users|groups}/{id}``) and the listings a directory
read makes, paged by ``first``/``max`` as Keycloak does (``/children`` defaults to 10).

Faults: ``failures`` answer the next read-backs; ``fault`` makes one page of a listing
answer a status (and ``Retry-After``); ``count_skew`` makes ``/users/count`` disagree.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_MAX = {"users": 100, "groups": 100, "children": 10, "members": 100}
"""Keycloak's ``max`` when none is sent (reference/reconciliation.md §1.4)."""


@dataclass
class Fault:
    """What one page of a listing answers instead of itself, ``times`` times (None: always)."""

    status: int
    times: int | None = None
    retry_after: str | None = None


@dataclass
class FakeKeycloak:
    """One realm (any name in the path) with its users, groups and memberships."""

    secret: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``users/{id}`` / ``groups/{id}`` -> what a read-back answers."""
    failures: list[int] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    """id -> ``{"id", "name", "path", "parent", "members": [user ids]}``."""
    faults: dict[tuple[str, int], Fault] = field(default_factory=dict)
    count_skew: int = 0
    legacy: bool = False
    """Answer as servers before ``subGroupCount`` did: ``/groups`` embeds the whole tree
    in ``subGroups``, and ``/children`` does not exist."""
    requests: list[str] = field(default_factory=list)
    """Every listing request, path and query, in order."""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/realms/{realm}/protocol/openid-connect/token", self._token,
                  methods=["POST"]),
            Route("/admin/realms/{realm}/users/count", self._users_count),
            Route("/admin/realms/{realm}/users", self._users),
            Route("/admin/realms/{realm}/groups/count", self._groups_count),
            Route("/admin/realms/{realm}/groups", self._top_groups),
            Route("/admin/realms/{realm}/groups/{id}/children", self._children),
            Route("/admin/realms/{realm}/groups/{id}/members", self._members),
            Route("/admin/realms/{realm}/{kind}/{id}", self._read),
        ])  # fmt: skip

    def fault(self, listing: str, page: int, status: int, *, times: int | None = None,
              retry_after: str | None = None) -> None:  # fmt: skip
        """Page ``page`` (1-based) of ``listing`` (users, groups, children, members,
        users/count, groups/count) answers ``status``."""
        self.faults[(listing, page)] = Fault(status, times, retry_after)

    def add_user(self, user_id: str, username: str, *, enabled: bool = True) -> None:
        self.users[user_id] = {
            "id": user_id, "username": username, "firstName": username.title(),
            "lastName": "Tester", "email": f"{username}@acme.example", "enabled": enabled,
            "emailVerified": True, "createdTimestamp": 1_762_078_531_000,
        }  # fmt: skip

    def add_group(self, group_id: str, name: str, members: list[str],
                  parent: str | None = None) -> None:  # fmt: skip
        path = f"{self.groups[parent]['path'] if parent else ''}/{name}"
        self.groups[group_id] = {"id": group_id, "name": name, "path": path, "parent": parent,
                                 "members": members}  # fmt: skip

    async def _token(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode())
        if form.get("client_secret") != [self.secret]:
            return JSONResponse({"error": "unauthorized_client"}, 401)
        return JSONResponse({"access_token": "kc-token", "expires_in": 300})

    async def _read(self, request: Request) -> Response:
        self.reads.append(request.url.path)
        if request.headers.get("authorization") != "Bearer kc-token":
            return JSONResponse({}, 401)
        if self.failures:
            return JSONResponse({}, self.failures.pop(0))
        key = f"{request.path_params['kind']}/{request.path_params['id']}"
        found = self.objects.get(key)
        return JSONResponse(found) if found else JSONResponse({}, 404)

    def _refused(self, request: Request, listing: str, page: int) -> Response | None:
        self.requests.append(f"{request.url.path}?{request.url.query}")
        if request.headers.get("authorization") != "Bearer kc-token":
            return JSONResponse({"error": "HTTP 401 Unauthorized"}, 401)
        fault = self.faults.get((listing, page))
        if fault is None or fault.times == 0:
            return None
        if fault.times is not None:
            fault.times -= 1
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        return JSONResponse({"error": "unknown_error"}, fault.status, headers=headers)

    def _paged(self, request: Request, listing: str, items: list[dict[str, Any]]) -> Response:
        first = int(request.query_params.get("first", 0))
        size = int(request.query_params.get("max", DEFAULT_MAX[listing]))
        if (refused := self._refused(request, listing, first // max(size, 1) + 1)) is not None:
            return refused
        return JSONResponse(items[first : first + size])

    async def _users(self, request: Request) -> Response:
        return self._paged(request, "users", list(self.users.values()))

    async def _users_count(self, request: Request) -> Response:
        if (refused := self._refused(request, "users/count", 1)) is not None:
            return refused
        return JSONResponse(len(self.users) + self.count_skew)

    async def _groups_count(self, request: Request) -> Response:
        if (refused := self._refused(request, "groups/count", 1)) is not None:
            return refused
        return JSONResponse({"count": len(self.groups)})

    async def _top_groups(self, request: Request) -> Response:
        return self._paged(request, "groups", self._reps(None))

    async def _children(self, request: Request) -> Response:
        if self.legacy:
            return JSONResponse({"error": "RESTEASY003210: Could not find resource"}, 404)
        if request.path_params["id"] not in self.groups:
            return JSONResponse({"error": "Could not find group by id"}, 404)
        return self._paged(request, "children", self._reps(request.path_params["id"]))

    async def _members(self, request: Request) -> Response:
        group = self.groups.get(request.path_params["id"])
        if group is None:
            return JSONResponse({"error": "Could not find group by id"}, 404)
        return self._paged(request, "members", [self.users[u] for u in group["members"]])

    def _reps(self, parent: str | None) -> list[dict[str, Any]]:
        """The groups under ``parent`` as Keycloak shows them (brief: no attributes)."""
        reps = []
        for group in self.groups.values():
            if group["parent"] != parent:
                continue
            rep = {k: group[k] for k in ("id", "name", "path")}
            if self.legacy:
                rep["subGroups"] = self._reps(group["id"])
            else:
                rep["subGroupCount"] = sum(g["parent"] == group["id"]
                                           for g in self.groups.values())  # fmt: skip
                rep["subGroups"] = []
            reps.append(rep)
        return reps
