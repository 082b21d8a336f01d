"""``idp-sync sync SOURCE``: converge AWS on the IdP's whole directory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ._durations import duration
from ._exit import ExitCode
from ._runtime import configure_logging, load_settings, topology_of
from ._sync_report import plan_json, show_outcomes, show_plan
from ._sync_sources import NoReader, reader_for

if TYPE_CHECKING:
    from services.scim_writer import AwsScim, StateStore
    from services.shared import Settings
    from services.sources.directory import Directory
    from services.sync import Plan

out, err = Console(), Console(stderr=True)
PHASES = ("objects", "members", "retirements")
SETTLED_WELL = {"applied", "nothing-to-do", "duplicate", "stale"}


@dataclass(frozen=True)
class SyncRequest:
    source: str
    plan_only: bool = False
    as_json: bool = False
    yes: bool = False
    wait: bool = True
    file: Path | None = None
    allow_empty: bool = False
    wait_timeout: float = 3600.0


def sync(
    source: Annotated[str, typer.Argument(help="okta, entra, keycloak, authentik, google...")],
    plan_only: Annotated[bool, typer.Option("--plan", help="Only show the plan.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Publish and return.")] = False,
    file: Annotated[Path | None, typer.Option(help="The generic source's snapshot.")] = None,
    every: Annotated[str | None, typer.Option(help="Sync this often (30m, 6h, 1d).")] = None,
    allow_empty: Annotated[bool, typer.Option(help="Accept an IdP listing nobody.")] = False,
    wait_timeout: Annotated[float, typer.Option(help="Seconds to wait for outcomes.")] = 3600.0,
) -> None:
    """Read SOURCE's whole directory, compare it with AWS (live) and the state store, and
    close the gap: create, update, rename (a PATCH: the AWS id and its account assignments
    stay), deactivate what the IdP no longer has (IDP_SYNC_SYNC_MISSING=delete deletes),
    add and remove members. Only objects idp-sync owns change; same-name objects it does
    not own are reported as not_owned and left alone.

    The changes go to the writer as canonical events, so idempotency, order, the deletion
    guard (`idp-sync held`), the DLQ and traces apply as for webhooks. A read that failed or
    came back partial changes nothing: exit 3. An empty read where idp-sync owns objects of
    the source is refused unless --allow-empty. Exit codes: 0 in step (or applied), 1 drift
    found by --plan, or a change refused, held or without an outcome; 2 bad usage.
    """
    try:
        interval = duration(every) if every else None
    except ValueError as error:
        err.print(f"[red]--every: {error}[/]")
        raise typer.Exit(ExitCode.USAGE) from None
    if interval and not (yes or plan_only):
        err.print("[red]--every runs unattended: add --yes (or --plan to only report)[/]")
        raise typer.Exit(ExitCode.USAGE)
    settings = load_settings()
    configure_logging("WARNING")
    request = SyncRequest(source, plan_only, as_json, yes, not no_wait, file, allow_empty,
                          wait_timeout)  # fmt: skip
    while True:
        code = asyncio.run(sync_once(request, settings))
        if interval is None:
            raise typer.Exit(code)
        err.print(f"next sync of {source} in {every}")
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            raise typer.Exit(code) from None


async def sync_once(request: SyncRequest, settings: Settings) -> int:
    """One sync as the command runs it; the exit code."""
    from services.scim_writer import store_for

    aws = _aws(settings)
    store = store_for(settings.state_url.get_secret_value())
    try:
        await store.open()
        return await _plan_and_apply(request, settings, store, aws)
    finally:
        await aws.aclose()
        await store.close()


async def _plan_and_apply(
    request: SyncRequest, settings: Settings, store: StateStore, aws: AwsScim
) -> int:
    from services.sources.directory import ReadFailed
    from services.sync import EmptyDirectory, Reconciler

    try:
        reader = reader_for(request.source, settings, store, request.file)
    except NoReader as error:
        err.print(f"[red]{error}[/]")
        return ExitCode.USAGE
    reconciler = Reconciler(reader, aws, store, missing=settings.sync_missing,
                            adopt=settings.adopt_existing,
                            allow_empty=request.allow_empty)  # fmt: skip
    try:
        directory, plan = await reconciler.plan()
    except ReadFailed as error:
        err.print(f"[red]sync stopped, nothing was published: could not read {error.source} "
                  f"in full: {error.what}[/]")  # fmt: skip
        return ExitCode.UNREACHABLE
    except EmptyDirectory as error:
        err.print(f"[red]sync refused: {error}[/]")
        return ExitCode.FAILED
    finally:
        await reader.aclose()
    if request.as_json:
        out.print_json(plan_json(plan))
    else:
        show_plan(out, plan)
    if request.plan_only or plan.in_step:
        return ExitCode.OK if plan.in_step else ExitCode.FAILED
    if not request.yes and not typer.confirm("Apply these changes?", err=True):
        err.print("nothing was published")
        return ExitCode.FAILED
    return await _apply(request, settings, store, plan, directory)


async def _apply(
    request: SyncRequest, settings: Settings, store: StateStore, plan: Plan,
    directory: Directory,
) -> int:  # fmt: skip
    from rich.progress import Progress

    from services.parked import ParkingLot
    from services.sync import Outcomes, events_of, publish_all, wait_for

    amqp_url, topology = settings.amqp_url.get_secret_value(), topology_of(settings)
    lot = ParkingLot(amqp_url, topology)
    pairs = events_of(plan, directory)
    broker = await _broker(amqp_url, settings)
    outcomes = Outcomes()
    try:
        with Progress(console=err, transient=False) as progress:
            for phase in PHASES:
                events = [e for c, e in pairs if c.phase == phase]
                if not events:
                    continue
                sent = progress.add_task(f"{phase}: published", total=len(events))
                await publish_all(broker, topology, events, partial(progress.advance, sent))
                if request.wait:
                    done = progress.add_task(f"{phase}: settled", total=len(events))
                    found = await wait_for(events, store, lot, within=request.wait_timeout,
                                           progress=partial(progress.advance, done))  # fmt: skip
                    outcomes.settled.update(found.settled)
                    outcomes.pending |= found.pending
    finally:
        await broker.stop()
    if not request.wait:
        err.print(f"published {len(pairs)} events; `idp-sync status` shows the writer's progress")
        return ExitCode.OK
    show_outcomes(err, outcomes.counts, len(outcomes.pending))
    fine = all(o in SETTLED_WELL for o in outcomes.settled.values()) and not outcomes.pending
    return ExitCode.OK if fine else ExitCode.FAILED


def _aws(settings: Settings) -> AwsScim:
    from services.scim_writer import AwsScim, ScimEndpoint

    if settings.scim_url is None or settings.scim_token is None:
        err.print("[red]Set IDP_SYNC_SCIM_URL and IDP_SYNC_SCIM_TOKEN.[/]")
        raise typer.Exit(ExitCode.USAGE)
    return AwsScim(ScimEndpoint(settings.scim_url, settings.scim_token,
                                requests_per_second=settings.scim_requests_per_second))  # fmt: skip


async def _broker(amqp_url: str, settings: Settings):  # type: ignore[no-untyped-def]
    from faststream.rabbit import RabbitBroker

    from services.shared.startup import broker_address, until_reachable
    from services.shared.topology import declare

    broker = RabbitBroker(amqp_url, logger=None)
    await until_reachable(broker_address(amqp_url), broker.connect, within=settings.startup_timeout)
    await declare(broker, topology_of(settings))
    return broker
