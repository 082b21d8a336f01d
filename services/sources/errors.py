"""Why a raw event could not become canonical events, and so what happens to it.

NormalizeError
├── Unmappable            permanent: dead-lettered at once with the reason
│   └── MissingSettings   the event needs an IdP API read that is not configured
└── IdpUnavailable        transient: the IdP API did not answer usefully; retried
"""

from __future__ import annotations


class NormalizeError(Exception):
    """Base of the normalizer's errors."""


class Unmappable(NormalizeError):
    """The payload cannot be parsed or mapped to what AWS accepts."""


class MissingSettings(Unmappable):
    """A read from the IdP API is needed, and the settings for it are missing."""


class IdpUnavailable(NormalizeError):
    """The IdP API answered 429, 5xx, or not at all: try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the IdP asked us to wait, when it said."""
