from __future__ import annotations

import pytest

from services.scim_writer import AdaptiveRateLimit


def test_a_429_halves_the_rate_and_success_wins_it_back_slowly() -> None:
    limit = AdaptiveRateLimit(requests_per_second=40, floor=1)
    limit.throttled()
    limit.throttled()
    assert limit.rate == 10
    for _ in range(10):
        limit.succeeded()
    assert limit.rate == pytest.approx(14)
    for _ in range(1000):
        limit.succeeded()
    assert limit.rate == 40
    for _ in range(20):
        limit.throttled()
    assert limit.rate == 1


async def test_the_first_request_goes_out_at_once() -> None:
    limit = AdaptiveRateLimit(requests_per_second=5)
    await limit.acquire()
    assert limit.tokens < 1
