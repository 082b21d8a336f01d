"""``idp-sync writer``: apply canonical events to AWS SCIM."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from services.shared import Settings, load_settings, topology_of

if TYPE_CHECKING:
    from services.scim_writer import Applier

err = Console(stderr=True)


def writer() -> None:
    """Apply canonical events from the shard queues to AWS SCIM (IDP_SYNC_SCIM_URL).

    Each event is applied once (idempotency keys in IDP_SYNC_STATE_URL), in order per
    user and group, skipping anything older than what was applied. Throttling, 5xx and
    timeouts are retried with growing waits (honouring Retry-After); what AWS refuses goes
    to the shard's DLQ with AWS's detail. Only objects idp-sync created are touched,
    unless IDP_SYNC_ADOPT_EXISTING=true.
    """
    from services.scim_writer import serve

    settings = load_settings()
    applier = writer_applier(settings)
    amqp_url = settings.amqp_url.get_secret_value()
    asyncio.run(serve(amqp_url, topology_of(settings), applier, settings.max_attempts))


def writer_applier(settings: Settings) -> Applier:
    """The writer's applier on the configured AWS endpoint and state store."""
    from services.scim_writer import Applier, AwsScim, ScimEndpoint, store_for

    if settings.scim_url is None or settings.scim_token is None:
        err.print("[red]Set IDP_SYNC_SCIM_URL and IDP_SYNC_SCIM_TOKEN.[/]")
        raise typer.Exit(2)
    endpoint = ScimEndpoint(
        settings.scim_url, settings.scim_token,
        requests_per_second=settings.scim_requests_per_second,
    )  # fmt: skip
    store = store_for(settings.state_url.get_secret_value())
    return Applier(store, AwsScim(endpoint), adopt_existing=settings.adopt_existing)
