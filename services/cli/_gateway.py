"""``idp-sync gateway``: serve the webhook routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ._runtime import configure_logging, configure_tracing, load_settings, topology_of

if TYPE_CHECKING:
    from services.gateway import GatewayConfig
    from services.shared import Settings

err = Console(stderr=True)


def gateway(
    host: Annotated[str | None, typer.Option(help="Address (IDP_SYNC_GATEWAY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (IDP_SYNC_GATEWAY_PORT).")] = None,
) -> None:
    """Serve the webhook gateway: /webhooks/<idp>, /healthz, /readyz and /metrics.

    A route is on only when its secret is set: IDP_SYNC_OKTA_AUTH_SECRET (okta),
    IDP_SYNC_ENTRA_CLIENT_STATE (entra), IDP_SYNC_KEYCLOAK_SECRET (keycloak),
    IDP_SYNC_AUTHENTIK_SECRET (authentik), IDP_SYNC_GOOGLE_CHANNEL_TOKEN (google),
    IDP_SYNC_WEBHOOK_SECRET (generic, Standard Webhooks whsec_...).

    At most IDP_SYNC_GATEWAY_MAX_INFLIGHT webhooks (default 256) are worked on at once;
    beyond that they are answered 503 with Retry-After: 1 at once, rather than queueing
    in the gateway until the IdP times out. /healthz, /readyz and /metrics are never limited.
    """
    import uvicorn

    from services.gateway import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync-gateway")
    app = create_app(gateway_config(settings), settings.amqp_url.get_secret_value())
    uvicorn.run(
        app,
        host=host or settings.gateway_host,
        port=port or settings.gateway_port,
        access_log=False,
        log_level="warning",
    )


def gateway_config(settings: Settings) -> GatewayConfig:
    """The gateway's configuration; exits with a usage error when no route has a secret."""
    from services.gateway import GatewayConfig

    secrets = (settings.okta_auth_secret, settings.webhook_secret, settings.entra_client_state,
               settings.keycloak_secret, settings.authentik_secret,
               settings.google_channel_token)  # fmt: skip
    if all(secret is None for secret in secrets):
        err.print(
            "[red]No route to serve:[/] set IDP_SYNC_OKTA_AUTH_SECRET, IDP_SYNC_WEBHOOK_SECRET, "
            "IDP_SYNC_ENTRA_CLIENT_STATE, IDP_SYNC_KEYCLOAK_SECRET, IDP_SYNC_AUTHENTIK_SECRET or "
            "IDP_SYNC_GOOGLE_CHANNEL_TOKEN."
        )
        raise typer.Exit(2)
    return GatewayConfig(
        topology=topology_of(settings),
        okta_auth_secret=settings.okta_auth_secret,
        webhook_secret=settings.webhook_secret,
        entra_client_state=settings.entra_client_state,
        keycloak_secret=settings.keycloak_secret,
        authentik_secret=settings.authentik_secret,
        google_channel_token=settings.google_channel_token,
        max_body_bytes=settings.max_body_bytes,
    )
