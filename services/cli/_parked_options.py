"""Options the parked-message commands share: the filters, and reaching the broker."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from ._exit import ExitCode

if TYPE_CHECKING:
    from services.parked import Filters

T = TypeVar("T")
err = Console(stderr=True)

Source = Annotated[str | None, typer.Option(help="Only this source (okta, generic, ...).")]
Type = Annotated[
    str | None, typer.Option("--type", help="Only this event type; globs work (user.*).")
]
Error = Annotated[
    str | None, typer.Option(help="Only this error class (AwsRefused) or words of its detail.")
]
Subject = Annotated[
    str | None,
    typer.Option(help="Only this user or group: user:<id>, the IdP id, userName or group name."),
]
Since = Annotated[
    str | None, typer.Option(help="Parked at or after: a time (2026-11-02T10:00Z) or an age (2h).")
]
Until = Annotated[str | None, typer.Option(help="Parked at or before: a time or an age.")]
Ids = Annotated[list[str] | None, typer.Argument(help="Message ids (or unique prefixes).")]


def filters(
    ids: list[str] | None = None, source: str | None = None, type_: str | None = None,
    error: str | None = None, subject: str | None = None, since: str | None = None,
    until: str | None = None,
) -> Filters:  # fmt: skip
    """The filters, or a usage error (exit 2) naming the bad value."""
    from services.parked import Filters, moment

    try:
        return Filters(
            tuple(ids or ()), source, type_, error, subject,
            moment(since) if since else None, moment(until) if until else None,
        )  # fmt: skip
    except ValueError as error_:
        err.print(f"[red]{error_}[/]")
        raise typer.Exit(ExitCode.USAGE) from None


def on_broker(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; exit 3 with a clear message when RabbitMQ cannot be reached."""
    import asyncio

    from aio_pika.exceptions import AMQPConnectionError

    try:
        return asyncio.run(work)
    except (AMQPConnectionError, ConnectionError, OSError) as error:
        err.print(f"[red]RabbitMQ cannot be reached:[/] {error} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
