"""Running the demo with the exit codes scripts rely on."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from ._exit import ExitCode
from ._runtime import load_settings

err = Console(stderr=True)


def demo_command() -> None:
    from aio_pika.exceptions import AMQPConnectionError

    from ._demo import run_demo

    try:
        settled = asyncio.run(run_demo(load_settings()))
    except (AMQPConnectionError, ConnectionError) as error:
        err.print(f"[red]RabbitMQ cannot be reached:[/] {error} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    if not settled:
        raise typer.Exit(ExitCode.FAILED)
