"""The AWS SCIM emulator's doors: its SCIM surface and its admin API, in process.

Each case starts from a small directory (users and a group made directly), sends one to
three requests, and checks each answer. Answers the emulator may give, like AWS:
- 200, 201, 204: done;
- 400 (AWS's ValidationException: any body, filter, path or paging it refuses), 401, 404
  (unknown resource, path or unsupported combination; AWS has no 405 for those), 409;
- 405: only for methods the emulator serves on no path (OPTIONS and the like, Starlette's);
- never 413 or 415: the emulator, like AWS, reads any content type as JSON; never 429 or
  500 unless faults are set (cases set none on the SCIM door).
Every SCIM answer carries ``x-amzn-RequestId``; every error has AWS's body with the status
as a string; a refused request changes nothing; and the unique indexes always agree with
the users and groups they index.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import msgspec

from services.aws_scim_emulator import (
    Behaviour,
    EmulatorConfig,
    Faults,
    Token,
    _groups,
    _users,
    create_app,
)
from services.aws_scim_emulator._emulator import Emulator
from services.aws_scim_emulator._errors import ERROR_URN
from services.aws_scim_emulator._scim_routes import ROUTES
from services.aws_scim_emulator._validation import USER_URN

from . import _scim_bodies as scim
from ._engine import Broken, Door, Plan
from ._values import any_json, encode, evil_scalar, header_value, mutate_bytes, mutate_tree

TENANT, TOKEN, SECOND = "fuzz-tenant", "fuzz-scim-token", "second-token"
ADMIN_METHODS = {
    "health": "GET",
    "state": "GET",
    "writes": "GET",
    "reset": "POST",
    "faults": "PATCH",
    "behaviour": "PATCH",
    "tokens": "POST",
    "save": "POST",
}
METHODS = (
    ("GET",) * 3 + ("POST",) * 3 + ("PUT", "PATCH", "PATCH", "PATCH", "DELETE", "HEAD", "OPTIONS")
)
SCIM_ANSWERS = frozenset({200, 201, 204, 400, 401, 404, 405, 409})
_VALID = Plan(0, "template", "valid", 1, "", splice=False, variant="route", broker_down=False)


def _behaviour(rng: random.Random) -> Behaviour:
    return Behaviour(
        unsupported_attributes=rng.choice(("reject", "ignore")),
        username_spaces=rng.random() < 0.3,
        case_insensitive_names=rng.random() < 0.7,
        group_put=rng.choice(("reject", "replace")),
        unknown_member=rng.choice(("not_found", "ignore")),
        count_limits=rng.choice(("reject", "clamp")),
    )


def seed_directory(em: Emulator, rng: random.Random) -> list[str]:
    """A few users and groups made directly (what earlier requests would have made)."""
    ids: list[str] = []
    users: list[str] = []
    for n in range(rng.randrange(4)):
        body = {
            "userName": f"user{n}@acme.com",
            "displayName": f"User {n}",
            "name": {"givenName": "U", "familyName": str(n)},
            "externalId": f"x{n}",
            "emails": [{"value": f"user{n}@acme.com", "primary": True}],
        }
        users.append(_users.create(em.directory, body, em.behaviour)["id"])
    ids += users
    for n in range(rng.randrange(3)):
        members = [{"value": i} for i in users if rng.random() < 0.5]
        body = {"displayName": f"Group {n}", "externalId": f"g{n}", "members": members}
        ids.append(_groups.create(em.directory, body, em.behaviour)["id"])
    return ids


def body_of(rng: random.Random, plan: Plan, method: str, collection: str, ids: list[str]) -> bytes:
    if plan.shape == "empty" or (method in {"GET", "DELETE", "HEAD"} and rng.random() < 0.8):
        return b""
    if plan.shape == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if method == "PATCH":
        value: Any = scim.patch_body(rng, ids, collection)
    elif collection == "Groups":
        value = scim.group_body(rng, ids)
    else:
        value = scim.user_body(rng, ids)
    if plan.shape == "json":
        value = any_json(rng, 3)
    elif plan.shape in {"mutated", "oversized"}:
        value = mutate_tree(rng, value, plan.mutations)
    data = encode(rng, value)
    return mutate_bytes(rng, data, plan.mutations) if plan.shape == "bytes-mutated" else data


def _auth(rng: random.Random, plan: Plan, admin: bool) -> list[tuple[bytes, bytes]]:
    # The second token is one an admin case may have added: what it can do depends on how.
    token = rng.choice((TOKEN, TOKEN, SECOND)) if admin else TOKEN
    return {
        "valid": [(b"authorization", f"Bearer {token}".encode())],
        "missing": [],
        "wrong": [(b"authorization", b"Bearer not-the-token")],
        "mangled": [
            (
                b"authorization",
                rng.choice(
                    (f"bearer {TOKEN}", TOKEN, f"Bearer {TOKEN} ", f"Basic {TOKEN}")
                ).encode(),
            )
        ],
    }.get(plan.credentials, [(b"authorization", header_value(rng))])


class EmulatorProbe:
    """One emulator app; one case is a fresh directory and a few requests."""

    def __init__(self, admin: bool) -> None:
        self.admin = admin
        config = EmulatorConfig(tenant=TENANT, tokens=[Token(TOKEN, dt.datetime.now(dt.UTC))])
        app = create_app(config)
        self.em: Emulator = app.state.emulator
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://aws"
        )
        self.last_input = ""

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, plan: Plan) -> str:
        rng = random.Random(plan.seed)  # noqa: S311 - fuzz draws, not secrets
        self.em.reset()
        self.em.set_behaviour(_behaviour(rng))
        ids = seed_directory(self.em, rng)
        self.last_input, outcomes = "", []
        for _ in range(rng.randint(1, 2)):
            send = self._admin_request if self.admin else self._scim_request
            method, url, headers, body = send(rng, plan, ids)
            self.last_input += f" | {method} {url} headers={headers!r} body={body[:800]!r}"
            before = msgspec.json.encode(self.em.directory.snapshot())
            response = await self.client.request(method, url, headers=headers, content=body)
            after = msgspec.json.encode(self.em.directory.snapshot())
            check_answer(response, before, after, scim=not self.admin and method != "HEAD")
            check_indexes(self.em)
            outcomes.append(str(response.status_code))
        if self.admin and self.em.faults.faults == Faults() and rng.random() < 0.3:
            answer = await self.client.get(
                f"/{TENANT}/scim/v2/Users", headers={"authorization": f"Bearer {TOKEN}"}
            )
            if answer.status_code != 200:
                raise Broken(f"after the admin calls, ListUsers answered {answer.status_code}")
        return outcomes[-1]

    def _scim_request(
        self, rng: random.Random, plan: Plan, ids: list[str]
    ) -> tuple[str, str, list[tuple[bytes, bytes]], bytes]:
        if rng.random() < 0.75:  # a supported operation, so the body parsing is reached
            method, collection, with_id = rng.choice(list(ROUTES))
            resource = rng.choice(ids or ["no-such-id"]) if with_id else ""
            if collection in {"Schemas", "ResourceTypes"} and with_id:
                resource = rng.choice(("User", "Group", USER_URN, "Nope"))
        else:
            method, collection = rng.choice(METHODS), rng.choice(scim.COLLECTIONS)
            resource = rng.choice(("", *ids, "no-such-id", str(evil_scalar(rng)), "User"))
        path = f"/{TENANT if rng.random() < 0.95 else 'other'}/scim/v2/{collection}"
        if resource:
            path += f"/{quote(resource, safe='', errors='surrogatepass')}"
        if rng.random() < 0.05:
            path += rng.choice(("/", "/extra", "//"))
        params = scim.query(rng, ids, sorted(self.em.directory.seq.values()))
        url = path + (f"?{urlencode(params, errors='surrogatepass')}" if params else "")
        # Mostly the right token: a 401 says nothing about the rest of the request.
        headers = _auth(rng, plan if rng.random() < 0.3 else _VALID, admin=False)
        headers.append(
            (
                b"content-type",
                rng.choice(
                    (
                        b"application/scim+json",
                        b"application/json",
                        b"text/plain",
                        header_value(rng),
                    )
                ),
            )
        )
        return method, url, headers, body_of(rng, plan, method, collection, ids)

    def _admin_request(
        self, rng: random.Random, plan: Plan, ids: list[str]
    ) -> tuple[str, str, list[tuple[bytes, bytes]], bytes]:
        name = rng.choice(
            (
                "health",
                "state",
                "writes",
                "reset",
                "faults",
                "behaviour",
                "tokens",
                "tokens",
                "save",
                "other",
            )
        )
        method = (
            ADMIN_METHODS.get(name, "GET")
            if rng.random() < 0.8
            else rng.choice(("GET", "POST", "PATCH", "DELETE"))
        )
        value: Any = {
            "faults": {
                "error_rate": rng.choice((0.0, 0.5, 2.0, -1)),
                "latency_ms": 0,
                "operations": rng.choice((None, ["CreateUser"], "CreateUser")),
            },
            "behaviour": {
                "case_insensitive_names": rng.random() < 0.5,
                "group_put": rng.choice(("reject", "replace", "maybe")),
            },
            "tokens": {
                "token": rng.choice((SECOND, "", TOKEN)),
                "created_at": rng.choice(
                    (
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00",
                        "9999-12-31T23:59:59Z",
                        "0001-01-01T00:00:00Z",
                        None,
                    )
                ),
            },
        }.get(name, {})
        if plan.shape in {"mutated", "json"}:
            value = mutate_tree(rng, value, plan.mutations)
        body = b"" if plan.shape == "empty" else json.dumps(value).encode()
        if plan.shape == "bytes-mutated":
            body = mutate_bytes(rng, body, plan.mutations)
        return method, f"/_emulator/{name}", _auth(rng, plan, admin=True), body


def check_answer(response: httpx.Response, before: bytes, after: bytes, *, scim: bool) -> None:
    status = response.status_code
    if status not in SCIM_ANSWERS:
        raise Broken(f"answered {status} ({response.text[:200]})")
    if status >= 400 and before != after:
        raise Broken(f"answered {status} but changed the directory")
    if not scim or status == 405:
        return
    if "x-amzn-requestid" not in response.headers:
        raise Broken(f"a {status} answer without x-amzn-RequestId")
    if status >= 400:
        error = response.json()
        if error.get("schemas") != [ERROR_URN] or error.get("status") != str(status):
            raise Broken(f"a {status} answer without AWS's error body ({error!r})")


def check_indexes(em: Emulator) -> None:
    """Each unique index names exactly the resources that hold its values."""
    directory = em.directory
    expected = [
        (directory.user_names, directory.users, "userName"),
        (directory.user_external_ids, directory.users, "externalId"),
        (directory.group_names, directory.groups, "displayName"),
        (directory.group_external_ids, directory.groups, "externalId"),
    ]
    for index, table, key in expected:
        held = {r["id"] for r in table.values() if r.get(key) is not None}
        if set(index.owners.values()) != held or len(index.owners) != len(held):
            raise Broken(f"the {key} index disagrees with the directory")
        for resource in table.values():
            if key in resource and index.owner(resource[key]) != resource["id"]:
                raise Broken(f"{key} {resource[key]!r} is indexed to another resource")


def _door(name: str, admin: bool) -> Door:
    async def open_probe() -> EmulatorProbe:
        return EmulatorProbe(admin)

    return Door(name, open_probe, __doc__ or "")


DOORS = (_door("emulator-scim", admin=False), _door("emulator-admin", admin=True))
