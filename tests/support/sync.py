"""Running ``idp-sync sync`` against a test pipeline, as an operator would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.emulator import Aws
from tests.support.pipeline import Pipeline, service_env
from tests.support.processes import run_cli

WRITES = ("CreateUser", "PutUser", "PatchUser", "DeleteUser", "CreateGroup", "PatchGroup",
          "DeleteGroup")  # fmt: skip


def sync_env(pipeline: Pipeline, amqp_url: str, aws: Aws, **extra: str) -> dict[str, str]:
    """The settings ``idp-sync sync`` needs to reach the pipeline's broker, store and AWS."""
    assert pipeline.logs is not None
    return {
        **service_env(amqp_url, pipeline.topology),
        "IDP_SYNC_SCIM_URL": aws.server.scim_url,
        "IDP_SYNC_SCIM_TOKEN": aws.server.token,
        "IDP_SYNC_STATE_URL": f"sqlite:///{pipeline.logs / 'state.db'}",
        "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "500",
        **extra,
    }


def sync(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return run_cli("sync", *args, env=env, timeout=timeout)


def plan(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    """``sync ... --plan --json``: its exit code and the plan."""
    result = sync(env, *args, "--plan", "--json")
    assert result.returncode in {0, 1}, result.stderr
    return result.returncode, json.loads(result.stdout)


def writes(aws: Aws) -> int:
    """Every write call AWS answered, whatever the status."""
    requests = aws.state()["requests"]
    return sum(sum(requests.get(op, {}).values()) for op in WRITES)


def snapshot(path: Path, users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> Path:
    """A generic source snapshot file."""
    path.write_text(json.dumps({"tenant": "hr-system", "users": users, "groups": groups}))
    return path


def person(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"e-{n}", "user_name": f"p{n}@example.com", "given_name": f"P{n}",
            "family_name": "Person", "email": f"p{n}@example.com", **fields}  # fmt: skip
