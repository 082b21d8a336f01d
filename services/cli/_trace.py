"""``idp-sync trace USER``: where to see one user's provisioning in Jaeger, and what it shows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

import typer
from rich.console import Console
from rich.table import Table

from ._exit import ExitCode
from ._runtime import load_settings

console = Console()
err = Console(stderr=True)
WRITER = "idp-sync-writer"


def _tags(span: dict[str, Any]) -> dict[str, Any]:
    return {t["key"]: t["value"] for t in span.get("tags", [])}


def _rows(traces: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """One row per writer decision: trace, when, event type, outcome, AWS id."""
    rows = []
    for found in traces:
        for span in found.get("spans", []):
            tags = _tags(span)
            if "idp_sync.outcome" not in tags:
                continue
            when = dt.datetime.fromtimestamp(span["startTime"] / 1e6, dt.UTC)
            rows.append((found["traceID"], when.strftime("%Y-%m-%d %H:%M:%S"),
                         str(tags.get("idp_sync.event.type", "")), str(tags["idp_sync.outcome"]),
                         str(tags.get("idp_sync.aws.id", ""))))  # fmt: skip
    return sorted(rows, key=lambda row: row[1])


def trace(
    user: Annotated[str, typer.Argument(help="The AWS userName (or the IdP user id).")],
    since: Annotated[str, typer.Option(help="How far back Jaeger should look.")] = "24h",
    limit: Annotated[int, typer.Option(help="Traces at most.")] = 20,
    service: Annotated[
        str, typer.Option(help="The writer's service name (`idp-sync` under `idp-sync run`).")
    ] = WRITER,
) -> None:
    """Print the Jaeger search for USER's provisioning (IDP_SYNC_JAEGER_URL) and each trace
    found there with the writer's outcome. Exits 3 when Jaeger's query API does not answer."""
    import httpx

    base = load_settings().jaeger_url.rstrip("/")
    key = "user.name" if "@" in user else "user.id"
    query = {"service": service, "tags": json.dumps({key: user}), "lookback": since,
             "limit": str(limit)}  # fmt: skip
    console.print(f"Jaeger search: {base}/search?{urlencode(query)}", soft_wrap=True)
    try:
        answer = httpx.get(f"{base}/api/traces", params=query, timeout=10)
        answer.raise_for_status()
        traces = answer.json().get("data") or []
    except (httpx.HTTPError, ValueError) as error:
        err.print(f"[red]Jaeger's query API did not answer at {base}:[/] {error} "
                  "(IDP_SYNC_JAEGER_URL)")  # fmt: skip
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    rows = _rows(traces)
    if not rows:
        console.print(f"No traces of {user} in the last {since}.")
        return
    table = Table(title=f"{user}: {len(traces)} traces", title_justify="left")
    for column in ("trace id", "when (UTC)", "event", "outcome", "AWS id"):
        table.add_column(column, no_wrap=column == "trace id")
    for row in rows:
        table.add_row(*row)
    console.print(table)
