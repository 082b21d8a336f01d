"""Exit codes every ``idp-sync`` command keeps, so scripts can rely on them."""

from __future__ import annotations

import enum
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")
err = Console(stderr=True)


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    """The command ran and what it checked or did failed."""
    USAGE = 2
    """Bad arguments or settings (also what typer uses for usage errors)."""
    UNREACHABLE = 3
    """A dependency (broker, store, emulator, AWS) could not be reached."""
    REFUSED = 4
    """A dependency refused the request, e.g. a wrong token."""


def on_idp(work: Coroutine[Any, Any, T], idp: str) -> T:
    """Run ``work`` against an IdP's API; exit 3 when it cannot be reached, 4 when it refuses."""
    import asyncio

    from services.normalizer import IdpUnavailable, Unmappable

    try:
        return asyncio.run(work)
    except IdpUnavailable as error:
        err.print(f"[red]{idp} cannot be reached:[/] {error}")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    except Unmappable as error:
        err.print(f"[red]{idp} refused:[/] {error}")
        raise typer.Exit(ExitCode.REFUSED) from None


def until_stopped(service: Coroutine[Any, Any, None]) -> None:
    """Run a service until SIGINT/SIGTERM. When its broker or store never answered, exit 3
    (4 when it refused the credentials) with one line: a supervisor restarts it."""
    import asyncio

    from services.shared.startup import Refused, Unreachable

    try:
        asyncio.run(service)
    except (Unreachable, Refused) as error:
        err.print(f"[red]Giving up:[/] {error}")
        code = ExitCode.UNREACHABLE if isinstance(error, Unreachable) else ExitCode.REFUSED
        raise typer.Exit(code) from None
