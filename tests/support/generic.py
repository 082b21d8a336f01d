"""Signed requests for the generic (Standard Webhooks) route."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from standardwebhooks.webhooks import Webhook


def signed_headers(
    secret: str, body: bytes, *, msg_id: str = "msg_1", age: dt.timedelta = dt.timedelta(0)
) -> dict[str, str]:
    moment = dt.datetime.now(dt.UTC) - age
    signature = Webhook(secret).sign(msg_id, moment, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}  # fmt: skip


def changes_body(tenant: str, *changes: dict[str, Any]) -> bytes:
    return json.dumps({"tenant": tenant, "changes": list(changes)}).encode()


def user_change(change_id: str, user_id: str, second: int, **fields: Any) -> dict[str, Any]:
    """A ``user.upserted`` change at 10:00:``second``; the user is ``<user_id>@hr.example``."""
    user = {"id": user_id, "user_name": f"{user_id}@hr.example", "display_name": f"User {user_id}",
            **fields}  # fmt: skip
    return {"id": change_id, "type": "user.upserted", "occurred_at": _at(second), "user": user}


def retire_change(change_id: str, kind: str, user_id: str, second: int) -> dict[str, Any]:
    """A ``user.deactivated`` or ``user.deleted`` change."""
    return {"id": change_id, "type": f"user.{kind}", "occurred_at": _at(second),
            "user": {"id": user_id}}  # fmt: skip


def group_change(change_id: str, group_id: str, name: str, second: int) -> dict[str, Any]:
    return {"id": change_id, "type": "group.upserted", "occurred_at": _at(second),
            "group": {"id": group_id, "display_name": name}}  # fmt: skip


def members_change(
    change_id: str, kind: str, group_id: str, user_ids: list[str], second: int
) -> dict[str, Any]:
    """A ``group.member_added`` or ``group.member_removed`` change."""
    return {"id": change_id, "type": f"group.member_{kind}", "occurred_at": _at(second),
            "group": {"id": group_id}, "members": [{"id": u} for u in user_ids]}  # fmt: skip


def _at(second: int) -> str:
    minutes, seconds = divmod(second, 60)
    return f"2026-11-02T10:{minutes:02d}:{seconds:02d}Z"
