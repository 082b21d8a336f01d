"""What SCIM clients send AWS: users, groups, PatchOps, filters and paging, from ``rng``."""

from __future__ import annotations

import base64
import random
from typing import Any

from services.aws_scim_emulator._listing import _cursor
from services.aws_scim_emulator._patch_ops import PATCH_URN
from services.aws_scim_emulator._validation import ENTERPRISE_URN, GROUP_URN, USER_URN

from ._idp_bodies import LOGINS, NAMES, pick
from ._values import EVIL_TEXT, evil_scalar

COLLECTIONS = (
    "Users",
    "Groups",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    "users",
    "Bulk",
    "Me",
    "",
)
USER_PATHS = (
    "userName",
    "displayName",
    "active",
    "externalId",
    "title",
    "nickName",
    "locale",
    "name",
    "name.givenName",
    "name.familyName",
    "name.middleName",
    "emails",
    "emails.value",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    "emails[primary eq true].value",
    'addresses[type eq "work"].locality',
    'phoneNumbers[type eq "work"].value',
    "phoneNumbers",
    "addresses",
    f"{ENTERPRISE_URN}:department",
    f"{ENTERPRISE_URN}",
    f"{ENTERPRISE_URN}:manager",
    "enterprise",
    "userName.x",
    "displayName.x",
    "active.x",
    "title.value",
    "groups",
    "password",
    'emails[type co "w"].value',
    "emails[",
    "x[y eq 1]",
)
GROUP_PATHS = (
    "members",
    'members[value eq "{id}"]',
    "displayName",
    "externalId",
    "members.value",
    "displayName.x",
    'members[value co "x"]',
    "id",
)
FILTER_ATTRIBUTES = (
    "userName",
    "externalId",
    "id",
    "displayName",
    "members.value",
    "groups.value",
    "member",
    "manager.value",
    "emails.value",
    "meta.created",
)


def user_body(rng: random.Random, ids: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER_URN],
        "userName": pick(rng, LOGINS),
        "displayName": pick(rng, NAMES),
        "name": {"givenName": pick(rng, NAMES), "familyName": pick(rng, NAMES)},
        "emails": [{"value": pick(rng, LOGINS), "type": "work", "primary": True}],
        "active": pick(rng, (True, False, "false", "True")),
        "externalId": pick(rng, ("okta|acme|00u1", "x" * 257, "")),
    }
    optional = {
        "title": pick(rng, NAMES),
        "locale": "en-US",
        ENTERPRISE_URN: {
            "department": pick(rng, NAMES),
            "manager": {"value": rng.choice([*ids, "m1"])},
        },
        "phoneNumbers": [{"value": "+1 555", "type": "work"}],
        "addresses": [{"locality": pick(rng, NAMES), "type": "work", "primary": True}],
        "password": "secret",
        "groups": [],
    }
    body |= {key: value for key, value in optional.items() if rng.random() < 0.2}
    for key in list(body):
        if rng.random() < 0.05:
            del body[key]
    return body


def group_body(rng: random.Random, ids: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [GROUP_URN],
        "displayName": pick(rng, NAMES),
        "externalId": pick(rng, ("okta|acme|00g1", "")),
    }
    if rng.random() < 0.5:
        members = [rng.choice([*ids, "u-x", ""]) for _ in range(rng.randrange(4))]
        body["members"] = [{"value": m} for m in members]
    return body


def _op_value(rng: random.Random, path: str, ids: list[str]) -> Any:
    if path.startswith("members"):
        return [{"value": rng.choice([*ids, "u-x"])} for _ in range(rng.randrange(1, 3))]
    if path == "emails":
        return [{"value": pick(rng, LOGINS), "primary": True}]
    if path in {"name", ENTERPRISE_URN}:
        return {"givenName": pick(rng, NAMES), "department": pick(rng, NAMES)}
    if path == "active":
        return pick(rng, (True, False, "false"))
    return pick(rng, (*NAMES, *LOGINS))


def patch_body(rng: random.Random, ids: list[str], collection: str) -> dict[str, Any]:
    paths = GROUP_PATHS if collection == "Groups" else USER_PATHS
    operations = []
    for _ in range(rng.randrange(1, 4)):
        path = rng.choice(paths).replace("{id}", rng.choice([*ids, "x"]))
        op: dict[str, Any] = {
            "op": pick(rng, ("add", "replace", "remove", "Add", "Replace", "move"))
        }
        if rng.random() < 0.85:
            op["path"] = path
            if rng.random() < 0.8:
                op["value"] = _op_value(rng, path, ids)
        else:  # path-less: the value names the attribute
            op["value"] = {path: _op_value(rng, path, ids)}
        operations.append(op)
    return {"schemas": [PATCH_URN], "Operations": operations}


def filter_text(rng: random.Random, known: list[str]) -> str:
    def clause() -> str:
        value = rng.choice([*known, *LOGINS, "", 'say \\"hi\\"', str(evil_scalar(rng))])
        quoted = rng.choice((f'"{value}"', value, f'"{value}', f"'{value}'"))
        return (
            f"{rng.choice(FILTER_ATTRIBUTES)} {rng.choice(('eq', 'EQ', 'co', 'pr', 'ne'))} {quoted}"
        )

    text = clause()
    if rng.random() < 0.4:
        text += f" {rng.choice(('and', 'AND', 'or'))} {clause()}"
    return text if rng.random() < 0.9 else rng.choice(EVIL_TEXT)


def query(rng: random.Random, known: list[str], seqs: list[int]) -> dict[str, str]:
    """List parameters: a filter, a count, a cursor (valid, stale or garbage), a start."""
    params: dict[str, str] = {}
    if rng.random() < 0.6:
        params["filter"] = filter_text(rng, known)
    if rng.random() < 0.4:
        params["count"] = rng.choice(("1", "2", "100", "0", "101", "-1", "abc", "1e3", "9" * 30))
    if rng.random() < 0.4:
        position = rng.choice([*seqs, -1, 10**6])
        params["cursor"] = rng.choice(
            (
                "",
                _cursor(params.get("filter", ""), position),
                _cursor("other", position),
                base64.b64encode(b"abc/def").decode(),
                "!!",
                base64.b64encode(b"\xff/1").decode(),
            )
        )
    if rng.random() < 0.1:
        params["startIndex"] = rng.choice(("1", "0", "x"))
    return params
