"""The generic source: webhook check, event mapping, API reads."""
