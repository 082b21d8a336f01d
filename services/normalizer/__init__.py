"""The normalizer: each IdP's dialect in, canonical events (already within AWS's rules) out."""

from services.shared.fates import Fate
from services.sources.authentik.api import AuthentikApi
from services.sources.authentik.events import AuthentikNormalizer
from services.sources.entra.api import EntraApp, GraphApi
from services.sources.entra.events import EntraNormalizer
from services.sources.errors import IdpUnavailable, MissingSettings, NormalizeError, Unmappable
from services.sources.google.api import GoogleDirectory, GoogleServiceAccount
from services.sources.google.events import GoogleNormalizer
from services.sources.keycloak.api import KeycloakApi, KeycloakClient
from services.sources.keycloak.events import KeycloakNormalizer
from services.sources.okta.api import OktaApi
from services.sources.okta.events import OktaNormalizer

from ._app import create_broker, fate_of, serve

__all__ = [
    "AuthentikApi", "AuthentikNormalizer", "EntraApp", "EntraNormalizer", "Fate",
    "GoogleDirectory", "GoogleNormalizer", "GoogleServiceAccount", "GraphApi", "IdpUnavailable",
    "KeycloakApi", "KeycloakClient", "KeycloakNormalizer", "MissingSettings", "NormalizeError",
    "OktaApi", "OktaNormalizer", "Unmappable", "create_broker", "fate_of", "serve",
]  # fmt: skip
