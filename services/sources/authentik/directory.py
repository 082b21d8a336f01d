"""authentik's whole directory read from its API (reference/reconciliation.md §1.5).

- Users: ``/api/v3/core/users/?page&page_size=100&include_groups=false`` (the groups'
  full objects are not needed) until ``pagination.next`` is 0. Every page's
  ``pagination.count`` must equal the distinct users read. Inactive users are listed, and
  kept with ``active=False``.
- Groups: ``/api/v3/core/groups/?page&page_size=100&include_users=false``, the same way.
  Memberships come from each group's ``users``: the member pks authentik always sends (with
  ``include_users=false`` it fetches only their ids), so they cost no call of their own,
  where asking per user would cost one per user.
- Nesting: a group names its ``parent`` (``parents`` in newer versions). authentik counts
  a child group's members as members of its ancestors, and AWS groups are flat, so here a
  group's members are its own and those of its child groups at any depth.

The tenant is ``authentik``: the one the gateway gives every authentik webhook event, so
both paths give every object the same externalId.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from schemas import GroupState, UserState
from services.shared.settings import Settings, SettingsError
from services.sources.authentik.api import AuthentikApi
from services.sources.authentik.events import SOURCE, group_members, group_state, user_state
from services.sources.directory import Directory, ReadFailed
from services.sources.errors import NormalizeError
from services.sources.reading import Patience, get_json

PAGE = 100
TENANT = "authentik"
"""What ``authentik.webhook.split_event`` names as the tenant of every event."""
Item = dict[str, Any]


class AuthentikDirectoryReader:
    """Reads authentik's users, groups and flattened memberships (see the module's doc)."""

    source = SOURCE
    tenant = TENANT

    def __init__(
        self, api: AuthentikApi, *, username_attribute: str = "username",
        patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.api = api
        self.username_attribute = username_attribute
        self.patience = patience or Patience()

    async def aclose(self) -> None:
        """Close the HTTP client of the API this reader was given."""
        await self.api.aclose()

    async def read(self) -> Directory:
        """The whole directory, or ``ReadFailed`` naming the request that could not be read."""
        read_at = dt.datetime.now(dt.UTC)
        listed = await self._listing("users", {"include_groups": "false"})
        groups = await self._listing("groups", {"include_users": "false"})
        users: dict[str, UserState] = {}
        mapped: dict[str, GroupState] = {}
        unmapped: dict[str, str] = {}
        direct: dict[str, frozenset[str]] = {}
        for pk, item in listed.items():
            try:
                users[pk] = user_state(item, self.username_attribute)
            except NormalizeError as error:
                unmapped[f"user:{pk}"] = str(error)
        for uuid, item in groups.items():
            try:
                direct[uuid] = group_members(item)
                mapped[uuid] = group_state(item, uuid)
            except NormalizeError as error:
                unmapped[f"group:{uuid}"] = str(error)
        flat = _flattened(direct, {uuid: _parents(item) for uuid, item in groups.items()})
        # Members name only users this read listed (mapped or not): a user created since the
        # user pages were read is the webhook path's to add.
        return Directory(
            source=SOURCE, tenant=TENANT, read_at=read_at, users=users, groups=mapped,
            members={uuid: flat.get(uuid, frozenset()) & listed.keys() for uuid in mapped},
            unmapped=unmapped,
        )  # fmt: skip

    async def _listing(self, kind: str, extra: dict[str, str]) -> dict[str, Item]:
        """Every object of ``/api/v3/core/{kind}/`` by pk, from page 1 until ``next`` is 0."""
        found: dict[str, Item] = {}
        counts: set[object] = set()
        page = 1
        while True:
            query = {"page": page, "page_size": PAGE, **extra}
            what = f"GET /api/v3/core/{kind}/?{urlencode(query)}"
            body, _ = await get_json(self.api.http, SOURCE, what.removeprefix("GET "),
                                     patience=self.patience)  # fmt: skip
            results, pagination = _page(body, what)
            for item in results:
                key = item.get("pk")
                if isinstance(key, bool) or not isinstance(key, str | int) or key == "":
                    raise ReadFailed(SOURCE, f"{what}: an item without a pk")
                if str(key) in found:
                    raise ReadFailed(SOURCE, f"{what}: {key} came twice: the {kind} changed "
                                             "during the read")  # fmt: skip
                found[str(key)] = item
            counts.add(pagination.get("count"))
            following = pagination.get("next")
            if following == 0:
                break
            if isinstance(following, bool) or not isinstance(following, int) or following <= page:
                raise ReadFailed(SOURCE, f"{what}: pagination.next is {following!r}")
            page = following
        if counts != {len(found)}:
            raise ReadFailed(SOURCE, f"GET /api/v3/core/{kind}/: pagination.count said "
                                     f"{sorted(map(str, counts))}; the pages held {len(found)}: "
                                     f"the {kind} changed during the read")  # fmt: skip
        return found


def authentik_reader(settings: Settings) -> AuthentikDirectoryReader:
    """The reader, with the API token the normalizer reads back with. ``SettingsError``
    names what is missing."""
    url, token = settings.authentik_url, settings.authentik_token
    if not (url and token):
        needed = {"IDP_SYNC_AUTHENTIK_URL": url, "IDP_SYNC_AUTHENTIK_TOKEN": token}
        missing = ", ".join(name for name, value in needed.items() if not value)
        raise SettingsError(f"reading authentik's directory needs {missing}")
    attribute = settings.username_attribute
    return AuthentikDirectoryReader(
        AuthentikApi(url, token.get_secret_value()),
        username_attribute="username" if attribute == "login" else attribute,
    )


def _page(body: Any, what: str) -> tuple[list[Item], dict[str, Any]]:
    if not isinstance(body, dict):
        raise ReadFailed(SOURCE, f"{what}: the answer is not an object")
    results, pagination = body.get("results"), body.get("pagination")
    if not isinstance(results, list) or not all(isinstance(i, dict) for i in results):
        raise ReadFailed(SOURCE, f"{what}: results is not a list of objects")
    if not isinstance(pagination, dict):
        raise ReadFailed(SOURCE, f"{what}: the answer has no pagination")
    return results, pagination


def _parents(group: Item) -> list[str]:
    """The group's parents: ``parents`` (newer versions) or the single ``parent``."""
    parents = group.get("parents")
    if isinstance(parents, list):
        return [str(p) for p in parents if p]
    parent = group.get("parent")
    return [str(parent)] if parent else []


def _flattened(
    direct: Mapping[str, frozenset[str]], parents: Mapping[str, list[str]]
) -> dict[str, frozenset[str]]:
    """Each group's members: its own and, walking up from every group, its descendants'."""
    flat: dict[str, set[str]] = {}
    for group, members in direct.items():
        pending, seen = [group], {group}
        while pending:  # ``seen`` ends a loop of parents, which authentik does not forbid
            current = pending.pop()
            flat.setdefault(current, set()).update(members)
            fresh = [p for p in parents.get(current, []) if p not in seen]
            seen.update(fresh)
            pending += fresh
    return {group: frozenset(members) for group, members in flat.items()}
