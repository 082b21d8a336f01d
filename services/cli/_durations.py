"""Durations as commands take them: ``30m``, ``6h``, ``1d``."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``30m``, ``6h``, ``1d`` in seconds; ``ValueError`` naming the form otherwise."""
    match = _DURATION.match(text.strip())
    if not match or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 1d")
    return float(match[1]) * _SECONDS[match[2]]
