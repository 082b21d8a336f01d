"""A seeded IdP directory that changes over time: the changes it sends, and where it ends.

The directory is simulated change by change, so every change is one a real IdP could send
at that moment (an update names a user that exists, a removal a member that is there), and
what AWS must end up holding follows from replaying the directory, not from the changes
as delivered. Each change is ``occurred_at`` one millisecond after the one before: that is
its source version, so the last change of each user, group and membership pair decides.

Every name ever given is new (userName, email and group displayName carry the IdP id and a
revision), because AWS keeps those unique: a reused name would make a change conflict with
a change of another object that the writer may apply in either order.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

TENANT = "chaos"
SOURCE = "generic"
_START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
_GIVEN = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Leslie", "Frances")
_FAMILY = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Perlman")

# How often each kind of change is drawn, among those possible at that moment.
WEIGHTS = {
    "user.create": 26.0, "user.update": 16.0, "user.reactivate": 2.0,
    "user.deactivate": 5.0, "user.delete": 4.0, "group.create": 5.0, "group.rename": 4.0,
    "group.delete": 1.5, "member.add": 26.0, "member.remove": 10.0,
}  # fmt: skip


@dataclass
class User:
    """A user as the IdP holds it now (and so as AWS must end up holding it)."""

    user_name: str
    display_name: str
    given_name: str
    family_name: str
    email: str
    active: bool = True
    deleted: bool = False


@dataclass
class Group:
    display_name: str
    deleted: bool = False


@dataclass(frozen=True)
class Touch:
    """One change that touched a subject: for the report, to trace a wrong object back."""

    change_id: str
    kind: str
    webhook: int


@dataclass
class Directory:
    """The IdP's directory after every change: the expected final state of AWS."""

    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    members: dict[tuple[str, str], bool] = field(default_factory=dict)
    """Per (group, user): whether the last membership change of the pair added it."""
    history: dict[str, list[Touch]] = field(default_factory=dict)
    """Per subject (``user:<id>``, ``group:<id>``, ``member:<group>:<user>``)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Changes sent, by kind (``user.create``, ``member.add``, ...)."""

    def live_users(self) -> list[str]:
        return [u for u, user in self.users.items() if not user.deleted]

    def live_groups(self) -> list[str]:
        return [g for g, group in self.groups.items() if not group.deleted]

    def expected_members(self) -> set[tuple[str, str]]:
        """Pairs AWS must hold: last change an add, group and user both still there."""
        return {
            (g, u) for (g, u), added in self.members.items()
            if added and not self.groups[g].deleted and not self.users[u].deleted
        }  # fmt: skip


@dataclass
class Workload:
    """The changes to send, grouped into webhooks, and the directory they lead to."""

    webhooks: list[list[dict[str, Any]]]
    directory: Directory

    @property
    def changes(self) -> int:
        return sum(len(w) for w in self.webhooks)


class _Idp:
    """Draws changes against the simulated directory and applies them to it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a repeatable workload, not a secret
        self.dir = Directory()
        self.changes: list[dict[str, Any]] = []
        self.revision = 0

    # -- bookkeeping --------------------------------------------------------------------

    def _emit(self, kind: str, change: dict[str, Any], *subjects: str) -> None:
        n = len(self.changes)
        change = {"id": f"chg-{n:06d}", **change,
                  "occurred_at": (_START + dt.timedelta(milliseconds=n)).isoformat()}  # fmt: skip
        self.changes.append(change)
        self.dir.counts[kind] = self.dir.counts.get(kind, 0) + 1
        for subject in subjects:
            self.dir.history.setdefault(subject, []).append(Touch(change["id"], kind, -1))

    def _rev(self) -> int:
        self.revision += 1
        return self.revision

    def _person(self) -> tuple[str, str]:
        return self.rng.choice(_GIVEN), self.rng.choice(_FAMILY)

    @staticmethod
    def _user_body(user_id: str, user: User) -> dict[str, Any]:
        return {"id": user_id, "user_name": user.user_name, "display_name": user.display_name,
                "given_name": user.given_name, "family_name": user.family_name,
                "email": user.email, "active": user.active}  # fmt: skip

    # -- the kinds of change ------------------------------------------------------------

    def user_create(self) -> None:
        user_id = f"u{len(self.dir.users):05d}"
        given, family = self._person()
        user = User(f"{user_id}@hr.example", f"{given} {family}", given, family,
                    f"{user_id}@mail.example")  # fmt: skip
        self.dir.users[user_id] = user
        body = self._user_body(user_id, user)
        self._emit("user.create", {"type": "user.upserted", "user": body}, f"user:{user_id}")

    def user_update(self, user_id: str, *, reactivate: bool = False) -> None:
        user = self.dir.users[user_id]
        given, family = self._person()
        user.given_name, user.family_name = given, family
        user.display_name = f"{given} {family}"
        if self.rng.random() < 0.3:
            user.email = f"{user_id}.e{self._rev()}@mail.example"
        if self.rng.random() < 0.1:  # a login change (a marriage, a typo fixed)
            user.user_name = f"{user_id}.r{self._rev()}@hr.example"
        if reactivate:
            user.active = True
        kind = "user.reactivate" if reactivate else "user.update"
        body = self._user_body(user_id, user)
        self._emit(kind, {"type": "user.upserted", "user": body}, f"user:{user_id}")

    def user_retire(self, user_id: str, *, delete: bool) -> None:
        user = self.dir.users[user_id]
        if delete:
            user.deleted = True
        else:
            user.active = False
        kind = "user.delete" if delete else "user.deactivate"
        change = {"type": "user.deleted" if delete else "user.deactivated", "user": {"id": user_id}}
        self._emit(kind, change, f"user:{user_id}")

    def group_create(self) -> None:
        group_id = f"g{len(self.dir.groups):04d}"
        self.dir.groups[group_id] = Group(f"team-{group_id}")
        change = {"type": "group.upserted",
                  "group": {"id": group_id, "display_name": f"team-{group_id}"}}  # fmt: skip
        self._emit("group.create", change, f"group:{group_id}")

    def group_rename(self, group_id: str) -> None:
        name = f"team-{group_id}-v{self._rev()}"
        self.dir.groups[group_id].display_name = name
        change = {"type": "group.upserted", "group": {"id": group_id, "display_name": name}}
        self._emit("group.rename", change, f"group:{group_id}")

    def group_delete(self, group_id: str) -> None:
        self.dir.groups[group_id].deleted = True
        self._emit("group.delete", {"type": "group.deleted", "group": {"id": group_id}},
                   f"group:{group_id}")  # fmt: skip

    def members(self, group_id: str, user_ids: list[str], *, add: bool) -> None:
        for user_id in user_ids:
            self.dir.members[group_id, user_id] = add
        change = {"type": "group.member_added" if add else "group.member_removed",
                  "group": {"id": group_id}, "members": [{"id": u} for u in user_ids]}  # fmt: skip
        pairs = [f"member:{group_id}:{u}" for u in user_ids]
        self._emit("member.add" if add else "member.remove", change, f"group:{group_id}", *pairs)

    # -- drawing ------------------------------------------------------------------------

    def step(self) -> None:
        rng, d = self.rng, self.dir
        live_users, live_groups = d.live_users(), d.live_groups()
        if len(live_users) < 8:
            self.user_create()
            return
        if len(live_groups) < 3:
            self.group_create()
            return
        inactive = [u for u in live_users if not d.users[u].active]
        impossible = {"user.reactivate"} if not inactive else set()
        if len(inactive) == len(live_users):
            impossible.add("user.deactivate")
        kinds = [k for k in WEIGHTS if k not in impossible]
        kind = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        match kind:
            case "user.create":
                self.user_create()
            case "user.update":
                self.user_update(rng.choice(live_users))
            case "user.reactivate":
                self.user_update(rng.choice(inactive), reactivate=True)
            case "user.deactivate":
                active = [u for u in live_users if d.users[u].active]
                self.user_retire(rng.choice(active), delete=False)
            case "user.delete":
                self.user_retire(rng.choice(live_users), delete=True)
            case "group.create":
                self.group_create()
            case "group.rename":
                self.group_rename(rng.choice(live_groups))
            case "group.delete":
                self.group_delete(rng.choice(live_groups))
            case "member.add" | "member.remove":
                self._membership(rng.choice(live_groups), add=kind == "member.add")

    def _membership(self, group_id: str, *, add: bool) -> None:
        d = self.dir
        inside = [u for u in d.live_users() if d.members.get((group_id, u))]
        candidates = [u for u in d.live_users() if u not in inside] if add else inside
        if not candidates:  # nobody to add or remove: the IdP gets a new hire instead
            self.user_create()
            return
        count = min(len(candidates), self.rng.choice((1, 1, 1, 2, 3, 5)))
        self.members(group_id, self.rng.sample(candidates, count), add=add)


def workload(events: int, seed: int, max_batch: int = 10) -> Workload:
    """``events`` changes drawn with ``seed``, in webhooks of 1 to ``max_batch`` changes."""
    idp = _Idp(seed)
    while len(idp.changes) < events:
        idp.step()
    webhooks: list[list[dict[str, Any]]] = []
    position = 0
    while position < len(idp.changes):
        size = idp.rng.randint(1, max_batch)
        webhooks.append(idp.changes[position : position + size])
        position += size
    webhook_of = {c["id"]: n for n, batch in enumerate(webhooks) for c in batch}
    for subject, touches in idp.dir.history.items():
        idp.dir.history[subject] = [
            Touch(t.change_id, t.kind, webhook_of[t.change_id]) for t in touches
        ]
    return Workload(webhooks, idp.dir)
