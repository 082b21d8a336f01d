"""A small fake of the Okta management API, SSWS token checked: users and groups by id, and
the list endpoints as Okta pages them (reference/reconciliation.md, section 1.1).

Lists take ``limit`` (capped at Okta's maximum, or at ``page_cap``) and an opaque ``after``
cursor, and carry ``Link: <absolute URL>; rel="next"`` only while more pages follow; the
System Log (``/api/v1/logs``) always carries one, as an Okta polling request does. Every
list answer has ``X-Rate-Limit-Limit``, ``-Remaining`` and ``-Reset``. Faults: ``fail_page``
answers ``fail_status`` on the Nth page of a user, group or member list (every time it is
asked), and
``throttle`` answers the next N list requests 429 with ``X-Rate-Limit-Reset`` a second ahead.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LIMITS = {"users": (200, 200), "groups": (200, 200), "members": (1000, 1000), "logs": (100, 1000)}
"""Okta's default and maximum ``limit`` per list."""
WINDOW = 60.0
"""Okta's rate limits are per minute."""
_STATUS_FILTER = re.compile(r'status eq "([A-Z_]+)"')
_EVENT_TYPE_FILTER = re.compile(r'eventType (eq|sw) "([^"]+)"')


def _refused(code: str, status: int) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorSummary": code}, status)


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeOkta:
    token: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    """Group id -> its members' user ids."""
    logs: list[dict[str, Any]] = field(default_factory=list)
    """System Log events (``tests.support.okta.event``), in any order."""
    calls: list[str] = field(default_factory=list)
    """The path of every request, in order."""
    listed: list[str] = field(default_factory=list)
    """The path and query of every list request, in order (throttled and failed ones too)."""
    stalled: set[str] = field(default_factory=set)
    """Ids whose read is held unanswered (an hour): a call the test kills its client in."""
    page_cap: int | None = None
    """A page maximum below Okta's, so a few objects make many pages."""
    fail_page: dict[str, int] = field(default_factory=dict)
    """Collection path (``/api/v1/users``) -> the page number (from 1) answered ``fail_status``."""
    fail_status: int = 500
    throttle: int = 0
    """List requests still to answer 429 (each one counts down)."""
    rate_limit: int = 600
    _window: list[float] = field(default_factory=lambda: [0.0, 0.0])  # start, requests

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

        return Starlette(routes=[
            Route("/api/v1/users", self._listing("users", self._users)),
            Route("/api/v1/groups", self._listing("groups", lambda _: self._sorted(self.groups))),
            Route("/api/v1/groups/{id:str}/users", self._listing("members", self._members)),
            Route("/api/v1/logs", self._listing("logs", self._logs)),
            Route("/api/v1/{kind:str}/{id:str}", read),
        ])  # fmt: skip

    def add_user(self, user_id: str, login: str, first: str, last: str, **profile: Any) -> None:
        self.users[user_id] = {
            "id": user_id, "status": profile.pop("status", "ACTIVE"),
            "profile": {"login": login, "email": login, "firstName": first, "lastName": last,
                        **profile},
        }  # fmt: skip

    def add_group(self, group_id: str, name: str, group_type: str = "OKTA_GROUP") -> None:
        self.groups[group_id] = {"id": group_id, "type": group_type,
                                 "profile": {"name": name, "description": ""}}  # fmt: skip
        self.members.setdefault(group_id, [])

    def add_member(self, group_id: str, user_id: str) -> None:
        self.members.setdefault(group_id, []).append(user_id)

    def _listing(self, kind: str, items: Any) -> Any:
        async def listing(request: Request) -> Response:
            self.calls.append(request.url.path)
            self.listed.append(f"{request.url.path}?{request.url.query}")
            found = self._refusal(request) or items(request)
            if isinstance(found, Response):
                answer = found
            else:
                answer = (self._log_page if kind == "logs" else self._page)(request, kind, found)
            for name, value in self._rate_headers().items():
                answer.headers.setdefault(name, value)  # a 429 keeps the reset it was given
            return answer

        return listing

    def _refusal(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"SSWS {self.token}":
            return _refused("E0000011", 401)
        if self.throttle > 0:
            self.throttle -= 1
            answer = _refused("E0000047", 429)
            answer.headers["x-rate-limit-remaining"] = "0"
            answer.headers["x-rate-limit-reset"] = str(math.ceil(time.time() + 1))
            return answer
        return None

    def _rate_headers(self) -> dict[str, str]:
        now = time.time()
        if now >= self._window[0] + WINDOW:
            self._window[:] = [now, 0.0]
        self._window[1] += 1
        remaining = max(0, self.rate_limit - int(self._window[1]))
        return {"x-rate-limit-limit": str(self.rate_limit),
                "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(math.ceil(self._window[0] + WINDOW))}  # fmt: skip

    def _limit(self, request: Request, kind: str) -> int:
        default, maximum = LIMITS[kind]
        asked = int(request.query_params.get("limit", default))
        return max(1, min(asked, maximum, self.page_cap or maximum))

    @staticmethod
    def _sorted(table: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [table[key] for key in sorted(table)]

    def _users(self, request: Request) -> list[dict[str, Any]] | Response:
        wanted = request.query_params.get("filter")
        matched = _STATUS_FILTER.fullmatch(wanted) if wanted else None
        if wanted and matched is None:
            return _refused("E0000031", 400)
        if matched:
            return [u for u in self._sorted(self.users) if u["status"] == matched.group(1)]
        return [u for u in self._sorted(self.users) if u["status"] != "DEPROVISIONED"]

    def _members(self, request: Request) -> list[dict[str, Any]] | Response:
        group_id = request.path_params["id"]
        if group_id not in self.groups:
            return _refused("E0000007", 404)
        ids = sorted(set(self.members.get(group_id, [])))
        return [self.users[i] for i in ids if i in self.users]

    def _failing(self, request: Request, number: int) -> Response | None:
        if self.fail_page.get(request.url.path) == number:
            return _refused("E0000009", self.fail_status)
        return None

    def _page(self, request: Request, kind: str, items: list[dict[str, Any]]) -> Response:
        limit, after = self._limit(request, kind), request.query_params.get("after")
        start = bisect.bisect_right([i["id"] for i in items], after) if after else 0
        failed = self._failing(request, start // limit + 1)
        if failed is not None:
            return failed
        chunk = items[start : start + limit]
        answer = JSONResponse(chunk)
        if start + limit < len(items):
            following = request.url.include_query_params(after=chunk[-1]["id"])
            answer.headers["link"] = f'<{following}>; rel="next"'
        return answer

    def _logs(self, request: Request) -> list[dict[str, Any]] | Response:
        since = request.query_params.get("since")
        wanted = request.query_params.get("filter")
        terms = [_EVENT_TYPE_FILTER.fullmatch(t) for t in wanted.split(" or ")] if wanted else []
        if not all(terms) or request.query_params.get("sortOrder", "ASCENDING") != "ASCENDING":
            return _refused("E0000031", 400)

        def kept(event: dict[str, Any]) -> bool:
            if since and _moment(event["published"]) < _moment(since):
                return False
            kind = event["eventType"]
            return not terms or any(
                kind == t.group(2) if t.group(1) == "eq" else kind.startswith(t.group(2))
                for t in terms if t
            )  # fmt: skip

        ordered = sorted(self.logs, key=lambda e: (_moment(e["published"]), e["uuid"]))
        after = request.query_params.get("after")
        if after:  # the cursor is the last event served: carry on right after it
            uuids = [e["uuid"] for e in ordered]
            ordered = ordered[uuids.index(after) + 1 :] if after in uuids else []
        return [e for e in ordered if kept(e)]

    def _log_page(self, request: Request, kind: str, items: list[dict[str, Any]]) -> Response:
        limit = self._limit(request, kind)
        chunk = items[:limit]
        answer = JSONResponse(chunk)
        # A polling request always has a next link, an empty page too: poll it again later.
        following = request.url.remove_query_params("since")
        after = chunk[-1]["uuid"] if chunk else request.query_params.get("after")
        following = following.include_query_params(after=after) if after else request.url
        answer.headers["link"] = f'<{following}>; rel="next"'
        return answer
