"""``idp-sync status``: is the broker there, what waits where, what needs a person."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import SplitResult, urlsplit

import typer
from rich.console import Console
from rich.table import Table

from ._exit import ExitCode
from ._parked_options import on_broker
from ._runtime import load_settings, topology_of

if TYPE_CHECKING:
    from services.parked import Status
    from services.scim_writer import StateStore
    from services.shared import Settings

console = Console()


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _store(settings: Settings) -> StateStore | None:
    """The writer's state store, unless it is a SQLite file that does not exist here."""
    from services.scim_writer import store_for

    url = settings.state_url.get_secret_value()
    parts = urlsplit(url)
    if parts.scheme == "sqlite" and not Path(parts.path.removeprefix("/")).exists():
        return None
    return store_for(url)


def _table(status: Status, namespace: str) -> Table:
    grid = Table(title=f"Queues of namespace {namespace!r}", title_justify="left")
    for column in ("queue", "kind", "messages", "consumers", "oldest", "note"):
        grid.add_column(column, no_wrap=column == "queue")
    for q in status.queues:
        name = q.name.removeprefix(f"{namespace}.")
        if not q.declared:
            grid.add_row(name, q.kind, "", "", "", "not declared yet")
            continue
        alarming = q in status.stalled or (q.messages and q.kind in {"held", "dead-letter"})
        depth = f"[red]{q.messages}[/]" if alarming else str(q.messages)
        grid.add_row(name, q.kind, depth, str(q.consumers), _age(q.oldest_age), q.note)
    return grid


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Broker reachability, every idp-sync queue's depth and consumers, held deletions and
    the oldest unprocessed event's age (from the writer's reports in IDP_SYNC_STATE_URL).

    Exits 0 when all is well, 1 when something needs a person (dead letters, held
    deletions, messages with no consumer, an unprocessed event older than
    IDP_SYNC_STATUS_MAX_AGE, 120 s by default), 3 when RabbitMQ cannot be reached.
    """
    settings = load_settings()
    url = settings.amqp_url.get_secret_value()
    from services.parked import gather

    store, max_age = _store(settings), settings.status_max_age
    found = on_broker(gather(url, topology_of(settings), store, max_age=max_age))
    if as_json:
        summary = {"queues": [asdict(q) for q in found.queues], "held": found.held,
                   "dead_lettered": found.dead_lettered,
                   "oldest_unprocessed_seconds": found.oldest_unprocessed,
                   "oldest_unprocessed_too_old": found.too_old,
                   "store_error": found.store_error}  # fmt: skip
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        _print(found, urlsplit(url), settings.namespace)
    raise typer.Exit(ExitCode.FAILED if found.needs_attention else ExitCode.OK)


def _print(found: Status, broker: SplitResult, namespace: str) -> None:
    console.print(f"RabbitMQ at {broker.hostname}:{broker.port or 5672}: [green]reachable[/]")
    console.print(_table(found, namespace))
    console.print(f"Oldest unprocessed event: {_age(found.oldest_unprocessed) or 'none waiting'}")
    if found.too_old:
        console.print(f"[red]The oldest unprocessed event waits longer than "
                      f"{found.max_age:g} s (IDP_SYNC_STATUS_MAX_AGE):[/] is the writer stuck "
                      "or AWS refusing?")  # fmt: skip
    if found.held:
        console.print(f"[bold red]{found.held} deactivations/deletions held by the deletion "
                      "guard.[/] Review: idp-sync held list")  # fmt: skip
    if found.dead_lettered:
        console.print(f"[red]{found.dead_lettered} dead-lettered.[/] See: idp-sync dlq list")
    for q in found.stalled:
        console.print(f"[red]{q.name} has {q.messages} messages and no consumer.[/]")
    if found.store_error:
        console.print(f"[yellow]State store unreadable:[/] {found.store_error}")
