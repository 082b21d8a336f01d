"""``idp-sync normalizer``: raw IdP events in, canonical events out."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from services.shared import Settings, load_settings, topology_of
from services.shared.logs import configure_logging
from services.shared.metrics import serve_metrics
from services.shared.telemetry import configure_tracing

if TYPE_CHECKING:
    from services.normalizer import OktaNormalizer

err = Console(stderr=True)


def normalizer() -> None:
    """Consume every source's raw webhooks and publish canonical events to the shards.

    Okta events that carry only ids (profile updates, group renames) are read back from
    the Okta API when IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN are set; without
    them such events are dead-lettered with a reason naming those settings.
    IDP_SYNC_USERNAME_ATTRIBUTE (default: login) picks the attribute that becomes the AWS
    userName: it must equal the NameID your IdP sends in SAML, or sign-in fails.
    """
    from services.normalizer import serve

    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync-normalizer")
    serve_metrics(settings.normalizer_metrics_port)
    okta = okta_normalizer(settings)
    asyncio.run(serve(settings.amqp_url.get_secret_value(), topology_of(settings), okta))


def okta_normalizer(settings: Settings) -> OktaNormalizer:
    """Okta's normalizer, reading back from Okta's API when it is configured."""
    from services.normalizer import OktaApi, OktaNormalizer

    url, token = settings.okta_api_url, settings.okta_api_token
    if (url is None) != (token is None):
        err.print("[red]Set both IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN, or neither.[/]")
        raise typer.Exit(2)
    api = OktaApi(url, token.get_secret_value()) if url and token else None
    return OktaNormalizer(api, settings.username_attribute)
