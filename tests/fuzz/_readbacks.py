"""The IdP APIs the normalizer reads back from, faked: each answer drawn from the case.

An answer is usually the object as the IdP returns it (sometimes bent by mutations: a
field of another type, missing, extra), else a 404 (gone), a passing failure (429, 5xx,
unreachable: the normalizer must say ``IdpUnavailable``) or a refusal (401/403: its
``Unmappable``). Token endpoints always answer well-formed tokens or a status: their
parsing lives in the API clients, which the fuzzed mapping modules do not own.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from services.normalizer import GoogleDirectory
from services.scim_writer import StateStore

from ._idp_bodies import IDS, LOGINS, NAMES, pick
from ._values import EVIL_TEXT, mutate_tree

PASSING = (429, 500, 502, 503)
_TOKEN = re.compile(r"/(oauth2/v2\.0|protocol/openid-connect)/token$")


def _okta(rng: random.Random, path: str, _: bytes) -> dict[str, Any]:
    if "/groups/" in path:
        return {"id": path.rsplit("/", 1)[1], "profile": {"name": pick(rng, NAMES)}}
    profile = {
        "login": pick(rng, LOGINS),
        "email": pick(rng, LOGINS),
        "firstName": pick(rng, NAMES),
        "lastName": pick(rng, NAMES),
        "displayName": pick(rng, NAMES),
        "title": pick(rng, NAMES),
        "department": pick(rng, NAMES),
        "employeeNumber": pick(rng, ("7", "")),
    }
    return {
        "id": path.rsplit("/", 1)[1],
        "profile": profile,
        "status": pick(rng, ("ACTIVE", "SUSPENDED", "DEPROVISIONED", "PROVISIONED")),
    }


def _graph_user(rng: random.Random, user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "userPrincipalName": pick(rng, LOGINS),
        "mail": pick(rng, LOGINS),
        "displayName": pick(rng, NAMES),
        "givenName": pick(rng, NAMES),
        "surname": pick(rng, NAMES),
        "accountEnabled": pick(rng, (True, False)),
        "jobTitle": pick(rng, NAMES),
        "department": None,
        "employeeId": "7",
    }


def _graph(rng: random.Random, path: str, body: bytes) -> dict[str, Any]:
    if path.endswith("/getByIds"):
        ids = json.loads(body).get("ids", [])
        return {"value": [_graph_user(rng, i) for i in ids if rng.random() < 0.8]}
    if path.startswith("/groups/"):
        return {"id": path.rsplit("/", 1)[1], "displayName": pick(rng, NAMES)}
    return _graph_user(rng, path.rsplit("/", 1)[1])


def _keycloak(rng: random.Random, path: str, _: bytes) -> dict[str, Any]:
    if "/groups/" in path:
        return {"id": path.rsplit("/", 1)[1], "name": pick(rng, NAMES), "path": "/x"}
    return {
        "id": path.rsplit("/", 1)[1],
        "username": pick(rng, LOGINS),
        "email": pick(rng, LOGINS),
        "firstName": pick(rng, NAMES),
        "lastName": pick(rng, NAMES),
        "enabled": pick(rng, (True, False)),
    }


def _authentik(rng: random.Random, path: str, _: bytes) -> dict[str, Any]:
    key = path.rstrip("/").rsplit("/", 1)[1]
    if "/groups/" in path:
        users = [pick(rng, (7, 8, "9")) for _ in range(rng.randrange(3))]
        return {
            "pk": key,
            "name": pick(rng, NAMES),
            "users": users,
            "users_obj": [{"pk": u, "username": pick(rng, LOGINS)} for u in users],
        }
    return {
        "pk": key,
        "username": pick(rng, LOGINS),
        "name": pick(rng, NAMES),
        "email": pick(rng, LOGINS),
        "is_active": pick(rng, (True, False)),
        "groups": [pick(rng, IDS) for _ in range(rng.randrange(3))],
    }


def _google(rng: random.Random, path: str, _: bytes) -> dict[str, Any]:
    key = path.rsplit("/", 1)[1]
    if "/groups/" in path:
        return {"id": pick(rng, ("03x1", "03x2")), "email": key, "name": pick(rng, NAMES)}
    return {
        "id": pick(rng, ("103", key)),
        "primaryEmail": pick(rng, LOGINS),
        "name": {
            "fullName": pick(rng, NAMES),
            "givenName": pick(rng, NAMES),
            "familyName": pick(rng, NAMES),
        },
        "suspended": pick(rng, (False, True)),
        "organizations": [{"title": pick(rng, NAMES), "department": pick(rng, NAMES)}],
    }


OBJECTS = {
    "okta": _okta,
    "entra": _graph,
    "keycloak": _keycloak,
    "authentik": _authentik,
    "google": _google,
}


@dataclass
class Responder:
    """Answers one case's API reads; remembers what it served, for the report."""

    source: str
    rng: random.Random = field(default_factory=random.Random)
    mutate: float = 0.0
    served: list[str] = field(default_factory=list)
    passing: bool = False
    """Whether any answer was a passing failure (then ``IdpUnavailable`` is right)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        rng, path = self.rng, request.url.path
        draw = rng.random()
        if _TOKEN.search(path):
            status = 200 if draw < 0.95 else rng.choice((*PASSING, 401))
            self.passing |= status in PASSING
            self.served.append(f"token {status}")
            return httpx.Response(status, json={"access_token": "t", "expires_in": 3600})
        if draw < 0.08:
            self.passing = True
            self.served.append(f"{path} unreachable")
            raise httpx.ConnectError("fuzzing: the IdP is unreachable", request=request)
        if draw < 0.2:
            status = rng.choice((*PASSING, 404, 404, 401, 403))
            self.passing |= status in PASSING
            retry = rng.choice(("1", "120", "", "soon"))
            self.served.append(f"{path} {status}")
            return httpx.Response(status, headers={"retry-after": retry})
        found = OBJECTS[self.source](rng, path, request.content)
        if rng.random() < self.mutate:
            # A copy: mutate_tree bends its argument in place, and _keep_ids may fall back.
            bent = mutate_tree(rng, copy.deepcopy(found), rng.randint(1, 3))
            found = _keep_ids(bent, found, path)
        self.served.append(f"{path} 200 {json.dumps(found, default=str)[:300]}")
        return httpx.Response(200, content=json.dumps(found).encode("utf-8", "surrogatepass"))


def _keep_ids(mutated: Any, original: dict[str, Any], path: str) -> Any:
    """Graph's ``getByIds`` answer is read by the API client (``o["id"]``), not by the
    mapping: its shape is kept, only the users' other fields are bent."""
    if not path.endswith("/getByIds"):
        return mutated if isinstance(mutated, dict) else original
    users = mutated.get("value") if isinstance(mutated, dict) else None
    if not isinstance(users, list):
        return original
    kept = [u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)]
    return {"value": kept}


class FuzzDirectory(GoogleDirectory):
    """The Directory API client without a service account: its bearer is a constant."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.http = httpx.AsyncClient(base_url="https://admin.googleapis.com", transport=transport)

    async def _bearer(self) -> str:
        return "fuzz-token"


@dataclass
class MemoryStore:
    """What the normalizer asks of the state store (memberships last seen), in memory.

    Only those two calls: ``as_store`` hands it over as a ``StateStore`` without the
    writer's calls, so the fake does not follow every change of that interface."""

    members: dict[str, frozenset[str]] = field(default_factory=dict)

    async def seen_members(self, key: str) -> frozenset[str] | None:
        return self.members.get(key)

    async def remember_members(self, key: str, members: frozenset[str]) -> None:
        self.members[key] = members

    def as_store(self) -> StateStore:
        return cast("StateStore", self)

    def seed(self, rng: random.Random) -> None:
        """What was seen before this case: a few memberships, now and then a hostile one."""
        self.members.clear()
        for key in ("authentik:user:7", "authentik:group:42", "google:group:eng@acme.com"):
            if rng.random() < 0.5:
                self.members[key] = frozenset(
                    rng.sample(("7", "8", "g1", "03x1", *EVIL_TEXT[:3]), rng.randrange(1, 3))
                )
