"""What the services share: settings and, as they arrive, broker topology and telemetry."""

from .settings import Settings, load_settings, topology_of

__all__ = ["Settings", "load_settings", "topology_of"]
