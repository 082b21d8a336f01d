"""A message parked for a person: dead-lettered with its reason, or held by the deletion
guard. Read from its headers (the reason, the history) and its body (what it was about)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from services.shared import dead_letters as dl

TRACEPARENT = "traceparent"


def _when(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _about(body: bytes) -> dict[str, Any]:
    """What the body says about itself: a canonical event, or an IdP's raw payload."""
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


@dataclass(frozen=True)
class ParkedMessage:
    """One message in a DLQ or in the held queue, as an SRE needs to see it."""

    queue: str
    id: str
    headers: dict[str, Any]
    body: bytes

    @property
    def when(self) -> dt.datetime | None:
        """When it was parked: its last failure, or when it was held."""
        return _when(self.headers.get(dl.LAST_FAILED_AT) or self.headers.get(dl.HELD_AT))

    @property
    def source(self) -> str:
        return str(self.headers.get("x-idp-sync-source") or _about(self.body).get("source", ""))

    @property
    def type(self) -> str:
        about = _about(self.body)
        return str(self.headers.get("x-idp-sync-type") or about.get("eventType")
                   or about.get("type", ""))  # fmt: skip

    @property
    def subject(self) -> str:
        return str(self.headers.get("x-idp-sync-subject", ""))

    @property
    def name(self) -> str:
        """The userName or group name, for people; empty when the body does not say."""
        about = _about(self.body)
        user, group = about.get("user") or {}, about.get("group") or {}
        return str(user.get("user_name") or group.get("display_name")
                   or about.get("display_name") or "")  # fmt: skip

    @property
    def error_class(self) -> str:
        return str(self.headers.get(dl.ERROR_CLASS, "held" if dl.HELD_AT in self.headers else ""))

    @property
    def detail(self) -> str:
        return str(self.headers.get(dl.ERROR_DETAIL, ""))

    @property
    def attempts(self) -> int:
        return int(str(self.headers.get(dl.ATTEMPTS, 0) or 0))

    @property
    def history(self) -> list[str]:
        return [str(entry) for entry in self.headers.get(dl.HISTORY, []) or []]

    @property
    def trace_id(self) -> str:
        """The W3C trace id of the event's provisioning trace, when it has one."""
        parts = str(self.headers.get(TRACEPARENT, "")).split("-")
        return parts[1] if len(parts) == 4 else ""

    def summary(self) -> dict[str, Any]:
        """The listing's fields, for tables and ``--json``."""
        when = self.when
        return {
            "id": self.id, "queue": self.queue, "when": when.isoformat() if when else "",
            "source": self.source, "type": self.type, "subject": self.subject,
            "name": self.name, "error": self.error_class, "detail": self.detail,
            "attempts": self.attempts, "trace_id": self.trace_id,
        }  # fmt: skip
