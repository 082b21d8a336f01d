"""The emulator as an ASGI app, and a runner for it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._admin_routes import admin_routes
from ._config import EmulatorConfig
from ._emulator import Emulator
from ._errors import NotFound, error_body, new_request_id
from ._scim_routes import scim_endpoint

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def _not_found(_: Request, __: Exception) -> Response:
    request_id = new_request_id()
    body = msgspec.json.encode(error_body(NotFound(), request_id))
    return Response(body, 404, {"x-amzn-RequestId": request_id}, "application/json")


def create_app(config: EmulatorConfig) -> Starlette:
    """An app serving ``/{tenant}/scim/v2/...`` and the admin API for ``config``."""
    emulator = Emulator(config)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if config.state_file is not None:
            emulator.directory.save(config.state_file)

    routes = [
        *admin_routes(emulator),
        Route("/{tenant}/scim/v2/{rest:path}", scim_endpoint(emulator), methods=_METHODS),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found})
    # AWS answers `.../scim/v2` (no slash) 404 like any unknown path, not a redirect.
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app


def serve(config: EmulatorConfig, host: str, port: int) -> None:
    """Serve the emulator until interrupted; saves the state file on the way out."""
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host=host, port=port, access_log=False, log_level="warning"
        )
    )
    server.run()
