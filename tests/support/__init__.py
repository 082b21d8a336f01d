"""Helpers the test tiers share: running processes, waiting on conditions, test data."""
