"""What the services share: settings and, as they arrive, broker topology and telemetry."""

from .settings import Settings, SettingsError, load_settings, topology_of

__all__ = ["Settings", "SettingsError", "load_settings", "topology_of"]
