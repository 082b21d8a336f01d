"""How far behind the writer is, per shard: for ``idp-sync status`` and the gauges."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.shared.metrics import QUEUE_MESSAGES, UNFINISHED
from services.shared.topology import Topology

from ._shard import Shard
from ._state_store import StateStore


async def report_lags_forever(
    broker: RabbitBroker, topology: Topology, store: StateStore, shard: Callable[[str], Shard],
    every: float = 2.0,
) -> None:  # fmt: skip
    """Every ``every`` seconds: each shard's oldest unfinished event to ``store``, its
    unfinished count and queue depth to the gauges."""
    while True:
        for n in range(topology.shards):
            queue = topology.shard_queue(n).name
            unfinished = shard(queue).unfinished.values()
            UNFINISHED.labels(queue).set(len(unfinished))
            with contextlib.suppress(Exception):  # a report is not worth a crash
                await store.report_lag(queue, min(unfinished, default=None), time.time())
                QUEUE_MESSAGES.labels(queue).set(await _depth(broker, topology, n))
        await asyncio.sleep(every)


async def _depth(broker: RabbitBroker, topology: Topology, shard: int) -> int:
    declared = await broker.declare_queue(topology.shard_queue(shard))
    answer = await declared.declare()  # re-declaring the same queue reads its depth
    return int(answer.message_count or 0)
