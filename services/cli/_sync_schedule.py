"""Full syncs on a schedule inside ``idp-sync run`` (IDP_SYNC_SYNC_EVERY)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ._durations import duration
from ._sync import SyncRequest, sync_once

if TYPE_CHECKING:
    from services.shared import Settings

log = logging.getLogger("idp_sync.sync")


def scheduled_sources(settings: Settings) -> list[str]:
    """IDP_SYNC_SYNC_SOURCE, else every source whose API settings are set."""
    if settings.sync_source:
        return [settings.sync_source]
    configured = {
        "okta": settings.okta_api_url and settings.okta_api_token,
        "entra": settings.entra_client_id and settings.entra_client_secret,
        "keycloak": settings.keycloak_url and settings.keycloak_realm,
        "authentik": settings.authentik_url and settings.authentik_token,
        "google": settings.google_key_file and settings.google_admin_email,
    }
    return [source for source, ready in configured.items() if ready]


async def sync_forever(settings: Settings) -> None:
    """Sync each scheduled source, then wait IDP_SYNC_SYNC_EVERY, until cancelled. A sync
    that fails is logged and tried again at the next turn; the pipeline runs on."""
    every = duration(settings.sync_every or "")
    sources = scheduled_sources(settings)
    if not sources:
        log.warning("IDP_SYNC_SYNC_EVERY is set but no source has API settings: no sync")
        return
    while True:
        for source in sources:
            request = SyncRequest(source, yes=True, wait=False)
            try:
                code = await sync_once(request, settings)
            except Exception:
                log.exception("scheduled sync of %s failed", source)
            else:
                log.info("scheduled sync of %s ended with exit code %d", source, code)
        await asyncio.sleep(every)
