"""The google source: webhook check, event mapping, API reads."""
