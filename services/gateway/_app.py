"""The gateway's composition root: routes, limits, and the publisher they share.

Every webhook follows one path: read the body within the size limit, verify it for its
route (401 before anything is queued), split it into events (400 if unreadable), publish
them confirmed (503 if the broker does not confirm in time), then answer 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from faststream.rabbit import RabbitBroker
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.schemas import Channel
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sources.okta import webhook as _okta

from ._answers import problem
from ._config import GatewayConfig
from ._idp_routes import idp_handlers
from ._inflight import InflightLimit
from ._publisher import BrokerPublisher, RawEventPublisher

log = logging.getLogger("idp_sync.gateway")
Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _routes(config: GatewayConfig, publisher: RawEventPublisher) -> list[Route]:
    limit = config.max_body_bytes

    def with_body(handler: Callable[[Request, bytes], Awaitable[Response]]) -> Callable[
        [Request], Awaitable[Response]
    ]:  # fmt: skip
        async def endpoint(request: Request) -> Response:
            try:
                body = await _read_body(request, limit)
            except BodyTooLarge:
                return problem(413, f"body larger than {limit} bytes")
            except ClientDisconnect:
                return Response(status_code=400)
            return await handler(request, body)

        return endpoint

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if await publisher.ready():
            return JSONResponse({"status": "ready"})
        return problem(503, "not connected to the broker")

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    handlers = idp_handlers(config, publisher)
    routes += [Route(path, with_body(handler), methods=["POST"]) for path, handler in handlers]
    if config.okta_auth_secret is not None:
        routes.append(Route("/webhooks/okta", _okta.verification, methods=["GET"]))
    return routes


def _connecting(publisher: BrokerPublisher) -> Lifespan:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        connecting = asyncio.create_task(publisher.keep_connecting())
        yield
        connecting.cancel()
        await publisher.broker.stop()

    return lifespan


def create_app(
    config: GatewayConfig, amqp_url: str, *, publisher: RawEventPublisher | None = None
) -> Starlette:
    """The gateway ASGI app; it connects to the broker in the background once started.

    ``publisher`` replaces the broker (tests and fuzzing: a fake, or a broker publisher
    the caller connects itself); ``amqp_url`` is then unused.
    """
    lifespan: Lifespan | None = None
    if publisher is None:
        broker = RabbitBroker(
            amqp_url,
            middlewares=(RabbitTelemetryMiddleware(),),
            default_channel=Channel(publisher_confirms=True, on_return_raises=True),
            logger=None,
        )
        own = BrokerPublisher(broker, config.topology, config.publish_timeout)
        publisher, lifespan = own, _connecting(own)
    routes = [*_routes(config, publisher), Route("/metrics", _metrics)]
    traced = Middleware(OpenTelemetryMiddleware, excluded_urls="healthz,readyz,metrics")
    # Outermost, so an overflow is refused before any tracing or body reading is spent on it.
    limited = Middleware(InflightLimit, limit=config.max_inflight)
    return Starlette(routes=routes, lifespan=lifespan, middleware=[limited, traced])
