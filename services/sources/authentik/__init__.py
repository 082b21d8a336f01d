"""The authentik source: webhook check, event mapping, API reads."""
