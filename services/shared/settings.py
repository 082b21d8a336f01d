"""Every setting of idp-sync, read from ``IDP_SYNC_*`` environment variables in one place.

Adapters never read the environment themselves; they are handed the values they need.
Secrets are ``SecretStr`` so they never show in a repr, a log line or a trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from .topology import Topology

EXPECTED = {
    "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_parsing": "a number", "bool_parsing": "true or false",
    "string_type": "text", "missing": "a value",
}  # fmt: skip
"""What a setting's value must look like, by pydantic's error type."""


class Settings(BaseSettings):
    """idp-sync's settings; each field is the environment variable ``IDP_SYNC_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="IDP_SYNC_", extra="ignore")

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    """RabbitMQ to use; a secret because it usually carries a password."""
    namespace: str = "idp-sync"
    """Prefix of every broker object, so several deployments or test runs share a broker."""
    shards: int = 4
    """How many canonical-event shard queues (and so writer consumers) there are."""
    delivery_limit: int = 20
    """RabbitMQ's backstop: deliveries of a message without an outcome before the broker
    dead-letters it (without a reason). The services set a message that took them down
    aside earlier, after 3 such ends, with the reason; restarts and broker failovers also
    return messages, so this must stay well above that."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    okta_auth_secret: SecretStr | None = None
    """The exact ``Authorization`` header value configured on the Okta event hook."""
    webhook_secret: SecretStr | None = None
    """Standard Webhooks secret (``whsec_...``) of the generic route."""
    max_body_bytes: int = 1024 * 1024
    """Webhook bodies above this are refused with 413."""
    gateway_max_inflight: int = 256
    """Webhook requests the gateway works on at once; more are answered 503 with Retry-After."""

    okta_api_url: str | None = None
    """Okta org URL (``https://acme.okta.com``) for reading users and groups back."""
    okta_api_token: SecretStr | None = None
    """Okta API token (SSWS) with read access to users and groups."""
    entra_client_state: SecretStr | None = None
    """The clientState idp-sync's Microsoft Graph subscriptions carry (max 128 chars)."""
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    """An app registration's credentials (User.Read.All, GroupMember.Read.All)."""
    entra_graph_url: str = "https://graph.microsoft.com/v1.0"
    entra_login_url: str = "https://login.microsoftonline.com"
    keycloak_secret: SecretStr | None = None
    """The HMAC secret of the p2-inc keycloak-events webhook."""
    keycloak_url: str | None = None
    """Keycloak's base URL, e.g. https://sso.example.com (for reading objects back)."""
    keycloak_realm: str | None = None
    """The realm ``idp-sync sync keycloak`` reads (webhooks name theirs themselves)."""
    keycloak_client_id: str | None = None
    keycloak_client_secret: SecretStr | None = None
    """A confidential client of the realm with the realm-management view-users role."""
    authentik_secret: SecretStr | None = None
    """The bearer secret of idp-sync's authentik header mapping (checked by the gateway)."""
    authentik_url: str | None = None
    authentik_token: SecretStr | None = None
    """An authentik API token (read users and groups) for reading objects back."""
    google_channel_token: SecretStr | None = None
    """The token Google's push channels carry (checked by the gateway)."""
    google_key_file: str | None = None
    """A service account's JSON key, with domain-wide delegation for reading users."""
    google_admin_email: str | None = None
    """The Workspace admin the service account acts as."""
    google_directory_url: str = "https://admin.googleapis.com"
    username_attribute: str = "login"
    """The IdP attribute that becomes AWS ``userName``; it must equal the SAML NameID."""

    scim_url: str | None = None
    """AWS SCIM endpoint, ``https://scim.<region>.amazonaws.com/<tenant>/scim/v2``."""
    scim_token: SecretStr | None = None
    """AWS SCIM bearer token (IAM Identity Center > Settings > Automatic provisioning)."""
    scim_requests_per_second: float = 20.0
    """Client-side ceiling on AWS SCIM calls; halved on every 429, then regained slowly."""
    adopt_existing: bool = False
    """Let the writer take over AWS users/groups it did not create (matched by name)."""
    max_attempts: int = 8
    deletion_guard_limit: int = 10
    """Deactivations and deletions applied per window before the rest are held; 0: off."""
    deletion_guard_window: float = 300.0
    startup_timeout: float = 60.0
    """Seconds a service waits for RabbitMQ and its state store at start, retrying, before
    it gives up with exit code 3 (so a supervisor restarts it)."""
    status_max_age: float = 120.0
    """``idp-sync status`` exits 1 when the oldest unprocessed event is older than this."""
    member_wait: float = 3600.0
    """Seconds a membership change waits for its user or group to reach AWS (retried
    without using up its attempts) before it is dead-lettered."""
    sync_missing: Literal["deactivate", "delete"] = "deactivate"
    """What ``idp-sync sync`` does with owned users the IdP no longer has (groups: kept and
    emptied, or deleted); both go through the deletion guard."""
    sync_every: str | None = None
    """When set (``6h``, ``30m``), ``idp-sync run`` also runs a full sync of each source
    with API settings this often."""
    sync_source: str | None = None
    """The source ``idp-sync run`` syncs on IDP_SYNC_SYNC_EVERY (default: every source
    whose API settings are set)."""
    log_level: str = "INFO"
    normalizer_metrics_port: int = 9101
    """Where the normalizer serves /metrics; 0: not at all."""
    writer_metrics_port: int = 9102
    """Where the writer serves /metrics; 0: not at all. (The gateway and `run` serve it
    on the gateway's port.)"""
    jaeger_url: str = "http://127.0.0.1:16686"
    """Jaeger's UI and query API, for `idp-sync trace`."""
    dry_run: bool = False
    """Resolve and decide, read AWS, log each write it would send, send none."""
    """Attempts at a passing failure (429, 5xx, timeouts) before the event is dead-lettered."""
    state_url: SecretStr = SecretStr("sqlite:///.idp-sync/state.db")
    """The writer's state store: ``sqlite:///path`` (one node) or ``postgresql://...``."""

    emulator_token: SecretStr | None = None
    """Bearer token of the bundled AWS SCIM emulator (``idp-sync emulator``)."""

    @field_validator("amqp_url")
    @classmethod
    def _an_amqp_url(cls, url: SecretStr) -> SecretStr:
        parts = urlsplit(url.get_secret_value())
        try:
            parts.port  # noqa: B018 - reading it checks it is a number
        except ValueError:
            raise ValueError("an amqp:// URL whose port is a number") from None
        if parts.scheme not in {"amqp", "amqps"} or not parts.hostname:
            raise ValueError("an amqp://user:password@host:port/ URL")
        return url


class SettingsError(ValueError):
    """A setting's value is not of the form it needs; the message names the variable."""


def load_settings() -> Settings:
    """The settings from the environment; ``SettingsError`` names each bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError("; ".join(_explained(e) for e in error.errors())) from None


def _explained(problem: object) -> str:
    details = problem if isinstance(problem, dict) else {}
    field = str(details.get("loc", ("?",))[0])
    variable = f"IDP_SYNC_{field.upper()}"
    said = str(details.get("msg", "")).removeprefix("Value error, ")
    expected = EXPECTED.get(str(details.get("type")), said[:1].lower() + said[1:])
    secret = Settings.model_fields.get(field)
    shown = "" if secret is None or "SecretStr" in str(secret.annotation) else (
        f", not {details.get('input')!r}")  # fmt: skip
    return f"{variable} must be {expected}{shown}"


def topology_of(settings: Settings) -> Topology:
    from .topology import Topology

    return Topology(
        namespace=settings.namespace, shards=settings.shards, delivery_limit=settings.delivery_limit
    )
