"""A small OTLP/HTTP collector for tests: the services export real spans to it over HTTP,
and the test reads them back, decoded with OpenTelemetry's own protobuf definitions."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .asgi_server import serving


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    links: list[str]
    """Trace ids of the spans this one links to."""


@dataclass
class Collector:
    endpoint: str = ""
    spans: list[Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            attrs = {a.key: _value(a.value) for a in resource.resource.attributes}
            for scope in resource.scope_spans:
                for s in scope.spans:
                    span = Span(
                        str(attrs.get("service.name", "")), s.name, s.kind, s.trace_id.hex(),
                        s.span_id.hex(), s.parent_span_id.hex(),
                        {a.key: _value(a.value) for a in s.attributes},
                        [link.trace_id.hex() for link in s.links],
                    )  # fmt: skip
                    with self.lock:
                        self.spans.append(span)

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


@contextlib.contextmanager
def collecting() -> Iterator[Collector]:
    """A collector listening on a free port; point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at it."""
    collector = Collector()

    async def traces(request: Request) -> Response:
        collector.receive(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    with serving(Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])) as url:
        collector.endpoint = url
        yield collector
