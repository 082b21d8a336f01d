"""Gateway, normalizer and writer in one process: ``idp-sync run`` and the demo.

Each part is built exactly as its own command builds it, so one process behaves as three;
only the broker connections and the event loop are shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from services.shared import Settings, topology_of
from services.shared.startup import broker_address, until_reachable
from services.shared.topology import declare

from ._gateway import gateway_config
from ._normalizer import (
    authentik_normalizer,
    entra_normalizer,
    google_normalizer,
    keycloak_normalizer,
    okta_normalizer,
)
from ._sync_schedule import sync_forever
from ._writer import deletion_guard, writer_applier

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from services.scim_writer import StateStore


class InProcessServer(uvicorn.Server):
    """uvicorn, leaving SIGINT/SIGTERM to the process that hosts it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: Starlette, sock: socket.socket) -> AsyncIterator[InProcessServer]:
    """Serve ``app`` on a listening ``sock`` until the block ends."""
    server = InProcessServer(uvicorn.Config(app, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True)
class LocalPipeline:
    """The running parts a caller may look at."""

    gateway_url: str
    store: StateStore


@contextlib.asynccontextmanager
async def pipeline_running(settings: Settings, sock: socket.socket) -> AsyncIterator[LocalPipeline]:
    """Run the three parts on ``settings``'s broker, the gateway on ``sock``; stop them all
    when the block ends. Raises what the broker or the state store raise when unreachable."""
    from services.gateway import create_app
    from services.normalizer import create_broker as normalizer_broker
    from services.scim_writer import create_writer

    amqp_url = settings.amqp_url.get_secret_value()
    topology = topology_of(settings)
    okta, applier = okta_normalizer(settings), writer_applier(settings)
    entra, keycloak = entra_normalizer(settings), keycloak_normalizer(settings)
    authentik, google = authentik_normalizer(settings), google_normalizer(settings)
    normalizing = normalizer_broker(
        amqp_url, topology, okta, entra=entra, keycloak=keycloak, authentik=authentik,
        google=google, max_attempts=settings.max_attempts,
    )  # fmt: skip
    writer = create_writer(amqp_url, topology, applier, max_attempts=settings.max_attempts,
                           guard=deletion_guard(settings),
                           member_wait=settings.member_wait)  # fmt: skip
    writing = writer.broker
    wait = settings.startup_timeout
    async with contextlib.AsyncExitStack() as stack:
        await until_reachable("the state store", applier.store.open, within=wait)
        stack.push_async_callback(applier.store.close)
        stack.push_async_callback(applier.aws.aclose)
        for remembering in (authentik.store, google.store, entra.store):
            if remembering is not None:
                await until_reachable("the state store", remembering.open, within=wait)
                stack.push_async_callback(remembering.close)
        for api in (okta.api, entra.api, keycloak.api, authentik.api, google.api):
            if api is not None:
                stack.push_async_callback(api.aclose)
        for broker in (normalizing, writing):
            stack.push_async_callback(broker.stop)
            await until_reachable(broker_address(amqp_url), broker.connect, within=wait)
        await declare(writing, topology)
        for broker in (normalizing, writing):
            await broker.start()
        reporting = asyncio.create_task(writer.report_lags_forever())
        stack.callback(reporting.cancel)
        if settings.sync_every:
            syncing = asyncio.create_task(sync_forever(settings))
            stack.callback(syncing.cancel)
        host, port = sock.getsockname()[:2]
        gateway = create_app(gateway_config(settings), amqp_url)
        await stack.enter_async_context(serving(gateway, sock))
        yield LocalPipeline(f"http://{host}:{port}", applier.store)
