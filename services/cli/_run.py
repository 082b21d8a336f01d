"""``idp-sync run``: the whole pipeline in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from typing import Annotated

import typer
from rich.console import Console

from services.shared import Settings, load_settings
from services.shared.logs import configure_logging
from services.shared.telemetry import configure_tracing

from ._exit import ExitCode

err = Console(stderr=True)
log = logging.getLogger("idp_sync.run")


def run(
    host: Annotated[str | None, typer.Option(help="Address (IDP_SYNC_GATEWAY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (IDP_SYNC_GATEWAY_PORT).")] = None,
) -> None:
    """Run the gateway, the normalizers and the writer in one process, until SIGINT/SIGTERM.

    For small installs and trying idp-sync out; each part behaves exactly as its own command
    (`gateway`, `normalizer`, `writer`) and reads the same IDP_SYNC_* settings. Exits 2 when
    a setting is missing, 3 when RabbitMQ or the state store cannot be reached.
    """
    from aio_pika.exceptions import AMQPConnectionError

    from services.scim_writer import StoreUnavailable

    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync")
    address = (host or settings.gateway_host, port or settings.gateway_port)
    try:
        sock = socket.create_server(address)
    except OSError as error:
        err.print(f"[red]Cannot listen on {address[0]}:{address[1]}:[/] {error.strerror}")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    try:
        asyncio.run(_until_stopped(settings, sock))
    except (AMQPConnectionError, ConnectionError) as error:
        err.print(f"[red]RabbitMQ cannot be reached:[/] {error} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    except StoreUnavailable as error:
        err.print(f"[red]The state store cannot be reached:[/] {error} (IDP_SYNC_STATE_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None


async def _until_stopped(settings: Settings, sock: socket.socket) -> None:
    from ._local_pipeline import pipeline_running

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with pipeline_running(settings, sock) as running:
        log.info("idp-sync running: webhooks at %s/webhooks/..., namespace %r, %d shards",
                 running.gateway_url, settings.namespace, settings.shards)  # fmt: skip
        await stop.wait()
    log.info("idp-sync stopped")
