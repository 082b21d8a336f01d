"""Okta's whole directory, read page by page (reference/reconciliation.md, section 1.1).

Every request goes through ``get_json`` with Okta's own wait hint, so a 429 is waited out
until ``X-Rate-Limit-Reset`` and a 5xx is retried; anything it cannot ride out ends the
read with ``ReadFailed`` and no ``Directory`` at all. Paging follows ``Link: rel="next"``
to the end: Okta's ``after`` cursor is opaque and its page maximum is not to be relied on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from services.shared.settings import SettingsError
from services.sources import mapping as _mapping
from services.sources.directory import Directory, ReadFailed
from services.sources.errors import Unmappable
from services.sources.okta.events import SOURCE, group_state_of, user_state_of
from services.sources.reading import Patience, get_json

if TYPE_CHECKING:
    from schemas import GroupState, UserState
    from services.shared.settings import Settings

PAGE = 200
"""Okta's maximum page for users and groups "for most orgs", and its advice for members."""
MEMBER_READS = 4
"""Groups whose members are read at once: well inside Okta's 75 concurrent requests per
org, which every other integration of the org shares."""
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""Okta's own queries give up after 30 s; a page of 200 users can take seconds."""
LEAN_USERS = {"Content-Type": "application/json; okta-response="
              "omitCredentials,omitCredentialsLinks,omitTransitioningToStatus"}  # fmt: skip
"""Okta leaves out what the mapping never reads (only all three together speed it up)."""
DEPROVISIONED = 'status eq "DEPROVISIONED"'


def okta_client(
    base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An HTTP client for the Okta org at ``base_url`` with its SSWS API token."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"), timeout=TIMEOUT, transport=transport,
        headers={"Authorization": f"SSWS {token}", "Accept": "application/json"},
    )  # fmt: skip


def okta_credentials(settings: Settings) -> tuple[str, str]:
    """The Okta org URL and API token from settings; ``SettingsError`` naming what is unset."""
    url, token = settings.okta_api_url, settings.okta_api_token
    missing = [name for name, value in (("IDP_SYNC_OKTA_API_URL", url),
               ("IDP_SYNC_OKTA_API_TOKEN", token)) if not value]  # fmt: skip
    if missing or url is None or token is None:
        raise SettingsError(f"{' and '.join(missing)} must be set to read Okta's API")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"IDP_SYNC_OKTA_API_URL must be the org's https:// URL, not {url!r}")
    return url, token.get_secret_value()


def rate_limit_reset(response: httpx.Response) -> float | None:
    """On a 429, the seconds until Okta's ``X-Rate-Limit-Reset`` (UTC epoch seconds)."""
    if response.status_code != 429:
        return None
    return _until_reset(response)


def _until_reset(response: httpx.Response) -> float | None:
    try:
        reset = float(response.headers.get("x-rate-limit-reset", ""))
    except ValueError:
        return None
    # A reset already past still deserves a moment: 0 would read as "no hint" upstream.
    return max(0.05, reset - time.time())


def query_url(path: str, query: dict[str, Any]) -> str:
    """``path?query`` with spaces as ``%20``, the way Okta documents its filters."""
    return f"{path}?{urlencode(query, quote_via=quote)}"


async def pages(
    client: httpx.AsyncClient, url: str, patience: Patience, *, until_empty: bool = False,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[list[Any]]:  # fmt: skip
    """Each page of the collection at ``url``, following ``rel="next"`` while there is one
    (and, with ``until_empty``, until a page is empty: a System Log poll always has one).

    ``ReadFailed`` when a page cannot be read, is not a JSON list, or the next link leaves
    the org or goes round in a circle (the token would follow it)."""
    seen: set[str] = set()
    while True:
        page, response = await get_json(
            client, SOURCE, url, headers=headers, patience=patience, hint=rate_limit_reset
        )
        seen.add(str(response.url))
        if not isinstance(page, list):
            raise ReadFailed(SOURCE, f"GET {url}: the answer is not a list of objects")
        yield page
        link = response.links.get("next", {}).get("url")
        if not link or (until_empty and not page):
            return
        following = str(response.url.join(link))
        if _origin(following) != _origin(str(client.base_url)):
            raise ReadFailed(SOURCE, f"GET {url}: its next link {following} leaves the org")
        if following in seen:
            raise ReadFailed(SOURCE, f"GET {url}: its next link {following} goes in a circle")
        await _pace(response, patience)
        url = following


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


async def _pace(response: httpx.Response, patience: Patience) -> None:
    """With the minute's requests used up, wait for the reset rather than earn a 429."""
    if response.headers.get("x-rate-limit-remaining", "").strip() != "0":
        return
    wait = _until_reset(response)
    if wait is not None and wait <= patience.max_wait:  # longer: the 429 path decides
        await patience.sleep(wait)


def object_id(item: Any, url: str) -> str:
    """The ``id`` of one listed object; ``ReadFailed`` when it has none."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise ReadFailed(SOURCE, f"GET {url}: an element is not an object with an id")
    return str(item["id"])


class OktaDirectoryReader:
    """Reads an Okta org's users, groups and memberships with an SSWS API token.

    Users: everyone ``/api/v1/users`` lists (all but deprovisioned) and, listed apart, the
    deprovisioned, who are kept with ``active=False`` (so a deactivation is never taken for
    a deletion). Groups: every group ``/api/v1/groups`` lists, Okta groups and app groups,
    except ``BUILT_IN`` ones (Okta's "Everyone", which AWS has no use for). Users and groups
    are mapped by the webhook path's rules; one that cannot be mapped goes to ``unmapped``.
    The tenant is the hostname of ``base_url``, as the webhook path takes it from the
    event hook's ``source``.
    """

    source = SOURCE

    def __init__(
        self, base_url: str, token: str, *, username_attribute: str = "login",
        transport: httpx.AsyncBaseTransport | None = None, patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.client = okta_client(base_url, token, transport)
        self.tenant = urlsplit(base_url).hostname or SOURCE
        self.username_attribute = username_attribute
        self.patience = patience or Patience()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def read(self) -> Directory:
        """The whole directory, or ``ReadFailed`` naming the request that could not be read."""
        read_at = dt.datetime.now(dt.UTC)
        unmapped: dict[str, str] = {}
        users: dict[str, UserState] = {}
        for query in ({"limit": PAGE}, {"filter": DEPROVISIONED, "limit": PAGE}):
            for uid, found in await self._listed("/api/v1/users", query, LEAN_USERS):
                users.pop(uid, None)  # changed status during the read: the later answer wins
                unmapped.pop(f"user:{uid}", None)
                try:
                    users[uid] = user_state_of(found, self.username_attribute)
                except Unmappable as error:
                    unmapped[f"user:{uid}"] = str(error)
        groups: dict[str, GroupState] = {}
        paths: dict[str, str] = {}
        for gid, found in await self._listed("/api/v1/groups", {"limit": PAGE}):
            if found.get("type") == "BUILT_IN":
                continue
            try:
                groups[gid] = group_state_of(found)
                paths[gid] = f"/api/v1/groups/{_mapping.segment(gid, 'Okta group')}/users"
            except Unmappable as error:
                groups.pop(gid, None)
                unmapped[f"group:{gid}"] = str(error)
        members = await self._members(paths)
        return Directory(SOURCE, self.tenant, read_at, users, groups, members, unmapped)

    async def _listed(
        self, path: str, query: dict[str, Any], headers: dict[str, str] | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        url = query_url(path, query)
        return [(object_id(item, url), item)
                async for page in pages(self.client, url, self.patience, headers=headers)
                for item in page]  # fmt: skip

    async def _members(self, paths: dict[str, str]) -> dict[str, frozenset[str]]:
        """Each group's member ids, read a few groups at a time."""
        gate = asyncio.Semaphore(MEMBER_READS)

        async def members_of(path: str) -> frozenset[str]:
            async with gate:
                return frozenset(uid for uid, _ in await self._listed(path, {"limit": PAGE}))

        try:
            async with asyncio.TaskGroup() as tasks:
                reads = {gid: tasks.create_task(members_of(path)) for gid, path in paths.items()}
        except* ReadFailed as failed:  # the first failure; the other reads were cancelled
            raise failed.exceptions[0] from None
        return {gid: read.result() for gid, read in reads.items()}


def okta_reader(settings: Settings) -> OktaDirectoryReader:
    """The Okta reader from IDP_SYNC_OKTA_API_URL, IDP_SYNC_OKTA_API_TOKEN and
    IDP_SYNC_USERNAME_ATTRIBUTE; ``SettingsError`` naming a missing or bad one."""
    url, token = okta_credentials(settings)
    return OktaDirectoryReader(url, token, username_attribute=settings.username_attribute)
