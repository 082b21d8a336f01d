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
