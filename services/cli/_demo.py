"""``idp-sync demo``: a guided tour of the bundled AWS SCIM emulator.

It starts the emulator in this process on a free port, makes the calls a SCIM client
makes, and shows where AWS differs from plain SCIM. It needs nothing else running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import socket
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from services.aws_scim_emulator import EmulatorConfig, Token, create_app

from ._emulator import new_tenant_id

console = Console()


def _user(name: str) -> dict[str, Any]:
    return {
        "userName": f"{name}@example.com",
        "displayName": f"{name.title()} Example",
        "name": {"givenName": name.title(), "familyName": "Example"},
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
        "externalId": f"demo-{name}",
    }


def _step(title: str, response: httpx.Response) -> httpx.Response:
    colour = "green" if response.status_code < 400 else "yellow"
    detail = response.json().get("detail", "") if response.content else ""
    console.print(
        f"  [{colour}]{response.status_code}[/] {response.request.method} "
        f"{response.request.url.path.split('/scim/v2')[1]:<28} {title} [dim]{detail}[/]"
    )
    return response


async def _tour(scim: httpx.AsyncClient) -> None:
    console.print("[bold]Users[/]")
    ids = []
    for name in ("ada", "grace", "linus"):
        created = _step(f"create {name}", await scim.post("/Users", json=_user(name)))
        ids.append(created.json()["id"])
    _step("create ada again: AWS refuses", await scim.post("/Users", json=_user("ada")))
    bad = {**_user("eve"), "displayName": "Eve <admin>"}
    _step("'<' in a name: AWS refuses", await scim.post("/Users", json=bad))
    deactivate = {"Operations": [{"op": "replace", "path": "active", "value": "false"}]}
    _step("deactivate linus", await scim.patch(f"/Users/{ids[2]}", json=deactivate))

    console.print("[bold]Groups[/]")
    group = _step("create a group", await scim.post("/Groups", json={"displayName": "Pioneers"}))
    gid = group.json()["id"]
    add = {"Operations": [{"op": "add", "path": "members",
                           "value": [{"value": i} for i in ids[:2]]}]}  # fmt: skip
    _step("add two members", await scim.patch(f"/Groups/{gid}", json=add))
    read = _step("read it back", await scim.get(f"/Groups/{gid}"))
    console.print(f"    members in GET /Groups: [bold]{'members' in read.json()}[/] (never shown)")
    flt = f'groups.value eq "{gid}"'
    members = _step("members via filter", await scim.get("/Users", params={"filter": flt}))
    console.print(f"    members via filter: {members.json()['totalResults']}")
    replace = {"Operations": [{"op": "replace", "path": "members", "value": []}]}
    _step("replace members: AWS refuses", await scim.patch(f"/Groups/{gid}", json=replace))


async def _state_tables(admin: httpx.AsyncClient) -> None:
    state = (await admin.get("/state")).json()
    users = Table(title="AWS users", title_justify="left")
    for column in ("userName", "displayName", "active", "externalId"):
        users.add_column(column)
    for u in state["users"]:
        users.add_row(u["userName"], u["displayName"], str(u["active"]), u.get("externalId", ""))
    groups = Table(title="AWS groups", title_justify="left")
    groups.add_column("displayName")
    groups.add_column("members")
    for g in state["groups"]:
        groups.add_row(g["displayName"], str(len(state["memberships"].get(g["id"], []))))
    console.print(users, groups)


async def run_demo() -> None:
    """Serve the emulator on a free port, tour it, print the resulting state."""
    tenant, token = new_tenant_id(), secrets.token_urlsafe(32)
    config = EmulatorConfig(tenant=tenant, tokens=[Token(token, dt.datetime.now(dt.UTC))])
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), log_level="warning", access_log=False)
    )
    # A socket already listening: clients queue in its backlog until uvicorn accepts.
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    root, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    console.print(f"AWS SCIM emulator at {root}/{tenant}/scim/v2/\n")
    async with (
        httpx.AsyncClient(base_url=f"{root}/{tenant}/scim/v2", headers=auth) as scim,
        httpx.AsyncClient(base_url=f"{root}/_emulator", headers=auth) as admin,
    ):
        await _tour(scim)
        console.print()
        await _state_tables(admin)
    server.should_exit = True
    await serving
