"""The normalizer: each IdP's dialect in, canonical events (already within AWS's rules) out."""

from services.shared.fates import Fate

from ._app import create_broker, fate_of, serve
from ._authentik import AuthentikNormalizer
from ._authentik_api import AuthentikApi
from ._entra import EntraNormalizer
from ._errors import IdpUnavailable, MissingSettings, NormalizeError, Unmappable
from ._google import GoogleNormalizer
from ._google_api import GoogleDirectory, GoogleServiceAccount
from ._graph_api import EntraApp, GraphApi
from ._keycloak import KeycloakNormalizer
from ._keycloak_api import KeycloakApi, KeycloakClient
from ._okta import OktaNormalizer
from ._okta_api import OktaApi

__all__ = [
    "AuthentikApi", "AuthentikNormalizer", "EntraApp", "EntraNormalizer", "Fate",
    "GoogleDirectory", "GoogleNormalizer", "GoogleServiceAccount", "GraphApi", "IdpUnavailable",
    "KeycloakApi", "KeycloakClient", "KeycloakNormalizer", "MissingSettings", "NormalizeError",
    "OktaApi", "OktaNormalizer", "Unmappable", "create_broker", "fate_of", "serve",
]  # fmt: skip
