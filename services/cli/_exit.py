"""Exit codes every ``idp-sync`` command keeps, so scripts can rely on them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    """The command ran and what it checked or did failed."""
    USAGE = 2
    """Bad arguments or settings (also what typer uses for usage errors)."""
    UNREACHABLE = 3
    """A dependency (broker, store, emulator, AWS) could not be reached."""
    REFUSED = 4
    """A dependency refused the request, e.g. a wrong token."""
