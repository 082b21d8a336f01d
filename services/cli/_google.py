"""``idp-sync google``: the Directory API push channels that make Google send user changes.

Google ends a channel after at most 6 hours and cannot extend one, so ``renew`` opens a new
channel for each that is about to end and then closes the old one. The channels are kept in
a small JSON file (``--channels-file``), since Google cannot list them.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._exit import ExitCode, on_idp
from ._normalizer import google_account
from ._runtime import load_settings

console = Console()
err = Console(stderr=True)
google_app = typer.Typer(
    rich_markup_mode=None, help="Google Workspace Directory push channels.", no_args_is_help=True
)
EVENTS = ("add", "update", "delete", "undelete", "makeAdmin", ADMIN_ACTIVITY := "admin-activity")
"""User events of the Directory API, and the Reports API's admin activities (groups)."""
LIFETIME = 6 * 3600
ChannelsFile = Annotated[
    Path, typer.Option(help="Where the open channels are kept (Google cannot list them).")
]


def _directory() -> tuple[Any, str]:
    from services.normalizer import GoogleDirectory

    settings = load_settings()
    account = google_account(settings)
    if account is None or settings.google_channel_token is None:
        err.print("[red]Set IDP_SYNC_GOOGLE_KEY_FILE, IDP_SYNC_GOOGLE_ADMIN_EMAIL and "
                  "IDP_SYNC_GOOGLE_CHANNEL_TOKEN.[/]")  # fmt: skip
        raise typer.Exit(ExitCode.USAGE)
    return GoogleDirectory(account), settings.google_channel_token.get_secret_value()


async def _open(directory: Any, token: str, event: str, address: str) -> dict[str, Any]:
    if event == ADMIN_ACTIVITY:  # group changes: the Directory API pushes users only
        path, params = "/admin/reports/v1/activity/users/all/applications/admin/watch", {}
    else:
        path, params = (
            "/admin/directory/v1/users/watch",
            {"customer": "my_customer", "event": event},
        )
    channel = await directory.request(
        "POST", path, params=params,
        json={"id": str(uuid.uuid4()), "type": "web_hook", "address": address, "token": token,
              "params": {"ttl": str(LIFETIME)}},
    )  # fmt: skip
    return {"id": channel["id"], "resourceId": channel["resourceId"], "event": event,
            "address": address, "expiration": int(channel["expiration"])}  # fmt: skip


def _table(title: str, channels: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("event", "channel", "ends (UTC)"):
        table.add_column(column)
    for c in channels:
        ends = dt.datetime.fromtimestamp(c["expiration"] / 1000, dt.UTC)
        table.add_row(c["event"], c["id"], ends.strftime("%Y-%m-%d %H:%M"))
    return table


@google_app.command()
def watch(
    address: Annotated[str, typer.Option(help="https://<gateway>/webhooks/google")],
    channels_file: ChannelsFile = Path(".idp-sync/google-channels.json"),
) -> None:
    """Open a channel per user event (add, update, delete, undelete, makeAdmin), and one
    for admin activities (group created, renamed, deleted, members added and removed)."""
    directory, token = _directory()

    async def open_all() -> list[dict[str, Any]]:
        opened = [await _open(directory, token, event, address) for event in EVENTS]
        await directory.aclose()
        return opened

    channels = on_idp(open_all(), "Google")
    channels_file.parent.mkdir(parents=True, exist_ok=True)
    channels_file.write_text(json.dumps(channels, indent=2))
    console.print(_table("Opened", channels))


@google_app.command()
def renew(
    within: Annotated[
        float, typer.Option(help="Replace channels ending within these minutes.")
    ] = 60,
    channels_file: ChannelsFile = Path(".idp-sync/google-channels.json"),
) -> None:
    """Replace the channels about to end: open the new one first, then close the old."""
    if not channels_file.exists():
        err.print(f"[red]No channels at {channels_file}:[/] run `idp-sync google watch` first.")
        raise typer.Exit(ExitCode.USAGE)
    directory, token = _directory()
    channels: list[dict[str, Any]] = json.loads(channels_file.read_text())
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=within)).timestamp() * 1000

    async def replace() -> list[dict[str, Any]]:
        kept, opened = [], []
        for old in channels:
            if old["expiration"] > soon:
                kept.append(old)
                continue
            opened.append(await _open(directory, token, old["event"], old["address"]))
            stop = {"id": old["id"], "resourceId": old["resourceId"]}
            await directory.request("POST", "/admin/directory/v1/channels/stop", json=stop)
        await directory.aclose()
        channels_file.write_text(json.dumps(kept + opened, indent=2))
        return opened

    console.print(_table("Replaced", on_idp(replace(), "Google")))
