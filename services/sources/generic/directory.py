"""The generic source's full read: a snapshot file in the shapes of the generic webhook.

    {"tenant": "hr-system",
     "read_at": "2026-12-02T10:00:00Z",            (optional; default: the file's mtime)
     "users":  [{"id": "e-1001", "user_name": "ada@example.com", ...}],
     "groups": [{"id": "g-7", "display_name": "Engineering", "members": ["e-1001"]}]}

Users take every field of the webhook's ``user`` object; a group adds ``members``, a
list of user ids. A file that is not of this shape is refused whole (``ReadFailed``): a
half-read snapshot must never read as "these people left".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from schemas import GroupState
from services.sources.directory import Directory, ReadFailed
from services.sources.errors import Unmappable
from services.sources.mapping import clean, user_state

from .events import SOURCE, GenericUser


class SnapshotGroup(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    display_name: str | None = None
    members: list[str] = []


class Snapshot(msgspec.Struct, forbid_unknown_fields=True):
    tenant: str
    users: list[GenericUser]
    groups: list[SnapshotGroup] = []
    read_at: dt.datetime | None = None


class SnapshotReader:
    """Reads ``path`` as the generic source's whole directory."""

    source = SOURCE

    def __init__(self, path: Path) -> None:
        self.path = path

    async def read(self) -> Directory:
        try:
            raw = self.path.read_bytes()
            taken = dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC)
        except OSError as error:
            raise ReadFailed(SOURCE, f"cannot read {self.path}: {error.strerror}") from None
        try:
            snapshot = msgspec.json.decode(raw, type=Snapshot)
        except (msgspec.DecodeError, UnicodeDecodeError) as error:
            raise ReadFailed(SOURCE, f"{self.path} is not a directory snapshot: {error}") from None
        read_at = snapshot.read_at or taken
        if read_at.utcoffset() is None:
            raise ReadFailed(SOURCE, f"{self.path}: read_at has no time zone")
        return _directory(snapshot, read_at)

    async def aclose(self) -> None:
        return None


def _directory(snapshot: Snapshot, read_at: dt.datetime) -> Directory:
    users, groups, unmapped = {}, {}, {}
    for user in snapshot.users:
        try:
            users[user.id] = user_state(
                name=user.user_name, display_name=user.display_name,
                given_name=user.given_name, family_name=user.family_name,
                email_address=user.email, active=user.active, title=user.title,
                department=user.department, employee_number=user.employee_number,
            )  # fmt: skip
        except Unmappable as error:
            unmapped[f"user:{user.id}"] = str(error)
    for group in snapshot.groups:
        name = clean(group.display_name)
        if name is None:
            unmapped[f"group:{group.id}"] = f"group {group.id} has no usable display_name"
        else:
            groups[group.id] = GroupState(name)
    for kind, ids in (("user", [u.id for u in snapshot.users]),
                      ("group", [g.id for g in snapshot.groups])):  # fmt: skip
        if len(set(ids)) != len(ids) or not all(ids):
            raise ReadFailed(SOURCE, f"the snapshot names a {kind} id twice, or an empty one")
    members = {g.id: frozenset(g.members) for g in snapshot.groups if g.id in groups}
    return Directory(SOURCE, snapshot.tenant, read_at, users, groups, members, unmapped)
