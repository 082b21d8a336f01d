"""What a chaos run found, as figures and as details that lead to the cause."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .verdict import Finding, event_ids, log_lines
from .workload import Directory

SHOWN = 8
"""Findings and dead letters shown in detail; all of them are in the run directory."""


@dataclass
class ChaosReport:
    """The outcome of one run; ``ok`` only when nothing was lost, wrong, duplicated or
    dead-lettered, the pipeline converged, and no service had to be rescued."""

    changes: int
    webhooks: int
    lost: int
    wrong: int
    duplicated: int
    dead_lettered: int
    converged_in: float | None
    """Seconds from the last accepted webhook until every queue was drained; ``None``: not
    within the settle timeout."""
    settle_timeout: float
    extra_writes: str
    run_dir: Path
    findings: list[Finding] = field(default_factory=list, repr=False)
    dead_letters: list[dict[str, Any]] = field(default_factory=list, repr=False)
    faults: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    sent: str = ""
    undrained: dict[str, int] = field(default_factory=dict)
    directory: Directory | None = field(default=None, repr=False)
    """The IdP's final directory, to trace findings back to their changes."""

    @property
    def ok(self) -> bool:
        figures = (self.lost, self.wrong, self.duplicated, self.dead_lettered)
        return not any(figures) and self.converged_in is not None and not self.incidents

    def headline(self) -> str:
        """``lost L, wrong W, duplicated D, dead-lettered X of N changes; converged in S s``."""
        figures = (f"lost {self.lost}, wrong {self.wrong}, duplicated {self.duplicated}, "
                   f"dead-lettered {self.dead_lettered} of {self.changes} changes")  # fmt: skip
        if self.converged_in is None:
            return f"{figures}; not converged within {self.settle_timeout:g} s"
        return f"{figures}; converged in {self.converged_in:.1f} s"

    def lines(self) -> list[str]:
        """The headline, the extra writes, and when it failed, the details."""
        directory = self.directory
        lines = [self.headline(), self.extra_writes]
        if self.ok:
            return lines
        lines += [f"sent: {self.sent}", "faults injected:"]
        lines += [f"  {f}" for f in self.faults] or ["  none"]
        lines += [f"incident: {i}" for i in self.incidents]
        if self.undrained:
            lines.append(f"still queued: {self.undrained}; the writer's most retried events:")
            lines += [f"    {r}" for r in most_retried(self.run_dir / "writer.log", directory)]
        for finding in self.findings[:SHOWN]:
            lines.append(f"{finding.verdict} {finding.subject}: {finding.detail}")
            if directory is not None:
                lines += [f"    {d}" for d in explain(finding.subject, directory, self.run_dir)]
        if len(self.findings) > SHOWN:
            lines.append(f"... {len(self.findings) - SHOWN} more findings in findings.txt")
        for letter in self.dead_letters[:SHOWN]:
            lines.append(f"dead letter {letter.get('queue', '')}: {letter.get('type', '')} "
                         f"{letter.get('subject', '')}: {letter.get('error', '')}: "
                         f"{str(letter.get('detail', ''))[:200]} "
                         f"(attempts {letter.get('attempts', '')})")  # fmt: skip
        lines.append(f"logs and state: {self.run_dir}")
        return lines

    def save(self) -> None:
        """Everything found, in the run directory, for reading after the run."""
        directory = self.directory or Directory()
        (self.run_dir / "findings.txt").write_text("".join(
            f"{f.verdict} {f.subject}: {f.detail}\n"
            + "".join(f"    {d}\n" for d in explain(f.subject, directory, self.run_dir))
            for f in self.findings))  # fmt: skip
        (self.run_dir / "report.txt").write_text("\n".join(self.lines()) + "\n")


def explain(subject: str, directory: Directory, run_dir: Path) -> list[str]:
    """The changes that touched ``subject`` and what the writer logged about them."""
    touches = directory.history.get(subject, [])
    if not touches:
        return []
    shown = touches[-4:]
    lines = ["changes: " + ", ".join(f"{t.change_id} {t.kind} (webhook {t.webhook})"
                                     for t in shown)]  # fmt: skip
    kind, _, rest = subject.partition(":")
    ids = event_ids(subject, shown)
    # the writer's outcome lines name the subject; a membership's subject is its group
    needles = [*ids, f"{'user' if kind == 'user' else 'group'}:{rest.split(':')[0]}:"]
    for logged in log_lines(run_dir / "writer.log", needles):
        named = logged
        for event_id, change_id in ids.items():  # message ids are uuids: name their change
            named = named.replace(event_id, f"{event_id[:8]}({change_id})")
        lines.append(f"writer: {named}")
    return lines


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))


def most_retried(log: Path, directory: Directory | None, limit: int = 5) -> list[str]:
    """The events the writer retried most, with their change and last reason: after a
    run that did not converge, these are the ones going round."""
    retries: Counter[str] = Counter()
    last: dict[str, str] = {}
    for line in log_lines(log, ["retrying "], limit=1_000_000):
        match = re.search(r"retrying (\S+) in (.*)", line)
        if match:
            retries[match.group(1)] += 1
            last[match.group(1)] = f"{line[:12]} in {match.group(2)}"
    changes = _change_of_event(directory) if directory is not None else {}
    return [f"{event_id[:8]} ({changes.get(event_id, '?')}) retried {n} times, "
            f"last at {last[event_id]}" for event_id, n in retries.most_common(limit)]  # fmt: skip


def _change_of_event(directory: Directory) -> dict[str, str]:
    changes: dict[str, str] = {}
    for subject, touches in directory.history.items():
        if not subject.startswith("member:"):
            changes.update(event_ids(subject, touches))
    return changes
