"""Okta's System Log, read to catch up on what the event hooks missed (reference/
reconciliation.md, section 1.1).

Okta retries an event hook at most once, so the log is its only complete change record.
The read is a polling request (``since``, ``sortOrder=ASCENDING``, no ``until``): Okta then
filters on when it stored an event, so a late one is not skipped, and always sends a next
link; the read ends at the first empty page. Each event leaves as the gateway would have
queued it from a hook: its bytes as Okta sent them, its ``uuid`` as the message id, so an
event both delivered and replayed is one event downstream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import msgspec

from services.gateway._publisher import RawEvent
from services.sources.directory import ReadFailed
from services.sources.okta.directory import okta_client, okta_credentials, pages, query_url
from services.sources.okta.events import MAPPED_EVENT_TYPES, SOURCE
from services.sources.reading import Patience

if TYPE_CHECKING:
    from services.shared.settings import Settings

LOG_PAGE = 1000
"""Okta's largest System Log page; the log's rate limit (50-120 a minute) is the tight one."""
RETENTION = dt.timedelta(days=90)
"""Okta returns nothing older."""


def event_filter() -> str:
    """The ``filter`` expression for exactly the event types the normalizer maps."""
    return " or ".join(f'eventType eq "{kind}"' for kind in sorted(MAPPED_EVENT_TYPES))


def okta_time(moment: dt.datetime) -> str:
    """``moment`` as Okta writes times: ISO 8601 in UTC, milliseconds, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class OktaSystemLog:
    """Reads the System Log events the normalizer maps, from a moment on, page by page."""

    source = SOURCE

    def __init__(
        self, base_url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None,
        patience: Patience | None = None,
    ) -> None:  # fmt: skip
        self.client = okta_client(base_url, token, transport)
        self.tenant = urlsplit(base_url).hostname or SOURCE
        """The org's hostname: what the webhook path takes from the event hook's source."""
        self.patience = patience or Patience()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def since(self, moment: dt.datetime) -> AsyncIterator[list[RawEvent]]:
        """Each page of events stored since ``moment``, as raw events, oldest first.

        ``ReadFailed`` naming the request when a page cannot be read (the pages before it
        were yielded already: replaying them again is harmless)."""
        query = {"since": okta_time(moment), "sortOrder": "ASCENDING", "limit": LOG_PAGE,
                 "filter": event_filter()}  # fmt: skip
        url = query_url("/api/v1/logs", query)
        async for page in pages(self.client, url, self.patience, until_empty=True):
            yield [_raw(item, url) for item in page]


def _raw(item: Any, url: str) -> RawEvent:
    if not isinstance(item, dict) or not isinstance(item.get("uuid"), str) or not item["uuid"]:
        raise ReadFailed(SOURCE, f"GET {url}: an element is not a LogEvent with a uuid")
    return RawEvent(str(item["uuid"]), msgspec.json.encode(item))


def okta_system_log(settings: Settings) -> OktaSystemLog:
    """The System Log reader from IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN;
    ``SettingsError`` naming a missing or bad one."""
    url, token = okta_credentials(settings)
    return OktaSystemLog(url, token)
