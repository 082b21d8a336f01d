"""The entra source: webhook check, event mapping, API reads."""
