"""Choosing the state store from ``IDP_SYNC_STATE_URL``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from services.shared.settings import SettingsError

from ._postgres_store import PostgresStore
from ._sqlite_store import SqliteStore
from ._state_store import StateStore

DEFAULT_STATE_URL = "sqlite:///.idp-sync/state.db"


def store_for(url: str) -> StateStore:
    """``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, or
    ``postgresql://user@host/db`` (a ``?schema=name`` query picks the schema)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return SqliteStore(Path(parts.path.removeprefix("/")))
    if parts.scheme in {"postgresql", "postgres"}:
        query = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
        dsn = parts._replace(query="").geturl()
        return PostgresStore(dsn, schema=query.get("schema"))
    # Only the scheme is quoted: the rest of the URL may carry a password.
    raise SettingsError(
        f"IDP_SYNC_STATE_URL must be sqlite:///... or postgresql://..., not a "
        f"{parts.scheme or 'schemeless'}:// URL"
    )
