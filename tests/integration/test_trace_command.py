"""``idp-sync trace`` against a small fake of Jaeger's query API over real HTTP."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.asgi_server import serving
from tests.support.processes import free_port, run_cli

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _span(outcome: str, start: int) -> dict[str, Any]:
    tags = {"idp_sync.outcome": outcome, "idp_sync.event.type": "user.upserted",
            "idp_sync.aws.id": "906722b2-aws", "user.name": "jane@acme.com"}  # fmt: skip
    return {"startTime": start, "tags": [{"key": k, "type": "string", "value": v}
                                         for k, v in tags.items()]}  # fmt: skip


def test_it_prints_the_search_and_the_outcomes_jaeger_found() -> None:
    asked: list[dict[str, str]] = []

    async def traces(request: Request) -> JSONResponse:
        asked.append(dict(request.query_params))
        spans = [_span("retried", 1_700_000_000_000_000), _span("applied", 1_700_000_002_000_000)]
        return JSONResponse({"data": [{"traceID": TRACE, "spans": [*spans, {"tags": []}]}]})

    with serving(Starlette(routes=[Route("/api/traces", traces)])) as jaeger:
        result = run_cli("trace", "jane@acme.com", env={"IDP_SYNC_JAEGER_URL": jaeger})
    assert result.returncode == 0, result.stderr
    assert f"Jaeger search: {jaeger}/search?service=idp-sync-writer&tags=" in result.stdout
    assert asked[0]["service"] == "idp-sync-writer"
    assert json.loads(asked[0]["tags"]) == {"user.name": "jane@acme.com"}
    lines = [line for line in result.stdout.splitlines() if TRACE in line]
    assert ["retried" in lines[0], "applied" in lines[1]] == [True, True]
    assert "906722b2-aws" in lines[1]


def test_without_jaeger_it_prints_the_search_and_exits_3() -> None:
    jaeger = f"http://127.0.0.1:{free_port()}"
    result = run_cli("trace", "00u1abc", env={"IDP_SYNC_JAEGER_URL": jaeger})
    assert result.returncode == 3, "a script must not take a missing Jaeger for no traces"
    assert "user.id" in result.stdout
    assert "did not answer" in result.stderr
    assert "Traceback" not in result.stderr
