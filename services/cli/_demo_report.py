"""The demo's tables: each event's outcome, then AWS's state and the calls it took."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from ._demo_script import STAFF, Expected

_COLOURS = {"applied": "green", "duplicate": "cyan", "stale": "yellow", "pending": "red"}


def _outcome(text: str) -> str:
    return f"[{_COLOURS.get(text, 'white')}]{text}[/]"


def _events(expected: list[Expected], outcomes: dict[str, str]) -> Table:
    table = Table(title="Events and their outcomes (each in its webhook's trace)",
                  title_justify="left")  # fmt: skip
    for column in ("webhook", "change", "type", "subject", "outcome"):
        table.add_column(column)
    staff = [e for e in expected if e.subject.startswith("user:u-staff-")]
    for event in expected:
        if event in staff:
            if event is staff[0]:
                counted = Counter(outcomes.get(e.key, "pending") for e in staff)
                summary = ", ".join(f"{n} {_outcome(o)}" for o, n in counted.items())
                table.add_row(str(event.delivery + 1), f"{len(staff)} changes", event.type,
                              f"user:u-{STAFF[0]} … u-{STAFF[-1]}", summary)  # fmt: skip
            continue
        table.add_row(str(event.delivery + 1), event.change_id, event.type, event.subject,
                      _outcome(outcomes.get(event.key, "pending")))  # fmt: skip
    return table


def _users(aws: dict[str, Any]) -> Table:
    table = Table(title="AWS users", title_justify="left")
    for column in ("userName", "displayName", "title", "active", "AWS id"):
        table.add_column(column)
    staff = [u for u in aws["users"] if u["userName"].startswith("staff-")]
    for user in aws["users"]:
        if user not in staff:
            table.add_row(user["userName"], user.get("displayName", ""), user.get("title", ""),
                          str(user.get("active")), user["id"])  # fmt: skip
    if staff:
        active = sum(1 for u in staff if u.get("active"))
        table.add_row(f"… and {len(staff)} staff-NNN users", "", "", f"{active} active", "")
    return table


def _groups(aws: dict[str, Any]) -> Table:
    table = Table(title="AWS groups", title_justify="left")
    for column in ("displayName", "members", "AWS id"):
        table.add_column(column)
    names = {u["id"]: u["userName"].split("@")[0] for u in aws["users"]}
    for group in aws["groups"]:
        members = aws["memberships"].get(group["id"], [])
        shown = ", ".join(sorted(names[m] for m in members)) if len(members) <= 5 else ""
        table.add_row(group["displayName"], f"{len(members)} {shown}".strip(), group["id"])
    return table


def _calls(aws: dict[str, Any]) -> Table:
    table = Table(title="Calls AWS received", title_justify="left")
    for column in ("operation", "status", "count"):
        table.add_column(column)
    for operation, statuses in sorted(aws["requests"].items()):
        for status, count in sorted(statuses.items()):
            table.add_row(operation, status, str(count))
    return table


def print_report(
    console: Console, expected: list[Expected], outcomes: dict[str, str],
    aws: dict[str, Any], took: float, traces: list[str],
) -> None:  # fmt: skip
    """Print the outcomes, AWS's state, the calls, and what they show."""
    console.print()
    console.print(_events(expected, outcomes), _users(aws), _groups(aws), _calls(aws))
    for n, trace_id in enumerate(traces, 1):
        console.print(f"webhook {n}: trace {trace_id}")
    requests = aws["requests"]
    creates = requests.get("CreateUser", {}).get("201", 0)
    group_creates = requests.get("CreateGroup", {}).get("201", 0)
    group_deletes = requests.get("DeleteGroup", {}).get("204", 0)
    grace: dict[str, Any] = next(
        (u for u in aws["users"] if u["userName"].startswith("grace@")), {}
    )
    late = outcomes.get(expected[-1].key, "pending")
    console.print(
        f"{len(outcomes)}/{len(expected)} events settled {took:.1f} s after the last webhook.\n"
        f"Webhook 2 repeated webhook 1: {creates} user creates for {len(STAFF) + 4} people.\n"
        f"{group_creates} group creates and {group_deletes} group deletes for "
        f"{len(aws['groups'])} groups, renamed one included.\n"
        f"The late, older update of grace was {_outcome(late)}: "
        f"her title in AWS is {grace.get('title')!r}."
    )
    if len(outcomes) < len(expected):
        console.print(f"[red]{len(expected) - len(outcomes)} events did not settle in time.[/]")
