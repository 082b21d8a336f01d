"""Design guarantee 9, end to end: every fault kind at least once (kill -9 of each service,
a broker stop_app/start_app, a broker kill -9, AWS 5xx, 429 and lost answers) during a
seeded workload, and AWS still ends exactly where the IdP's directory is.

The chaos runner starts its own RabbitMQ node (so its restarts disturb no other test) and
the emulator; ``python -m tests.chaos`` runs bigger configurations."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.rabbit_node import installed
from tests.chaos import ChaosConfig, run_chaos
from tests.chaos.faults import parse_kinds

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


@pytest.mark.timeout(240)  # a backstop: the run bounds its own waits (settle_timeout)
def test_nothing_lost_wrong_duplicated_or_dead_lettered_under_combined_faults(
    tmp_path: Path,
) -> None:
    assert installed(), "rabbitmq-server is not installed; chaos tests never skip"
    kinds = parse_kinds("all", "sqlite")
    report = run_chaos(ChaosConfig(
        events=300, seed=11, kinds=kinds, store="sqlite", settle_timeout=100.0,
        run_dir=tmp_path / "chaos", keep=True,
    ))  # fmt: skip
    details = "\n".join(report.lines())
    assert {f.split(" before ")[0] for f in report.faults} == set(kinds) - {"aws"}, details
    assert (report.lost, report.wrong, report.duplicated, report.dead_lettered) == (0, 0, 0, 0), (
        details
    )
    assert report.converged_in is not None, details
    assert not report.incidents, details
