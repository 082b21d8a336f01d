"""The okta source: webhook check, event mapping, API reads."""
