"""Parked messages: what was dead-lettered (with why) and what the deletion guard holds.

``idp-sync dlq`` and ``idp-sync held`` are built on this: list with filters, show one,
replay or approve (re-published confirmed, then removed), purge or reject.
"""

from ._actions import approve_to, drop, replay
from ._filters import Filters, moment
from ._lot import ParkingLot, Settle
from ._message import ParkedMessage
from ._status import QueueStatus, Status, gather

__all__ = [
    "Filters", "ParkedMessage", "ParkingLot", "QueueStatus", "Settle", "Status", "approve_to",
    "drop", "gather", "moment", "replay",
]  # fmt: skip
