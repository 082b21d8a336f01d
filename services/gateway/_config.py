"""What the gateway is told at start (a value object; the CLI fills it from settings)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from services.shared.topology import Topology

MIB = 1024 * 1024


@dataclass(frozen=True)
class GatewayConfig:
    """Secrets per route, limits, and where to publish."""

    topology: Topology
    okta_auth_secret: SecretStr | None = None
    """The exact ``Authorization`` value Okta sends; unset disables ``/webhooks/okta``."""
    webhook_secret: SecretStr | None = None
    """Standard Webhooks ``whsec_...`` secret; unset disables ``/webhooks/generic``."""
    entra_client_state: SecretStr | None = None
    """The ``clientState`` of idp-sync's Graph subscriptions; unset disables ``/webhooks/entra``."""
    keycloak_secret: SecretStr | None = None
    """The p2-inc keycloak-events webhook secret (HMAC); unset disables ``/webhooks/keycloak``."""
    authentik_secret: SecretStr | None = None
    """The bearer secret authentik's header mapping sends; unset disables the route."""
    google_channel_token: SecretStr | None = None
    """The token of idp-sync's Directory push channels; unset disables ``/webhooks/google``."""
    max_body_bytes: int = MIB
    publish_timeout: float = 2.0
    """Okta waits 3 s in all; the broker's confirm must come well within that."""
