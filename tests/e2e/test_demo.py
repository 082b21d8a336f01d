"""The README's first quickstart command, run as a user runs it."""

from __future__ import annotations

import asyncio
import re

import aio_pika
import pytest

from tests.support.broker import amqp_url
from tests.support.processes import free_port, run_cli

pytestmark = [pytest.mark.rabbit]


def test_demo_runs_the_pipeline_and_shows_outcomes_and_aws_state() -> None:
    result = run_cli("demo", timeout=150)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for text in ("Events and their outcomes", "AWS users", "AWS groups", "Calls AWS received"):
        assert text in out
    assert "pending" not in out
    assert re.search(r"grace@acme\.example\s+│ Grace Example\s+│ CTO", out)
    assert re.search(r"linus@acme\.example .*│ False", out)
    assert "mallory@" not in out  # deleted
    assert re.search(r"Platform Engineering\s+│ 2 grace, linus", out)  # renamed, ada removed
    assert re.search(r"Everyone\s+│ 123 ", out)  # 124 added, mallory deleted since
    assert re.search(r"CreateUser\s+│ 201\s+│ 124 ", out)  # the repeated webhook created nothing
    assert "DeleteGroup" not in out
    assert re.search(r"chg-0129 .* stale", out)
    traces = re.findall(r"webhook (\d): trace ([0-9a-f]{32})", out)
    assert [n for n, _ in traces] == ["1", "2", "3", "4"]
    assert len({t for _, t in traces}) == 4
    namespace = re.search(r"namespace (idp-sync-demo-\w+)", out)
    assert namespace is not None
    assert not asyncio.run(_queue_exists(f"{namespace[1]}.events.shard-0")), "left behind"


async def _queue_exists(name: str) -> bool:
    connection = await aio_pika.connect(amqp_url())
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
    return True


@pytest.mark.timeout(240)  # a node's cold boot on a busy machine, then the demo
def test_demo_starts_a_private_rabbitmq_node_when_the_local_one_is_down() -> None:
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    result = run_cli("demo", env={"IDP_SYNC_AMQP_URL": down}, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting a private node for the demo" in result.stderr
    assert re.search(r"CreateUser\s+│ 201\s+│ 124 ", result.stdout)
