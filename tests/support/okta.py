"""Okta event hook payloads shaped like the ones Okta sends (reference/idp-webhooks.md)."""

from __future__ import annotations

import uuid
from typing import Any

ORG = "acme.okta.com"


def user_target(user_id: str, login: str, name: str = "Jane Doe") -> dict[str, Any]:
    return {"id": user_id, "type": "User", "alternateId": login, "displayName": name,
            "detailEntry": None}  # fmt: skip


def group_target(group_id: str, name: str) -> dict[str, Any]:
    return {"id": group_id, "type": "UserGroup", "alternateId": "unknown", "displayName": name,
            "detailEntry": None}  # fmt: skip


def event(
    event_type: str, targets: list[dict[str, Any]], *, published: str,
    event_uuid: str | None = None, result: str = "SUCCESS", **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    return {
        "uuid": event_uuid or str(uuid.uuid4()),
        "published": published,
        "eventType": event_type,
        "version": "0",
        "displayMessage": event_type,
        "severity": "INFO",
        "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@acme.com",
                  "displayName": "Acme Admin"},
        "outcome": {"result": result, "reason": None},
        "target": targets,
        **extra,
    }  # fmt: skip


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "contentType": "application/json",
        "source": f"https://{ORG}/api/v1/eventHooks/who7hphp39JoHLni81d7",
        "eventId": str(uuid.uuid4()),
        "eventTime": "2026-11-02T10:15:31.032Z",
        "data": {"events": list(events)},
    }
