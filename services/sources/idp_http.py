"""What an IdP API's HTTP answer means, for every IdP read the normalizer makes: the one
place that tells "gone" from "try again" from "misconfigured"."""

from __future__ import annotations

from typing import Any

import httpx

from services.sources.errors import IdpUnavailable, Unmappable


async def send(client: httpx.AsyncClient, idp: str, method: str, path: str, **kwargs: Any) -> Any:
    """The JSON answer (``None`` when empty, or on 404: the object is gone).

    Unreachable, 429 and 5xx raise ``IdpUnavailable`` (retried, with the IdP's
    Retry-After); any other 4xx raises ``Unmappable`` naming the request.
    """
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.TransportError as error:
        raise IdpUnavailable(f"{idp} unreachable: {type(error).__name__}") from error
    if response.status_code == 404:
        return None
    if response.status_code == 429 or response.status_code >= 500:
        wait = response.headers.get("retry-after", "")
        raise IdpUnavailable(f"{idp} answered {response.status_code} for {method} {path}",
                             retry_after=float(wait) if wait.isdigit() else None)  # fmt: skip
    if response.status_code >= 400:
        raise Unmappable(f"{idp} refused {method} {path} ({response.status_code})")
    return response.json() if response.content else None
