"""Entra ID's directory through Microsoft Graph delta queries (reference/reconciliation.md
section 1.2).

One mechanism serves both reads: a round with no token on ``/users/delta`` and
``/groups/delta`` is the whole directory; a round on the ``@odata.deltaLink`` the last one
ended with is only what changed since. Every page is followed (``@odata.nextLink``) until
the deltaLink, a large group's ``members@delta`` is merged across the pages it is split
over, and later pages win over earlier ones (Graph replays). A token Graph no longer knows
(410, or 400 ``syncStateNotFound``: it lives 7 days) means a full round again.

Members are users. In a full round a member group is flattened into the users it holds in
the same round; an incremental round carries only the changed members of changed groups,
so there a member group cannot be flattened and is left out, like devices and contacts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from schemas import GroupState, UserState
from services.shared.settings import SettingsError
from services.sources.directory import Checkpoints, Directory, ReadFailed
from services.sources.entra.api import TIMEOUT, EntraApp, GraphApi
from services.sources.entra.events import user_state
from services.sources.errors import NormalizeError, Unmappable
from services.sources.mapping import clean, segment
from services.sources.reading import Patience, get_json

from ._delta import Round, SyncStateGone, expired_sync_state

if TYPE_CHECKING:
    from services.shared.settings import Settings

SOURCE = "entra"
USER_SELECT = ("id,userPrincipalName,mail,givenName,surname,displayName,accountEnabled,"
               "jobTitle,department,employeeId")  # fmt: skip
GROUP_SELECT = "id,displayName,members"


@dataclass(frozen=True)
class GroupDelta:
    """What a delta round says of one group."""

    group: GroupState | None
    """Its name now; ``None`` when the round did not carry it (only members changed)."""
    added: frozenset[str] = frozenset()
    """Users who joined; in a full round, every user in it (nested groups flattened)."""
    removed: frozenset[str] = frozenset()
    """Users who left (never in a full round: it knows no earlier state)."""


@dataclass(frozen=True)
class DeltaChanges:
    """What changed in the directory since the kept deltaLinks, already in canonical shape.

    Nothing is kept until ``commit``: a caller that fails before it reads the same changes
    again (replays them) rather than losing them."""

    tenant: str
    began_at: dt.datetime
    """When the round began: the ``source_version`` of every event made from it."""
    full: bool
    """A full round (no kept link, or Graph forgot it): all of the directory, no removals."""
    round_id: str
    """Names this round (a hash of the deltaLinks it ended with), for idempotency keys."""
    users: Mapping[str, UserState]
    """Users created or changed (disabled ones with ``active=False``)."""
    removed_users: Mapping[str, str]
    """User id -> Graph's ``@removed`` reason: ``changed`` (soft-deleted) or ``deleted``."""
    groups: Mapping[str, GroupDelta]
    removed_groups: Mapping[str, str]
    """Group id -> ``@removed`` reason."""
    unmapped: Mapping[str, str]
    """``kind:id`` -> why it could not be mapped; left alone."""
    links: Mapping[str, str] = field(repr=False)
    """Checkpoint name -> the deltaLink this round ended with."""
    checkpoints: Checkpoints = field(repr=False)

    async def commit(self) -> None:
        """Keep this round's deltaLinks: the next round returns what changed after it."""
        for name, link in self.links.items():
            await self.checkpoints.keep_checkpoint(name, link)


class EntraDirectoryReader:
    """Reads one tenant's directory, whole or as changes, with Graph delta queries."""

    source = SOURCE

    def __init__(
        self, graph_url: str, app: EntraApp | GraphApi, checkpoints: Checkpoints, *,
        transport: httpx.AsyncBaseTransport | None = None, patience: Patience | None = None,
        username_attribute: str = "userPrincipalName",
    ) -> None:  # fmt: skip
        # A GraphApi handed in is the caller's (its token is shared); one made here is ours.
        self._owned: GraphApi | None = None
        if isinstance(app, GraphApi):
            self.api = app
        else:
            self.api = self._owned = GraphApi(app, transport)
        self.tenant = self.api.app.tenant_id
        self.graph_url = graph_url.rstrip("/")
        self.checkpoints = checkpoints
        self.patience = patience or Patience()
        self.username_attribute = username_attribute
        fields = USER_SELECT.split(",")
        self.user_select = ",".join([*fields, *{username_attribute} - set(fields)])
        # Its own client: the hook that tells an expired token apart concerns delta reads only.
        self.client = httpx.AsyncClient(timeout=TIMEOUT, transport=transport,
                                        event_hooks={"response": [expired_sync_state]})  # fmt: skip
        self.names = {kind: f"{SOURCE}:{self.tenant}:{kind}" for kind in ("users", "groups")}

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._owned is not None:
            await self._owned.aclose()

    async def read(self) -> Directory:
        """The whole directory from a full round; its deltaLinks are kept once it is read."""
        began = dt.datetime.now(dt.UTC)
        users, groups = await self._both(None)
        directory = _directory(self, began, users, groups)
        await self._keep(users, groups)
        return directory

    async def changes(self) -> DeltaChanges:
        """What changed since the kept deltaLinks (a full round when there are none, or
        Graph no longer knows them); ``commit`` the result once it was acted on."""
        kept = [await self.checkpoints.checkpoint(self.names[k]) for k in ("users", "groups")]
        links = None if None in kept else (str(kept[0]), str(kept[1]))
        began = dt.datetime.now(dt.UTC)
        try:
            users, groups = await self._both(links)
        except SyncStateGone:
            began, links = dt.datetime.now(dt.UTC), None
            users, groups = await self._both(None)
        return _changes(self, began, links is None, users, groups)

    async def _both(self, links: tuple[str, str] | None) -> tuple[Round, Round]:
        """Both rounds; ``SyncStateGone`` only from a kept link (a full round that meets it
        fails the read, rather than starting over for ever)."""
        try:
            users = await self._round("users", links[0] if links else None)
            if links is not None:
                await self._complete(users)
            groups = await self._round("groups", links[1] if links else None)
        except SyncStateGone:
            if links is not None:
                raise
            raise ReadFailed(SOURCE, "Graph forgot the sync state during a full round") from None
        return users, groups

    async def _round(self, kind: str, link: str | None) -> Round:
        select = self.user_select if kind == "users" else GROUP_SELECT
        url, params = (link, None) if link else (f"{self.graph_url}/{kind}/delta",
                                                 {"$select": select})  # fmt: skip
        found = Round(kind)
        while True:
            body = await self._page(url, params)
            found.merge(body.get("value"), url)
            params = None  # Graph carries the query in the links it gives
            if isinstance(following := body.get("@odata.nextLink"), str):
                url = following
            elif isinstance(delta := body.get("@odata.deltaLink"), str):
                found.link = delta
                return found
            else:
                raise ReadFailed(SOURCE, f"GET {url}: a page with neither nextLink nor deltaLink")

    async def _complete(self, users: Round) -> None:
        """Read back the users an incremental round returned in part: Graph sends "at least
        the updated properties", and a user mapped from those alone would lose the rest."""
        wanted = self.user_select.split(",")
        for user_id, found in list(users.found.items()):
            if all(name in found for name in wanted):
                continue
            try:
                path = f"{self.graph_url}/users/{segment(user_id, 'Entra user')}"
            except Unmappable:
                continue  # an id no path can name: it is reported unmapped
            # A 404 (removed since) fails the round: the next one reports the removal.
            users.found[user_id] = await self._page(path, {"$select": self.user_select})

    async def _page(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        try:
            bearer = await self.api.bearer()
        except NormalizeError as error:  # the token endpoint's failures, as a read's
            raise ReadFailed(SOURCE, f"no Graph token: {error}") from error
        body, _ = await get_json(self.client, SOURCE, url, params=params, patience=self.patience,
                                 headers={"Authorization": f"Bearer {bearer}"})  # fmt: skip
        if not isinstance(body, dict):
            raise ReadFailed(SOURCE, f"GET {url}: the answer is not a delta page")
        return body

    async def _keep(self, users: Round, groups: Round) -> None:
        await self.checkpoints.keep_checkpoint(self.names["users"], users.link)
        await self.checkpoints.keep_checkpoint(self.names["groups"], groups.link)


def _users(
    reader: EntraDirectoryReader, users: Round, unmapped: dict[str, str]
) -> dict[str, UserState]:
    states: dict[str, UserState] = {}
    for user_id, found in users.found.items():
        try:
            states[user_id] = user_state(found, reader.username_attribute)
        except Unmappable as error:
            unmapped[f"user:{user_id}"] = str(error)
    return states


def _names(groups: Round, unmapped: dict[str, str], *, full: bool) -> dict[str, GroupState | None]:
    names: dict[str, GroupState | None] = {}
    for group_id, found in groups.found.items():
        shown = found.get("displayName")
        name = clean(shown) if isinstance(shown, str) else None
        if group_id in groups.unreadable:
            unmapped[f"group:{group_id}"] = groups.unreadable[group_id]
        elif name is not None:
            names[group_id] = GroupState(name)
        elif "displayName" not in found and not full:  # only its members changed
            names[group_id] = None
        else:
            unmapped[f"group:{group_id}"] = "the Entra group has no usable displayName"
    return names


def _directory(
    reader: EntraDirectoryReader, began: dt.datetime, users: Round, groups: Round
) -> Directory:
    unmapped: dict[str, str] = {}
    states, names = _users(reader, users, unmapped), _names(groups, unmapped, full=True)
    return Directory(
        source=SOURCE, tenant=reader.tenant, read_at=began, users=states,
        groups={g: s for g, s in names.items() if s is not None},
        members={g: groups.flattened(g) for g, s in names.items() if s is not None},
        unmapped=unmapped,
    )  # fmt: skip


def _changes(
    reader: EntraDirectoryReader, began: dt.datetime, full: bool, users: Round, groups: Round
) -> DeltaChanges:
    unmapped: dict[str, str] = {}
    states, names = _users(reader, users, unmapped), _names(groups, unmapped, full=full)
    deltas = {
        g: GroupDelta(state, groups.flattened(g)) if full else GroupDelta(
            state, groups.direct(g, present=True), groups.direct(g, present=False))
        for g, state in names.items()
    }  # fmt: skip
    round_id = hashlib.sha256(f"{users.link}\x1f{groups.link}".encode()).hexdigest()[:32]
    return DeltaChanges(
        tenant=reader.tenant, began_at=began, full=full, round_id=round_id, users=states,
        removed_users={} if full else users.removed, groups=deltas,
        removed_groups={} if full else groups.removed, unmapped=unmapped,
        links={reader.names["users"]: users.link, reader.names["groups"]: groups.link},
        checkpoints=reader.checkpoints,
    )  # fmt: skip


def entra_reader(settings: Settings, checkpoints: Checkpoints) -> EntraDirectoryReader:
    """The reader of the tenant the settings name; ``SettingsError`` naming what is unset."""
    tenant, client = settings.entra_tenant_id, settings.entra_client_id
    secret = settings.entra_client_secret
    if tenant is None or client is None or secret is None:
        missing = [name for name, value in (("IDP_SYNC_ENTRA_TENANT_ID", tenant),
                   ("IDP_SYNC_ENTRA_CLIENT_ID", client),
                   ("IDP_SYNC_ENTRA_CLIENT_SECRET", secret)) if value is None]  # fmt: skip
        raise SettingsError(f"{' and '.join(missing)} must be set to read Entra ID's directory")
    app = EntraApp(tenant, client, secret, settings.entra_graph_url, settings.entra_login_url)
    attribute = settings.username_attribute
    return EntraDirectoryReader(
        settings.entra_graph_url, app, checkpoints,
        username_attribute="userPrincipalName" if attribute == "login" else attribute,
    )  # fmt: skip
