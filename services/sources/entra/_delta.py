"""The pages of one Graph delta round merged into what the round says (for directory.py).

Later pages win over earlier ones: Graph may return an object more than once in a round,
and splits a large group's ``members@delta`` over several pages, each with a slice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.sources.directory import ReadFailed

SOURCE = "entra"
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


class SyncStateGone(Exception):
    """Graph no longer knows a delta token (410, or 400 ``syncStateNotFound``)."""


async def expired_sync_state(response: httpx.Response) -> None:
    """An httpx response hook: Graph's "start over with a full round" answers raise
    ``SyncStateGone``, which ``get_json`` would otherwise take as any other refusal."""
    if response.status_code == 410:
        raise SyncStateGone("Graph answered 410 Gone")
    if response.status_code != 400:
        return
    await response.aread()
    try:
        body = response.json()
    except ValueError:
        return
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") == "syncStateNotFound":
        raise SyncStateGone("Graph answered syncStateNotFound")


def _reason(removed: Any) -> str:
    """``@removed``'s reason; what Graph did not say is taken as the restorable kind."""
    if isinstance(removed, dict) and isinstance(removed.get("reason"), str):
        return str(removed["reason"])
    return removed if isinstance(removed, str) else "changed"


@dataclass
class Round:
    """One collection's delta round (``users`` or ``groups``), its pages merged."""

    kind: str
    link: str = ""
    """The ``@odata.deltaLink`` it ended with."""
    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Objects the round returned (created, changed, or all of them in a full round)."""
    removed: dict[str, str] = field(default_factory=dict)
    """Object id -> ``@removed`` reason (``changed``: soft-deleted; ``deleted``)."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Groups whose ``members@delta`` could not be read -> why."""
    members: dict[str, dict[str, bool]] = field(default_factory=dict)
    """Group id -> member id -> whether it is in the group (the last page's word)."""
    types: dict[str, str] = field(default_factory=dict)
    """Member id -> its ``@odata.type``, lower case."""

    def merge(self, value: Any, url: str) -> None:
        """Take in one page's ``value``; ``ReadFailed`` when it is not a list of objects."""
        if not isinstance(value, list):
            raise ReadFailed(SOURCE, f"GET {url}: a delta page without a value list")
        for item in value:
            object_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(object_id, str) or not object_id:
                raise ReadFailed(SOURCE, f"GET {url}: a {self.kind} delta entry without an id")
            if "@removed" in item:
                self.removed[object_id] = _reason(item["@removed"])
                self.found.pop(object_id, None)
                self.members.pop(object_id, None)
                continue
            self.removed.pop(object_id, None)
            fields = {k: v for k, v in item.items() if k != "members@delta"}
            self.found[object_id] = {**self.found.get(object_id, {}), **fields}
            if "members@delta" in item:
                self._members(object_id, item["members@delta"])

    def _members(self, group_id: str, entries: Any) -> None:
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"] for e in entries
        ):
            self.unreadable[group_id] = "the Entra group's members@delta is unreadable"
            return
        seen = self.members.setdefault(group_id, {})
        for entry in entries:
            if isinstance(kind := entry.get("@odata.type"), str):
                self.types[entry["id"]] = kind.lower()
            seen[entry["id"]] = "@removed" not in entry

    def is_group(self, member: str) -> bool:
        kind = self.types.get(member)
        return kind == GROUP_TYPE or (kind is None and member in self.found)

    def is_user(self, member: str) -> bool:
        """Typed a user, or untyped and not a group of this round (as notifications are)."""
        kind = self.types.get(member)
        return kind == USER_TYPE or (kind is None and member not in self.found)

    def direct(self, group_id: str, *, present: bool) -> frozenset[str]:
        """The group's user members this round added (``present``) or removed."""
        entries = self.members.get(group_id, {}).items()
        return frozenset(m for m, here in entries if here is present and self.is_user(m))

    def flattened(self, group_id: str) -> frozenset[str]:
        """The users in the group, through the member groups this round holds; a cycle of
        groups ends where it began."""
        users: set[str] = set()
        todo, visited = [group_id], {group_id}
        while todo:
            for member, here in self.members.get(todo.pop(), {}).items():
                if not here:
                    continue
                if self.is_user(member):
                    users.add(member)
                elif self.is_group(member) and member not in visited:
                    visited.add(member)
                    todo.append(member)
        return frozenset(users)
