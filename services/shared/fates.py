"""What a consumer does with a message once it has tried it: every service uses these three."""

from __future__ import annotations

import enum


class Fate(enum.Enum):
    ACK = "ack"
    """Done (applied, or rightly skipped)."""
    RETRY = "retry"
    """A passing failure: try again later."""
    DEAD_LETTER = "dead-letter"
    """A permanent failure: park it in the DLQ with the reason."""


CRASHES_ALLOWED = 3
"""Times a message may take its consumer's process down before it is set aside."""


class PoisonMessage(Exception):
    """A message whose handling took its consumer's process down again and again: it is
    dead-lettered with this reason instead of crash-looping the service."""
