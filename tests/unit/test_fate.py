from __future__ import annotations

import msgspec
import pytest

from services.scim_writer import (
    AwsConflict,
    AwsRefused,
    AwsServerError,
    AwsThrottled,
    AwsUnreachable,
    MemberNotYetProvisioned,
)
from services.scim_writer._fate import decide
from services.shared.fates import Fate


@pytest.mark.parametrize(
    "error",
    [AwsRefused("CreateUser", 400, "Request is unparsable"), AwsConflict("CreateUser", 409, ""),
     msgspec.DecodeError("bad event")],
)  # fmt: skip
def test_refusals_are_dead_lettered_at_once(error: Exception) -> None:
    assert decide(error, attempts=1, max_attempts=8).fate is Fate.DEAD_LETTER


@pytest.mark.parametrize(
    "error",
    [AwsThrottled("ListUsers", 429, "", None), AwsServerError("CreateUser", 500, "", None),
     AwsUnreachable("CreateUser", None, "ReadTimeout")],
)  # fmt: skip
def test_passing_failures_are_retried_with_growing_waits(error: Exception) -> None:
    waits = [decide(error, attempts=n, max_attempts=8).wait for n in range(1, 8)]
    assert all(decide(error, attempts=n, max_attempts=8).fate is Fate.RETRY for n in range(1, 8))
    assert waits == sorted(waits)
    assert waits[-1] > waits[0]
    assert decide(error, attempts=8, max_attempts=8).fate is Fate.DEAD_LETTER


def test_retry_after_is_honoured() -> None:
    throttled = AwsThrottled("CreateUser", 429, "", retry_after=17)
    assert decide(throttled, attempts=1, max_attempts=8).wait == 17


def test_success_is_acked() -> None:
    assert decide(None, attempts=1, max_attempts=8).fate is Fate.ACK


def test_a_member_waiting_for_its_user_does_not_use_up_its_attempts() -> None:
    missing = MemberNotYetProvisioned("user u1 is not in AWS yet")
    decision = decide(missing, attempts=8, max_attempts=8, waited=30, max_wait=3600)
    assert (decision.fate, decision.waiting) == (Fate.RETRY, True)


def test_a_member_waits_longer_the_longer_it_has_waited_up_to_16_s() -> None:
    missing = MemberNotYetProvisioned("user u1 is not in AWS yet")
    waits = [decide(missing, 1, 8, waited=w).wait for w in (0, 4, 30, 600, 3000)]
    assert waits == sorted(waits)
    assert (waits[0], waits[-1]) == (1.0, 16.0)


def test_a_member_is_dead_lettered_once_it_waited_longer_than_allowed() -> None:
    missing = MemberNotYetProvisioned("user u1 is not in AWS yet")
    assert decide(missing, 1, 8, waited=3601, max_wait=3600).fate is Fate.DEAD_LETTER
