"""``idp-sync writer``: apply canonical events to AWS SCIM."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ._exit import until_stopped
from ._runtime import (
    configure_logging,
    configure_tracing,
    load_settings,
    serve_metrics,
    topology_of,
)

if TYPE_CHECKING:
    from services.scim_writer import Applier, DeletionGuard
    from services.shared import Settings

err = Console(stderr=True)


def writer() -> None:
    """Apply canonical events from the shard queues to AWS SCIM (IDP_SYNC_SCIM_URL).

    Each event is applied once (idempotency keys in IDP_SYNC_STATE_URL), in order per
    user and group, skipping anything older than what was applied. Throttling, 5xx and
    timeouts are retried with growing waits (honouring Retry-After); what AWS refuses goes
    to the shard's DLQ with AWS's detail. Only objects idp-sync created are touched,
    unless IDP_SYNC_ADOPT_EXISTING=true.

    Deletion guard: after IDP_SYNC_DELETION_GUARD_LIMIT (10) deactivations and deletions
    within IDP_SYNC_DELETION_GUARD_WINDOW (300 s), further ones are held for review
    (`idp-sync held`). IDP_SYNC_DRY_RUN=true logs every write it would send and sends none.
    """
    from services.scim_writer import serve

    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync-writer")
    serve_metrics(settings.writer_metrics_port)
    applier = writer_applier(settings)
    guard = deletion_guard(settings)
    amqp_url = settings.amqp_url.get_secret_value()
    topology = topology_of(settings)
    until_stopped(serve(amqp_url, topology, applier, max_attempts=settings.max_attempts,
                        guard=guard, member_wait=settings.member_wait,
                        startup_timeout=settings.startup_timeout))  # fmt: skip


def writer_applier(settings: Settings) -> Applier:
    """The writer's applier on the configured AWS endpoint and state store."""
    from services.scim_writer import (
        Applier,
        AwsScim,
        PlanningAws,
        ScimEndpoint,
        ScratchStore,
        StateStore,
        store_for,
    )

    if settings.scim_url is None or settings.scim_token is None:
        err.print("[red]Set IDP_SYNC_SCIM_URL and IDP_SYNC_SCIM_TOKEN.[/]")
        raise typer.Exit(2)
    endpoint = ScimEndpoint(
        settings.scim_url, settings.scim_token,
        requests_per_second=settings.scim_requests_per_second,
    )  # fmt: skip
    store: StateStore = store_for(settings.state_url.get_secret_value())
    aws = AwsScim(endpoint)
    if settings.dry_run:
        store, aws = ScratchStore(store), PlanningAws(endpoint)
    return Applier(store, aws, adopt_existing=settings.adopt_existing)


def deletion_guard(settings: Settings) -> DeletionGuard:
    from services.scim_writer import DeletionGuard

    return DeletionGuard(settings.deletion_guard_limit, settings.deletion_guard_window)
