"""The keycloak source: webhook check, event mapping, API reads."""
