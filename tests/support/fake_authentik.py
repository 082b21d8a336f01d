"""A small fake of authentik's API: users by pk and groups by uuid read back, and both
listed with DRF page-number paging as authentik answers (``pagination.next`` is 0 on the
last page; ``include_groups`` / ``include_users`` embed objects unless ``false``).

Faults: ``failures`` answer the next read-backs; ``fault`` makes one page of a listing
answer a status (and ``Retry-After``); ``count_skew`` makes the users' ``count`` disagree.
"""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAGE_SIZE = 100
"""authentik's default ``page_size``."""


@dataclass
class Fault:
    """What one page of a listing answers instead of itself, ``times`` times (None: always)."""

    status: int
    times: int | None = None
    retry_after: str | None = None


@dataclass
class FakeAuthentik:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)
    faults: dict[tuple[str, int], Fault] = field(default_factory=dict)
    count_skew: int = 0
    requests: list[str] = field(default_factory=list)
    """Every listing request, path and query, in order."""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/v3/core/{kind}/", self._list),
            Route("/api/v3/core/{kind}/{key}/", self._read),
        ])  # fmt: skip

    def fault(self, listing: str, page: int, status: int, *, times: int | None = None,
              retry_after: str | None = None) -> None:  # fmt: skip
        """Page ``page`` of ``listing`` (users, groups) answers ``status``."""
        self.faults[(listing, page)] = Fault(status, times, retry_after)

    def add_user(self, pk: int, username: str, *, active: bool = True) -> None:
        self.users[str(pk)] = {"pk": pk, "username": username, "name": username.title(),
                               "email": f"{username}@corp.example", "is_active": active,
                               "groups": []}  # fmt: skip

    def add_group(self, name: str, members: list[int], parent: str | None = None) -> str:
        key = str(uuid.uuid4())
        self.groups[key] = {"pk": key, "num_pk": len(self.groups) + 1, "name": name,
                            "is_superuser": False, "parent": parent,
                            "parent_name": self.groups[parent]["name"] if parent else None,
                            "users": members, "attributes": {}}  # fmt: skip
        for pk in members:
            self.users[str(pk)]["groups"].append(key)
        return key

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _read(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"detail": "no"}, 403)
        if self.failures:
            return JSONResponse({}, self.failures.pop(0))
        kind, key = request.path_params["kind"], request.path_params["key"]
        found = (self.users if kind == "users" else self.groups).get(key)
        if found is None:
            return JSONResponse({"detail": "Not found."}, 404)
        return JSONResponse(self._shown(kind, found, request))

    async def _list(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        self.requests.append(f"{request.url.path}?{request.url.query}")
        if not self._authorized(request):
            return JSONResponse({"detail": "no"}, 403)
        if kind not in {"users", "groups"}:
            return JSONResponse({"detail": "Not found."}, 404)
        page = int(request.query_params.get("page", 1))
        size = int(request.query_params.get("page_size", PAGE_SIZE))
        if (fault := self.faults.get((kind, page))) is not None and fault.times != 0:
            if fault.times is not None:
                fault.times -= 1
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            return JSONResponse({"detail": "error"}, fault.status, headers=headers)
        table, order = (self.users, "username") if kind == "users" else (self.groups, "name")
        everything = sorted(table.values(), key=lambda item: str(item[order]))
        pages = max(1, math.ceil(len(everything) / size))
        if page > pages:
            return JSONResponse({"detail": "Invalid page."}, 404)
        shown = everything[(page - 1) * size : page * size]
        count = len(everything) + (self.count_skew if kind == "users" else 0)
        return JSONResponse({
            "pagination": {
                "next": page + 1 if page < pages else 0, "previous": page - 1,
                "count": count, "current": page, "total_pages": pages,
                "start_index": (page - 1) * size + 1 if shown else 0,
                "end_index": (page - 1) * size + len(shown),
            },
            "results": [self._shown(kind, item, request) for item in shown],
        })  # fmt: skip

    def _shown(self, kind: str, item: dict[str, Any], request: Request) -> dict[str, Any]:
        """``item`` with the embedded objects authentik adds unless told not to."""
        if kind == "users":
            include = request.query_params.get("include_groups", "true") == "true"
            groups = [self.groups[g] for g in item["groups"]] if include else None
            return {**item, "groups_obj": groups}
        include = request.query_params.get("include_users", "true") == "true"
        users = [self.users[str(u)] for u in item["users"]] if include else None
        return {**item, "users_obj": users}
