"""The compose file runs what the README says, with commands this CLI has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.cli import app

DEPLOY = Path(__file__).parents[2] / "deploy"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_it_runs_rabbitmq_jaeger_the_emulator_and_the_three_services() -> None:
    services = _compose()["services"]
    assert set(services) == {"rabbitmq", "jaeger", "emulator", "gateway", "normalizer", "writer"}
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


def test_each_service_exports_traces_to_jaeger_and_uses_a_real_command() -> None:
    commands = {c.callback.__name__ for c in app.registered_commands if c.callback}
    commands |= {str(group.name) for group in app.registered_groups}
    for name in ("gateway", "normalizer", "writer"):
        service = _compose()["services"][name]
        assert service["command"][0] in commands
        assert service["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        assert service["environment"]["IDP_SYNC_AMQP_URL"].endswith("@rabbitmq:5672/")
    assert (DEPLOY / "Dockerfile").read_text().count("ENTRYPOINT") == 1
