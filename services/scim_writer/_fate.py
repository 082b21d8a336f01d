"""The one place that decides what happens to a canonical event after an attempt."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from services.shared.fates import Fate, PoisonMessage

from ._applier import MemberNotYetProvisioned
from ._aws_errors import AwsConflict, AwsNotFound, AwsRefused, AwsThrottled

MAX_BACKOFF = 300.0


MAX_MEMBER_PAUSE = 16.0
"""A waiting membership looks again at least this often: its user may be applied any moment
(a longer pause alone kept chaos runs from converging within a minute of their end)."""


@dataclass(frozen=True)
class Decision:
    fate: Fate
    wait: float = 0.0
    """For a retry: seconds to wait at least (AWS's Retry-After when it gave one)."""
    waiting: bool = False
    """For a retry: the event waits for a user or group still on its way; the attempt does
    not count, the time waited does."""


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, float(2 ** (attempts - 1)))


def decide(
    error: Exception | None, attempts: int, max_attempts: int, *, waited: float = 0.0,
    max_wait: float = 3600.0,
) -> Decision:  # fmt: skip
    """Applied, duplicate, stale or not owned: ack. Refused by AWS or unreadable: dead-letter
    at once with the reason. Anything passing (429, 5xx, timeouts, the store away): retry
    after a growing wait, honouring Retry-After, at most ``max_attempts`` times in all.

    A membership whose user or group is not in AWS yet is bounded by time instead: that
    user may itself be riding out retries, so its attempts must not run out first. It is
    retried, not counted, until it has ``waited`` more than ``max_wait`` seconds."""
    if error is None:
        return Decision(Fate.ACK)
    if isinstance(error, MemberNotYetProvisioned):
        if waited > max_wait:
            return Decision(Fate.DEAD_LETTER)
        return Decision(Fate.RETRY, min(MAX_MEMBER_PAUSE, max(1.0, waited / 4)), waiting=True)
    permanent = (AwsRefused, AwsConflict, AwsNotFound, msgspec.DecodeError, PoisonMessage)
    if isinstance(error, permanent) and not isinstance(error, AwsThrottled):
        return Decision(Fate.DEAD_LETTER)
    if attempts >= max_attempts:
        return Decision(Fate.DEAD_LETTER)
    wait = backoff(attempts)
    if isinstance(error, AwsThrottled) and error.retry_after is not None:
        wait = max(wait, error.retry_after)
    return Decision(Fate.RETRY, wait)
