"""Every setting of idp-sync, read from ``IDP_SYNC_*`` environment variables in one place.

Adapters never read the environment themselves; they are handed the values they need.
Secrets are ``SecretStr`` so they never show in a repr, a log line or a trace.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """idp-sync's settings; each field is the environment variable ``IDP_SYNC_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="IDP_SYNC_", extra="ignore")

    emulator_token: SecretStr | None = None
    """Bearer token of the bundled AWS SCIM emulator (``idp-sync emulator``)."""


def load_settings() -> Settings:
    return Settings()
