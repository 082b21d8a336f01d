"""A faithful local AWS IAM Identity Center SCIM v2 endpoint, quirks included.

Serves ``/{tenant}/scim/v2/...`` with the rules, limits and error bodies the real
endpoint has (see the README's "AWS SCIM emulator" section), plus an admin API under
``/_emulator/`` for fault injection and inspection.
"""

from ._app import create_app, serve
from ._config import Behaviour, EmulatorConfig, Faults, Token
from ._emulator import Emulator

__all__ = ["Behaviour", "Emulator", "EmulatorConfig", "Faults", "Token", "create_app", "serve"]
