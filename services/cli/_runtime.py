"""What commands need from the services, imported only when a command runs.

The services pull in pydantic-settings, FastStream, httpx and OpenTelemetry; importing them
when the CLI loads would make ``idp-sync --help`` take seconds. Commands call these
wrappers instead, and type hints import the real names under ``TYPE_CHECKING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.shared import Settings
    from services.shared.topology import Topology


def load_settings() -> Settings:
    """Every ``IDP_SYNC_*`` setting; a bad value raises ``SettingsError`` naming it."""
    from services.shared import load_settings as load

    return load()


def topology_of(settings: Settings) -> Topology:
    from services.shared import topology_of as of

    return of(settings)


def configure_logging(level: str) -> None:
    from services.shared.logs import configure_logging as configure

    configure(level)


def configure_tracing(service: str) -> None:
    from services.shared.telemetry import configure_tracing as configure

    configure(service)


def serve_metrics(port: int) -> None:
    from services.shared.metrics import serve_metrics as serve

    serve(port)
