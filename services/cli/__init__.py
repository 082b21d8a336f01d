"""The ``idp-sync`` command line."""

from __future__ import annotations

import sys

import typer

from ._catch_up import catch_up_app
from ._dlq import dlq_app
from ._emulator import emulator_app
from ._entra import entra_app_cli
from ._exit import ExitCode
from ._gateway import gateway
from ._google import google_app
from ._held import held_app
from ._normalizer import normalizer
from ._run import run
from ._status import status
from ._sync import sync
from ._trace import trace
from ._writer import writer

app = typer.Typer(
    rich_markup_mode=None,  # plain click help: rich would cost --help 0.2 s of imports
    name="idp-sync",
    help="Keep AWS IAM Identity Center in step with your identity provider.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(emulator_app, name="emulator")
app.add_typer(dlq_app, name="dlq")
app.add_typer(held_app, name="held")
app.add_typer(entra_app_cli, name="entra")
app.add_typer(google_app, name="google")
app.add_typer(catch_up_app, name="catch-up")
app.command()(gateway)
app.command()(normalizer)
app.command()(writer)
app.command()(run)
app.command()(status)
app.command()(trace)
app.command()(sync)


@app.command()
def demo() -> None:
    """Run the whole pipeline on the local RabbitMQ against the bundled AWS SCIM emulator.

    Sends an HR system's signed webhooks (people, a group of 124, a rename, a profile update,
    a deactivation, a deletion, a repeated delivery, a late older update) through the
    gateway, waits for the writer, and prints each event's outcome and AWS's state. Uses a
    namespace of its own on the broker (IDP_SYNC_AMQP_URL) and deletes it afterwards.
    Exits 1 when an event did not settle, 3 when RabbitMQ cannot be reached.
    """
    from ._demo_command import demo_command

    demo_command()


def main() -> None:
    """Entry point of the ``idp-sync`` console script."""
    try:
        app()
    except Exception as error:
        from services.shared import SettingsError

        if not isinstance(error, SettingsError):
            raise
        # One line that says what to fix, not a traceback through pydantic.
        sys.stderr.write(f"idp-sync: {error}\n")
        sys.exit(ExitCode.USAGE)


__all__ = ["app", "main"]
