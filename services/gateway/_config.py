"""What the gateway is told at start (a value object; the CLI fills it from settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from services.shared.settings import load_settings
from services.shared.topology import Topology

MIB = 1024 * 1024


def _max_inflight_setting() -> int:
    # The CLI builds GatewayConfig without naming this field, so its default is the
    # setting itself: IDP_SYNC_GATEWAY_MAX_INFLIGHT reaches every command that serves it.
    return load_settings().gateway_max_inflight


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
    max_inflight: int = field(default_factory=_max_inflight_setting)
    """Webhook requests worked on at once; beyond it they are answered 503 at once."""
