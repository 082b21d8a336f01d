"""A small fake of Microsoft Graph and its token endpoint: users, groups, getByIds,
subscriptions (which, like Graph, validate the notification URL when created), and delta
queries on users and groups (reference/reconciliation.md, section 1.2).

Delta: pages of ``page_size`` entries linked by ``$skiptoken`` nextLinks, then a deltaLink
with a ``$deltatoken``. A deltaLink returns what the change log holds after it (changes made
through the methods below, not by editing ``users`` directly), ``@removed`` included. A
group's members go ``member_page`` to an entry, so a large group spans entries and pages.
"""

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
    retry_after: str = "1"
    """What a 429 from ``failures`` says in ``Retry-After``."""
    members: dict[str, list[str]] = field(default_factory=dict)
    """Group id -> member ids: users, groups, or anything else (taken as devices)."""
    page_size: int = 3
    member_page: int = 4
    partial_updates: bool = False
    """Incremental rounds return a changed user's id and changed fields only (Graph may)."""
    failing_page: tuple[int, int] | None = None
    """(n, status): every GET of the n-th page of any delta round answers ``status``."""
    expired_status: int = 410
    """What a deltaLink Graph forgot answers: 410, or 400 ``syncStateNotFound``."""
    delta_urls: list[str] = field(default_factory=list)
    """Every delta GET, as requested."""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    """The change log: (collection, object id, changed fields or member id; "" for all)."""
    removed: dict[str, str] = field(default_factory=dict)
    """``collection:id`` -> the ``@removed`` reason of an object taken away."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Member id -> its ``@odata.type``, kept after it is gone."""
    delta_tokens: dict[str, int] = field(default_factory=dict)
    """Issued ``$deltatoken`` -> the change log position it stands for."""
    generation: int = 0
    """Bumped when the tokens are forgotten, so no later token is one forgotten."""
    rounds: dict[str, tuple[list[dict[str, Any]], int, int]] = field(default_factory=dict)
    """``$skiptoken`` -> (entries left, the page number it opens, the log position)."""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            Route("/v1.0/subscriptions", self._subscriptions, methods=["GET", "POST"]),
            Route("/v1.0/subscriptions/{id}", self._renew, methods=["PATCH"]),
            Route("/v1.0/subscriptions/{id}/reauthorize", self._reauthorize, methods=["POST"]),
            Route("/v1.0/directoryObjects/getByIds", self._by_ids, methods=["POST"]),
            Route("/v1.0/{kind:str}/delta", self._delta),
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
            wait = {"Retry-After": self.retry_after} if status == 429 else None
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
        self.changes.append(("users", user_id, ""))

    def update_user(self, user_id: str, **fields: Any) -> None:
        self.users[user_id] |= fields
        self.changes.append(("users", user_id, ",".join(fields)))

    def remove_user(self, user_id: str, reason: str = "deleted") -> None:
        """Soft-delete (``changed``) or delete the user; it leaves its groups, as in Graph."""
        del self.users[user_id]
        self.removed[f"users:{user_id}"] = reason
        self.changes.append(("users", user_id, ""))
        for group_id, ids in self.members.items():
            if user_id in ids:
                self.remove_members(group_id, user_id)

    def add_group(self, group_id: str, name: str) -> None:
        self.groups[group_id] = {"id": group_id, "displayName": name}
        self.changes.append(("groups", group_id, ""))

    def rename_group(self, group_id: str, name: str) -> None:
        self.groups[group_id]["displayName"] = name
        self.changes.append(("groups", group_id, ""))

    def remove_group(self, group_id: str, reason: str = "deleted") -> None:
        del self.groups[group_id]
        self.members.pop(group_id, None)
        self.removed[f"groups:{group_id}"] = reason
        self.changes.append(("groups", group_id, ""))

    def add_members(self, group_id: str, *member_ids: str) -> None:
        for member in member_ids:
            self._member(member)  # its type, remembered for when it is gone
            self.members.setdefault(group_id, []).append(member)
            self.changes.append(("groups", group_id, member))

    def remove_members(self, group_id: str, *member_ids: str) -> None:
        for member in member_ids:
            self.members[group_id].remove(member)
            self.changes.append(("groups", group_id, member))

    def expire_delta_tokens(self, status: int = 410) -> None:
        """Forget every deltaLink issued so far (Graph keeps them 7 days)."""
        self.delta_tokens.clear()
        self.generation += 1
        self.expired_status = status

    async def _delta(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        kind, query = request.path_params["kind"], request.query_params
        self.delta_urls.append(str(request.url))
        if (skip := query.get("$skiptoken")) is not None:
            entries, page, position = self.rounds[skip]
        elif (token := query.get("$deltatoken")) is not None:
            if token not in self.delta_tokens:
                return self._forgotten(request)
            entries, page, position = self._since(kind, self.delta_tokens[token]), 1, len(
                self.changes)  # fmt: skip
        else:
            entries, page, position = self._everything(kind), 1, len(self.changes)
        if self.failing_page is not None and self.failing_page[0] == page:
            return JSONResponse({"error": {"code": "generalException"}}, self.failing_page[1])
        here, rest = entries[: self.page_size], entries[self.page_size :]
        link = f"{str(request.base_url).rstrip('/')}/v1.0/{kind}/delta"
        answer: dict[str, Any] = {"@odata.context": f"{link}/$metadata", "value": here}
        if rest:
            fresh = secrets.token_urlsafe(12)
            self.rounds[fresh] = (rest, page + 1, position)
            answer["@odata.nextLink"] = f"{link}?$skiptoken={fresh}"
        else:  # the same state, the same token (Graph's are opaque; this one is not random)
            token = f"{self.generation}.{position}"
            self.delta_tokens[token] = position
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={token}"
        return JSONResponse(answer)

    def _forgotten(self, request: Request) -> Response:
        if self.expired_status == 410:
            location = f"{str(request.base_url).rstrip('/')}{request.url.path}?$deltatoken="
            return JSONResponse({"error": {"code": "resyncRequired"}}, 410,
                                headers={"Location": location})  # fmt: skip
        return JSONResponse({"error": {"code": "syncStateNotFound", "message": "The sync state "
                             "generation is not found."}}, 400)  # fmt: skip

    def _member(self, member: str, *, removed: bool = False) -> dict[str, Any]:
        kind = "user" if member in self.users else "group" if member in self.groups else "device"
        self.kinds.setdefault(member, f"#microsoft.graph.{kind}")
        entry = {"@odata.type": self.kinds[member], "id": member}
        return entry | ({"@removed": {"reason": "deleted"}} if removed else {})

    def _group_entries(
        self, group_id: str, members: list[dict[str, Any]], *, named: bool = True
    ) -> list[dict[str, Any]]:
        """The group as delta entries, its members split ``member_page`` to an entry."""
        slices = [members[i : i + self.member_page]
                  for i in range(0, len(members), self.member_page)] or [[]]  # fmt: skip
        head = {"displayName": self.groups[group_id]["displayName"]} if named else {}
        return [{"id": group_id, **(head if i == 0 else {}), "members@delta": part}
                for i, part in enumerate(slices)]  # fmt: skip

    def _everything(self, kind: str) -> list[dict[str, Any]]:
        if kind == "users":
            return [dict(self.users[u]) for u in sorted(self.users)]
        return [entry for g in sorted(self.groups) for entry in self._group_entries(
            g, [self._member(m) for m in self.members.get(g, [])])]  # fmt: skip

    def _since(self, kind: str, position: int) -> list[dict[str, Any]]:
        later = [(i, d) for k, i, d in self.changes[position:] if k == kind]
        entries: list[dict[str, Any]] = []
        for object_id in dict.fromkeys(i for i, _ in later):
            details = [d for i, d in later if i == object_id]
            if (table := self.users if kind == "users" else self.groups).get(object_id) is None:
                reason = self.removed.get(f"{kind}:{object_id}", "deleted")
                entries.append({"id": object_id, "@removed": {"reason": reason}})
            elif kind == "users":
                fields = {f for d in details for f in d.split(",")}
                whole = not self.partial_updates or "" in fields
                user = table[object_id]
                entries.append(dict(user) if whole else {
                    "id": object_id, **{f: user[f] for f in fields}})  # fmt: skip
            else:
                now = self.members.get(object_id, [])
                touched = [self._member(m, removed=m not in now)
                           for m in dict.fromkeys(d for d in details if d)]  # fmt: skip
                entries += self._group_entries(object_id, touched, named="" in details)
        return entries

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


def lifecycle(event: str, client_state: str) -> dict[str, Any]:
    """A lifecycle notification (``missed``, ``subscriptionRemoved``, ...) as Graph sends it."""
    return {
        "subscriptionId": "d850b120-19bb-4291-b9c4-845ea04dd38d",
        "subscriptionExpirationDateTime": "2026-12-20T18:13:08.914+00:00",
        "tenantId": TENANT, "clientState": client_state, "lifecycleEvent": event,
    }  # fmt: skip
