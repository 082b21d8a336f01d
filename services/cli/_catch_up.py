"""``idp-sync catch-up``: replay what an IdP's webhooks missed from its own change record.

Okta retries an event hook once at most, so a gateway or broker outage loses events for
good; the System Log keeps them 90 days. ``catch-up okta`` queues the logged events as the
gateway would have queued the hooks (same bytes, the event's uuid as the message id), and
the normalizer and writer take them from there; an event seen twice is applied once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ._durations import duration
from ._exit import ExitCode
from ._runtime import load_settings, topology_of

if TYPE_CHECKING:
    from services.shared import Settings
    from services.sources.okta.system_log import OktaSystemLog

console = Console()
err = Console(stderr=True, soft_wrap=True)  # one line per failure, however narrow
catch_up_app = typer.Typer(
    rich_markup_mode=None, help="Replay what an IdP's webhooks missed.", no_args_is_help=True
)
LONGEST = dt.timedelta(days=90)
"""Okta's System Log retention: it returns nothing older."""
PUBLISH_TIMEOUT = 30.0
"""Seconds the broker has to confirm one page (up to 1,000 events)."""
Since = Annotated[
    str,
    typer.Option(
        "--since",
        metavar="DURATION",
        help="How far back: 30m, 2h, 1d (at most 90d, Okta's retention).",
    ),
]


def since_span(text: str) -> dt.timedelta:
    """``--since`` as a timedelta; a usage error (exit 2) otherwise or over 90 days."""
    try:
        span = dt.timedelta(seconds=duration(text))
    except ValueError:
        err.print(f"[red]--since must be a duration such as 30m, 2h or 1d, not {text!r}.[/]")
        raise typer.Exit(ExitCode.USAGE) from None
    if span > LONGEST:
        err.print(f"[red]--since {text} reaches back further than the 90 days Okta keeps "
                  "its System Log.[/]")  # fmt: skip
        raise typer.Exit(ExitCode.USAGE)
    return span


@catch_up_app.command()
def okta(since: Since) -> None:
    """Replay Okta's System Log since then: the events the normalizer maps, queued as the
    gateway queues event hooks. Needs IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN
    (read users and groups, and the System Log). Replaying twice changes nothing more.
    Exits 3 when RabbitMQ or Okta cannot be reached, 4 when either refuses."""
    from services.sources.okta.system_log import okta_system_log, okta_time

    start = dt.datetime.now(dt.UTC) - since_span(since)
    settings = load_settings()
    system_log = okta_system_log(settings)
    count = _run(settings, system_log, start)
    console.print(f"replayed {count} Okta events since {okta_time(start)}")


def _run(settings: Settings, system_log: OktaSystemLog, start: dt.datetime) -> int:
    """The replay, with each way it can fail as one line and its exit code."""
    import asyncio
    import logging

    from aio_pika.exceptions import ProbableAuthenticationError

    from services.gateway import BrokerUnavailable
    from services.sources.directory import ReadFailed

    # The library logs each failed connect too; the one line below says it, once.
    for name in ("aiormq", "aio_pika"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_replay(settings, system_log, start))
    except ProbableAuthenticationError as error:
        err.print(f"[red]RabbitMQ refused the credentials:[/] {error} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.REFUSED) from None
    except (BrokerUnavailable, ConnectionError, OSError, TimeoutError) as error:
        said = str(error) or f"no answer within {PUBLISH_TIMEOUT:g} s"
        err.print(f"[red]RabbitMQ cannot be reached:[/] {said} (IDP_SYNC_AMQP_URL)")
        raise typer.Exit(ExitCode.UNREACHABLE) from None
    except ReadFailed as error:
        refused = re.search(r"answered 40[13]\b", error.what) is not None
        err.print(
            f"[red]Okta {'refused' if refused else 'could not be read'}:[/] {error.what}"
            + (" (check IDP_SYNC_OKTA_API_TOKEN and its scopes)" if refused else "")
        )
        raise typer.Exit(ExitCode.REFUSED if refused else ExitCode.UNREACHABLE) from None


async def _replay(settings: Settings, system_log: OktaSystemLog, start: dt.datetime) -> int:
    """Queue every page of the log since ``start``, each confirmed before the next is read."""
    import asyncio

    from faststream.rabbit import RabbitBroker
    from faststream.rabbit.schemas import Channel

    from services.gateway import BrokerPublisher
    from services.shared.topology import declare

    topology = topology_of(settings)
    broker = RabbitBroker(
        settings.amqp_url.get_secret_value(), logger=None,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
    )  # fmt: skip
    publisher = BrokerPublisher(broker, topology, PUBLISH_TIMEOUT)
    count = 0
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT):  # a broker that never answers is down
            await broker.connect()
            await declare(broker, topology)
        publisher.connected.set()
        async for events in system_log.since(start):
            if events:
                await publisher.publish(system_log.source, system_log.tenant, events)
                count += len(events)
                console.print(f"queued {len(events)} events ({count} so far)")
    finally:
        await system_log.aclose()
        await broker.stop()
    return count
