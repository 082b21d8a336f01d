"""Log lines of the long-running services: one line per event outcome, to stderr."""

from __future__ import annotations

import logging
import sys

QUIET = ("httpx", "httpcore", "aiormq", "aio_pika", "faststream", "asyncio")


def configure_logging(level: str = "INFO") -> None:
    """idp-sync's own loggers at ``level``; libraries only from WARNING (httpx logs every
    request at INFO, which would drown the outcomes and cost CPU)."""
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
