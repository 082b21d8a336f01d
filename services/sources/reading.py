"""The one place that decides what an IdP API's answer means during a full read.

A full read may conclude "gone" only from a complete, healthy read. So every answer that
is not a success is retried while the IdP asks for patience (429 with ``Retry-After``,
5xx, a dropped connection), within a bound, and otherwise ends the read with
``ReadFailed``. A 404 on a collection, a 401 or a body that is not JSON end it too.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .directory import ReadFailed

Hint = Callable[[httpx.Response], float | None]
"""An IdP's own way of saying how long to wait (Okta's ``X-Rate-Limit-Reset``)."""


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds, as a number or an HTTP date; ``None`` if absent."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


@dataclass
class Patience:
    """How long a full read rides out an IdP that asks it to wait."""

    attempts: int = 6
    """Tries per request before the read fails."""
    max_wait: float = 60.0
    """The longest single pause; an IdP asking for more fails the read (throttled out)."""
    sleep: Callable[[float], Any] = asyncio.sleep


async def get_json(
    client: httpx.AsyncClient, source: str, url: str, *, params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None, patience: Patience | None = None,
    hint: Hint | None = None,
) -> tuple[Any, httpx.Response]:  # fmt: skip
    """The decoded JSON body of ``GET url`` and the response (for its paging headers).

    Raises ``ReadFailed`` naming the request when it cannot be read in full."""
    patience = patience or Patience()
    what = f"GET {url}"
    for attempt in range(1, patience.attempts + 1):
        try:
            response = await client.get(url, params=params, headers=headers)
        except httpx.TransportError as error:
            failure, wait = f"{what}: {type(error).__name__}", float(2 ** (attempt - 1))
        else:
            if response.status_code < 300:
                return _decoded(response, source, what), response
            if response.status_code != 429 and response.status_code < 500:
                raise ReadFailed(source, f"{what} answered {response.status_code}")
            asked = (hint(response) if hint else None) or retry_after(response)
            failure = f"{what} answered {response.status_code}"
            wait = asked if asked is not None else float(2 ** (attempt - 1))
        if wait > patience.max_wait:
            raise ReadFailed(source, f"{failure}; it asked to wait {wait:.0f} s (throttled out)")
        if attempt == patience.attempts:
            break
        await patience.sleep(wait)
    raise ReadFailed(source, f"{failure} ({patience.attempts} attempts)")


def _decoded(response: httpx.Response, source: str, what: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise ReadFailed(source, f"{what}: the answer is not JSON ({error})") from None
