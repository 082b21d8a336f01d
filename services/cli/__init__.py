"""The ``idp-sync`` command line."""

from __future__ import annotations

import typer

from ._emulator import emulator_app
from ._gateway import gateway
from ._normalizer import normalizer
from ._run import run
from ._writer import writer

app = typer.Typer(
    name="idp-sync",
    help="Keep AWS IAM Identity Center in step with your identity provider.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(emulator_app, name="emulator")
app.command()(gateway)
app.command()(normalizer)
app.command()(writer)
app.command()(run)


@app.command()
def demo() -> None:
    """Tour the bundled AWS SCIM emulator: the calls a client makes and AWS's quirks."""
    import asyncio

    from ._demo import run_demo

    asyncio.run(run_demo())


def main() -> None:
    """Entry point of the ``idp-sync`` console script."""
    app()


__all__ = ["app", "main"]
