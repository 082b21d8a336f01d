"""``idp-sync run``: the whole pipeline in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ._runtime import configure_logging, configure_tracing, load_settings

if TYPE_CHECKING:
    from services.shared import Settings

from ._exit import ExitCode, until_stopped

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
    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync")
    address = (host or settings.gateway_host, port or settings.gateway_port)
    try:
        sock = socket.create_server(address)
    except OSError as error:
        err.print(f"[red]Cannot listen on {address[0]}:{address[1]}:[/] {error.strerror}")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    until_stopped(_until_stopped(settings, sock))


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
