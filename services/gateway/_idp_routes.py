"""One POST handler per IdP, each on only when its secret is set. Each verifies its IdP's
way (401 before anything is queued), answers handshakes, then lets ``accept`` publish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sources.authentik import webhook as _authentik
from services.sources.entra import webhook as _entra
from services.sources.generic import webhook as _generic
from services.sources.google import webhook as _google
from services.sources.keycloak import webhook as _keycloak
from services.sources.okta import webhook as _okta

from ._answers import accept, problem
from ._config import GatewayConfig
from ._publisher import RawEvent, RawEventPublisher

Handler = Callable[[Request, bytes], Awaitable[Response]]


def idp_handlers(config: GatewayConfig, publisher: RawEventPublisher) -> list[tuple[str, Handler]]:
    """``(path, handler)`` for every IdP whose secret is configured."""
    builders = (_okta_route, _entra_route, _keycloak_route, _authentik_route, _google_route,
                _generic_route)  # fmt: skip
    return [route for build in builders for route in build(config, publisher)]


def _okta_route(config: GatewayConfig, publisher: RawEventPublisher) -> list[tuple[str, Handler]]:
    if config.okta_auth_secret is None:
        return []
    secret = config.okta_auth_secret.get_secret_value()

    async def okta(request: Request, body: bytes) -> Response:
        if not _okta.authorized(request, secret):
            return problem(401, "wrong or missing Authorization header")
        return await accept(publisher, "okta", body, _okta.split_batch)

    return [("/webhooks/okta", okta)]


def _entra_route(config: GatewayConfig, publisher: RawEventPublisher) -> list[tuple[str, Handler]]:
    if config.entra_client_state is None:
        return []
    client_state = config.entra_client_state.get_secret_value()

    def notifications(raw: bytes) -> tuple[str, list[RawEvent]]:
        return _entra.split_notifications(raw, client_state)

    async def entra(request: Request, body: bytes) -> Response:
        if (answer := _entra.validation(request)) is not None:
            return answer
        return await accept(publisher, "entra", body, notifications)

    return [("/webhooks/entra", entra), ("/webhooks/entra/lifecycle", entra)]


def _keycloak_route(
    config: GatewayConfig, publisher: RawEventPublisher
) -> list[tuple[str, Handler]]:
    if config.keycloak_secret is None:
        return []
    secret = config.keycloak_secret.get_secret_value()

    async def keycloak(request: Request, body: bytes) -> Response:
        try:
            _keycloak.verify(secret, body, request.headers.get("x-keycloak-signature"))
        except _keycloak.BadKeycloakSignature as error:
            return problem(401, str(error))
        return await accept(publisher, "keycloak", body, _keycloak.split_event)

    return [("/webhooks/keycloak", keycloak)]


def _authentik_route(
    config: GatewayConfig, publisher: RawEventPublisher
) -> list[tuple[str, Handler]]:
    if config.authentik_secret is None:
        return []
    secret = config.authentik_secret.get_secret_value()

    async def authentik(request: Request, body: bytes) -> Response:
        if not _authentik.authorized(request.headers.get("authorization"), secret):
            return problem(401, "wrong or missing Authorization header")
        return await accept(publisher, "authentik", body, _authentik.split_event)

    return [("/webhooks/authentik", authentik)]


def _google_route(config: GatewayConfig, publisher: RawEventPublisher) -> list[tuple[str, Handler]]:
    if config.google_channel_token is None:
        return []
    token = config.google_channel_token.get_secret_value()

    async def google(request: Request, body: bytes) -> Response:
        headers = request.headers
        try:
            _google.verify(headers, token)
        except _google.WrongChannelToken as error:
            return problem(401, str(error))
        if _google.is_sync(headers):
            return JSONResponse({"accepted": 0})  # a new channel says hello: nothing to queue

        def push(raw: bytes) -> tuple[str, list[RawEvent]]:
            return _google.split_push(headers, raw)

        return await accept(publisher, "google", body, push)

    return [("/webhooks/google", google)]


def _generic_route(
    config: GatewayConfig, publisher: RawEventPublisher
) -> list[tuple[str, Handler]]:
    if config.webhook_secret is None:
        return []
    secret = config.webhook_secret.get_secret_value()

    async def generic(request: Request, body: bytes) -> Response:
        try:
            _generic.verify(secret, body, dict(request.headers))
        except _generic.BadSignature as error:
            return problem(401, f"signature refused: {error}")
        except _okta.UnreadableBatch as error:  # not UTF-8: there is no text to verify
            return problem(400, str(error))
        return await accept(publisher, "generic", body, _generic.split_changes)

    return [("/webhooks/generic", generic)]
