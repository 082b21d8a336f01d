"""The emulated identity store: users, groups, memberships and their unique indexes.

Resources are kept as the dicts AWS returns (``id``, ``meta``, ``schemas`` included), so
a read is a lookup and a copy. ``seq`` orders resources for cursor paging.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ._errors import Conflict, NotFound

Resource = dict[str, Any]


def now_stamp() -> str:
    """ISO-8601 at second precision with ``Z``, as AWS writes ``meta`` times."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_resource_id() -> str:
    """Newer AWS ids are plain UUIDs; legacy ones carry a 10-hex prefix."""
    return str(uuid.uuid4())


@dataclass
class UniqueIndex:
    """Maps a key (folded when case-insensitive) to the id of the resource holding it."""

    fold: bool
    owners: dict[str, str] = field(default_factory=dict)

    def _key(self, value: str) -> str:
        return value.casefold() if self.fold else value

    def owner(self, value: str) -> str | None:
        return self.owners.get(self._key(value))

    def check(self, value: str | None, resource_id: str) -> None:
        if value is not None and self.owner(value) not in (None, resource_id):
            raise Conflict

    def put(self, value: str | None, resource_id: str) -> None:
        if value is not None:
            self.owners[self._key(value)] = resource_id

    def drop(self, value: str | None) -> None:
        if value is not None:
            self.owners.pop(self._key(value), None)


def primary_email(user: Resource) -> str | None:
    emails = user.get("emails") or []
    return emails[0].get("value") if emails else None


@dataclass
class Directory:
    """All state of one tenant."""

    case_insensitive_names: bool = True
    users: dict[str, Resource] = field(default_factory=dict)
    groups: dict[str, Resource] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    groups_of: dict[str, set[str]] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        fold = self.case_insensitive_names
        self.user_names = UniqueIndex(fold)
        self.user_external_ids = UniqueIndex(fold=False)
        self.user_emails = UniqueIndex(fold=True)
        self.group_names = UniqueIndex(fold)
        self.group_external_ids = UniqueIndex(fold=False)

    def stamp(self, resource_id: str) -> None:
        self.seq[resource_id] = next(self._counter)

    def user(self, user_id: str) -> Resource:
        try:
            return self.users[user_id]
        except KeyError:
            raise NotFound("Specified user or endpoint does not exist.") from None

    def group(self, group_id: str) -> Resource:
        try:
            return self.groups[group_id]
        except KeyError:
            raise NotFound("Specified group or endpoint does not exist.") from None

    def check_user_unique(self, user: Resource, user_id: str) -> None:
        self.user_names.check(user.get("userName"), user_id)
        self.user_external_ids.check(user.get("externalId"), user_id)
        self.user_emails.check(primary_email(user), user_id)

    def index_user(self, user: Resource, *, add: bool) -> None:
        for index, value in (
            (self.user_names, user.get("userName")),
            (self.user_external_ids, user.get("externalId")),
            (self.user_emails, primary_email(user)),
        ):
            index.put(value, user["id"]) if add else index.drop(value)

    def check_group_unique(self, group: Resource, group_id: str) -> None:
        self.group_names.check(group.get("displayName"), group_id)
        self.group_external_ids.check(group.get("externalId"), group_id)

    def index_group(self, group: Resource, *, add: bool) -> None:
        for index, value in (
            (self.group_names, group.get("displayName")),
            (self.group_external_ids, group.get("externalId")),
        ):
            index.put(value, group["id"]) if add else index.drop(value)

    def replace_group(self, old: Resource, new: Resource) -> None:
        """Put ``new`` where ``old`` was, keeping the unique indexes right."""
        self.index_group(old, add=False)
        self.groups[new["id"]] = new
        self.index_group(new, add=True)

    def add_member(self, group_id: str, user_id: str) -> None:
        self.members.setdefault(group_id, set()).add(user_id)
        self.groups_of.setdefault(user_id, set()).add(group_id)

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.members.get(group_id, set()).discard(user_id)
        self.groups_of.get(user_id, set()).discard(group_id)

    def snapshot(self) -> dict[str, Any]:
        """Users, groups and memberships, as the admin API and the state file show them."""
        return {
            "users": list(self.users.values()),
            "groups": list(self.groups.values()),
            "memberships": {
                gid: sorted(uids, key=self.seq.__getitem__)
                for gid, uids in self.members.items()
                if uids
            },
        }

    def load(self, snapshot: dict[str, Any]) -> None:
        for user in snapshot.get("users", []):
            self.users[user["id"]] = user
            self.index_user(user, add=True)
            self.stamp(user["id"])
        for group in snapshot.get("groups", []):
            self.groups[group["id"]] = group
            self.index_group(group, add=True)
            self.stamp(group["id"])
        for group_id, user_ids in snapshot.get("memberships", {}).items():
            for user_id in user_ids:
                self.add_member(group_id, user_id)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(msgspec.json.format(msgspec.json.encode(self.snapshot())))
        tmp.replace(path)  # atomic: a crash mid-write never leaves half a state file


def load_directory(path: Path | None, *, case_insensitive_names: bool) -> Directory:
    directory = Directory(case_insensitive_names=case_insensitive_names)
    if path is not None and path.exists():
        directory.load(msgspec.json.decode(path.read_bytes()))
    return directory
