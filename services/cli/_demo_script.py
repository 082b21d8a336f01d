"""What the demo's IdP sends: a realistic afternoon of an HR system's changes, as
Standard Webhooks deliveries to the generic route."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import schemas

SOURCE, TENANT = "generic", "acme-hr"
PEOPLE = ("ada", "grace", "linus", "mallory")
STAFF = tuple(f"staff-{n:03d}" for n in range(1, 121))


@dataclass
class Delivery:
    """One webhook: what it is for, and its changes."""

    title: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    repeat_of: int | None = None
    """The delivery this one repeats (an IdP retrying), if any."""


@dataclass(frozen=True)
class Expected:
    """An event the demo waits for, by the idempotency key the normalizer will give it."""

    delivery: int
    change_id: str
    type: str
    subject: str
    key: str


def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"u-{name}", "user_name": f"{name}@acme.example",
            "display_name": f"{name.title()} Example", "given_name": name.title(),
            "family_name": "Example", "email": f"{name}@acme.example", **extra}  # fmt: skip


class Script:
    """Builds the deliveries with increasing IdP timestamps, so versions order them."""

    def __init__(self) -> None:
        self.start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        self.clock = 0
        self.deliveries: list[Delivery] = []

    def _change(self, type_: str, **body: Any) -> dict[str, Any]:
        self.clock += 1
        moment = self.start + dt.timedelta(seconds=self.clock)
        change_id = f"chg-{self.clock:04d}"
        return {"id": change_id, "type": type_, "occurred_at": moment.isoformat(), **body}

    def build(self) -> list[Delivery]:
        first = Delivery("initial load: 124 people, 2 groups, memberships")
        first.changes += [self._change("user.upserted", user=_user(p)) for p in PEOPLE]
        first.changes += [self._change("user.upserted", user=_user(s)) for s in STAFF]
        engineering = {"id": "g-eng", "display_name": "Engineering"}
        everyone = {"id": "g-all", "display_name": "Everyone"}
        first.changes += [
            self._change("group.upserted", group=engineering),
            self._change("group.upserted", group=everyone),
            self._change("group.member_added", group=engineering,
                         members=[{"id": f"u-{p}"} for p in ("ada", "grace", "linus")]),
            self._change("group.member_added", group=everyone,
                         members=[{"id": f"u-{p}"} for p in PEOPLE + STAFF]),
        ]  # fmt: skip
        repeat = Delivery("the IdP retries the first delivery", list(first.changes), repeat_of=0)
        old_grace = self._change("user.upserted", user=_user("grace", title="Engineer"))
        day = Delivery("a day of changes")
        day.changes += [
            self._change("group.upserted", group={"id": "g-eng",
                                                  "display_name": "Platform Engineering"}),
            self._change("user.upserted", user=_user("grace", title="CTO")),
            self._change("user.deactivated", user={"id": "u-linus"}),
            self._change("user.deleted", user={"id": "u-mallory"}),
            self._change("group.member_removed", group={"id": "g-eng"},
                         members=[{"id": "u-ada"}]),
        ]  # fmt: skip
        late = Delivery("a late, older profile update of grace", [old_grace])
        self.deliveries = [first, repeat, day, late]
        return self.deliveries

    def expected(self) -> list[Expected]:
        """Every distinct change, once (a repeated delivery has the same keys)."""
        seen: list[Expected] = []
        for n, delivery in enumerate(self.deliveries):
            if delivery.repeat_of is not None:
                continue
            for change in delivery.changes:
                kind: Literal["user", "group"] = (
                    "user" if change["type"].startswith("user.") else "group"
                )
                idp_id = change[kind]["id"]
                key = schemas.idempotency_key(
                    SOURCE, TENANT, change["id"], change["type"], schemas.Subject(kind, idp_id)
                )
                seen.append(Expected(n, change["id"], change["type"], f"{kind}:{idp_id}", key))
        return seen
