"""The deletion guard's sliding window, on a clock the test moves."""

from __future__ import annotations

from services.scim_writer import DeletionGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_is_admitted_then_everything_is_held_until_the_window_passes() -> None:
    clock = Clock()
    guard = DeletionGuard(limit=3, window=60, clock=clock)
    assert [guard.admits() for _ in range(5)] == [True, True, True, False, False]
    assert guard.tripped
    clock.now += 59
    assert not guard.admits()
    clock.now += 2
    assert guard.admits()


def test_a_limit_of_zero_turns_the_guard_off() -> None:
    guard = DeletionGuard(limit=0)
    assert all(guard.admits() for _ in range(1000))
    assert not guard.tripped
