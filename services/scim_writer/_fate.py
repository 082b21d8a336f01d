"""The one place that decides what happens to a canonical event after an attempt."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from services.shared.fates import Fate

from ._applier import MemberNotYetProvisioned
from ._aws_errors import AwsConflict, AwsNotFound, AwsRefused, AwsThrottled

MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class Decision:
    fate: Fate
    wait: float = 0.0
    """For a retry: seconds to wait at least (AWS's Retry-After when it gave one)."""


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, float(2 ** (attempts - 1)))


def decide(error: Exception | None, attempts: int, max_attempts: int) -> Decision:
    """Applied, duplicate, stale or not owned: ack. Refused by AWS or unreadable: dead-letter
    at once with the reason. Anything passing (429, 5xx, timeouts, a member not there yet,
    the store away): retry after a growing wait, honouring Retry-After, at most
    ``max_attempts`` times in all."""
    if error is None:
        return Decision(Fate.ACK)
    permanent = (AwsRefused, AwsConflict, AwsNotFound, msgspec.DecodeError)
    if isinstance(error, permanent) and not isinstance(error, AwsThrottled):
        return Decision(Fate.DEAD_LETTER)
    if attempts >= max_attempts:
        return Decision(Fate.DEAD_LETTER)
    wait = backoff(attempts)
    if isinstance(error, AwsThrottled) and error.retry_after is not None:
        wait = max(wait, error.retry_after)
    if isinstance(error, MemberNotYetProvisioned):
        wait = max(wait, 1.0)
    return Decision(Fate.RETRY, wait)
