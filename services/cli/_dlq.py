"""``idp-sync dlq``: see what failed and why, replay it once the cause is fixed, or purge it."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._exit import ExitCode
from ._parked_options import (
    Error,
    Ids,
    Since,
    Source,
    Subject,
    Type,
    Until,
    err,
    filters,
    on_broker,
)
from ._runtime import configure_tracing, load_settings, topology_of

if TYPE_CHECKING:
    from services.parked import Filters, ParkedMessage, ParkingLot

console = Console()
dlq_app = typer.Typer(
    rich_markup_mode=None,
    help="Dead-lettered messages of every idp-sync queue: list, show, replay, purge.",
    no_args_is_help=True,
)


def parking_lot() -> ParkingLot:
    from services.parked import ParkingLot

    settings = load_settings()
    return ParkingLot(settings.amqp_url.get_secret_value(), topology_of(settings))


def _short_queue(queue: str) -> str:
    return queue.split(".", 1)[1] if "." in queue else queue


def table(messages: list[ParkedMessage], title: str) -> Table:
    """The listing: one row per message, newest detail cut to fit."""
    grid = Table(title=title, title_justify="left")
    for column in ("id", "when", "queue", "source", "type", "subject", "error", "detail", "tries"):
        grid.add_column(column, overflow="fold" if column == "detail" else "ellipsis")
    for m in messages:
        when = m.when.strftime("%Y-%m-%d %H:%M:%S") if m.when else ""
        subject = f"{m.subject} ({m.name})" if m.name else m.subject
        grid.add_row(m.id[:8], when, _short_queue(m.queue), m.source, m.type, subject,
                     m.error_class, m.detail[:160], str(m.attempts))  # fmt: skip
    return grid


def _select(lot: ParkingLot, chosen: Filters) -> list[ParkedMessage]:
    return on_broker(lot.browse(lot.dead_letter_queues, chosen))


@dlq_app.command("list")
def list_(
    source: Source = None, type_: Type = None, error: Error = None, subject: Subject = None,
    since: Since = None, until: Until = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:  # fmt: skip
    """List dead-lettered messages, oldest first: when, source, type, subject, why."""
    found = _select(parking_lot(), filters(None, source, type_, error, subject, since, until))
    if as_json:
        for m in found:
            sys.stdout.write(json.dumps(m.summary()) + "\n")
        return
    console.print(table(found, f"{len(found)} dead-lettered"))


@dlq_app.command()
def show(
    message_id: Annotated[str, typer.Argument(help="A message id or a unique prefix.")],
) -> None:
    """Everything about one dead-lettered message: headers, body, failure history, trace id."""
    found = _select(parking_lot(), filters([message_id]))
    if not found:
        err.print(f"[red]No dead-lettered message {message_id!r}.[/]")
        raise typer.Exit(ExitCode.FAILED)
    for m in found:
        console.rule(f"{m.id} in {m.queue}")
        console.print(f"trace id: {m.trace_id or '(none: tracing was off)'}")
        console.print(f"error: {m.error_class}: {m.detail}")
        console.print("history:")
        for entry in m.history or ["(none recorded)"]:
            console.print(f"  {entry}", markup=False)
        console.print("headers:")
        console.print_json(json.dumps(m.headers, default=str))
        console.print("body:")
        try:
            console.print_json(m.body.decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            console.print(repr(m.body[:2000]), markup=False)


def confirm_or_preview(
    found: list[ParkedMessage], verb: str, past: str, *, dry_run: bool, yes: bool
) -> None:
    """Show what a command is about to do; stop there on --dry-run, or unless confirmed."""
    if not found:
        console.print(f"Nothing to {verb}.")
        raise typer.Exit(ExitCode.OK)
    console.print(table(found, f"{len(found)} to {verb}"))
    if dry_run:
        console.print(f"Dry run: {len(found)} would be {past}; nothing changed.")
        raise typer.Exit(ExitCode.OK)
    if not yes and not typer.confirm(f"{verb.capitalize()} these {len(found)}?"):
        raise typer.Exit(ExitCode.FAILED)


def _settle(lot: ParkingLot, chosen: Filters, action: str, rate: float, total: int) -> int:
    from services.parked import drop, replay

    settle = replay if action == "replay" else drop
    from rich.progress import Progress

    with Progress(console=err, transient=False) as progress:
        task = progress.add_task(f"{action}ing", total=total)
        return on_broker(lot.settle(lot.dead_letter_queues, chosen, settle, rate=rate,
                                    progress=lambda _: progress.advance(task)))  # fmt: skip


@dlq_app.command("replay")
def replay_(
    ids: Ids = None, source: Source = None, type_: Type = None, error: Error = None,
    subject: Subject = None, since: Since = None, until: Until = None,
    rate: Annotated[float, typer.Option(help="Messages per second at most.", min=0.1)] = 10.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what it would do.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:  # fmt: skip
    """Send matching messages back to where they failed, keeping their idempotency keys.

    Each is removed from its DLQ only after the broker confirmed the re-publish, so a replay
    stopped half-way loses nothing; run it again to finish. A replayed event older than what
    was applied since is skipped by the writer, never applied.
    """
    configure_tracing("idp-sync-cli")
    chosen = filters(ids, source, type_, error, subject, since, until)
    if chosen.empty and not yes:
        err.print("[yellow]No filter given: this replays every dead-lettered message.[/]")
    lot = parking_lot()
    found = _select(lot, chosen)
    confirm_or_preview(found, "replay", "replayed", dry_run=dry_run, yes=yes)
    done = _settle(lot, chosen, "replay", rate, len(found))
    console.print(f"Replayed {done}.")


@dlq_app.command()
def purge(
    ids: Ids = None, source: Source = None, type_: Type = None, error: Error = None,
    subject: Subject = None, since: Since = None, until: Until = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be purged.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:  # fmt: skip
    """Delete matching dead-lettered messages for good (asks first unless --yes)."""
    chosen = filters(ids, source, type_, error, subject, since, until)
    lot = parking_lot()
    found = _select(lot, chosen)
    confirm_or_preview(found, "purge", "purged", dry_run=dry_run, yes=yes)
    done = _settle(lot, chosen, "purge", 1000.0, len(found))
    console.print(f"Purged {done}.")
