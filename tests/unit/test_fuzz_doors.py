"""Every door of ``python -m tests.fuzz``, a small derandomized share of its cases.

Hypothesis draws every field of each plan here (and shrinks a failure to its simplest
input); the same cases run every time, and there is no deadline, so a busy machine cannot
make the suite flaky. The command line runs a hundred thousand cases a door.
"""

from __future__ import annotations

import logging

import pytest

from tests.fuzz._doors import DOORS
from tests.fuzz._engine import run_door

CASES = 150
"""Per door: 14 doors take about 15 s together."""


@pytest.mark.parametrize("name", sorted(DOORS))
def test_the_door_answers_only_as_documented(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="idp_sync")  # each refusal logs a warning
    report = run_door(DOORS[name], CASES, strict=True)
    assert report.cases == CASES
    assert report.failed == 0
    assert len(report.answers) > 1, f"{name} answered only {report.answers}"
