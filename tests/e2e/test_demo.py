"""The README's first quickstart command, run as a user runs it."""

from __future__ import annotations

from tests.support.processes import run_cli


def test_demo_runs_and_shows_the_resulting_aws_state() -> None:
    result = run_cli("demo", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for text in ("AWS users", "AWS groups", "ada@example.com", "Pioneers", "409", "400"):
        assert text in result.stdout
