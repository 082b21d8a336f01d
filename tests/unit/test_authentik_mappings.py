"""The authentik mappings shipped in deploy/authentik produce what idp-sync reads."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec

from services.sources.authentik.events import AuthentikEvent
from services.sources.authentik.webhook import authorized, split_event

MAPPINGS = Path(__file__).parents[2] / "deploy" / "authentik"


def _run(name: str, **scope: Any) -> Any:
    """Run a mapping as authentik does: an expression body with names in scope."""
    body = textwrap.indent((MAPPINGS / name).read_text(), "    ")
    namespace: dict[str, Any] = {}
    exec(f"def mapping({', '.join(scope)}):\n{body}", namespace)  # noqa: S102 - our own file
    return namespace["mapping"](*scope.values())


def test_the_body_mapping_is_what_the_gateway_and_normalizer_read() -> None:
    event = SimpleNamespace(
        pk="3f6e2c1a-4f1b-4c55-9a77-2b1d0f0e9a10", action="model_updated",
        app="authentik.events.middleware", created=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        context={"model": {"app": "authentik_core", "model_name": "group", "pk": "6f2a",
                           "name": "engineering"}},
    )  # fmt: skip
    body = msgspec.json.encode(
        _run("webhook-body-mapping.py", notification=SimpleNamespace(event=event))
    )
    _, (raw,) = split_event(body)
    assert raw.message_id == event.pk
    decoded = msgspec.json.decode(raw.body, type=AuthentikEvent)
    assert decoded.model is not None
    assert (decoded.action, decoded.model.model_name, decoded.model.pk) == (
        "model_updated",
        "group",
        "6f2a",
    )


def test_the_header_mapping_carries_the_bearer_the_gateway_checks() -> None:
    headers = _run("webhook-header-mapping.py", notification=None)
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert authorized(headers["Authorization"], secret)
    assert not authorized(headers["Authorization"], "another")
