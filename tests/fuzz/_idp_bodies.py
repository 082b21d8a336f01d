"""What each IdP sends, shaped like the real thing, with values drawn from ``rng``.

Templates are mostly well-formed, so the code past the parsing is reached; the mutations
of ``_values`` then bend them. ``ENTRA_STATE`` is the clientState the fuzzed gateway
expects, so a template notification passes its check unless a mutation changes it.
"""

from __future__ import annotations

import random
from typing import Any

from ._values import evil_scalar

ENTRA_STATE = "fuzz-client-state"
IDS = ("00u1", "00u2", "00g1", "u1", "g1", "6f1c9b7e-2d4a-4c52-9d7e-1b3f7e0e9a11", "42", "")
LOGINS = ("jane@acme.com", "Jane.Doe@Acme.com", "bob", "a b@acme.com", "x" * 140, "<b>@c", "")
NAMES = ("Jane Doe", "Ada King Lovelace", "Prince", "Engineering", "", " ", "<>;:%", "é ü")
TIMES = (
    "2026-11-02T10:15:29.770Z",
    "2026-11-02T10:15:29Z",
    "2026-11-02T10:15:29+05:30",
    "2026-11-02T10:15:29",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "yesterday",
)
OKTA_TYPES = (
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.unsuspend",
    "user.lifecycle.suspend",
    "user.lifecycle.deactivate",
    "user.lifecycle.delete.initiated",
    "user.account.update_profile",
    "group.lifecycle.create",
    "group.lifecycle.delete",
    "group.profile.update",
    "group.user_membership.add",
    "group.user_membership.remove",
    "user.session.start",
    "policy.rule.update",
)
GENERIC_TYPES = (
    "user.upserted",
    "user.deactivated",
    "user.deleted",
    "group.upserted",
    "group.deleted",
    "group.member_added",
    "group.member_removed",
)


def pick(rng: random.Random, pool: tuple[Any, ...]) -> Any:
    """Mostly a value from ``pool``; now and then a hostile one."""
    return pool[rng.randrange(len(pool))] if rng.random() < 0.9 else evil_scalar(rng)


def okta_event(rng: random.Random) -> dict[str, Any]:
    user = {
        "id": pick(rng, IDS),
        "type": "User",
        "alternateId": pick(rng, LOGINS),
        "displayName": pick(rng, NAMES),
        "detailEntry": None,
    }
    group = {
        "id": pick(rng, IDS),
        "type": "UserGroup",
        "alternateId": "unknown",
        "displayName": pick(rng, NAMES),
        "detailEntry": None,
    }
    targets = [t for t in (user, group) if rng.random() < 0.8]
    rng.shuffle(targets)
    return {
        "uuid": pick(rng, ("b2b3c1d0-1", "e-2", "x" * 300, "")),
        "published": pick(rng, TIMES),
        "eventType": pick(rng, OKTA_TYPES),
        "version": "0",
        "severity": "INFO",
        "displayMessage": pick(rng, NAMES),
        "actor": {"id": "00uadmin", "type": "User"},
        "outcome": {"result": pick(rng, ("SUCCESS",) * 4 + ("FAILURE", "SKIPPED")), "reason": None},
        "target": targets,
    }


def okta_batch(rng: random.Random) -> dict[str, Any]:
    source = pick(rng, ("https://acme.okta.com/api/v1/eventHooks/who7", "", "http://[", "acme"))
    events = [okta_event(rng) for _ in range(rng.randrange(4))]
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "source": source,
        "eventId": "batch-1",
        "data": {"events": events},
    }


def generic_change(rng: random.Random) -> dict[str, Any]:
    kind = pick(rng, GENERIC_TYPES)
    change: dict[str, Any] = {
        "id": pick(rng, ("chg-1", "chg-2", "x" * 300, "")),
        "type": kind,
        "occurred_at": pick(rng, TIMES),
    }
    if str(kind).startswith("user") or rng.random() < 0.1:
        change["user"] = {
            "id": pick(rng, IDS),
            "user_name": pick(rng, LOGINS),
            "display_name": pick(rng, NAMES),
            "given_name": pick(rng, NAMES),
            "family_name": pick(rng, NAMES),
            "email": pick(rng, LOGINS),
            "active": pick(rng, (True, False)),
            "title": pick(rng, NAMES),
            "department": pick(rng, NAMES),
            "employee_number": pick(rng, ("7", "")),
        }
    if str(kind).startswith("group") or rng.random() < 0.1:
        change["group"] = {"id": pick(rng, IDS), "display_name": pick(rng, NAMES)}
        change["members"] = [
            {"id": pick(rng, IDS), "user_name": pick(rng, LOGINS)} for _ in range(rng.randrange(3))
        ]
    return change


def generic_batch(rng: random.Random) -> dict[str, Any]:
    tenant = pick(rng, ("hr-system", "", "t" * 300))
    return {"tenant": tenant, "changes": [generic_change(rng) for _ in range(rng.randrange(4))]}


def entra_notification(rng: random.Random) -> dict[str, Any]:
    kind = pick(rng, ("Users", "Groups", "users", "Devices"))
    data: dict[str, Any] = {"@odata.type": f"#Microsoft.Graph.{kind}", "id": pick(rng, IDS)}
    if kind == "Groups" and rng.random() < 0.6:
        data["members@delta"] = [
            {"id": pick(rng, IDS), **({"@removed": "deleted"} if rng.random() < 0.4 else {})}
            for _ in range(rng.randrange(3))
        ]
    notification = {
        "subscriptionId": pick(rng, ("sub-1", "")),
        "changeType": pick(rng, ("updated", "deleted")),
        "resource": f"{kind}/{pick(rng, IDS)}",
        "tenantId": pick(rng, ("tenant-1", "t" * 300)),
        "clientState": ENTRA_STATE if rng.random() < 0.9 else pick(rng, ("wrong", "")),
        "resourceData": data,
    }
    if rng.random() < 0.1:
        notification["lifecycleEvent"] = pick(rng, ("reauthorizationRequired", "missed"))
    return notification


def entra_collection(rng: random.Random) -> dict[str, Any]:
    return {"value": [entra_notification(rng) for _ in range(rng.randrange(4))]}


def keycloak_representation(rng: random.Random, kind: str) -> dict[str, Any]:
    if kind == "GROUP":
        return {"id": pick(rng, IDS), "name": pick(rng, NAMES), "path": "/eng"}
    return {
        "id": pick(rng, IDS),
        "username": pick(rng, LOGINS),
        "firstName": pick(rng, NAMES),
        "lastName": pick(rng, NAMES),
        "email": pick(rng, LOGINS),
        "enabled": pick(rng, (True, False)),
    }


def keycloak_event(rng: random.Random) -> dict[str, Any]:
    kind = pick(rng, ("USER", "GROUP", "GROUP_MEMBERSHIP", "CLIENT"))
    user, group = pick(rng, IDS), pick(rng, IDS)
    path = {
        "USER": f"users/{user}",
        "GROUP": f"groups/{group}",
        "GROUP_MEMBERSHIP": f"users/{user}/groups/{group}",
    }.get(str(kind), "clients/c1")
    event: dict[str, Any] = {
        "id": pick(rng, ("kc-1", "")),
        "uid": pick(rng, ("kc-uid-1", "x" * 300, "")),
        "time": pick(rng, (1762078529770, 0, -1, 2**62)),
        "realmId": "r-1",
        "realmName": pick(rng, ("acme", "", "r" * 300)),
        "resourceType": kind,
        "operationType": pick(rng, ("CREATE", "UPDATE", "DELETE", "ACTION")),
        "resourcePath": path,
        "authDetails": {"userId": "admin", "realmId": "master"},
        "details": {"username": pick(rng, LOGINS)},
    }
    if rng.random() < 0.6:
        import json

        event["representation"] = json.dumps(keycloak_representation(rng, str(kind)))
    return event


def authentik_event(rng: random.Random) -> dict[str, Any]:
    model_name = pick(rng, ("user", "group", "token"))
    pk = pick(rng, (7, "42", "6f1c9b7e-2d4a-4c52-9d7e-1b3f7e0e9a11", ""))
    return {
        "event_uuid": pick(rng, ("ak-1", "x" * 300, "")),
        "action": pick(rng, ("model_created", "model_updated", "model_deleted", "login")),
        "app": "authentik.events.middleware",
        "created": pick(rng, TIMES),
        "model": {
            "app": pick(rng, ("authentik_core", "authentik_flows")),
            "model_name": model_name,
            "pk": pk,
            "name": pick(rng, NAMES),
        },
        "diff": None,
    }


def google_activity(rng: random.Random) -> dict[str, Any]:
    names = (
        "CREATE_GROUP",
        "CHANGE_GROUP_NAME",
        "CHANGE_GROUP_EMAIL",
        "DELETE_GROUP",
        "ADD_GROUP_MEMBER",
        "REMOVE_GROUP_MEMBER",
        "CHANGE_GROUP_SETTING",
    )
    params = ("GROUP_EMAIL", "USER_EMAIL", "NEW_VALUE", "OLD_VALUE")
    events = [
        {
            "type": "GROUP_SETTINGS",
            "name": pick(rng, names),
            "parameters": [
                {
                    "name": pick(rng, params),
                    "value": pick(rng, ("eng@acme.com", "jane@acme.com", "")),
                }
                for _ in range(rng.randrange(4))
            ],
        }
        for _ in range(rng.randrange(3))
    ]
    return {
        "kind": "admin#reports#activity",
        "id": {
            "time": pick(rng, TIMES),
            "uniqueQualifier": pick(rng, ("-42", "7")),
            "applicationName": "admin",
            "customerId": "C01",
        },
        "actor": {"email": "admin@acme.com"},
        "events": events,
    }


def google_user_push(rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "admin#directory#user",
        "id": pick(rng, IDS),
        "etag": '"e"',
        "primaryEmail": pick(rng, LOGINS),
    }


def google_queued(rng: random.Random) -> dict[str, Any]:
    """What the gateway queues for a Google push (the normalizer's input)."""
    message: dict[str, Any] = {
        "state": pick(rng, ("exists", "update", "delete", "sync")),
        "channel_id": pick(rng, ("ch-1", "")),
        "message_number": pick(rng, ("3", "")),
    }
    if rng.random() < 0.5:
        message["activity"] = google_activity(rng)
    else:
        message["user"] = {"id": pick(rng, IDS)}
    return message
