"""How a sync plan and its outcomes are shown: a table and counts, or JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from services.sync import Change, Plan

MAX_ROWS = 200
"""Rows shown in the table; the counts and ``--json`` always cover every change."""


def plan_json(plan: Plan) -> str:
    """``{"source", "in_step", "counts", "changes"}``, one object per change."""
    return json.dumps({"source": plan.source, "in_step": plan.in_step, "counts": plan.counts,
                       "aws_reads": plan.aws_reads,
                       "changes": [_change_json(c) for c in plan.changes]}, indent=2)  # fmt: skip


def _change_json(change: Change) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": change.kind, "subject": change.subject, "name": change.name}
    if change.detail:
        found["detail"] = change.detail
    if change.members:
        found["members"] = list(change.members)
    if change.differs:
        found["differs"] = {k: {"aws": a, "idp": b} for k, (a, b) in change.differs.items()}
    return found


def show_plan(console: Console, plan: Plan) -> None:
    """The changes as a table (the first ``MAX_ROWS``), then the counts."""
    if plan.in_step and not plan.changes:
        console.print(f"{plan.source}: AWS is in step with the IdP; nothing to change.")
        return
    table = Table("change", "subject", "name", "what")
    for change in plan.changes[:MAX_ROWS]:
        table.add_row(change.kind, change.subject, change.name, _what(change))
    console.print(table)
    if len(plan.changes) > MAX_ROWS:
        console.print(f"... and {len(plan.changes) - MAX_ROWS} more (--json lists them all)")
    counts = ", ".join(f"{k} {v}" for k, v in plan.counts.items() if v)
    state = "in step (only objects idp-sync does not own differ)" if plan.in_step else "drift"
    console.print(f"{plan.source}: {state}: {counts}; {plan.aws_reads} AWS reads")


def _what(change: Change) -> str:
    if change.differs:
        return "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in change.differs.items())
    if change.members:
        shown = ", ".join(change.members[:5])
        more = f" (+{len(change.members) - 5})" if len(change.members) > 5 else ""
        return f"{len(change.members)}: {shown}{more}" + (f"; {change.detail}" if change.detail
                                                          else "")  # fmt: skip
    return change.detail


def show_outcomes(console: Console, counts: Counter[str], pending: int) -> None:
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    console.print(f"outcomes: {shown or 'none'}" + (f"; {pending} without an outcome yet"
                                                    if pending else ""))  # fmt: skip
    if counts.get("held"):
        console.print(f"{counts['held']} held by the deletion guard: review them with "
                      "`idp-sync held list`")  # fmt: skip
    if counts.get("dead-lettered"):
        console.print(f"{counts['dead-lettered']} dead-lettered: `idp-sync dlq list`")
