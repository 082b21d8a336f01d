"""A small fake of the Okta management API: users and groups by id, SSWS token checked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeOkta:
    token: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    stalled: set[str] = field(default_factory=set)
    """Ids whose read is held unanswered (an hour): a call the test kills its client in."""

    def app(self) -> Starlette:
        async def read(request: Request) -> JSONResponse:
            self.calls.append(request.url.path)
            if request.path_params["id"] in self.stalled:
                await asyncio.sleep(3600)
            if request.headers.get("authorization") != f"SSWS {self.token}":
                return JSONResponse({"errorCode": "E0000011"}, 401)
            table = self.users if request.path_params["kind"] == "users" else self.groups
            found = table.get(request.path_params["id"])
            return JSONResponse(found) if found else JSONResponse({"errorCode": "E0000007"}, 404)

        return Starlette(routes=[Route("/api/v1/{kind:str}/{id:str}", read)])

    def add_user(self, user_id: str, login: str, first: str, last: str, **profile: Any) -> None:
        self.users[user_id] = {
            "id": user_id, "status": profile.pop("status", "ACTIVE"),
            "profile": {"login": login, "email": login, "firstName": first, "lastName": last,
                        **profile},
        }  # fmt: skip

    def add_group(self, group_id: str, name: str) -> None:
        self.groups[group_id] = {"id": group_id, "profile": {"name": name, "description": ""}}
