"""Starting a service whose broker or state store is not there yet.

Every consumer service does the same: it retries with a clear log line, and after a
bounded wait (``IDP_SYNC_STARTUP_TIMEOUT``) gives up with one line and exit code 3, so a
supervisor restarts it. It never hangs half-started and never prints a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
log = logging.getLogger("idp_sync.startup")
FIRST_WAIT, LONGEST_WAIT = 0.5, 5.0


class Unreachable(Exception):
    """A dependency did not answer within the startup wait."""


class Refused(Exception):
    """A dependency answered but refused us (wrong credentials): retrying will not help."""


def broker_address(amqp_url: str) -> str:
    """``RabbitMQ at host:port``, never the credentials the URL carries."""
    parts = urlsplit(amqp_url)
    return f"RabbitMQ at {parts.hostname or '127.0.0.1'}:{parts.port or 5672}"


def _kind(error: BaseException) -> str:
    """``refused``, ``passing`` (worth another try) or ``other``."""
    from aio_pika.exceptions import AMQPConnectionError, ProbableAuthenticationError

    from services.scim_writer import StoreUnavailable

    if isinstance(error, ProbableAuthenticationError):
        return "refused"
    passing = AMQPConnectionError | StoreUnavailable | OSError | TimeoutError
    return "passing" if isinstance(error, passing) else "other"


async def until_reachable(what: str, attempt: Callable[[], Awaitable[T]], *, within: float) -> T:
    """``attempt()``, repeated with growing waits while ``what`` cannot be reached.

    Raises ``Unreachable`` once ``within`` seconds have passed, ``Refused`` at once when
    the dependency refuses the credentials; any other error is not ours to hide.
    """
    deadline, wait = time.monotonic() + within, FIRST_WAIT
    while True:
        try:
            return await attempt()
        except Exception as error:
            kind = _kind(error)
            if kind == "refused":
                raise Refused(f"{what} refused the credentials ({error})") from None
            left = deadline - time.monotonic()
            if kind == "other":
                raise
            if left <= 0:
                raise Unreachable(f"{what} did not answer within {within:g} s ({error})") from None
            pause = min(wait, left)
            log.warning("%s not reachable yet (%s); retrying in %.1f s", what, error, pause)
            await asyncio.sleep(pause)
            wait = min(wait * 2, LONGEST_WAIT)
