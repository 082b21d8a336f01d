"""Every door, by name, and running one by name (what a worker process is sent)."""

from __future__ import annotations

import logging
import time

from ._emulator import DOORS as EMULATOR_DOORS
from ._engine import Door, Report, run_door
from ._gateway import DOORS as GATEWAY_DOORS
from ._mappings import DOORS as MAPPING_DOORS

DOORS: dict[str, Door] = {
    door.name: door for door in (*GATEWAY_DOORS, *MAPPING_DOORS, *EMULATOR_DOORS)
}


def run_named(name: str, cases: int, seed: int) -> Report:
    """Run the door called ``name``; its report, timed."""
    # The doors log each refusal; a hundred thousand of them would drown the report.
    logging.getLogger("idp_sync").setLevel(logging.CRITICAL)
    started = time.monotonic()
    report = run_door(DOORS[name], cases, base_seed=seed)
    report.seconds = time.monotonic() - started
    return report
