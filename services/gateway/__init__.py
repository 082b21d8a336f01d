"""The webhook gateway: verify each IdP's webhook, queue it confirmed, answer fast.

Nothing is queued before its signature or secret checks out (401), and nothing is
answered 2xx before the broker confirmed it (503 otherwise, so the IdP retries).
"""

from ._app import create_app
from ._config import GatewayConfig
from ._publisher import BrokerPublisher, BrokerUnavailable, RawEvent

__all__ = ["BrokerPublisher", "BrokerUnavailable", "GatewayConfig", "RawEvent", "create_app"]
