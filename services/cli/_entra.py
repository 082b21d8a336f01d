"""``idp-sync entra``: the Microsoft Graph subscriptions that make Entra ID send changes.

A subscription on users or groups lives at most 41,760 minutes (29 days); one that lapses
stops the stream silently. ``subscribe`` creates them, ``renew`` pushes back the expiry of
those close to it (from cron, or ``--every`` to keep running).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._runtime import load_settings

if TYPE_CHECKING:
    from services.shared import Settings

from ._exit import ExitCode, on_idp
from ._normalizer import entra_app

console = Console()
err = Console(stderr=True)
entra_app_cli = typer.Typer(
    rich_markup_mode=None, help="Microsoft Graph subscriptions for Entra ID.", no_args_is_help=True
)
LIFETIME = dt.timedelta(minutes=41_000)
"""A little under Graph's 41,760-minute maximum for users and groups."""


def _graph(settings: Settings) -> tuple[Any, str]:
    """Graph as the app sees it, and the clientState; a usage error when unset."""
    from services.normalizer import GraphApi

    app = entra_app(settings)
    if app is None or settings.entra_client_state is None:
        err.print("[red]Set IDP_SYNC_ENTRA_TENANT_ID, IDP_SYNC_ENTRA_CLIENT_ID, "
                  "IDP_SYNC_ENTRA_CLIENT_SECRET and IDP_SYNC_ENTRA_CLIENT_STATE.[/]")  # fmt: skip
        raise typer.Exit(ExitCode.USAGE)
    return GraphApi(app), settings.entra_client_state.get_secret_value()


def _expiry() -> str:
    return (dt.datetime.now(dt.UTC) + LIFETIME).isoformat().replace("+00:00", "Z")


def _table(title: str, subscriptions: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "resource", "expires"):
        table.add_column(column)
    for s in subscriptions:
        table.add_row(s["id"], s["resource"], s["expirationDateTime"])
    return table


@entra_app_cli.command()
def subscribe(
    notification_url: Annotated[str, typer.Option(help="https://<gateway>/webhooks/entra")],
    lifecycle_url: Annotated[
        str | None, typer.Option(help="Where lifecycle notifications go (default: the same).")
    ] = None,
) -> None:
    """Create the /users and /groups subscriptions. Graph validates the URL through the
    gateway at once, so the gateway must be up with IDP_SYNC_ENTRA_CLIENT_STATE set."""
    graph, client_state = _graph(load_settings())

    async def create() -> list[dict[str, Any]]:
        made = [
            await graph.request("POST", "/subscriptions", json={
                "changeType": "updated,deleted", "resource": resource,
                "notificationUrl": notification_url,
                "lifecycleNotificationUrl": lifecycle_url or notification_url,
                "clientState": client_state, "expirationDateTime": _expiry(),
            })
            for resource in ("/users", "/groups")
        ]  # fmt: skip
        await graph.aclose()
        return made

    console.print(_table("Subscribed", on_idp(create(), "Microsoft Graph")))


@entra_app_cli.command()
def renew(
    within: Annotated[float, typer.Option(help="Renew what expires within this many days.")] = 3.0,
    every: Annotated[
        float | None, typer.Option(help="Keep running, renewing every this many hours.")
    ] = None,
) -> None:
    """Push back the expiry of this app's subscriptions that expire soon."""
    graph, _ = _graph(load_settings())

    async def once() -> list[dict[str, Any]]:
        listed = await graph.request("GET", "/subscriptions") or {}
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=within)
        renewed = []
        for s in listed.get("value", []):
            expires = dt.datetime.fromisoformat(s["expirationDateTime"].replace("Z", "+00:00"))
            if expires <= soon:
                patch = {"expirationDateTime": _expiry()}
                renewed.append(
                    await graph.request("PATCH", f"/subscriptions/{s['id']}", json=patch)
                )
        return renewed

    async def loop() -> None:
        while True:
            console.print(_table("Renewed", await once()))
            if every is None:
                break
            await asyncio.sleep(every * 3600)
        await graph.aclose()

    on_idp(loop(), "Microsoft Graph")
