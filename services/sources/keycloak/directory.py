"""One Keycloak realm read whole from the admin REST API (reference/reconciliation.md §1.4).

- Users: ``/users?first&max=100&briefRepresentation=true`` until a short page; then
  ``/users/count`` must equal the distinct users read. Neither call sends a search, so both
  leave the realm's service-account users out alike. Disabled users are listed, and kept
  with ``active=False``.
- Groups: the top-level ``/groups`` pages, then each group's ``/children`` (``max`` always
  sent: its default is 10), depth first. Each group's ``subGroupCount`` is checked against
  the children read, and ``/groups/count`` against all groups read, so a group hidden from
  the client or skipped by offset paging fails the read. Servers older than
  ``subGroupCount`` embed the whole tree in ``subGroups``, which is then walked instead.
- Members: ``/groups/{id}/members`` lists direct members only. AWS groups are flat, so
  here a group's members are its own and those of its sub-groups at any depth: a user in
  ``/eng/platform`` is a member of ``/eng`` too.

The tenant is the realm's name, as in the admin API's paths: the webhook path's tenant is
the admin event's ``realmName`` (the gateway's and the normalizer's), so both paths give
every object the same externalId.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from schemas import GroupState, UserState
from services.shared.settings import Settings, SettingsError
from services.sources import mapping as _mapping
from services.sources.directory import Directory, ReadFailed
from services.sources.errors import IdpUnavailable, NormalizeError
from services.sources.keycloak.api import KeycloakApi, KeycloakClient
from services.sources.keycloak.events import SOURCE, group_state, user_state
from services.sources.reading import Patience, get_json

PAGE = 100
Rep = dict[str, Any]


class KeycloakDirectoryReader:
    """Reads one realm's users, groups and flattened memberships (see the module's doc)."""

    source = SOURCE

    def __init__(
        self, api: KeycloakApi, realm: str, *, username_attribute: str = "username",
        patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.api = api
        self.realm = realm
        self.tenant = realm
        """The realm's name: what the webhook path's events carry as ``realmName``."""
        self.username_attribute = username_attribute
        self.patience = patience or Patience()

    async def aclose(self) -> None:
        """Close the HTTP client of the API this reader was given."""
        await self.api.aclose()

    async def read(self) -> Directory:
        """The whole realm, or ``ReadFailed`` naming the request that could not be read."""
        read_at = dt.datetime.now(dt.UTC)
        try:
            realm = _mapping.segment(self.realm, "Keycloak realm")
        except NormalizeError as error:
            raise ReadFailed(SOURCE, str(error)) from None
        base = f"/admin/realms/{realm}"
        listed = await self._users(base)
        groups, children = await self._groups(base)
        direct = {gid: await self._member_ids(base, gid) for gid in groups}
        return _directory(self, read_at, listed, groups, _flattened(direct, children))

    async def _users(self, base: str) -> dict[str, Rep]:
        rows = await self._pages(f"{base}/users", brief=True)
        users = _by_id(rows, f"GET {base}/users")
        count = await self._get(f"{base}/users/count", {})
        if not isinstance(count, int) or isinstance(count, bool) or count != len(users):
            raise ReadFailed(SOURCE, f"GET {base}/users/count says {count!r} users; the listing "
                                     f"gave {len(users)}: the users changed during the read, "
                                     "or some are hidden from the client")  # fmt: skip
        return users

    async def _groups(self, base: str) -> tuple[dict[str, Rep], dict[str, list[str]]]:
        """Every group by id, and each group's sub-groups' ids."""
        groups: dict[str, Rep] = {}
        children: dict[str, list[str]] = {}
        pending: list[tuple[str | None, Rep]] = [
            (None, g) for g in reversed(await self._pages(f"{base}/groups", brief=True))
        ]
        while pending:
            parent, group = pending.pop()
            gid = _id_of(group, f"GET {base}/groups")
            if gid in groups:
                raise ReadFailed(SOURCE, f"group {gid} was listed twice: the groups changed "
                                         "during the read")  # fmt: skip
            groups[gid], children[gid] = group, []
            if parent is not None:
                children[parent].append(gid)
            subs = await self._sub_groups(base, gid, group)
            pending += [(gid, sub) for sub in reversed(subs)]
        answer = await self._get(f"{base}/groups/count", {})
        total = answer.get("count") if isinstance(answer, dict) else None
        if total != len(groups):
            raise ReadFailed(SOURCE, f"GET {base}/groups/count says {total!r} groups; the "
                                     f"walk found {len(groups)}")  # fmt: skip
        return groups, children

    async def _sub_groups(self, base: str, gid: str, group: Rep) -> list[Rep]:
        count = group.get("subGroupCount")
        if count is None:  # a server from before subGroupCount: the tree is embedded
            embedded = group.get("subGroups") or []
            if not isinstance(embedded, list) or not all(isinstance(g, dict) for g in embedded):
                raise ReadFailed(SOURCE, f"group {gid}'s subGroups is not a list of groups")
            return embedded
        path = f"{base}/groups/{_segment(gid)}/children"
        if not isinstance(count, int) or isinstance(count, bool):
            raise ReadFailed(SOURCE, f"group {gid}'s subGroupCount is {count!r}, not a number")
        subs = await self._pages(path, brief=True) if count else []
        if len(subs) != count:
            raise ReadFailed(SOURCE, f"GET {path} listed {len(subs)} sub-groups; the group's "
                                     f"subGroupCount says {count}")  # fmt: skip
        return subs

    async def _member_ids(self, base: str, gid: str) -> set[str]:
        path = f"{base}/groups/{_segment(gid)}/members"
        return set(_by_id(await self._pages(path, brief=True), f"GET {path}"))

    async def _pages(self, path: str, *, brief: bool) -> list[Rep]:
        """Every item of an offset-paged listing: it ends at the first short page."""
        items: list[Rep] = []
        while True:
            query: dict[str, Any] = {"first": len(items), "max": PAGE}
            if brief:
                query["briefRepresentation"] = "true"
            page = await self._get(path, query)
            what = f"GET {path}?{urlencode(query)}"
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise ReadFailed(SOURCE, f"{what}: the answer is not a list of objects")
            items += page
            if len(page) < PAGE:
                return items

    async def _get(self, path: str, query: dict[str, Any]) -> Any:
        # The query goes into the URL, so a ReadFailed names the very page that failed.
        url = f"{path}?{urlencode(query)}" if query else path
        headers = {"Authorization": f"Bearer {await self._token()}"}
        body, _ = await get_json(self.api.http, SOURCE, url, headers=headers,
                                 patience=self.patience)  # fmt: skip
        return body

    async def _token(self) -> str:
        """The client's token for the realm, from ``KeycloakApi`` (cached there); a token
        endpoint that asks for patience gets it, within the same bounds as any read."""
        for attempt in range(1, self.patience.attempts + 1):
            try:
                return await self.api._token(_mapping.segment(self.realm, "Keycloak realm"))
            except IdpUnavailable as error:
                wait = error.retry_after or float(2 ** (attempt - 1))
                if wait > self.patience.max_wait or attempt == self.patience.attempts:
                    raise ReadFailed(SOURCE, f"a token for realm {self.realm}: {error}") from None
                await self.patience.sleep(wait)
            except (NormalizeError, KeyError, TypeError, ValueError) as error:
                raise ReadFailed(SOURCE, f"a token for realm {self.realm}: {error!r}") from None
        raise ReadFailed(SOURCE, f"a token for realm {self.realm}")  # attempts < 1


def keycloak_reader(settings: Settings, realm: str | None = None) -> KeycloakDirectoryReader:
    """The reader for ``realm`` (else ``IDP_SYNC_KEYCLOAK_REALM``, once Settings has it),
    as the client the normalizer reads back with. ``SettingsError`` names what is missing."""
    realm = realm or getattr(settings, "keycloak_realm", None)
    url, client_id = settings.keycloak_url, settings.keycloak_client_id
    secret = settings.keycloak_client_secret
    needed = {
        "IDP_SYNC_KEYCLOAK_URL": url,
        "IDP_SYNC_KEYCLOAK_CLIENT_ID": client_id,
        "IDP_SYNC_KEYCLOAK_CLIENT_SECRET": secret,
        "IDP_SYNC_KEYCLOAK_REALM": realm,
    }
    if not (url and client_id and secret and isinstance(realm, str) and realm):
        missing = ", ".join(name for name, value in needed.items() if not value)
        raise SettingsError(f"reading Keycloak's directory needs {missing}")
    attribute = settings.username_attribute
    return KeycloakDirectoryReader(
        KeycloakApi(KeycloakClient(url, client_id, secret)), realm,
        username_attribute="username" if attribute == "login" else attribute,
    )  # fmt: skip


def _directory(
    reader: KeycloakDirectoryReader, read_at: dt.datetime, listed: Mapping[str, Rep],
    groups: Mapping[str, Rep], members: Mapping[str, frozenset[str]],
) -> Directory:  # fmt: skip
    users: dict[str, UserState] = {}
    mapped_groups: dict[str, GroupState] = {}
    unmapped: dict[str, str] = {}
    for uid, rep in listed.items():
        try:
            users[uid] = user_state(rep, reader.username_attribute)
        except NormalizeError as error:
            unmapped[f"user:{uid}"] = str(error)
    for gid, rep in groups.items():
        try:
            mapped_groups[gid] = group_state(rep, gid)
        except NormalizeError as error:
            unmapped[f"group:{gid}"] = str(error)
    # Members name only users this read listed (mapped or not): a user created since the
    # user pages were read is the webhook path's to add.
    return Directory(
        source=SOURCE, tenant=reader.tenant, read_at=read_at, users=users,
        groups=mapped_groups, unmapped=unmapped,
        members={gid: members[gid] & listed.keys() for gid in mapped_groups},
    )  # fmt: skip


def _flattened(
    direct: Mapping[str, set[str]], children: Mapping[str, list[str]]
) -> dict[str, frozenset[str]]:
    """Each group's own members and those of its sub-groups, at any depth."""
    flat: dict[str, frozenset[str]] = {}
    for group in direct:
        members: set[str] = set()
        stack, seen = [group], {group}
        while stack:
            current = stack.pop()
            members |= direct.get(current, set())
            fresh = [c for c in children.get(current, []) if c not in seen]
            seen.update(fresh)
            stack += fresh
        flat[group] = frozenset(members)
    return flat


def _by_id(rows: list[Rep], what: str) -> dict[str, Rep]:
    found: dict[str, Rep] = {}
    for row in rows:
        key = _id_of(row, what)
        if key in found:  # offset paging repeats a row when the set changes under it
            raise ReadFailed(SOURCE, f"{what}: {key} came twice: the set changed during the read")
        found[key] = row
    return found


def _id_of(row: Rep, what: str) -> str:
    key = row.get("id")
    if not isinstance(key, str) or not key:
        raise ReadFailed(SOURCE, f"{what}: an item without an id (fields {sorted(row)[:8]})")
    return key


def _segment(key: str) -> str:
    try:
        return _mapping.segment(key, "Keycloak group")
    except NormalizeError as error:
        raise ReadFailed(SOURCE, str(error)) from None
