"""Which directory reader reads which source: the one place a source name becomes one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.scim_writer import StateStore
    from services.shared import Settings
    from services.sources.directory import DirectoryReader

SOURCES = ("okta", "entra", "keycloak", "authentik", "google", "generic")


class NoReader(ValueError):
    """The source cannot be read as asked (unknown, or the generic source without a file)."""


def reader_for(
    source: str, settings: Settings, store: StateStore, file: Path | None
) -> DirectoryReader:
    """The reader of ``source``; ``SettingsError`` when its API settings are missing."""
    if source == "generic":
        from services.sources.generic.directory import SnapshotReader

        if file is None:
            raise NoReader("the generic source is read from a snapshot: pass --file FILE")
        return SnapshotReader(file)
    if file is not None:
        raise NoReader(f"--file is for the generic source; {source} is read from its API")
    if source == "okta":
        from services.sources.okta.directory import okta_reader

        return okta_reader(settings)
    if source == "entra":
        from services.sources.entra.directory import entra_reader

        return entra_reader(settings, store)
    if source == "keycloak":
        from services.sources.keycloak.directory import keycloak_reader

        return keycloak_reader(settings)
    if source == "authentik":
        from services.sources.authentik.directory import authentik_reader

        return authentik_reader(settings)
    if source == "google":
        from services.sources.google.directory import google_reader

        return google_reader(settings)
    raise NoReader(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
