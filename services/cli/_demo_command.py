"""Running the demo with the exit codes scripts rely on.

The demo must run on a fresh machine: when the configured RabbitMQ is a local one that
does not answer but RabbitMQ is installed, a private node on free ports is started for the
demo's duration instead (its data deleted afterwards); the machine's own node is never
touched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer
from rich.console import Console

from ._exit import ExitCode
from ._runtime import load_settings

if TYPE_CHECKING:
    from services.shared import Settings

err = Console(stderr=True)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def demo_command() -> None:
    from aio_pika.exceptions import AMQPConnectionError

    from services.shared.rabbit_node import RabbitNodeError

    from ._demo import run_demo

    try:
        with _broker_for_demo(load_settings()) as settings:
            settled = asyncio.run(run_demo(settings))
    except (AMQPConnectionError, ConnectionError) as error:
        err.print(f"[red]RabbitMQ cannot be reached:[/] {error} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    except RabbitNodeError as error:
        err.print(f"[red]A private RabbitMQ node for the demo did not start:[/] {error}")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    if not settled:
        raise typer.Exit(ExitCode.FAILED)


@contextlib.contextmanager
def _broker_for_demo(settings: Settings) -> Iterator[Settings]:
    """``settings``, or the same on a private node while the configured local broker is
    down and RabbitMQ is installed."""
    from pydantic import SecretStr

    from services.shared import rabbit_node

    parts = urlsplit(settings.amqp_url.get_secret_value())
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if host not in LOCAL_HOSTS or rabbit_node.amqp_answers(host, port) or not (
        rabbit_node.installed()
    ):  # fmt: skip
        yield settings
        return
    err.print(f"RabbitMQ does not answer at {host}:{port}; starting a private node for the "
              "demo (a few seconds)...")  # fmt: skip
    with rabbit_node.RabbitNode(prefix="idp-sync-demo") as node:
        err.print(f"Private RabbitMQ node {node.name} on port {node.node_port}.")
        yield settings.model_copy(update={"amqp_url": SecretStr(node.amqp_url)})
