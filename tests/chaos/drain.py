"""Waiting for the pipeline to finish its work, and reading what it parked."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.shared.rabbit_node import RabbitNode, RabbitNodeError
from services.shared.topology import Topology
from tests.support.processes import run_cli

from .services import Pipeline

PARKED = (".dlq", ".held")
"""Where messages rest for a person to look at: not work to wait for."""


def queue_depths(node: RabbitNode, namespace: str) -> dict[str, tuple[int, int]] | None:
    """Per queue of ``namespace``: messages (ready and unacked) and unacked; ``None`` when
    the node cannot say."""
    try:
        out = node.ctl("list_queues", "-q", "--formatter", "json", "name", "messages",
                       "messages_unacknowledged", timeout=30)  # fmt: skip
        rows = json.loads(out)
    except (RabbitNodeError, ValueError, OSError):
        return None
    return {r["name"]: (int(r["messages"]), int(r["messages_unacknowledged"]))
            for r in rows if str(r["name"]).startswith(f"{namespace}.")}  # fmt: skip


def drain(
    node: RabbitNode, pipeline: Pipeline, within: float, incidents: list[str],
    progress: Callable[[str], None],
) -> tuple[dict[str, int], float | None]:  # fmt: skip
    """Wait until every work, shard and retry queue is empty and nothing is unacked (the
    writer has nothing unfinished), seen twice in a row, since the queues are read one by
    one while a message may move between them. Returns what is still queued and when
    (epoch seconds) it drained, ``None`` if not ``within`` seconds. A service that died
    on its own meanwhile is an incident, and restarted."""
    deadline, noted = time.monotonic() + within, time.monotonic()
    empty_since: float | None = None
    pending: dict[str, int] = {}
    while time.monotonic() < deadline:
        for name, service in pipeline.services.items():
            if not service.alive():
                incidents.append(f"{name} exited by itself while draining; restarted")
                service.start()
        depths = queue_depths(node, pipeline.topology.namespace)
        pending = {q: n for q, (n, _) in (depths or {}).items() if n and not q.endswith(PARKED)}
        if depths is not None and not pending:
            if empty_since is not None:
                return {}, empty_since
            empty_since = time.time()
        else:
            empty_since = None
        if time.monotonic() - noted > 30:
            progress(f"  still queued: {pending or 'unknown (broker away)'}")
            noted = time.monotonic()
        time.sleep(1.0)
    return pending, None


def dead_letters(node: RabbitNode, topology: Topology, run_dir: Path) -> list[dict[str, Any]]:
    """Every dead letter with its reason, through ``idp-sync dlq list`` as an operator sees
    them (saved to ``dead-letters.jsonl``)."""
    done = run_cli("dlq", "list", "--json", env={
        "IDP_SYNC_AMQP_URL": node.amqp_url, "IDP_SYNC_NAMESPACE": topology.namespace,
        "IDP_SYNC_SHARDS": str(topology.shards)})  # fmt: skip
    (run_dir / "dead-letters.jsonl").write_text(done.stdout + done.stderr)
    letters = []
    for line in done.stdout.splitlines():
        with contextlib.suppress(ValueError):
            letters.append(json.loads(line))
    return letters
