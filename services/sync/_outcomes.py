"""Waiting until every published event of a sync has an outcome, and saying which.

An applied (or skipped) event has its outcome in the state store; a dead-lettered or held
one does not, so the DLQs and the held queue are looked through for it by message id.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import schemas
from services.parked import Filters, ParkingLot
from services.scim_writer import StateStore

POLL = 0.5
PARKED_EVERY = 3.0


@dataclass
class Outcomes:
    """Outcome per idempotency key; what is still pending when the wait ended."""

    settled: dict[str, str] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.settled.values())


async def wait_for(
    events: Sequence[schemas.CanonicalEvent], store: StateStore, lot: ParkingLot, *,
    within: float, progress: Callable[[int], None] = lambda _: None,
) -> Outcomes:  # fmt: skip
    """Poll until each of ``events`` has an outcome, or ``within`` seconds passed."""
    outcomes = Outcomes(pending={e.idempotency_key for e in events})
    by_id = {e.event_id: e.idempotency_key for e in events}
    deadline, parked_at = time.monotonic() + within, 0.0
    while outcomes.pending and time.monotonic() < deadline:
        for key in sorted(outcomes.pending):
            if (found := await store.outcome(key)) is not None:
                _settle(outcomes, key, found, progress)
        if outcomes.pending and time.monotonic() - parked_at > PARKED_EVERY:
            parked_at = time.monotonic()
            await _look_in_parked(outcomes, by_id, lot, events[0].source, progress)
        if outcomes.pending:
            await asyncio.sleep(POLL)
    return outcomes


def _settle(outcomes: Outcomes, key: str, outcome: str, progress: Callable[[int], None]) -> None:
    outcomes.pending.discard(key)
    outcomes.settled[key] = outcome
    progress(1)


async def _look_in_parked(
    outcomes: Outcomes, by_id: dict[str, str], lot: ParkingLot, source: str,
    progress: Callable[[int], None],
) -> None:  # fmt: skip
    queues = [*lot.dead_letter_queues, lot.held_queue]
    for message in await lot.browse(queues, Filters(source=source)):
        key = by_id.get(message.id)
        if key in outcomes.pending:
            held = message.queue == lot.held_queue
            _settle(outcomes, key, "held" if held else "dead-lettered", progress)
