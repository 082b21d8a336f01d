"""``idp-sync normalizer``: raw IdP events in, canonical events out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ._exit import until_stopped
from ._runtime import (
    configure_logging,
    configure_tracing,
    load_settings,
    serve_metrics,
    topology_of,
)

if TYPE_CHECKING:
    from services.normalizer import (
        AuthentikNormalizer,
        EntraApp,
        EntraNormalizer,
        GoogleNormalizer,
        GoogleServiceAccount,
        KeycloakNormalizer,
        OktaNormalizer,
    )
    from services.shared import Settings

err = Console(stderr=True)


def normalizer() -> None:
    """Consume every source's raw webhooks and publish canonical events to the shards.

    Okta events that carry only ids (profile updates, group renames) are read back from
    the Okta API when IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN are set; without
    them such events are dead-lettered with a reason naming those settings. Entra ID
    notifications are read back from Microsoft Graph with IDP_SYNC_ENTRA_TENANT_ID,
    IDP_SYNC_ENTRA_CLIENT_ID and IDP_SYNC_ENTRA_CLIENT_SECRET. An IdP answering 429 or
    5xx pauses that source and retries (honouring Retry-After), never dead-letters at once.
    IDP_SYNC_USERNAME_ATTRIBUTE (default: login) picks the attribute that becomes the AWS
    userName: it must equal the NameID your IdP sends in SAML, or sign-in fails.
    """
    from services.normalizer import serve

    settings = load_settings()
    configure_logging(settings.log_level)
    configure_tracing("idp-sync-normalizer")
    serve_metrics(settings.normalizer_metrics_port)
    okta, entra = okta_normalizer(settings), entra_normalizer(settings)
    keycloak, authentik = keycloak_normalizer(settings), authentik_normalizer(settings)
    google = google_normalizer(settings)
    amqp_url, topology = settings.amqp_url.get_secret_value(), topology_of(settings)
    until_stopped(serve(
        amqp_url, topology, okta, entra=entra, keycloak=keycloak, authentik=authentik,
        google=google, max_attempts=settings.max_attempts,
        startup_timeout=settings.startup_timeout,
    ))  # fmt: skip


def okta_normalizer(settings: Settings) -> OktaNormalizer:
    """Okta's normalizer, reading back from Okta's API when it is configured."""
    from services.normalizer import OktaApi, OktaNormalizer

    url, token = settings.okta_api_url, settings.okta_api_token
    if (url is None) != (token is None):
        err.print("[red]Set both IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN, or neither.[/]")
        raise typer.Exit(2)
    api = OktaApi(url, token.get_secret_value()) if url and token else None
    return OktaNormalizer(api, settings.username_attribute)


def entra_normalizer(settings: Settings) -> EntraNormalizer:
    """Entra's normalizer, reading back from Microsoft Graph when the app is configured;
    the state store keeps the deltaLinks of its catch-ups after `missed` notifications."""
    from services.normalizer import EntraNormalizer, GraphApi
    from services.scim_writer import store_for

    app = entra_app(settings)
    attribute = "userPrincipalName" if settings.username_attribute == "login" else (
        settings.username_attribute)  # fmt: skip
    if app is None:
        return EntraNormalizer(None, attribute)
    store = store_for(settings.state_url.get_secret_value())
    return EntraNormalizer(GraphApi(app), attribute, store)


def entra_app(settings: Settings) -> EntraApp | None:
    """The Entra app registration from settings; a usage error when only part is set."""
    from services.normalizer import EntraApp

    parts = (settings.entra_tenant_id, settings.entra_client_id, settings.entra_client_secret)
    if all(part is None for part in parts):
        return None
    tenant, client, secret = parts
    if tenant is None or client is None or secret is None:
        err.print("[red]Set IDP_SYNC_ENTRA_TENANT_ID, IDP_SYNC_ENTRA_CLIENT_ID and "
                  "IDP_SYNC_ENTRA_CLIENT_SECRET together.[/]")  # fmt: skip
        raise typer.Exit(2)
    return EntraApp(tenant, client, secret, settings.entra_graph_url, settings.entra_login_url)


def keycloak_normalizer(settings: Settings) -> KeycloakNormalizer:
    """Keycloak's normalizer, reading back from the admin API when a client is configured."""
    from services.normalizer import KeycloakApi, KeycloakClient, KeycloakNormalizer

    parts = (settings.keycloak_url, settings.keycloak_client_id, settings.keycloak_client_secret)
    url, client_id, secret = parts
    if any(p is None for p in parts) and not all(p is None for p in parts):
        err.print("[red]Set IDP_SYNC_KEYCLOAK_URL, IDP_SYNC_KEYCLOAK_CLIENT_ID and "
                  "IDP_SYNC_KEYCLOAK_CLIENT_SECRET together.[/]")  # fmt: skip
        raise typer.Exit(2)
    api = (
        KeycloakApi(KeycloakClient(url, client_id, secret))
        if url and client_id and secret
        else None
    )
    attribute = (
        "username" if settings.username_attribute == "login" else settings.username_attribute
    )
    return KeycloakNormalizer(api, attribute)


def authentik_normalizer(settings: Settings) -> AuthentikNormalizer:
    """authentik's normalizer: reads back from its API, remembers memberships in the store."""
    from services.normalizer import AuthentikApi, AuthentikNormalizer
    from services.scim_writer import store_for

    url, token = settings.authentik_url, settings.authentik_token
    if (url is None) != (token is None):
        err.print(
            "[red]Set both IDP_SYNC_AUTHENTIK_URL and IDP_SYNC_AUTHENTIK_TOKEN, or neither.[/]"
        )
        raise typer.Exit(2)
    if url is None or token is None:
        return AuthentikNormalizer(None, None)
    attribute = settings.username_attribute
    return AuthentikNormalizer(
        AuthentikApi(url, token.get_secret_value()),
        store_for(settings.state_url.get_secret_value()),
        "username" if attribute == "login" else attribute,
    )


def google_normalizer(settings: Settings) -> GoogleNormalizer:
    """Google's normalizer, reading users back as the configured service account."""
    from services.normalizer import GoogleDirectory, GoogleNormalizer
    from services.scim_writer import store_for

    account = google_account(settings)
    if account is None:
        return GoogleNormalizer(None)
    return GoogleNormalizer(
        GoogleDirectory(account), store_for(settings.state_url.get_secret_value())
    )


def google_account(settings: Settings) -> GoogleServiceAccount | None:
    from services.normalizer import GoogleServiceAccount

    key_file, admin = settings.google_key_file, settings.google_admin_email
    if (key_file is None) != (admin is None):
        err.print("[red]Set both IDP_SYNC_GOOGLE_KEY_FILE and IDP_SYNC_GOOGLE_ADMIN_EMAIL, "
                  "or neither.[/]")  # fmt: skip
        raise typer.Exit(2)
    if key_file is None or admin is None:
        return None
    return GoogleServiceAccount(Path(key_file), admin, settings.google_directory_url)
