"""``idp-sync emulator``: run the bundled AWS SCIM emulator, or dump a running one."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._exit import ExitCode
from ._runtime import load_settings

emulator_app = typer.Typer(
    rich_markup_mode=None,
    help="The bundled AWS IAM Identity Center SCIM emulator (for demos, tests, benchmarks).",
    invoke_without_command=True,
    no_args_is_help=False,
)
console = Console()
err = Console(stderr=True)


def new_tenant_id() -> str:
    """A tenant id in AWS's shape: 11 alphanumerics, then the last four UUID groups."""
    alphabet = string.ascii_letters + string.digits
    head = "".join(secrets.choice(alphabet) for _ in range(11))
    tail = secrets.token_hex(14)
    return f"{head}-{tail[:4]}-{tail[4:8]}-{tail[8:12]}-{secrets.token_hex(6)}"


def _tokens(given: list[str] | None) -> list[str]:
    settings_token = load_settings().emulator_token
    tokens = given or ([settings_token.get_secret_value()] if settings_token else [])
    if not tokens:
        err.print("[red]No token:[/] pass --token or set IDP_SYNC_EMULATOR_TOKEN.")
        raise typer.Exit(ExitCode.USAGE)
    if len(tokens) > 2:
        err.print("[red]AWS allows at most two SCIM tokens per directory.[/]")
        raise typer.Exit(ExitCode.USAGE)
    return tokens


Opt = typer.Option


@emulator_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, Opt(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, Opt(help="Port to listen on.")] = 8081,
    tenant: Annotated[str | None, Opt(help="Tenant id in the URL path; random if unset.")] = None,
    token: Annotated[
        list[str] | None, Opt(help="Bearer token clients must send; give it twice for two.")
    ] = None,
    state_file: Annotated[
        Path | None, Opt(help="Load state from this JSON file at start, save it at exit.")
    ] = None,
    unsupported_attributes: Annotated[
        str, Opt(help="password, ims, photos, display, ...: 'reject' (400) or 'ignore'.")
    ] = "reject",
    username_spaces: Annotated[bool, Opt(help="Allow spaces in userName.")] = False,
    case_sensitive_names: Annotated[
        bool, Opt(help="Compare userName and group names case-sensitively.")
    ] = False,
    group_put: Annotated[str, Opt(help="PUT /Groups: 'reject' (400) or 'replace'.")] = "reject",
    unknown_member: Annotated[
        str, Opt(help="Adding a user id that does not exist: 'not_found' (404) or 'ignore'.")
    ] = "not_found",
    count_limits: Annotated[
        str, Opt(help="count=0 or count>100: 'reject' (400) or 'clamp'.")
    ] = "reject",
    rate_limit: Annotated[float | None, Opt(help="Requests/s before 429s (token bucket).")] = None,
    rate_limit_burst: Annotated[int | None, Opt(help="Token-bucket size.")] = None,
    retry_after: Annotated[bool, Opt(help="Send Retry-After with 429s.")] = True,
    error_rate: Annotated[float, Opt(help="Share of requests answered 500, unapplied.")] = 0.0,
    latency_ms: Annotated[float, Opt(help="Latency added to every request.")] = 0.0,
    lost_response_rate: Annotated[
        float, Opt(help="Share of writes applied but answered 500 or cut off.")
    ] = 0.0,
    lost_response_mode: Annotated[
        str, Opt(help="How an answer is lost: 'error' (500) or 'close'.")
    ] = "error",
    seed: Annotated[int | None, Opt(help="Seed for the fault shares.")] = None,
) -> None:
    """Serve /{tenant}/scim/v2/ like AWS IAM Identity Center, quirks included.

    The admin API at /_emulator/ (same token) changes faults and switches at run time
    and shows the state: see `idp-sync emulator dump`.
    """
    if ctx.invoked_subcommand is not None:
        return
    import msgspec

    from services.aws_scim_emulator import Behaviour, EmulatorConfig, Faults, Token
    from services.aws_scim_emulator import serve as run

    now = dt.datetime.now(dt.UTC)
    try:
        config = EmulatorConfig(
            tenant=tenant or new_tenant_id(),
            tokens=[Token(t, now) for t in _tokens(token)],
            state_file=state_file,
            behaviour=msgspec.convert(
                {
                    "unsupported_attributes": unsupported_attributes,
                    "username_spaces": username_spaces,
                    "case_insensitive_names": not case_sensitive_names,
                    "group_put": group_put,
                    "unknown_member": unknown_member,
                    "count_limits": count_limits,
                },
                Behaviour,
            ),
            faults=msgspec.convert(
                {
                    "rate_limit_tps": rate_limit,
                    "rate_limit_burst": rate_limit_burst,
                    "retry_after": retry_after,
                    "error_rate": error_rate,
                    "latency_ms": latency_ms,
                    "lost_response_rate": lost_response_rate,
                    "lost_response_mode": lost_response_mode,
                    "seed": seed,
                },
                Faults,
            ),
        )
    except msgspec.ValidationError as error:
        err.print(f"[red]Invalid option:[/] {error}")
        raise typer.Exit(ExitCode.USAGE) from None
    base = f"http://{host}:{port}"
    console.print(f"AWS SCIM emulator: [bold]{base}/{config.tenant}/scim/v2/[/]")
    console.print(f"Admin API:         {base}/_emulator/  (state, faults, behaviour, reset)")
    run(config, host, port)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) if cell is not None else "" for cell in row))
    return table


@emulator_app.command()
def dump(
    url: Annotated[str, Opt(help="Base URL of a running emulator.")] = "http://127.0.0.1:8081",
    token: Annotated[str | None, Opt(help="Its bearer token (or IDP_SYNC_EMULATOR_TOKEN).")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print the raw JSON state.")] = False,
) -> None:
    """Show a running emulator's users, groups, memberships and request counts."""
    import httpx

    bearer = _tokens([token] if token else None)[0]
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/_emulator/state",
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=10,
        )
    except httpx.TransportError as error:
        err.print(f"[red]Cannot reach the emulator at {url}:[/] {error}")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    if response.status_code == 401:
        err.print("[red]The emulator refused the token.[/]")
        raise typer.Exit(ExitCode.REFUSED)
    response.raise_for_status()
    state = response.json()
    if as_json:
        console.print_json(data=state)
        return
    _print_state(state)


def _print_state(state: dict[str, Any]) -> None:
    members = state["memberships"]
    console.print(
        _table(
            f"Users ({len(state['users'])})",
            ["id", "userName", "displayName", "active", "externalId"],
            [
                [u["id"], u["userName"], u["displayName"], u["active"], u.get("externalId")]
                for u in state["users"]
            ],
        )
    )
    console.print(
        _table(
            f"Groups ({len(state['groups'])})",
            ["id", "displayName", "externalId", "members"],
            [
                [g["id"], g["displayName"], g.get("externalId"), len(members.get(g["id"], []))]
                for g in state["groups"]
            ],
        )
    )
    console.print(
        _table(
            "Requests",
            ["operation", "status", "count"],
            [
                [op, status, n]
                for op, by_status in state["requests"].items()
                for status, n in by_status.items()
            ],
        )
    )
