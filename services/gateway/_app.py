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

from services.shared.metrics import EVENTS_RECEIVED

from . import _authentik, _entra, _generic, _keycloak, _okta
from ._config import GatewayConfig
from ._okta import UnreadableBatch
from ._publisher import BrokerPublisher, BrokerUnavailable, RawEvent, RawEventPublisher

log = logging.getLogger("idp_sync.gateway")
_Split = Callable[[bytes], tuple[str, list[RawEvent]]]


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


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


async def _accept(
    publisher: RawEventPublisher, source: str, body: bytes, split: _Split
) -> Response:
    try:
        tenant, events = split(body)
    except UnreadableBatch as error:
        return _problem(400, str(error))
    except _entra.WrongClientState as error:
        return _problem(401, str(error))
    try:
        await publisher.publish(source, tenant, events)
    except BrokerUnavailable as error:
        log.warning("webhook from %s not accepted: broker unavailable (%s)", source, error)
        return _problem(503, "the event queue is unavailable; retry later")
    EVENTS_RECEIVED.labels(source).inc(len(events))
    return JSONResponse({"accepted": len(events)}, 200)


def _routes(config: GatewayConfig, publisher: RawEventPublisher) -> list[Route]:
    limit = config.max_body_bytes

    def with_body(handler: Callable[[Request, bytes], Awaitable[Response]]) -> Callable[
        [Request], Awaitable[Response]
    ]:  # fmt: skip
        async def endpoint(request: Request) -> Response:
            try:
                body = await _read_body(request, limit)
            except BodyTooLarge:
                return _problem(413, f"body larger than {limit} bytes")
            except ClientDisconnect:
                return Response(status_code=400)
            return await handler(request, body)

        return endpoint

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if await publisher.ready():
            return JSONResponse({"status": "ready"})
        return _problem(503, "not connected to the broker")

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    if config.okta_auth_secret is not None:
        okta_secret = config.okta_auth_secret.get_secret_value()

        async def okta_verify(request: Request) -> Response:
            return _okta.verification(request)

        async def okta(request: Request, body: bytes) -> Response:
            if not _okta.authorized(request, okta_secret):
                return _problem(401, "wrong or missing Authorization header")
            return await _accept(publisher, "okta", body, _okta.split_batch)

        routes += [
            Route("/webhooks/okta", okta_verify, methods=["GET"]),
            Route("/webhooks/okta", with_body(okta), methods=["POST"]),
        ]
    if config.entra_client_state is not None:
        client_state = config.entra_client_state.get_secret_value()

        def notifications(raw: bytes) -> tuple[str, list[RawEvent]]:
            return _entra.split_notifications(raw, client_state)

        async def entra(request: Request, body: bytes) -> Response:
            if (answer := _entra.validation(request)) is not None:
                return answer
            return await _accept(publisher, "entra", body, notifications)

        routes += [Route(path, with_body(entra), methods=["POST"])
                   for path in ("/webhooks/entra", "/webhooks/entra/lifecycle")]  # fmt: skip
    if config.keycloak_secret is not None:
        keycloak_secret = config.keycloak_secret.get_secret_value()

        async def keycloak(request: Request, body: bytes) -> Response:
            try:
                _keycloak.verify(keycloak_secret, body, request.headers.get("x-keycloak-signature"))
            except _keycloak.BadKeycloakSignature as error:
                return _problem(401, str(error))
            return await _accept(publisher, "keycloak", body, _keycloak.split_event)

        routes.append(Route("/webhooks/keycloak", with_body(keycloak), methods=["POST"]))
    if config.authentik_secret is not None:
        authentik_secret = config.authentik_secret.get_secret_value()

        async def authentik(request: Request, body: bytes) -> Response:
            if not _authentik.authorized(request.headers.get("authorization"), authentik_secret):
                return _problem(401, "wrong or missing Authorization header")
            return await _accept(publisher, "authentik", body, _authentik.split_event)

        routes.append(Route("/webhooks/authentik", with_body(authentik), methods=["POST"]))
    if config.webhook_secret is not None:
        webhook_secret = config.webhook_secret.get_secret_value()

        async def generic(request: Request, body: bytes) -> Response:
            try:
                _generic.verify(webhook_secret, body, dict(request.headers))
            except _generic.BadSignature as error:
                return _problem(401, f"signature refused: {error}")
            return await _accept(publisher, "generic", body, _generic.split_changes)

        routes.append(Route("/webhooks/generic", with_body(generic), methods=["POST"]))
    return routes


def create_app(config: GatewayConfig, amqp_url: str) -> Starlette:
    """The gateway ASGI app; it connects to the broker in the background once started."""
    broker = RabbitBroker(
        amqp_url,
        middlewares=(RabbitTelemetryMiddleware(),),
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
        logger=None,
    )
    publisher = BrokerPublisher(broker, config.topology, config.publish_timeout)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        connecting = asyncio.create_task(publisher.keep_connecting())
        yield
        connecting.cancel()
        await broker.stop()

    routes = [*_routes(config, publisher), Route("/metrics", _metrics)]
    traced = Middleware(OpenTelemetryMiddleware, excluded_urls="healthz,readyz,metrics")
    return Starlette(routes=routes, lifespan=lifespan, middleware=[traced])
