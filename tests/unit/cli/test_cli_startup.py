"""The command line answers ``--help`` without loading the services, and a bad setting is
one line naming the variable, with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import run_cli

HEAVY = ("pydantic", "pydantic_settings", "faststream", "aio_pika", "httpx", "opentelemetry",
         "scim2_models", "aiosqlite", "asyncpg", "starlette", "uvicorn")  # fmt: skip
"""What makes a start slow: ``--help`` must need none of it (speed itself is measured by
timing the command, never in a test)."""

LOADED_AFTER_HELP = """
import sys
sys.argv = ["idp-sync", *sys.argv[1:], "--help"]
from services.cli import main
try:
    main()
except SystemExit:
    pass
print(",".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


@pytest.mark.parametrize("command", [[], ["writer"], ["dlq"], ["dlq", "list"], ["status"]])
def test_help_loads_none_of_the_services(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", LOADED_AFTER_HELP, *command],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    loaded = set(result.stdout.strip().splitlines()[-1].split(","))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [("IDP_SYNC_SHARDS", "abc", "IDP_SYNC_SHARDS must be a whole number, not 'abc'"),
     ("IDP_SYNC_DRY_RUN", "maybe", "IDP_SYNC_DRY_RUN must be true or false, not 'maybe'"),
     ("IDP_SYNC_STATUS_MAX_AGE", "soon", "IDP_SYNC_STATUS_MAX_AGE must be a number"),
     ("IDP_SYNC_AMQP_URL", "amqp://guest:pw@127.0.0.1:port/",
      "IDP_SYNC_AMQP_URL must be an amqp:// URL whose port is a number"),
     ("IDP_SYNC_STATE_URL", "pg://u:pw@db/x", "IDP_SYNC_STATE_URL must be sqlite:///")],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_it_with_exit_2(
    variable: str, value: str, said: str
) -> None:
    result = run_cli("status", env={variable: value})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"idp-sync: {said}")
