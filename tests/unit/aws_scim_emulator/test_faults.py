from __future__ import annotations

import pytest

from services.aws_scim_emulator._config import Faults
from services.aws_scim_emulator._errors import InternalFailure, Throttled
from services.aws_scim_emulator._faults import FaultInjector, TokenBucket


def test_token_bucket_spends_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take()
    assert 0 < wait <= 0.1


async def test_out_of_scope_operations_are_never_faulted() -> None:
    faults = FaultInjector(Faults(error_rate=1.0, operations=["CreateUser"]))
    await faults.before("ListUsers", b"", write=False)
    with pytest.raises(InternalFailure):
        await faults.before("CreateUser", b"{}", write=True)


async def test_throttling_carries_retry_after_only_when_asked() -> None:
    for retry_after, expected in ((True, 1), (False, None)):
        faults = FaultInjector(Faults(rate_limit_tps=0.5, rate_limit_burst=1,
                                      retry_after=retry_after))  # fmt: skip
        await faults.before("GetUser", b"", write=False)
        with pytest.raises(Throttled) as throttled:
            await faults.before("GetUser", b"", write=False)
        assert throttled.value.retry_after == (2 if expected else None)


def test_lost_answers_only_for_writes() -> None:
    faults = FaultInjector(Faults(lost_response_rate=1.0))
    assert faults.loses_answer("CreateUser", write=True)
    assert not faults.loses_answer("GetUser", write=False)
