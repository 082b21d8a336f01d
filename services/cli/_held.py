"""``idp-sync held``: deactivations and deletions the deletion guard stopped, for review."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ._dlq import confirm_or_preview, parking_lot, table
from ._parked_options import Ids, Since, Subject, Type, Until, err, filters, on_broker
from ._runtime import configure_tracing, load_settings, topology_of

if TYPE_CHECKING:
    from services.parked import Filters, ParkedMessage, ParkingLot, Settle

console = Console()
held_app = typer.Typer(
    rich_markup_mode=None,
    help="Deactivations and deletions held by the deletion guard: list, approve, reject.",
    no_args_is_help=True,
)
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only show what it would do.")]


def _held(lot: ParkingLot, chosen: Filters) -> list[ParkedMessage]:
    return on_broker(lot.browse([lot.held_queue], chosen))


@held_app.command("list")
def list_(
    type_: Type = None, subject: Subject = None, since: Since = None, until: Until = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:  # fmt: skip
    """List held deactivations and deletions, oldest first."""
    found = _held(parking_lot(), filters(None, None, type_, None, subject, since, until))
    if as_json:
        for m in found:
            sys.stdout.write(json.dumps(m.summary()) + "\n")
        return
    console.print(table(found, f"{len(found)} held by the deletion guard"))


def _release(chosen: Filters, verb: str, past: str, settle: Settle,
             *, dry_run: bool, yes: bool) -> None:  # fmt: skip
    lot = parking_lot()
    found = _held(lot, chosen)
    confirm_or_preview(found, verb, past, dry_run=dry_run, yes=yes)
    from rich.progress import Progress

    with Progress(console=err) as progress:
        task = progress.add_task(f"{verb}ing", total=len(found))
        done = on_broker(lot.settle([lot.held_queue], chosen, settle, rate=50.0,
                                    progress=lambda _: progress.advance(task)))  # fmt: skip
    console.print(f"{past.capitalize()} {done}.")


@held_app.command()
def approve(
    ids: Ids = None, type_: Type = None, subject: Subject = None, since: Since = None,
    until: Until = None, dry_run: DryRun = False, yes: Yes = False,
) -> None:  # fmt: skip
    """Apply the matching held events: each goes back to its shard, let through the guard."""
    configure_tracing("idp-sync-cli")
    chosen = filters(ids, None, type_, None, subject, since, until)
    events = topology_of(load_settings()).events_exchange.name
    from services.parked import approve_to

    _release(chosen, "approve", "approved", approve_to(events), dry_run=dry_run, yes=yes)


@held_app.command()
def reject(
    ids: Ids = None, type_: Type = None, subject: Subject = None, since: Since = None,
    until: Until = None, dry_run: DryRun = False, yes: Yes = False,
) -> None:  # fmt: skip
    """Drop the matching held events: the users and groups stay as they are in AWS."""
    chosen = filters(ids, None, type_, None, subject, since, until)
    from services.parked import drop

    _release(chosen, "reject", "rejected", drop, dry_run=dry_run, yes=yes)
