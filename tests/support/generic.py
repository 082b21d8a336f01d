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
