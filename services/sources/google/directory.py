"""A Google Workspace read whole from the Directory API (reference/reconciliation.md §1.3).

- Users: ``users.list`` (``customer=my_customer&maxResults=500``), following
  ``nextPageToken`` until it is absent. Suspended users are listed, and kept with
  ``active=False``. Google gives no total to cross-check.
- Groups: ``groups.list`` (``maxResults=200``), the same way.
- Members: ``members.list`` per group with ``includeDerivedMembership=true``: Google
  flattens nested groups itself (AWS groups are flat), so a member of a group inside a
  group is listed too. Only ``type: USER`` members are kept, and only those users.list
  listed (not, e.g., a member outside the Workspace, whom the push path ignores as well).

The tenant is ``google-workspace`` (``google.webhook.TENANT``): the one the gateway gives
every Google push message, so both paths give every object the same externalId.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from schemas import GroupState, UserState
from services.shared.settings import Settings, SettingsError
from services.sources import mapping as _mapping
from services.sources.directory import Directory, ReadFailed
from services.sources.errors import IdpUnavailable, NormalizeError
from services.sources.google.api import GoogleDirectory, GoogleServiceAccount
from services.sources.google.events import SOURCE, group_state, user_state
from services.sources.google.webhook import TENANT
from services.sources.reading import Patience, get_json

DIRECTORY = "/admin/directory/v1"
Item = dict[str, Any]


class GoogleDirectoryReader:
    """Reads a Workspace's users, groups and (Google-flattened) memberships."""

    source = SOURCE
    tenant = TENANT

    def __init__(
        self, directory: GoogleDirectory, *, customer: str = "my_customer",
        patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.api = directory
        self.customer = customer
        self.patience = patience or Patience()

    async def aclose(self) -> None:
        """Close the HTTP client of the Directory API client this reader was given."""
        await self.api.aclose()

    async def read(self) -> Directory:
        """The whole Workspace, or ``ReadFailed`` naming the request that could not be read."""
        read_at = dt.datetime.now(dt.UTC)
        listed = await self._listing(f"{DIRECTORY}/users", "users",
                                     {"customer": self.customer, "maxResults": 500})  # fmt: skip
        groups = await self._listing(f"{DIRECTORY}/groups", "groups",
                                     {"customer": self.customer, "maxResults": 200})  # fmt: skip
        users: dict[str, UserState] = {}
        mapped: dict[str, GroupState] = {}
        unmapped: dict[str, str] = {}
        for key, item in listed.items():
            try:
                users[key] = user_state(item)
            except NormalizeError as error:
                unmapped[f"user:{key}"] = str(error)
        for key, item in groups.items():
            try:
                mapped[key] = group_state(item)
            except NormalizeError as error:
                unmapped[f"group:{key}"] = str(error)
        members = {key: await self._members(key) & listed.keys() for key in mapped}
        return Directory(source=SOURCE, tenant=TENANT, read_at=read_at, users=users,
                         groups=mapped, members=members, unmapped=unmapped)  # fmt: skip

    async def _members(self, group_id: str) -> frozenset[str]:
        try:
            key = _mapping.segment(group_id, "Google group")
        except NormalizeError as error:
            raise ReadFailed(SOURCE, str(error)) from None
        query = {"maxResults": 200, "includeDerivedMembership": "true"}
        found = await self._listing(f"{DIRECTORY}/groups/{key}/members", "members", query,
                                    repeats=True)  # fmt: skip
        return frozenset(k for k, member in found.items() if member.get("type") == "USER")

    async def _listing(
        self, path: str, field: str, query: dict[str, Any], *, repeats: bool = False
    ) -> dict[str, Item]:
        """Every object of a token-paged listing by id, until ``nextPageToken`` is absent.

        ``repeats``: an id may come more than once (a derived member, by several paths)."""
        found: dict[str, Item] = {}
        token: str | None = None
        while True:
            page_query = query if token is None else {**query, "pageToken": token}
            # The query goes into the URL, so a ReadFailed names the very page that failed.
            url = f"{path}?{urlencode(page_query)}"
            headers = {"Authorization": f"Bearer {await self._bearer()}"}
            body, _ = await get_json(self.api.http, SOURCE, url, headers=headers,
                                     patience=self.patience)  # fmt: skip
            if not isinstance(body, dict):
                raise ReadFailed(SOURCE, f"GET {url}: the answer is not an object")
            items = body.get(field, [])  # Google leaves the field out of an empty page
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ReadFailed(SOURCE, f"GET {url}: {field} is not a list of objects")
            for item in items:
                key = item.get("id")
                if not isinstance(key, str) or not key:
                    raise ReadFailed(SOURCE, f"GET {url}: an item without an id")
                if key in found and not repeats:
                    raise ReadFailed(SOURCE, f"GET {url}: {key} came twice")
                found[key] = item
            token = body.get("nextPageToken")
            if not token:
                return found
            if not isinstance(token, str):
                raise ReadFailed(SOURCE, f"GET {url}: nextPageToken is not text")

    async def _bearer(self) -> str:
        """The service account's token, from ``GoogleDirectory`` (cached there); a token
        endpoint that asks for patience gets it, within the same bounds as any read."""
        for attempt in range(1, self.patience.attempts + 1):
            try:
                return await self.api._bearer()
            except IdpUnavailable as error:
                wait = error.retry_after or float(2 ** (attempt - 1))
                if wait > self.patience.max_wait or attempt == self.patience.attempts:
                    raise ReadFailed(SOURCE, f"a service account token: {error}") from None
                await self.patience.sleep(wait)
            except NormalizeError as error:
                raise ReadFailed(SOURCE, f"a service account token: {error}") from None
        raise ReadFailed(SOURCE, "a service account token")  # attempts < 1


def google_reader(settings: Settings) -> GoogleDirectoryReader:
    """The reader, as the service account the normalizer reads back with. ``SettingsError``
    names what is missing, or the key file that cannot be used."""
    key_file, admin = settings.google_key_file, settings.google_admin_email
    if not (key_file and admin):
        needed = {"IDP_SYNC_GOOGLE_KEY_FILE": key_file, "IDP_SYNC_GOOGLE_ADMIN_EMAIL": admin}
        missing = ", ".join(name for name, value in needed.items() if not value)
        raise SettingsError(f"reading Google's directory needs {missing}")
    account = GoogleServiceAccount(Path(key_file), admin, settings.google_directory_url)
    try:
        return GoogleDirectoryReader(GoogleDirectory(account))
    except NormalizeError as error:  # MissingSettings: the key file cannot be used
        raise SettingsError(str(error)) from None
