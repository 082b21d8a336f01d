"""The public surface of each package is what its ``__all__`` says, and nothing breaks it."""

from __future__ import annotations

import importlib

import pytest

SURFACES = {
    "services.aws_scim_emulator": {
        "Behaviour", "Emulator", "EmulatorConfig", "Faults", "Token", "create_app", "serve",
    },
    "services.shared": {"Settings", "SettingsError", "load_settings", "topology_of"},
    "services.normalizer": {
        "AuthentikApi", "AuthentikNormalizer", "EntraApp", "EntraNormalizer", "Fate",
        "GoogleDirectory", "GoogleNormalizer", "GoogleServiceAccount", "GraphApi",
        "IdpUnavailable", "KeycloakApi", "KeycloakClient", "KeycloakNormalizer",
        "MissingSettings", "NormalizeError", "OktaApi", "OktaNormalizer", "Unmappable",
        "create_broker", "fate_of", "serve",
    },
    "services.scim_writer": {
        "DEFAULT_STATE_URL", "MAX_MEMBER_CHANGES", "AdaptiveRateLimit", "Applier", "AwsConflict",
        "AwsNotFound", "AwsObject", "AwsRefused", "AwsScim", "AwsScimError", "AwsServerError",
        "AwsThrottled", "AwsUnauthorized", "AwsUnreachable", "DeletionGuard",
        "MemberNotYetProvisioned", "MembershipRaced", "PlannedWrite", "PlanningAws", "Retirement",
        "ScratchStore",
        "MembershipEvent", "Outcome", "PostgresStore", "QueueLag", "ScimEndpoint", "SqliteStore",
        "StateStore",
        "StoreUnavailable", "Writer", "create_writer", "serve", "store_for", "user_resource",
    },
    "services.gateway": {
        "BrokerPublisher", "BrokerUnavailable", "GatewayConfig", "RawEvent", "create_app",
    },
    "services.parked": {
        "Filters", "ParkedMessage", "ParkingLot", "QueueStatus", "Settle", "Status",
        "approve_to", "drop", "gather", "moment", "replay",
    },
    "services.cli": {"app", "main"},
}  # fmt: skip


@pytest.mark.parametrize(("module", "names"), SURFACES.items())
def test_exported_members(module: str, names: set[str]) -> None:
    package = importlib.import_module(module)
    assert set(package.__all__) == names
    assert all(hasattr(package, name) for name in names)
